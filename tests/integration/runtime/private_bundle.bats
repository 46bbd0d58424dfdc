#!/usr/bin/env bats
# A bundle, and bind sources, under directories only their owner may
# search (bats' temp dirs are 0700, as a home or `mktemp -d` is) run with a
# user namespace: the container's root is an unprivileged host id that
# cannot reach them by path, so the runtime must open them beforehand.
# Nothing may be chmodded to get there.

load ../helpers

HOST_ID=200000

setup() {
  setup_bundle
  case "$RUNTIME" in
    *runc*) skip "runc 1.1 binds the rootfs from inside the user namespace" ;;
  esac
  # A 0700 directory of our own: bats' temp dirs may have been opened by
  # an earlier file of the same run (namespaces.bats).
  PRIV=$BATS_TEST_TMPDIR/private
  mkdir -m 700 "$PRIV"
  mv "$BUNDLE" "$PRIV/bundle"
  BUNDLE=$PRIV/bundle
  cd "$BUNDLE" || return 1
  mkdir -m 755 "$PRIV/data"
  echo bound-data >"$PRIV/data/f"
  mkdir -m 755 "$BUNDLE/reldata"
  echo relative-data >"$BUNDLE/reldata/f"
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]'
  update_config --arg src "$PRIV/data" '.mounts += [
      {"destination": "/root", "type": "bind", "source": $src,
       "options": ["rbind", "ro"]},
      {"destination": "/home", "type": "bind", "source": "reldata",
       "options": ["bind", "ro"]}]'
}

teardown() {
  teardown_bundle
}

# Modes of every directory from the bundle (and the bind source) up to /.
modes() {
  local d
  for d in "$BUNDLE/rootfs" "$PRIV/data"; do
    while [ "$d" != / ]; do
      stat -c '%n %a' "$d"
      d=$(dirname "$d")
    done
  done
}

as_host_id() {
  # Through sh: setpriv itself still holds its capabilities when it execs,
  # so only a program started after the switch shows the id's own access.
  setpriv --reuid "$HOST_ID" --regid "$HOST_ID" --clear-groups -- sh -c "$1"
}

@test "a bundle and bind sources under 0700 directories run in a user namespace" {
  # Control: the container's root (host id $HOST_ID) really cannot reach
  # the rootfs or the bind source by path.
  run as_host_id "ls '$BUNDLE/rootfs/bin/busybox'"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  run as_host_id "cat '$PRIV/data/f'"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  before=$(modes)
  update_config '.process.args = ["/bin/sh", "-c",
    "cat /proc/self/uid_map /root/f /home/f; ls /proc/self/fd | tr \"\\n\" \" \""]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *" 0 "*"$HOST_ID "*"65536"* ]]
  [ "${lines[1]}" = bound-data ]
  [ "${lines[2]}" = relative-data ]
  # No fd of the rootfs or of a bind source is left in the container
  # (0-2, and ls's own directory fd).
  [ "${lines[3]}" = "0 1 2 3 " ]
  [ "$(modes)" = "$before" ]
}

@test "the runtime's fds for the init never land among preserved fds" {
  # fd 3 is preserved and fd 4 would be too, but the caller has no fd 4:
  # the lowest free number in the init is where a received fd would go.
  update_config '.process.args = ["/bin/sh", "-c",
    "for f in 3 4; do echo $f:$(readlink /proc/self/fd/$f); done"]'
  run bash -c "exec 3</etc/hostname 4>&-; \"$RUNTIME\" --root \"$STATE_ROOT\" run --preserve-fds 2 \"$CID\""
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "3:/etc/hostname" ]
  [ "${lines[1]}" = "4:" ]
  # Control: an fd 4 the caller does pass shows up there.
  runtime delete --force "$CID" >/dev/null 2>&1 || true
  run bash -c "exec 3</etc/hostname 4</etc/hostname; \"$RUNTIME\" --root \"$STATE_ROOT\" run --preserve-fds 2 \"$CID\""
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "4:/etc/hostname" ]
}

@test "a missing bind source is named, and nothing is left" {
  update_config '.mounts[-1].source = "no-such-dir"'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no-such-dir"* ]]
  if is_berth; then
    [[ "$output" == *"mounts[8] \`/home\`: bind \`no-such-dir\`: No such file or directory"* ]]
  fi
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}
