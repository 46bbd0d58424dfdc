#!/usr/bin/env bats
# COPY and ADD into a build container (src/build/copy_step.c), through the
# copystep driver: Docker's path and owner rules, tar archives, and every
# write confined to the container's root.  Results are checked in the
# committed image, as a build would make it.

bats_require_minimum_version 1.5.0
load ../engine/engine

COPYSTEP=${COPYSTEP:-$REPO/build/tests/build/copystep}
# Host paths that an escape would write.
ESC=/tmp/berth-copystep-$BATS_ROOT_PID

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }

setup() {
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX"
  echo 'FROM scratch' >"$CTX/Dockerfile"
}

teardown() {
  engine_teardown
  rm -rf "$ESC".*
  berth rmi -f cs-out cs-src cs-hostile >/dev/null 2>&1 || true
}

cstep() { "$COPYSTEP" "$BERTH_ROOT" "$@"; }
upper() { berth inspect -f '{{.GraphDriver.Data.UpperDir}}' "$1"; }
idbase() { berth inspect -f '{{.IdMap.HostIdBase}}' "$1"; }
# Commits container $1 and runs the rest of the line in the image.
in_result() {
  local c=$1
  shift
  berth commit "$c" cs-out >/dev/null && berth run --rm cs-out "$@"
}

# mktar OUT plain|gz|bz2|xz ENTRY...: NAME=BODY a file (0640), NAME/ a
# directory, NAME@TARGET a symlink; every entry owned by 1000:1001.
mktar() {
  python3 - "$@" <<'EOF'
import io, sys, tarfile
out, comp, *entries = sys.argv[1:]
with tarfile.open(out, "w" if comp == "plain" else "w:" + comp) as t:
    for e in entries:
        data = None
        if "@" in e:
            i = tarfile.TarInfo(e.split("@")[0])
            i.type, i.linkname = tarfile.SYMTYPE, e.split("@", 1)[1]
        elif e.endswith("/"):
            i = tarfile.TarInfo(e[:-1])
            i.type, i.mode = tarfile.DIRTYPE, 0o750
        else:
            name, body = e.split("=", 1)
            i, data = tarfile.TarInfo(name), body.encode()
            i.size, i.mode = len(data), 0o640
        i.uid, i.gid = 1000, 1001
        t.addfile(i, io.BytesIO(data) if data is not None else None)
EOF
}

@test "COPY keeps modes, mtimes, symlinks and hard links; root owns the copies" {
  mkdir -p "$CTX/dir/sub"
  echo one >"$CTX/f.txt"
  chmod 640 "$CTX/f.txt"
  chown 1234:1234 "$CTX/f.txt"
  touch -d @981173106 "$CTX/f.txt"
  echo a >"$CTX/dir/sub/a"
  chmod 700 "$CTX/dir/sub"
  ln -s sub/a "$CTX/dir/link"
  ln -s /etc/shadow "$CTX/dir/abs"
  echo h >"$CTX/dir/h1"
  ln "$CTX/dir/h1" "$CTX/dir/h2"
  berth create --name c1 bb >/dev/null
  cstep c1 --context "$CTX" f.txt /dst/f
  cstep c1 --context "$CTX" dir /dst2
  # On the host: the container's root, never host root or the context's.
  [ "$(stat -c %u:%g "$(upper c1)/dst/f")" = "$(idbase c1):$(idbase c1)" ]
  run in_result c1 sh -c 'stat -c "%n %u:%g %a %Y" /dst/f
    stat -c "%n %u:%g %a" /dst /dst2 /dst2/sub; cat /dst2/sub/a
    readlink /dst2/link; readlink /dst2/abs
    [ "$(stat -c %i /dst2/h1)" = "$(stat -c %i /dst2/h2)" ] && echo linked'
  [ "$status" -eq 0 ]
  [ "$output" = "/dst/f 0:0 640 981173106
/dst 0:0 755
/dst2 0:0 755
/dst2/sub 0:0 700
a
sub/a
/etc/shadow
linked" ]
}

@test "COPY --chown and --chmod; made parents get the owner, existing ones stay" {
  echo one >"$CTX/f.txt"
  chmod 640 "$CTX/f.txt"
  mkdir "$CTX/d"
  echo two >"$CTX/d/g"
  berth create --name c1 bb >/dev/null
  cstep c1 --context "$CTX" --chown tester --chmod 751 f.txt d /etc/new/deep/
  cstep c1 --context "$CTX" --chown 55 f.txt /f55
  cstep c1 --context "$CTX" --chown tester:testers f.txt /ftt
  run in_result c1 stat -c '%n %u:%g %a' /etc /etc/new /etc/new/deep \
    /etc/new/deep/f.txt /etc/new/deep/g /f55 /ftt
  [ "$status" -eq 0 ]
  [ "$output" = "/etc 0:0 755
/etc/new 1000:1000 755
/etc/new/deep 1000:1000 755
/etc/new/deep/f.txt 1000:1000 751
/etc/new/deep/g 1000:1000 751
/f55 55:55 640
/ftt 1000:1001 640" ]
  run cstep c1 --context "$CTX" --chown nosuch f.txt /x
  [ "$status" -eq 1 ]
  [[ "$output" == *"--chown=nosuch: unable to find user \`nosuch\`"* ]]
  run cstep c1 --context "$CTX" --chmod 9z f.txt /x
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid --chmod=9z"* ]]
}

@test "COPY follows Docker's destination rules" {
  echo x >"$CTX/a"
  echo y >"$CTX/b"
  mkdir "$CTX/d"
  berth create --name c1 bb >/dev/null
  run cstep c1 --context "$CTX" a b /multi
  [ "$status" -eq 1 ]
  [[ "$output" == *"When using COPY with more than one source file, the destination must be a directory and end with a /"* ]]
  cstep c1 --context "$CTX" a b /multi/
  cstep c1 --context "$CTX" a newdir/
  cstep c1 --context "$CTX" --workdir /app a .
  cstep c1 --context "$CTX" --workdir /app b ../../../../b2
  cstep c1 --context "$CTX" a /etc
  cstep c1 --context "$CTX" b /multi/a
  cstep c1 --workdir /app --heredoc 'greet=hello
' .
  run cstep c1 --context "$CTX" d /multi/a
  [ "$status" -eq 1 ]
  [[ "$output" == *"destination \`/multi/a\` is not a directory"* ]]
  run in_result c1 sh -c 'cat /multi/a /multi/b /newdir/a /app/a /b2 /etc/a
    stat -c "%n %a" /app/greet; cat /app/greet'
  [ "$output" = "y
y
x
x
y
x
/app/greet 644
hello" ]
}

@test "COPY --from keeps the source's owners; --chown overrides; scratch is empty" {
  berth run --name src1 bb sh -c 'mkdir -p /out/sub && echo s >/out/sub/f &&
    chown -R 1000:1001 /out && chmod 4750 /out/sub/f' >/dev/null
  berth commit src1 cs-src >/dev/null
  berth create --name from2 cs-src >/dev/null # two layers: an overlay
  berth create --name from1 bb >/dev/null     # one layer: a bind
  berth create --name c1 bb >/dev/null
  cstep c1 --from from2 /out /copied
  cstep c1 --from from2 --chown 7:8 out/sub/f /chowned
  cstep c1 --from from1 /bin/busybox /bbcopy
  [ "$(stat -c %u "$(upper c1)/copied/sub/f")" = $(($(idbase c1) + 1000)) ]
  run in_result c1 stat -c '%n %u:%g %a' /copied/sub /copied/sub/f /chowned \
    /bbcopy
  [ "$output" = "/copied/sub 1000:1001 755
/copied/sub/f 1000:1001 4750
/chowned 7:8 4750
/bbcopy 0:0 755" ]
  run cstep c1 --scratch /bin/busybox /x
  [ "$status" -eq 1 ]
  [[ "$output" == *"not found"* ]]
}

@test "ADD unpacks tars (plain, gzip, bzip2, xz) with their owners; other files are copied" {
  for c in plain gz bz2 xz; do
    mktar "$CTX/t.$c" $c sub/ sub/in=inner sub/sl@in
  done
  echo 'not a tar' | gzip >"$CTX/fake.tar.gz"
  berth create --name c1 bb >/dev/null
  for c in plain gz bz2 xz; do
    cstep c1 --add --context "$CTX" "t.$c" "/$c"
  done
  cstep c1 --add --context "$CTX" fake.tar.gz /kept/
  cstep c1 --context "$CTX" t.gz /copied/
  run in_result c1 sh -c 'for c in plain gz bz2 xz; do
      stat -c "%n %u:%g %a" /$c/sub /$c/sub/in; readlink /$c/sub/sl; done
    gunzip -c /kept/fake.tar.gz; ls /copied'
  [ "$output" = "/plain/sub 1000:1001 750
/plain/sub/in 1000:1001 640
in
/gz/sub 1000:1001 750
/gz/sub/in 1000:1001 640
in
/bz2/sub 1000:1001 750
/bz2/sub/in 1000:1001 640
in
/xz/sub 1000:1001 750
/xz/sub/in 1000:1001 640
in
not a tar
t.gz" ]
  run cstep c1 --add --context "$CTX" http://example.com/x /x
  [ "$status" -eq 1 ]
  [ "$output" = "copystep: ADD from a URL is not supported: http://example.com/x" ]
}

@test "ADD refuses a tar entry with .. and writes nothing outside" {
  mktar "$CTX/evil.tar" plain "../../../../../../../../..$ESC.dotdot=evil"
  # Control: a plain extraction of this archive writes the host path.
  mkdir "$BATS_TEST_TMPDIR/naive"
  tar -xPf "$CTX/evil.tar" -C "$BATS_TEST_TMPDIR/naive"
  [ "$(cat "$ESC.dotdot")" = evil ]
  rm "$ESC.dotdot"
  berth create --name c1 bb >/dev/null
  run cstep c1 --add --context "$CTX" evil.tar /unpack
  [ "$status" -eq 1 ]
  [[ "$output" == *"ADD \`evil.tar\` to \`/unpack\`: tar entry \`../"*"\`: \`..\` is not allowed"* ]]
  [ ! -e "$ESC.dotdot" ]
  [ -z "$(ls -A "$(upper c1)/unpack")" ]
}

@test "ADD: a tar's symlink cannot lead a later entry out of the destination" {
  mktar "$CTX/sym.tar" plain "l@/tmp" "l/${ESC##*/}.sym=evil"
  # Control: a naive extractor follows the symlink to the host's /tmp.
  mkdir "$BATS_TEST_TMPDIR/naive"
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "$CTX/sym.tar" "$BATS_TEST_TMPDIR/naive"
  [ "$(cat "$ESC.sym")" = evil ]
  rm "$ESC.sym"
  berth create --name c1 bb >/dev/null
  cstep c1 --add --context "$CTX" sym.tar /unpack
  [ ! -e "$ESC.sym" ]
  [ "$(cat "$(upper c1)/unpack/l/${ESC##*/}.sym")" = evil ]
}

@test "a hostile image's /etc -> / symlink and ../ cannot send a COPY to the host" {
  local root=$BATS_TEST_TMPDIR/hostile up=../../../../../../../../../../../..
  mkdir "$root"
  tar -C "$root" -xf "$BATS_FILE_TMPDIR/bb.tar"
  mv "$root/etc" "$root/etc.real"
  ln -s / "$root/etc"
  tar -C "$root" -cf "$BATS_TEST_TMPDIR/hostile.tar" .
  berth import "$BATS_TEST_TMPDIR/hostile.tar" cs-hostile >/dev/null
  # Control: resolved by a plain resolver on the host, the paths these
  # COPYs name are host files.
  echo host >"$ESC.victim"
  [ "$(readlink -f "$root/etc$ESC.victim")" = "$ESC.victim" ]
  [ "$(realpath -m "$root/app/$up$ESC.up")" = "$ESC.up" ]
  echo evil >"$CTX/f"
  berth create --name c1 cs-hostile >/dev/null
  cstep c1 --context "$CTX" f "/etc$ESC.victim"
  cstep c1 --context "$CTX" --workdir /app f "$up$ESC.up"
  [ "$(cat "$ESC.victim")" = host ]
  [ ! -e "$ESC.up" ]
  # Both landed inside the container instead.
  [ "$(cat "$(upper c1)$ESC.victim")" = evil ]
  [ "$(cat "$(upper c1)$ESC.up")" = evil ]
  # Nor is the host read through the image's links (COPY --from).
  echo secret >"$ESC.secret"
  [ "$(readlink -f "$root/etc$ESC.secret")" = "$ESC.secret" ] # control
  berth create --name h0 cs-hostile >/dev/null
  run cstep c1 --from h0 "/etc$ESC.secret" /got
  [ "$status" -eq 1 ]
  [ ! -e "$(upper c1)/got" ]
}

@test ".dockerignore: ignored entries are left out, exceptions below them kept" {
  mkdir -p "$CTX/skip/deeper"
  echo k >"$CTX/skip/keep"
  echo d >"$CTX/skip/drop"
  echo x >"$CTX/skip/deeper/x"
  echo s >"$CTX/secret.txt"
  echo o >"$CTX/ok.txt"
  printf 'skip\n!skip/keep\nsecret.txt\n' >"$CTX/.dockerignore"
  berth create --name c1 bb >/dev/null
  cstep c1 --context "$CTX" . /ign
  run in_result c1 find /ign
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort)" = "/ign
/ign/.dockerignore
/ign/Dockerfile
/ign/ok.txt
/ign/skip
/ign/skip/keep" ]
}
