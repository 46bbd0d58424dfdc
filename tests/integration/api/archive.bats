#!/usr/bin/env bats
# The Engine API's archive routes (api_archive.c): docker cp both ways
# (the machine's client and Debian's 20.10 one), the path stat header, and
# hostile tars PUT with curl, each compared with what `berth cp -` does
# with the same stream, with a control showing where a plain path
# resolution would have written on the host.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
# Names on the host a confinement failure would create.
ESC=berth-api-escape-$BATS_ROOT_PID

teardown() {
  engine_teardown
  rm -f "/$ESC" "/$ESC.abs" "/$ESC.ctl" "/tmp/$ESC" "/tmp/$ESC.rel"
  berth volume rm -f arvol >/dev/null 2>&1 || true
}

clients() { echo dk dk20; }
upper() { berth inspect -f '{{.GraphDriver.Data.UpperDir}}' "$1"; }

# A tar made by python's tarfile, which writes any name and any kind:
# mktar OUT NAME:KIND[:ARG] ...  (KIND file, dir, sym (ARG target),
# chr (ARG major), fileid (ARG uid; gid uid+1), own (ARG uid,gid,octal mode))
mktar() {
  python3 - "$@" <<'PY'
import io, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    for spec in specs:
        name, kind, *arg = spec.split(":")
        ti = tarfile.TarInfo(name)
        ti.mode = 0o644
        data = None
        if kind in ("file", "fileid", "own"):
            data = b"payload\n"
            ti.size = len(data)
            if kind == "fileid":
                ti.uid, ti.gid = int(arg[0]), int(arg[0]) + 1
            if kind == "own":
                u, g, m = arg[0].split(",")
                ti.uid, ti.gid, ti.mode = int(u), int(g), int(m, 8)
        elif kind == "dir":
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        elif kind == "sym":
            ti.type, ti.linkname = tarfile.SYMTYPE, arg[0]
        elif kind == "chr":
            ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, int(arg[0]), 1
        t.addfile(ti, io.BytesIO(data) if data else None)
PY
}

# put CTR PATH TAR [QUERY]: PUT the tar, the status on the last line.
put() {
  api -X PUT -H 'Content-Type: application/x-tar' --data-binary "@$3" \
    "/containers/$1/archive?path=$2${4:+&$4}"
}

@test "docker cp from a container: a file and a directory with contents and modes (both clients)" {
  berth run -d --name ar1 bb sh -c 'mkdir -p /data/sub && echo one >/data/sub/f && chmod 751 /data/sub/f && echo top >/data/t && chmod 604 /data/t && sleep 300' >/dev/null
  wait_until berth exec ar1 test -f /data/t
  for c in $(clients); do
    run "$c" cp ar1:/data/t "$BATS_TEST_TMPDIR/t-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/t-$c")" = top ]
    [ "$(stat -c %a "$BATS_TEST_TMPDIR/t-$c")" = 604 ]
    run "$c" cp ar1:/data "$BATS_TEST_TMPDIR/d-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/d-$c/sub/f")" = one ]
    [ "$(stat -c %a "$BATS_TEST_TMPDIR/d-$c/sub/f")" = 751 ]
    [ "$(cat "$BATS_TEST_TMPDIR/d-$c/t")" = top ]
    # DIR/. : the contents, into a new or an existing directory (the
    # client renames the archive's "./" entries).
    run "$c" cp ar1:/data/. "$BATS_TEST_TMPDIR/c-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/c-$c/sub/f")" = one ]
    run "$c" cp ar1:/data/. "$BATS_TEST_TMPDIR/d-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/d-$c/sub/f")" = one ]
    [ ! -e "$BATS_TEST_TMPDIR/d-$c/data" ]
    [ ! -e "$BATS_TEST_TMPDIR/sub" ]
    # The whole root filesystem: its entries under the new name.
    run "$c" cp ar1:/ "$BATS_TEST_TMPDIR/r-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/r-$c/data/t")" = top ]
    [ -x "$BATS_TEST_TMPDIR/r-$c/bin/busybox" ]
    [ ! -e "$BATS_TEST_TMPDIR/r-${c}data" ]
  done
  # A stopped container too (its rootfs mounted for the copy only).
  berth stop -t 0 ar1 >/dev/null
  run dk cp ar1:/data/sub/f "$BATS_TEST_TMPDIR/stopped"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/stopped")" = one ]
  run ! grep -q "$BERTH_ROOT" /proc/mounts
}

@test "docker cp into a container: files, modes, a directory, a volume (both clients)" {
  berth run -d --name ar2 -v arvol:/vol bb sleep 300 >/dev/null
  echo hello >"$BATS_TEST_TMPDIR/h.txt"
  chmod 640 "$BATS_TEST_TMPDIR/h.txt"
  mkdir -p "$BATS_TEST_TMPDIR/dir/sub"
  echo deep >"$BATS_TEST_TMPDIR/dir/sub/g"
  chmod 700 "$BATS_TEST_TMPDIR/dir/sub"
  for c in $(clients); do
    run "$c" cp "$BATS_TEST_TMPDIR/h.txt" ar2:/tmp/
    [ "$status" -eq 0 ]
    [ "$(berth exec ar2 cat /tmp/h.txt)" = hello ]
    [ "$(berth exec ar2 stat -c %a:%u /tmp/h.txt)" = 640:0 ]
    berth exec ar2 rm /tmp/h.txt
    run "$c" cp "$BATS_TEST_TMPDIR/h.txt" ar2:/tmp/renamed-$c
    [ "$status" -eq 0 ]
    [ "$(berth exec ar2 cat /tmp/renamed-$c)" = hello ]
    run "$c" cp "$BATS_TEST_TMPDIR/dir" ar2:/new-$c
    [ "$status" -eq 0 ]
    [ "$(berth exec ar2 cat /new-$c/sub/g)" = deep ]
    [ "$(berth exec ar2 stat -c %a /new-$c/sub)" = 700 ]
    run "$c" cp "$BATS_TEST_TMPDIR/h.txt" ar2:/vol/in-$c
    [ "$status" -eq 0 ]
    # In the volume's own directory on the host, not in the rootfs.
    mp=$(berth volume inspect -f '{{.Mountpoint}}' arvol)
    [ "$(cat "$mp/in-$c")" = hello ]
    [ ! -e "$(upper ar2)/vol/in-$c" ]
    # Made by the container's root, which is host root on a volume.
    [ "$(stat -c %u:%g "$mp/in-$c")" = 0:0 ]
  done
  # berth cp writes into the volume the same way.
  berth cp "$BATS_TEST_TMPDIR/h.txt" ar2:/vol/cli
  [ "$(cat "$mp/cli")" = hello ]
}

@test "docker cp of a missing path fails with Docker's words; HEAD and GET 404" {
  berth run -d --name ar3 bb sleep 300 >/dev/null
  for c in $(clients); do
    run "$c" cp ar3:/nope "$BATS_TEST_TMPDIR/x"
    [ "$status" -ne 0 ]
    # Docker's words: the daemon's (GET), or the 20.10 client's own after
    # its HEAD got a 404.
    if [ "$c" = dk ]; then
      [[ "$output" == *"Error response from daemon: Could not find the file /nope in container ar3"* ]]
    else
      [[ "$output" == *"No such container:path: ar3:/nope"* ]]
    fi
    [ ! -e "$BATS_TEST_TMPDIR/x" ]
    run "$c" cp "$BATS_TEST_TMPDIR" ar3:/no/such/dir/
    [ "$status" -ne 0 ]
  done
  run api -I '/containers/ar3/archive?path=/nope'
  [[ "$(api_status)" = 404 ]]
  run api '/containers/ar3/archive?path=/nope'
  [ "$(api_status)" = 404 ]
  [[ "$output" == *'"message":"Could not find the file /nope in container ar3"'* ]]
  run api '/containers/nosuch/archive?path=/'
  [ "$(api_status)" = 404 ]
  [[ "$output" == *'No such container: nosuch'* ]]
  run api '/containers/ar3/archive'
  [ "$(api_status)" = 400 ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

# The header's JSON: base64 of {name, size, mode (Go's FileMode), mtime,
# linkTarget}.
stat_of() {
  curl -sS -I --unix-socket "$SOCK" "http://d/containers/$1/archive?path=$2" |
    awk -F': ' 'tolower($1) == "x-docker-container-path-stat" { print $2 }' |
    tr -d '\r' | base64 -d
}

@test "HEAD archive: the path stat header as Docker's (Go file modes, link target)" {
  berth run -d --name ar4 bb sh -c 'mkdir -m 755 /d && printf 12345 >/d/f && chmod 4750 /d/f && ln -s /d/f /l && mkfifo /p && sleep 300' >/dev/null
  wait_until berth exec ar4 test -p /p
  s=$(stat_of ar4 /d/f)
  [ "$(jq -r .name <<<"$s")" = f ]
  [ "$(jq .size <<<"$s")" -eq 5 ]
  # 0750 with Go's ModeSetuid (1 << 23).
  [ "$(jq .mode <<<"$s")" -eq $(((1 << 23) + 8#750)) ]
  [ "$(jq -r .linkTarget <<<"$s")" = "" ]
  # The mtime is the file's.
  [ "$(date -d "$(jq -r .mtime <<<"$s")" +%s)" = "$(berth exec ar4 stat -c %Y /d/f)" ]
  s=$(stat_of ar4 /d)
  [ "$(jq .mode <<<"$s")" -eq $(((1 << 31) + 8#755)) ]
  s=$(stat_of ar4 /l)
  [ "$(jq .mode <<<"$s")" -eq $(((1 << 27) + 8#777)) ]
  [ "$(jq -r .linkTarget <<<"$s")" = /d/f ]
  s=$(stat_of ar4 /p)
  [ $(( $(jq .mode <<<"$s") >> 25 & 1)) -eq 1 ]
  # docker cp -L follows the link through the stat's target.
  dk cp -L ar4:/l "$BATS_TEST_TMPDIR/followed"
  [ "$(cat "$BATS_TEST_TMPDIR/followed")" = 12345 ]
  [ ! -L "$BATS_TEST_TMPDIR/followed" ]
  dk cp ar4:/l "$BATS_TEST_TMPDIR/link"
  [ "$(readlink "$BATS_TEST_TMPDIR/link")" = /d/f ]
  # GET carries the same header and a tar of the path.
  run api -D "$BATS_TEST_TMPDIR/h" --output "$BATS_TEST_TMPDIR/a.tar" '/containers/ar4/archive?path=/d'
  [ "$(api_status)" = 200 ]
  grep -qi '^content-type: application/x-tar' "$BATS_TEST_TMPDIR/h"
  grep -qi '^x-docker-container-path-stat: ' "$BATS_TEST_TMPDIR/h"
  [ "$(tar -tf "$BATS_TEST_TMPDIR/a.tar" | sort | tr '\n' ' ')" = "d/ d/f " ]
}

@test "PUT archive: Docker's statuses (not a directory, missing, read-only rootfs)" {
  berth run -d --name ar5 bb sh -c 'mkdir /dst && echo keep >/dst/x && sleep 300' >/dev/null
  wait_until berth exec ar5 test -f /dst/x
  mktar "$BATS_TEST_TMPDIR/ok.tar" y:file
  run put ar5 /dst/x "$BATS_TEST_TMPDIR/ok.tar"
  [ "$(api_status)" = 400 ]
  run put ar5 /nodir "$BATS_TEST_TMPDIR/ok.tar"
  [ "$(api_status)" = 404 ]
  run put nosuch /dst "$BATS_TEST_TMPDIR/ok.tar"
  [ "$(api_status)" = 404 ]
  printf 'not a tar at all, not a tar at all' >"$BATS_TEST_TMPDIR/junk"
  run put ar5 /dst "$BATS_TEST_TMPDIR/junk"
  [ "$(api_status)" = 400 ]
  run put ar5 /dst "$BATS_TEST_TMPDIR/ok.tar"
  [ "$(api_status)" = 200 ]
  [ "$(berth exec ar5 cat /dst/y)" = payload ]
  # A created container takes it into its rootfs (mounted for the copy).
  berth create --name ar5c bb sleep 300 >/dev/null
  run put ar5c /tmp "$BATS_TEST_TMPDIR/ok.tar"
  [ "$(api_status)" = 200 ]
  [ "$(cat "$(upper ar5c)/tmp/y")" = payload ]
  # A read-only rootfs, running (the kernel refuses) and stopped (the
  # engine does: the copy's own mount is writable).
  berth run -d --read-only --name ro1 bb sleep 300 >/dev/null
  berth create --read-only --name ro2 bb sleep 300 >/dev/null
  for c in ro1 ro2; do
    run put $c /tmp "$BATS_TEST_TMPDIR/ok.tar"
    [ "$(api_status)" = 403 ]
    [ ! -e "$(upper $c)/tmp/y" ]
  done
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "PUT archive keeps the tar's owners as the container sees them (host ids mapped, never host root)" {
  berth run -d --name ar6 bb sleep 300 >/dev/null
  base=$(berth inspect -f '{{.IdMap.HostIdBase}}' ar6)
  [ "$base" -gt 0 ]
  mktar "$BATS_TEST_TMPDIR/ids.tar" owned:own:1000,1000,0640 rooted:own:0,0,0600 \
    far:own:70000,70000,0644
  run put ar6 /tmp "$BATS_TEST_TMPDIR/ids.tar"
  [ "$(api_status)" = 200 ]
  [ "$(berth exec ar6 stat -c %u:%g:%a /tmp/owned)" = 1000:1000:640 ]
  [ "$(berth exec ar6 stat -c %u:%g:%a /tmp/rooted)" = 0:0:600 ]
  # An id the container cannot map is its root (as berth cp -a does),
  # never the raw host id 70000.
  [ "$(berth exec ar6 stat -c %u:%g /tmp/far)" = 0:0 ]
  # On the host: the container's ids shifted by its base.
  up=$(upper ar6)
  [ "$(stat -c %u:%g "$up/tmp/owned")" = "$((base + 1000)):$((base + 1000))" ]
  [ "$(stat -c %u:%g "$up/tmp/rooted")" = "$base:$base" ]
  [ "$(stat -c %u:%g "$up/tmp/far")" = "$base:$base" ]
  [ "$(stat -c %u "$up/tmp/rooted")" != 0 ]
  # docker cp's tar from the CLI: the host file's ids, so 1000 here too.
  printf 'x\n' >"$BATS_TEST_TMPDIR/mine"
  chown 1000:1000 "$BATS_TEST_TMPDIR/mine"
  run dk cp "$BATS_TEST_TMPDIR/mine" ar6:/tmp/mine
  [ "$status" -eq 0 ]
  [ "$(berth exec ar6 stat -c %u:%g /tmp/mine)" = 1000:1000 ]
  # berth cp is docker cp as documented (the client's choice): root in
  # the container without -a, the tar's ids with it.
  berth exec ar6 mkdir /cli /clia
  berth cp - ar6:/cli <"$BATS_TEST_TMPDIR/ids.tar"
  [ "$(berth exec ar6 stat -c %u:%g:%a /cli/owned)" = 0:0:640 ]
  berth cp -a - ar6:/clia <"$BATS_TEST_TMPDIR/ids.tar"
  [ "$(berth exec ar6 stat -c %u:%g:%a /clia/owned)" = 1000:1000:640 ]
}

@test "PUT archive copyUIDGID=1: every entry owned by the container's User (its own passwd); noOverwriteDirNonDir keeps a file" {
  berth run -d --name ar7 --user 1000 bb sh -c 'mkdir -p /tmp/dst && echo keep >/tmp/dst/x && sleep 300' >/dev/null
  wait_until berth exec ar7 test -f /tmp/dst/x
  mktar "$BATS_TEST_TMPDIR/ids.tar" owned:own:1234,1235,0640 rooted:own:0,0,0600
  run put ar7 /tmp/dst "$BATS_TEST_TMPDIR/ids.tar" copyUIDGID=1
  [ "$(api_status)" = 200 ]
  # Whom the container's process runs as (bb's passwd: tester 1000:1000).
  who=$(berth exec ar7 sh -c 'echo $(id -u):$(id -g)')
  [ "$who" = 1000:1000 ]
  [ "$(berth exec ar7 stat -c %u:%g:%a /tmp/dst/owned)" = "$who:640" ]
  [ "$(berth exec ar7 stat -c %u:%g:%a /tmp/dst/rooted)" = "$who:600" ]
  base=$(berth inspect -f '{{.IdMap.HostIdBase}}' ar7)
  [ "$(stat -c %u:%g "$(upper ar7)/tmp/dst/rooted")" = "$((base + 1000)):$((base + 1000))" ]
  # Without copyUIDGID: the tar's owners (the control).
  run put ar7 /tmp/dst "$BATS_TEST_TMPDIR/ids.tar"
  [ "$(api_status)" = 200 ]
  [ "$(berth exec ar7 stat -c %u:%g /tmp/dst/owned)" = 1234:1235 ]
  # A user name only the container's /etc/passwd knows.
  ! getent passwd berthcpuser
  berth create --name ar8 --user berthcpuser bb sleep 300 >/dev/null
  printf 'root:x:0:0::/root:/bin/sh\nberthcpuser:x:2345:3456::/:/bin/sh\n' >"$BATS_TEST_TMPDIR/passwd"
  berth cp "$BATS_TEST_TMPDIR/passwd" ar8:/etc/passwd
  run put ar8 /tmp "$BATS_TEST_TMPDIR/ids.tar" copyUIDGID=1
  [ "$(api_status)" = 200 ]
  berth start ar8
  [ "$(berth exec ar8 stat -c %u:%g /tmp/owned)" = 2345:3456 ]
  # A User the container cannot resolve: a clear error, nothing written.
  berth create --name ar9 --user nosuchuser bb sleep 300 >/dev/null
  run put ar9 /tmp "$BATS_TEST_TMPDIR/ids.tar" copyUIDGID=1
  [ "$(api_status)" = 404 ]
  [[ "$output" == *nosuchuser* ]]
  [ ! -e "$(upper ar9)/tmp/owned" ]
  # noOverwriteDirNonDir
  mktar "$BATS_TEST_TMPDIR/dir.tar" x:dir
  run put ar7 /tmp/dst "$BATS_TEST_TMPDIR/dir.tar" noOverwriteDirNonDir=1
  [ "$(api_status)" = 400 ]
  [ "$(berth exec ar7 cat /tmp/dst/x)" = keep ]
  # Without it, Docker replaces the file with the directory.
  run put ar7 /tmp/dst "$BATS_TEST_TMPDIR/dir.tar"
  [ "$(api_status)" = 200 ]
  berth exec ar7 test -d /tmp/dst/x
  run api /_ping
  [ "$(api_status)" = 200 ]
}

# The same hostile tar PUT through the API and piped to `berth cp -`:
# both must refuse it or confine it alike.
same_as_berth_cp() {
  local ctr=$1 dst=$2 tar=$3 api_st cp_st
  run put "$ctr" "$dst" "$tar"
  api_st=$(api_status)
  run bash -c "'$BERTH' --root '$BERTH_ROOT' cp - '$ctr:$dst' <'$tar'"
  cp_st=$status
  echo "api $api_st, berth cp $cp_st"
  { [ "$api_st" = 200 ] && [ "$cp_st" -eq 0 ]; } ||
    { [ "$api_st" = 400 ] && [ "$cp_st" -eq 1 ]; }
  API_STATUS=$api_st
}

@test "PUT archive: a container's symlink to / never leads a tar entry to the host" {
  berth run -d --name ev1 bb sh -c 'ln -s / /evil && mkdir /dst && sleep 300' >/dev/null
  root=/proc/$(berth inspect -f '{{.State.Pid}}' ev1)/root
  wait_until test -L "$root/evil"
  mktar "$BATS_TEST_TMPDIR/t.tar" "evil/$ESC:file"
  same_as_berth_cp ev1 / "$BATS_TEST_TMPDIR/t.tar"
  [ "$API_STATUS" = 200 ]
  # Confined: the container's /, never the host's.
  [ ! -e "/$ESC" ]
  [ "$(berth exec ev1 cat "/$ESC")" = payload ]
  # Control: the same name resolved plainly from the host follows the
  # container's link to the host's /.
  python3 -c "open('$root/evil/$ESC.ctl', 'w').write('x')"
  [ -e "/$ESC.ctl" ]
}

@test "PUT archive: ../ entries are refused, absolute names and device nodes confined or dropped" {
  berth run -d --name ev2 bb sh -c 'mkdir -p /a/b/dst && sleep 300' >/dev/null
  wait_until berth exec ev2 test -d /a/b/dst
  # ../ : refused whole, nothing written anywhere.
  mktar "$BATS_TEST_TMPDIR/up.tar" "../../../../../../../tmp/$ESC.rel:file"
  same_as_berth_cp ev2 /a/b/dst "$BATS_TEST_TMPDIR/up.tar"
  [ "$API_STATUS" = 400 ]
  [ ! -e "/tmp/$ESC.rel" ]
  run berth exec ev2 ls /tmp /a /a/b
  [[ "$output" != *"$ESC"* ]]
  # An absolute name lands under the destination.
  mktar "$BATS_TEST_TMPDIR/abs.tar" "/$ESC.abs:file"
  same_as_berth_cp ev2 /a/b/dst "$BATS_TEST_TMPDIR/abs.tar"
  [ ! -e "/$ESC.abs" ]
  [ "$(berth exec ev2 cat "/a/b/dst/$ESC.abs")" = payload ]
  run berth exec ev2 test -e "/$ESC.abs"
  [ "$status" -ne 0 ]
  # A device node (1:1 is /dev/mem) is never made.
  mktar "$BATS_TEST_TMPDIR/dev.tar" mem:chr:1 after:file
  same_as_berth_cp ev2 /a/b/dst "$BATS_TEST_TMPDIR/dev.tar"
  run berth exec ev2 test -e /a/b/dst/mem
  [ "$status" -ne 0 ]
  [ "$(berth exec ev2 cat /a/b/dst/after)" = payload ]
  # Controls: joined plainly to the destination as the host sees it,
  # the names aim at the host (python's join drops the destination for
  # an absolute name), and host root could make the device node there.
  root=/proc/$(berth inspect -f '{{.State.Pid}}' ev2)/root
  run python3 -c "import os, sys; d = sys.argv[1] + '/a/b/dst'; print(os.path.realpath(os.path.join(d, sys.argv[2]))); print(os.path.join(d, sys.argv[3]))" \
    "$root" "../../../../../../../tmp/$ESC.rel" "/$ESC.abs"
  [ "${lines[0]}" = "/tmp/$ESC.rel" ]
  [ "${lines[1]}" = "/$ESC.abs" ]
  python3 -c "import os, stat, sys; os.mknod(sys.argv[1], stat.S_IFCHR | 0o600, os.makedev(1, 1))" "$root/a/b/dst/mem.ctl"
  [ -c "$root/a/b/dst/mem.ctl" ]
}

@test "PUT archive: a symlink in the tar then a file through it stays inside" {
  mkdir -p "$BATS_TEST_TMPDIR/hostdir"
  berth run -d --name ev3 bb sh -c 'mkdir /dst && sleep 300' >/dev/null
  wait_until berth exec ev3 test -d /dst
  for target in / "$BATS_TEST_TMPDIR/hostdir" ../../../../..; do
    mktar "$BATS_TEST_TMPDIR/sl.tar" "l:sym:$target" "l/$ESC:file"
    same_as_berth_cp ev3 /dst "$BATS_TEST_TMPDIR/sl.tar"
    [ ! -e "/$ESC" ]
    [ ! -e "$BATS_TEST_TMPDIR/hostdir/$ESC" ]
    [ ! -e "/tmp/$ESC" ]
    berth exec ev3 rm -rf /dst/l "/dst/$ESC"
  done
  # Control: the link the tar made, followed plainly from the host, leads
  # to the host directory.
  root=/proc/$(berth inspect -f '{{.State.Pid}}' ev3)/root
  mktar "$BATS_TEST_TMPDIR/sl.tar" "l:sym:$BATS_TEST_TMPDIR/hostdir"
  run put ev3 /dst "$BATS_TEST_TMPDIR/sl.tar"
  python3 -c "open('$root/dst/l/$ESC', 'w').write('x')"
  [ -e "$BATS_TEST_TMPDIR/hostdir/$ESC" ]
}
