#!/usr/bin/env bats
# berth cp, export, commit: Docker's path rules, ownership across the user
# namespace, and confinement of every container path to the container.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
# Names on the host that a confinement failure would create.
ESC=berth-cp-escape-$BATS_ROOT_PID

teardown() {
  engine_teardown
  rm -f "/tmp/$ESC" "/tmp/$ESC.tar"
  local img
  for img in cp-commit:v1 cp-commit:v2; do
    berth rmi -f "$img" >/dev/null 2>&1 || true
  done
}

upper() { berth inspect -f '{{.GraphDriver.Data.UpperDir}}' "$1"; }
idbase() { berth inspect -f '{{.IdMap.HostIdBase}}' "$1"; }

# A running container and a stopped one (created, never started).
both() {
  berth run -d --name run1 bb sleep 1000 >/dev/null
  berth create --name stop1 bb sh >/dev/null
}

@test "cp copies a file into running and stopped containers, owned by their root" {
  both
  echo hello >"$BATS_TEST_TMPDIR/h.txt"
  chown 1234:1234 "$BATS_TEST_TMPDIR/h.txt"
  for c in run1 stop1; do
    run berth cp "$BATS_TEST_TMPDIR/h.txt" $c:/tmp/
    [ "$status" -eq 0 ]
    # On the host: the container's root, never host root.
    [ "$(stat -c %u:%g "$(upper $c)/tmp/h.txt")" = "$(idbase $c):$(idbase $c)" ]
    [ "$(cat "$(upper $c)/tmp/h.txt")" = hello ]
  done
  # As the container sees it: uid 0.
  run berth exec run1 stat -c %u:%g:%s /tmp/h.txt
  [ "$output" = "0:0:6" ]
}

@test "cp copies files and directories out of running and stopped containers" {
  both
  berth exec run1 sh -c 'mkdir -p /data/sub && echo one >/data/sub/f && chmod 4755 /data/sub/f'
  run berth cp run1:/data "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/out/sub/f")" = one ]
  # Owned by the caller (root here), and no setuid bit on the host.
  [ "$(stat -c %u:%g:%a "$BATS_TEST_TMPDIR/out/sub/f")" = "0:0:755" ]
  run berth cp stop1:/etc/passwd "$BATS_TEST_TMPDIR/passwd"
  [ "$status" -eq 0 ]
  grep -q '^root:' "$BATS_TEST_TMPDIR/passwd"
  # No overlay of the stopped container is left mounted anywhere.
  run ! grep -q "$BERTH_ROOT" /proc/mounts
}

@test "cp follows Docker's path rules" {
  berth run -d --name run1 bb sleep 1000 >/dev/null
  mkdir -p "$BATS_TEST_TMPDIR/src/sub"
  echo a >"$BATS_TEST_TMPDIR/src/sub/a"
  echo f >"$BATS_TEST_TMPDIR/file"
  berth exec run1 mkdir /dst
  # Directory into an existing directory: dst/src/...
  berth cp "$BATS_TEST_TMPDIR/src" run1:/dst
  [ "$(berth exec run1 cat /dst/src/sub/a)" = a ]
  # Trailing /. : the contents.
  berth cp "$BATS_TEST_TMPDIR/src/." run1:/dst
  [ "$(berth exec run1 cat /dst/sub/a)" = a ]
  # Directory to a missing path: created with the contents.
  berth cp "$BATS_TEST_TMPDIR/src" run1:/newdir
  [ "$(berth exec run1 cat /newdir/sub/a)" = a ]
  # File to a missing name; into a directory; over a file.
  berth cp "$BATS_TEST_TMPDIR/file" run1:/dst/renamed
  [ "$(berth exec run1 cat /dst/renamed)" = f ]
  berth cp "$BATS_TEST_TMPDIR/file" run1:/dst/
  [ "$(berth exec run1 cat /dst/file)" = f ]
  echo g >"$BATS_TEST_TMPDIR/file"
  berth cp "$BATS_TEST_TMPDIR/file" run1:/dst/renamed
  [ "$(berth exec run1 cat /dst/renamed)" = g ]
  # Errors: missing directory with "/", directory onto a file, no parent.
  run berth cp "$BATS_TEST_TMPDIR/file" run1:/nodir/
  [ "$status" -eq 1 ]
  run berth cp "$BATS_TEST_TMPDIR/src" run1:/dst/renamed
  [ "$status" -eq 1 ]
  run berth cp "$BATS_TEST_TMPDIR/file" run1:/no/such/parent
  [ "$status" -eq 1 ]
  run berth exec run1 ls /nodir /no
  [ "$status" -ne 0 ]
  run berth cp run1:/no-such-file "$BATS_TEST_TMPDIR/x"
  [ "$status" -eq 1 ]
  [ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "cp -a keeps ids (shifted into the container), -L follows the source link" {
  berth run -d --name run1 bb sleep 1000 >/dev/null
  echo a >"$BATS_TEST_TMPDIR/a"
  chown 1234:2345 "$BATS_TEST_TMPDIR/a"
  berth cp -a "$BATS_TEST_TMPDIR/a" run1:/a
  [ "$(berth exec run1 stat -c %u:%g /a)" = "1234:2345" ]
  local base
  base=$(idbase run1)
  [ "$(stat -c %u:%g "$(upper run1)/a")" = "$((base + 1234)):$((base + 2345))" ]
  berth cp -a run1:/a "$BATS_TEST_TMPDIR/back"
  [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/back")" = "1234:2345" ]
  berth exec run1 ln -s /a /link
  berth cp run1:/link "$BATS_TEST_TMPDIR/l1"
  [ -L "$BATS_TEST_TMPDIR/l1" ]
  [ "$(readlink "$BATS_TEST_TMPDIR/l1")" = /a ]
  berth cp -L run1:/link "$BATS_TEST_TMPDIR/l2"
  [ ! -L "$BATS_TEST_TMPDIR/l2" ]
  [ "$(cat "$BATS_TEST_TMPDIR/l2")" = a ]
}

@test "cp never reads the host through a container symlink" {
  echo host-secret >"$BATS_TEST_TMPDIR/secret"
  berth run --name esc1 bb sh -c "ln -s / /escape; ln -s $BATS_TEST_TMPDIR/secret /direct" >/dev/null
  berth run -d --name esc2 bb sh -c "ln -s / /escape; ln -s $BATS_TEST_TMPDIR/secret /direct; sleep 1000" >/dev/null
  wait_until berth exec esc2 test -L /direct
  for c in esc1 esc2; do
    rm -f "$BATS_TEST_TMPDIR/out"
    run berth cp $c:/escape$BATS_TEST_TMPDIR/secret "$BATS_TEST_TMPDIR/out"
    [ "$status" -eq 1 ]
    [ ! -e "$BATS_TEST_TMPDIR/out" ]
    run berth cp -L $c:/direct "$BATS_TEST_TMPDIR/out"
    [ "$status" -eq 1 ]
    [ ! -e "$BATS_TEST_TMPDIR/out" ]
    run bash -c "'$BERTH' --root '$BERTH_ROOT' cp $c:/escape$BATS_TEST_TMPDIR/. - | tar -t"
    [[ "$output" != *secret* ]]
  done
}

@test "cp never writes the host through a container symlink" {
  echo payload >"$BATS_TEST_TMPDIR/file"
  echo keep >"$BATS_TEST_TMPDIR/victim"
  [ ! -e "/tmp/$ESC" ] && [ ! -e "/tmp/$ESC.tar" ]
  berth run --name esc1 bb sh -c "ln -s / /escape; ln -s $BATS_TEST_TMPDIR/victim /direct" >/dev/null
  berth run -d --name esc2 bb sh -c "ln -s / /escape; ln -s $BATS_TEST_TMPDIR/victim /direct; sleep 1000" >/dev/null
  wait_until berth exec esc2 test -L /direct
  for c in esc1 esc2; do
    # /escape/tmp is the container's /tmp (exists), never the host's.
    run berth cp "$BATS_TEST_TMPDIR/file" $c:/escape$BATS_TEST_TMPDIR/created
    [ "$status" -eq 1 ] # no such directory in the container
    [ ! -e "$BATS_TEST_TMPDIR/created" ]
    berth cp "$BATS_TEST_TMPDIR/file" $c:/escape/tmp/$ESC
    [ ! -e "/tmp/$ESC" ]
    berth cp "$BATS_TEST_TMPDIR/file" $c:/direct || true
    [ "$(cat "$BATS_TEST_TMPDIR/victim")" = keep ]
    tar -C "$BATS_TEST_TMPDIR" --transform "s/file/$ESC.tar/" -cf - file |
      berth cp - $c:/escape/tmp
    [ ! -e "/tmp/$ESC.tar" ]
  done
  [ "$(berth exec esc2 cat "/tmp/$ESC")" = payload ]
  [ "$(berth exec esc2 cat "/tmp/$ESC.tar")" = payload ]
}

# Metadata of what cp creates in a container is applied through fds, never
# through the name: the container can make that name a symlink to a host
# path (a running container's absolute symlink resolves against the host's
# root for host-side code), and chmod-by-name would follow it.
host_files() {
  VICTIM=$BATS_TEST_TMPDIR/victim
  echo keep >"$VICTIM"
  chmod 600 "$VICTIM"
  mkfifo -m 0646 "$BATS_TEST_TMPDIR/p"
  echo data >"$BATS_TEST_TMPDIR/f"
  chmod 0757 "$BATS_TEST_TMPDIR/f"
  ln -s /somewhere "$BATS_TEST_TMPDIR/l"
}
victim_kept() {
  [ "$(stat -c %a:%u:%g "$VICTIM")" = 600:0:0 ] && [ "$(cat "$VICTIM")" = keep ]
}

@test "cp onto a container symlink to a host file changes only the container" {
  host_files
  berth run -d --name sw1 bb sh -c "mkdir /dst /ctl; for n in p f l t; do ln -s $VICTIM /dst/\$n; done; ln -s $VICTIM /ctl/x; sleep 1000" >/dev/null
  root=/proc/$(berth inspect -f '{{.State.Pid}}' sw1)/root
  wait_until test -L "$root/ctl/x"
  for n in p f l; do
    berth cp "$BATS_TEST_TMPDIR/$n" sw1:/dst/$n
  done
  mkfifo -m 0646 "$BATS_TEST_TMPDIR/t"
  tar -C "$BATS_TEST_TMPDIR" -cf - t | berth cp - sw1:/dst
  victim_kept
  run berth exec sw1 stat -c '%n %F %a' /dst/p /dst/f /dst/t
  [ "${lines[0]}" = "/dst/p fifo 646" ]
  [ "${lines[1]}" = "/dst/f regular file 757" ]
  [ "${lines[2]}" = "/dst/t fifo 646" ]
  [ "$(berth exec sw1 readlink /dst/l)" = /somewhere ]
  [ "$(stat -c %u "$(upper sw1)/dst/p")" = "$(idbase sw1)" ]
  # Control: a chmod by name through the container's root does follow
  # the container's link to the host file.
  chmod 0646 "$root/ctl/x"
  [ "$(stat -c %a "$VICTIM")" = 646 ]
}

@test "cp racing a container that swaps the new entry for a host symlink" {
  host_files
  # The swapper outlives the test (teardown removes the container).
  berth run -d --name sw2 bb sh -c "mkdir /dst; exec probe swaplink /dst/p $VICTIM 900" >/dev/null
  root=/proc/$(berth inspect -f '{{.State.Pid}}' sw2)/root
  wait_until test -L "$root/dst/p"
  # cp used to lose within a few copies that got past mkfifo.
  ok=0
  for i in $(seq 400); do
    berth cp "$BATS_TEST_TMPDIR/p" sw2:/dst/p 2>/dev/null && ok=$((ok + 1))
    victim_kept || break
    [ "$ok" -lt 100 ] || break
  done
  echo "copies that got through: $ok"
  victim_kept
  [ "$ok" -gt 0 ] # the race was run, not only lost at mkfifo
  # Control: the same steps by name (unlink, mkfifo, chmod), as cp used to
  # take them, lose the race and chmod the host file.
  python3 - "$root/dst/p" "$VICTIM" <<'EOF'
import os, stat, sys
path, victim = sys.argv[1], sys.argv[2]
for _ in range(200000):
    try:
        os.unlink(path)
    except OSError:
        pass
    try:
        os.mkfifo(path, 0o600)
        os.chmod(path, 0o646)  # by name: follows a symlink swapped in
    except OSError:
        continue
    if stat.S_IMODE(os.stat(victim).st_mode) == 0o646:
        break
EOF
  [ "$(stat -c %a "$VICTIM")" = 646 ]
}

@test "cp - streams tar archives both ways" {
  berth run -d --name run1 bb sleep 1000 >/dev/null
  berth exec run1 sh -c 'mkdir /d && echo x >/d/f'
  run bash -c "'$BERTH' --root '$BERTH_ROOT' cp run1:/d - | tar -tv"
  [ "$status" -eq 0 ]
  [[ "$output" == *"0/0"*"d/f"* ]]
  mkdir -p "$BATS_TEST_TMPDIR/t/in"
  echo y >"$BATS_TEST_TMPDIR/t/in/g"
  tar -C "$BATS_TEST_TMPDIR/t" -cf - in | berth cp - run1:/d
  [ "$(berth exec run1 cat /d/in/g)" = y ]
  [ "$(stat -c %u "$(upper run1)/d/in/g")" = "$(idbase run1)" ]
  [ "$(stat -c %u "$(upper run1)/d/in")" = "$(idbase run1)" ]
  # The container's /proc: its mount point, not its host-wide contents.
  run bash -c "'$BERTH' --root '$BERTH_ROOT' cp run1:/proc - | tar -t"
  [ "$status" -eq 0 ]
  [ "$output" = proc/ ]
  # A "../" entry is refused and nothing lands outside.
  run bash -c "tar -C '$BATS_TEST_TMPDIR/t' -cf - -P in/../../t/in/g | '$BERTH' --root '$BERTH_ROOT' cp - run1:/d"
  [ "$status" -eq 1 ]
}

@test "export writes the container's filesystem without /proc contents" {
  # Under the (0700) berth root: the runtime opens the bind source.
  echo host-only >"$BERTH_ROOT/cp-bound"
  chmod 644 "$BERTH_ROOT/cp-bound"
  berth run -d --name run1 -v "$BERTH_ROOT/cp-bound:/bound:ro" bb \
    sh -c 'echo mine >/exported; ln /exported /hard; sleep 1000' >/dev/null
  wait_until berth exec run1 test -f /exported
  run bash -c "'$BERTH' --root '$BERTH_ROOT' export run1 | tar -tv"
  [ "$status" -eq 0 ]
  [[ "$output" == *" 0/0 "*"exported"* ]]
  [[ "$output" == *"bin/busybox"* ]]
  [[ "$output" == *"proc/"* ]]
  local listing=$output
  run ! grep -q ' proc/.' <<<"$listing"
  run ! grep -q ' sys/.' <<<"$listing"
  run grep -q ' bin/busybox' <<<"$listing"
  [ "$status" -eq 0 ]
  # A bind-mounted file: its mount point, not the host file's contents.
  [ "$(berth exec run1 cat /bound)" = host-only ]
  run bash -c "'$BERTH' --root '$BERTH_ROOT' export run1 | tar -xOf - bound"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  rm -f "$BERTH_ROOT/cp-bound"
  # A hard link stays one (its data is not written twice).
  [[ "$listing" == *"hard link to exported"* ]]
  berth stop -t 0 run1 >/dev/null
  berth export -o "$BATS_TEST_TMPDIR/x.tar" run1
  tar -tf "$BATS_TEST_TMPDIR/x.tar" | grep -qx exported
  # Its import is an equivalent image.
  berth import -c 'CMD ["/bin/sh"]' "$BATS_TEST_TMPDIR/x.tar" cp-commit:v2 >/dev/null
  [ "$(berth run --rm cp-commit:v2 cat /exported)" = mine ]
  run berth run --rm cp-commit:v2 stat -c %h /hard
  [ "$output" = 2 ]
}

@test "commit makes an image with the container's changes" {
  berth run --name c1 bb sh -c 'echo created >/made; rm /etc/group; rm -rf /home; mkdir /home; echo n >/home/n' >/dev/null
  run berth commit -c 'ENV FOO=bar' -c 'CMD ["cat", "/made"]' -m msg c1 cp-commit:v1
  [ "$status" -eq 0 ]
  [[ "$output" == sha256:* ]]
  [ "$(berth run --rm cp-commit:v1)" = created ]
  run berth run --rm cp-commit:v1 sh -c 'echo $FOO; ls /home; test -e /etc/group || echo gone'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = bar ]
  [ "${lines[1]}" = n ]
  [ "${lines[2]}" = gone ]
  # The base image is unchanged.
  run berth run --rm bb test -e /etc/group
  [ "$status" -eq 0 ]
}

@test "commit of a running container" {
  berth run -d --name r1 bb sh -c 'echo live >/live; sleep 1000' >/dev/null
  wait_until berth exec r1 test -f /live
  berth commit r1 cp-commit:v1 >/dev/null
  [ "$(berth run --rm cp-commit:v1 cat /live)" = live ]
  [ "$(berth inspect -f '{{.State.Status}}' r1)" = running ]
}
