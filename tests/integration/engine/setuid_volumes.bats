#!/usr/bin/env bats
# Root in a container never leaves a way to root behind: a file a
# container's root makes setuid/setgid in a volume or a bind mount does not
# run with raised privileges in any container (volumes and binds are
# nosuid,nodev unless the user asks for suid or dev), and volume files,
# which keep the ids containers see, are out of other local users' reach.
#
# The setuid file is a copy of the static probe, whose `ids` prints the
# real and effective ids (a setuid copy does nothing else).  Each refusal
# has a control where the same file does raise its caller.

load engine

bats_require_minimum_version 1.5.0

setup_file() {
  engine_setup_file
  # Only berth's own modes may keep other users out of the volumes.
  chmod 755 "$BERTH_ROOT"
}

teardown() {
  engine_teardown
  rm -rf "$BERTH_ROOT/open"
}

teardown_file() {
  engine_teardown_file
}

ids_1000="uid=1000 euid=1000 gid=1000 egid=1000"
ids_root="uid=1000 euid=0 gid=1000 egid=0"

make_setuid() { # $1: -v argument
  berth run --rm -v "$1" bb sh -c \
    'cp /bin/probe /x/suid && chmod 6755 /x/suid && ls -ln /x/suid'
}

@test "a setuid file made in a volume raises nobody in another container" {
  run make_setuid sv:/x
  [ "$status" -eq 0 ]
  [[ "$output" == "-rwsr-sr-x"*" 0 "*" 0 "* ]]
  run berth run --rm -u 1000:1000 -v sv:/x bb /x/suid ids
  [ "$output" = "$ids_1000" ]
  run berth run --rm -u 1000:1000 --userns host -v sv:/x bb /x/suid ids
  [ "$output" = "$ids_1000" ]
  run berth run --rm -v sv:/x bb grep ' /x ' /proc/self/mountinfo
  [[ "$output" == *" nosuid,nodev,"* || "$output" == *",nosuid,nodev,"* ]]
  # Control: where the user asks for suid, the same file does raise.
  run berth run --rm -u 1000:1000 -v sv:/x:suid bb /x/suid ids
  [ "$output" = "$ids_root" ]
  run berth run --rm -u 1000:1000 --mount type=volume,src=sv,dst=/x,suid bb \
    /x/suid ids
  [ "$output" = "$ids_root" ]
}

@test "a setuid file made in a bind mount raises nobody in another container" {
  d=$BATS_TEST_TMPDIR/bind
  mkdir -m 755 "$d"
  # idmap: the container's root is host root on this mount, so the file is
  # setuid root on the host too (the bind's host directory is the user's).
  run make_setuid "$d:/x:idmap"
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%a "$d/suid")" = 0:6755 ]
  run berth run --rm -u 1000:1000 -v "$d:/x:idmap" bb /x/suid ids
  [ "$output" = "$ids_1000" ]
  run berth run --rm -u 1000:1000 --userns host -v "$d:/x" bb /x/suid ids
  [ "$output" = "$ids_1000" ]
  # Control: with suid it raises (to host root under --userns host).
  run berth run --rm -u 1000:1000 -v "$d:/x:idmap,suid" bb /x/suid ids
  [ "$output" = "$ids_root" ]
  run berth run --rm -u 1000:1000 --userns host -v "$d:/x:suid" bb /x/suid ids
  [ "$output" = "$ids_root" ]
  rm -f "$d/suid"
}

@test "a device node made in a volume cannot be opened (nodev), unless dev" {
  berth run --rm --userns host -v devvol:/x bb mknod /x/null c 1 3
  run berth run --rm --userns host -v devvol:/x bb probe errno open /x/null
  [ "$output" = EACCES ]
  # Control: the node is good where dev is allowed.
  run berth run --rm --userns host -v devvol:/x:dev bb probe errno open /x/null
  [ "$output" = OK ]
}

@test "a volume's setuid file is out of other local users' reach" {
  run make_setuid hv:/x
  [ "$status" -eq 0 ]
  f=$BERTH_ROOT/volumes/hv/_data/suid
  [ "$(stat -c %u:%a "$f")" = 0:6755 ]
  # nobody, through sh: setpriv still holds its capabilities when it execs.
  run setpriv --reuid 65534 --regid 65534 --clear-groups -- sh -c "'$f' ids"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  # Control: the same file, where nobody can reach it (a 0750 directory of
  # its group, on the same filesystem), gives nobody euid 0.
  mkdir -m 750 "$BERTH_ROOT/open"
  chgrp 65534 "$BERTH_ROOT/open"
  cp -a "$f" "$BERTH_ROOT/open/suid"
  run setpriv --reuid 65534 --regid 65534 --clear-groups -- \
    sh -c "'$BERTH_ROOT/open/suid' ids"
  rm -rf "$BERTH_ROOT/open"
  [ "$output" = "uid=65534 euid=0 gid=65534 egid=0" ]
}

@test "a container's root cannot clear nosuid or nodev on its volume, even with CAP_SYS_ADMIN" {
  run berth run --rm --cap-add SYS_ADMIN -v lockvol:/x bb sh -c '
    mount -o remount,bind,relatime,nosuid,nodev,ro /x && echo added-ro
    mount -o remount,bind,relatime,suid,nodev,ro /x 2>/dev/null || echo suid-refused
    mount -o remount,bind,relatime,nosuid,dev,ro /x 2>/dev/null || echo dev-refused
    grep " /x " /proc/self/mountinfo'
  # Control: a remount that only adds a flag goes through, so the refusals
  # are the locked flags, not a lack of privilege.  (mount's complaints go
  # to /dev/null: stderr is relayed apart from stdout and could come last.)
  [ "${lines[0]}" = added-ro ]
  [[ "$output" == *suid-refused* ]]
  [[ "$output" == *dev-refused* ]]
  [[ "${lines[-1]}" == *" ro,nosuid,nodev,"* ]]
}
