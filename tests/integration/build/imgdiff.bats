#!/usr/bin/env bats
# tests/build/imgdiff.py, the comparison the build corpus relies on, must
# find every kind of difference it claims to: images made here offline
# (tests/lib/ociimg.py) that differ in one mode bit, one owner, one byte,
# one whiteout, one link, one hard link, one device, one xattr, one config
# field; and must not report a difference where there is none (the same
# file system split into other layers, with whiteouts, compressed
# otherwise, in another archive format).  No engine involved.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
IMGDIFF=$REPO/tests/build/imgdiff.py
OCIIMG=$REPO/tests/lib/ociimg.py

setup() {
  T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/imgdiff.XXXXXX")
  # A small base file system: what every image starts from.
  B=$T/base
  mkdir -p "$B/bin" "$B/etc/app" "$B/srv/d"
  printf '#!/bin/sh\necho tool\n' >"$B/bin/tool"
  chmod 0755 "$B/bin/tool"
  echo "conf" >"$B/etc/app/app.conf"
  echo "gone" >"$B/etc/gone"
  echo x >"$B/srv/d/x"
  echo y >"$B/srv/d/y"
  ln -s ../etc/app/app.conf "$B/bin/conf-link"
}

teardown() {
  rm -rf --one-file-system "$T"
}

# img NAME [ociimg options] LAYER...: an OCI layout $T/NAME
img() {
  local name=$1
  shift
  python3 "$OCIIMG" layout "$T/$name" --ref "$name" --no-label "$@" >/dev/null
}

# copy of the base to change: $T/NAME
variant() {
  cp -a "$B" "$T/$1"
}

@test "imgdiff: the same file system in other layers, compressions and formats is no difference" {
  # A: the base then a layer adding a file; B: both in one layer, gzip;
  # C: A's layers with zstd; D: A as a docker-archive.
  mkdir -p "$T/l2/srv"
  echo new >"$T/l2/srv/new"
  variant merged
  echo new >"$T/merged/srv/new"
  img a --compress none "$B" "$T/l2"
  img b --compress gzip "$T/merged"
  img c --compress zstd "$B" "$T/l2"
  python3 - "$T/a" "$T/a.docker.tar" <<'PY'
import json, sys, tarfile
src, out = sys.argv[1:]
idx = json.load(open(src + "/index.json"))
m = json.load(open(src + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
with tarfile.open(out, "w") as t:
    cfg = m["config"]["digest"][7:] + ".json"
    t.add(src + "/blobs/sha256/" + m["config"]["digest"][7:], cfg)
    layers = []
    for i, l in enumerate(m["layers"]):
        layers.append("l%d/layer.tar" % i)
        t.add(src + "/blobs/sha256/" + l["digest"][7:], layers[-1])
    data = json.dumps([{"Config": cfg, "RepoTags": ["x/a:latest"],
                        "Layers": layers}]).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(data)
    import io
    t.addfile(info, io.BytesIO(data))
PY
  tar -C "$T/c" -cf "$T/c.oci.tar" .
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 0 ]
  [[ "$output" == *"0 difference(s)"* ]]
  run python3 "$IMGDIFF" "$T/a" "$T/c.oci.tar"
  [ "$status" -eq 0 ]
  run python3 "$IMGDIFF" "$T/a.docker.tar@x/a" "$T/b"
  [ "$status" -eq 0 ]
  # The comparison saw the files (not two empty images).
  run python3 "$IMGDIFF" --dump "$T/a.docker.tar"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/srv/new file 0644 0:0 4 bytes"* ]]
  [[ "$output" == *"/bin/conf-link symlink 0:0 -> ../etc/app/app.conf"* ]]
}

@test "imgdiff: one permission bit differs" {
  variant v
  chmod 4755 "$T/v/bin/tool"
  img a "$B"
  img b "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == "/bin/tool: mode differ: A file 0755 0:0 "*"; B file 4755 0:0 "* ]]
  [ "${#lines[@]}" -eq 2 ] # the difference and the count
}

@test "imgdiff: one owner differs (uid, then gid)" {
  variant v
  chown 1:0 "$T/v/etc/app/app.conf"
  variant w
  chown 0:7 "$T/w/etc/app"
  img a "$B"
  img b "$T/v"
  img c "$T/w"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == "/etc/app/app.conf: uid differ: A file 0644 0:0 "*"; B file 0644 1:0 "* ]]
  run python3 "$IMGDIFF" "$T/a" "$T/c"
  [ "$status" -eq 1 ]
  [[ "$output" == "/etc/app: gid differ: A dir 0755 0:0; B dir 0755 0:7"* ]]
}

@test "imgdiff: one byte of content differs" {
  variant v
  echo "cong" >"$T/v/etc/app/app.conf"
  img a "$B"
  img b "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == "/etc/app/app.conf: content differ: "* ]]
}

@test "imgdiff: a whiteout removes a file of a lower layer, and only that" {
  # A: base, then a layer whiting out /etc/gone (an OCI whiteout entry).
  mkdir -p "$T/wh/etc"
  : >"$T/wh/etc/.wh.gone"
  img a "$B" "$T/wh"
  img b "$B"
  variant v
  rm "$T/v/etc/gone"
  img c "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == "/etc/gone: only in B: file 0644 0:0 5 bytes"* ]]
  [ "${#lines[@]}" -eq 2 ]
  # CONTROL: against the base without the file, nothing differs.
  run python3 "$IMGDIFF" "$T/a" "$T/c"
  [ "$status" -eq 0 ]
  # A whiteout of a directory removes what is under it too.
  mkdir -p "$T/whd/srv"
  : >"$T/whd/srv/.wh.d"
  img d "$B" "$T/whd"
  variant w
  rm -r "$T/w/srv/d"
  img e "$T/w"
  run python3 "$IMGDIFF" "$T/d" "$T/e"
  [ "$status" -eq 0 ]
}

@test "imgdiff: an opaque directory hides the lower layers' entries, not its own layer's" {
  mkdir -p "$T/opq/srv/d"
  : >"$T/opq/srv/d/.wh..wh..opq"
  echo z >"$T/opq/srv/d/z"
  img a "$B" "$T/opq"
  variant v
  rm "$T/v/srv/d/x" "$T/v/srv/d/y"
  echo z >"$T/v/srv/d/z"
  img b "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 0 ]
  # Without the opaque marker x and y would still be there.
  rm "$T/opq/srv/d/.wh..wh..opq"
  img c "$B" "$T/opq"
  run python3 "$IMGDIFF" "$T/c" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == *"/srv/d/x: only in A"* ]]
  [[ "$output" == *"/srv/d/y: only in A"* ]]
}

@test "imgdiff: hard-linked names differ from equal copies" {
  variant v
  cp "$T/v/bin/tool" "$T/v/bin/tool2"
  variant w
  ln "$T/w/bin/tool" "$T/w/bin/tool2"
  img a "$T/v"
  img b "$T/w"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "hard links only in B: /bin/tool = /bin/tool2" ]
  # A hard link made in a later layer to a file of an earlier one.
  mkdir -p "$T/hl/bin"
  python3 - "$T/hl.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("bin/tool2")
    i.type = tarfile.LNKTYPE
    i.linkname = "bin/tool"
    t.addfile(i)
PY
  img c "$B" "$T/hl.tar"
  run python3 "$IMGDIFF" "$T/c" "$T/b"
  [ "$status" -eq 0 ]
}

@test "imgdiff: a link target, a file type, a device number, an xattr differ" {
  variant v
  ln -sfn ../etc/gone "$T/v/bin/conf-link"
  img a "$B"
  img b "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [[ "$output" == "/bin/conf-link: link target differ: "*"-> ../etc/app/app.conf; B symlink 0:0 -> ../etc/gone"* ]]
  variant w
  rm "$T/w/etc/gone"
  mkfifo "$T/w/etc/gone"
  img c "$T/w"
  run python3 "$IMGDIFF" "$T/a" "$T/c"
  [ "$status" -eq 1 ]
  [[ "$output" == "/etc/gone: type, content differ: A file 0644 0:0 5 bytes"*"; B fifo 0644 0:0"* ]]
  # Device numbers and xattrs, in hand-made layers.
  python3 - "$T" <<'PY'
import sys, tarfile
d = sys.argv[1]
for name, minor, cap in (("dev1", 3, "a"), ("dev2", 4, "a"), ("dev3", 3, "b")):
    with tarfile.open("%s/%s.tar" % (d, name), "w", format=tarfile.PAX_FORMAT) as t:
        i = tarfile.TarInfo("dev/null")
        i.type, i.devmajor, i.devminor, i.mode = tarfile.CHRTYPE, 1, minor, 0o666
        t.addfile(i)
        i = tarfile.TarInfo("bin/ping")
        i.pax_headers = {"SCHILY.xattr.security.capability": cap}
        t.addfile(i)
PY
  img d "$T/dev1.tar"
  img e "$T/dev2.tar"
  img f "$T/dev3.tar"
  run python3 "$IMGDIFF" "$T/d" "$T/e"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "/dev/null: device differ: A char 0666 0:0 1,3; B char 0666 0:0 1,4" ]
  run python3 "$IMGDIFF" "$T/d" "$T/f"
  [ "$status" -eq 1 ]
  [[ "${lines[0]}" == "/bin/ping: xattrs differ: "* ]]
}

@test "imgdiff: config fields differ; the builder's own label does not count" {
  img a --cmd sh "$B"
  img b --cmd bash "$B"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = 'config Cmd differs: A ["sh"]; B ["bash"]' ]
  img c --cmd sh --label io.buildah.version=1.28.2 "$B"
  img d --cmd sh --label com.example.x=1 "$B"
  run python3 "$IMGDIFF" "$T/a" "$T/c"
  [ "$status" -eq 0 ]
  run python3 "$IMGDIFF" "$T/a" "$T/d"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = 'config Labels differs: A null; B {"com.example.x": "1"}' ]
  # Env: the same entries in another order are the same; another value is not.
  img e --env A=1 --env B=2 "$B"
  img f --env B=2 --env A=1 "$B"
  img g --env B=2 --env A=2 "$B"
  run python3 "$IMGDIFF" "$T/e" "$T/f"
  [ "$status" -eq 0 ]
  run python3 "$IMGDIFF" "$T/e" "$T/g"
  [ "$status" -eq 1 ]
  [[ "${lines[0]}" == "config Env differs: "* ]]
}

@test "imgdiff: a builder's empty mount points are known; anything in them is not" {
  variant v
  mkdir -p "$T/v/run"
  : >"$T/v/etc/hostname"
  img a "$B"
  img b "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/b"
  [ "$status" -eq 0 ]
  echo host >"$T/v/etc/hostname"
  echo pid >"$T/v/run/app.pid"
  img c "$T/v"
  run python3 "$IMGDIFF" "$T/a" "$T/c"
  [ "$status" -eq 1 ]
  [[ "$output" == *"/etc/hostname: only in B: file 0644 0:0 5 bytes"* ]]
  [[ "$output" == *"/run: only in B: dir"* ]]
  [[ "$output" == *"/run/app.pid: only in B"* ]]
}

@test "imgdiff --expect: listed differences pass, unlisted or vanished ones fail" {
  img a --cmd sh "$B"
  img b --cmd bash "$B"
  printf '# why: the test says so\nconfig Cmd differs: A ["sh"]; B ["bash"]\n' >"$T/expect"
  run python3 "$IMGDIFF" --expect "$T/expect" "$T/a" "$T/b"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 'expected: config Cmd differs: A ["sh"]; B ["bash"]' ]
  # The difference gone: the expectation is stale, and that fails.
  run python3 "$IMGDIFF" --expect "$T/expect" "$T/a" "$T/a"
  [ "$status" -eq 1 ]
  [[ "$output" == *'expected but not found: config Cmd differs'* ]]
  # Another difference beside the expected one still fails.
  img c --cmd bash --label k=v "$B"
  run python3 "$IMGDIFF" --expect "$T/expect" "$T/a" "$T/c"
  [ "$status" -eq 1 ]
  # An expectation must say why.
  printf 'config Cmd differs: A ["sh"]; B ["bash"]\n' >"$T/nowhy"
  run python3 "$IMGDIFF" --expect "$T/nowhy" "$T/a" "$T/b"
  [ "$status" -eq 2 ]
  [[ "$output" == *"needs a comment above it"* ]]
}

@test "imgdiff: unreadable input is an error (2), not a difference" {
  run python3 "$IMGDIFF" "$T/none" "$T/none"
  [ "$status" -eq 2 ]
  [[ "$output" == *"no such file or directory"* ]]
  img a "$B"
  img b "$B"
  python3 "$OCIIMG" layout "$T/two" --ref one "$B" >/dev/null
  python3 "$OCIIMG" layout "$T/two" --ref two "$B" >/dev/null
  run python3 "$IMGDIFF" "$T/two" "$T/a"
  [ "$status" -eq 2 ]
  [[ "$output" == *"holds 2 images"* ]]
  run python3 "$IMGDIFF" "$T/two@two" "$T/a"
  [ "$status" -eq 1 ] # the label berth.test=two
  run python3 "$IMGDIFF" "$T/two@three" "$T/a"
  [ "$status" -eq 2 ]
}
