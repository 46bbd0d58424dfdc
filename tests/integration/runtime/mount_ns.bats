#!/usr/bin/env bats
# A config without a mount namespace.  config-linux.md: "If a namespace type
# is not specified in the namespaces array, the container MUST inherit the
# runtime namespace of that type."  So, as with runc and crun, the container
# runs in the runtime's mount namespace, chrooted into its rootfs.  berth
# makes the container's mounts on a private bind of the rootfs, takes them
# off again whenever the container goes (runc leaves them on the host),
# never changes the propagation of the runtime's "/", and refuses what it
# cannot do safely there: exec, and a new user namespace.
#
# Asserted for berth only: runc refuses maskedPaths without a mount
# namespace, and crun runs inside tests/lib/crun-hybrid's own namespace.

load ../helpers

setup() {
  require_berth
  setup_bundle
  ROOTFS=$BUNDLE/rootfs
  HOOKDIR=$BATS_TEST_TMPDIR/hooks
  mkdir -p "$HOOKDIR"
  update_config '.linux.namespaces |= map(select(.type != "mount"))'
}

teardown() {
  [ -n "${CID:-}" ] && runtime delete --force "$CID" >/dev/null 2>&1
  # What a failing test left mounted in our namespace (the assertions
  # have already seen it).
  if [ -n "${ROOTFS:-}" ]; then
    findmnt -rn -o TARGET | awk -v p="$ROOTFS" '$0 == p || index($0, p "/") == 1' |
      sort -r | while read -r m; do umount -l "$m"; done
  fi
  teardown_bundle
}

# Mounts at or below $1 in this (the runtime's) mount namespace.
mounts_under() {
  findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1' | wc -l
}

# hook that writes how many mounts are under the rootfs to $HOOKDIR/$1
count_hook() {
  jq -n --arg f "$HOOKDIR/$1" --arg r "$ROOTFS" '{"path": "/bin/sh", "args":
    ["sh", "-c", "findmnt -rn -o TARGET | grep -c \"^\($r)\" > \($f); \($ARGS.named.tail)"]}' \
    --arg tail "${2:-true}"
}

@test "the container runs in the runtime's mount namespace, chrooted into its rootfs" {
  touch "$BATS_TEST_TMPDIR/host-marker"
  update_config --arg m "$BATS_TEST_TMPDIR/host-marker" \
    '.process.args = ["/bin/sh", "-c", "readlink /proc/self/ns/mnt; test -e \($m) && echo seen || echo unseen; cat /etc/hostname"]'
  run runtime_quiet run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(readlink /proc/self/ns/mnt)" ]
  # Control: the same probe on the host sees the marker.
  [ "$(test -e "$BATS_TEST_TMPDIR/host-marker" && echo seen)" = seen ]
  [ "${lines[1]}" = unseen ]
  [ "${lines[2]}" = berth ]
}

@test "its mounts show in the runtime's namespace while it exists and are gone after delete" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet create "$CID"
  # Control: the probe sees the container's mounts (/, /proc, /dev, ...).
  [ "$(mounts_under "$ROOTFS")" -gt 3 ]
  runtime start "$CID"
  runtime delete --force "$CID"
  [ "$(mounts_under "$ROOTFS")" -eq 0 ]
}

@test "control: runc leaves such a container's mounts in its namespace" {
  command -v runc >/dev/null || skip "runc is not installed"
  # runc refuses masked and read-only paths without a mount namespace.
  update_config '.linux.maskedPaths = [] | .linux.readonlyPaths = []'
  runc --root "$STATE_ROOT" run "$CID-runc" >/dev/null 2>&1 </dev/null || true
  runc --root "$STATE_ROOT" delete --force "$CID-runc" >/dev/null 2>&1 || true
  remove_cgroups "/berth-test/$CID"
  left=$(mounts_under "$ROOTFS")
  findmnt -rn -o TARGET | awk -v p="$ROOTFS" '$0 == p || index($0, p "/") == 1' |
    sort -r | while read -r m; do umount -l "$m"; done
  [ "$left" -gt 0 ]
}

@test "foreground run and a failed create take their mounts off again" {
  add='.hooks.poststart += [$h]'
  update_config --argjson h "$(count_hook during-run)" "$add"
  runtime_quiet run "$CID"
  [ "$(cat "$HOOKDIR/during-run")" -gt 3 ]
  [ "$(mounts_under "$ROOTFS")" -eq 0 ]
  update_config 'del(.hooks)'
  update_config --argjson h "$(count_hook during-create 'exit 1')" '.hooks.prestart += [$h]'
  run runtime_quiet create "$CID"
  [ "$status" -ne 0 ]
  [ "$(cat "$HOOKDIR/during-create")" -gt 3 ]
  [ "$(mounts_under "$ROOTFS")" -eq 0 ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
  no_cgroup_left
}

@test "the runtime's / keeps its propagation; the container's mounts stay private" {
  update_config --argjson h "$(jq -n --arg r "$ROOTFS" --arg d "$HOOKDIR" \
    '{"path": "/bin/sh", "args": ["sh", "-c",
      "findmnt -n -o PROPAGATION \($r) > \($d)/rootfs; findmnt -n -o PROPAGATION / > \($d)/during"]}')" \
    '.hooks.poststart += [$h]'
  # A scratch mount namespace whose "/" is shared, as on systemd hosts.
  run unshare -m --propagation shared sh -c '
    "$0" --root "$1" run "$2" >/dev/null 2>&1 </dev/null
    findmnt -n -o PROPAGATION /' "$RUNTIME" "$STATE_ROOT" "$CID"
  [ "$status" -eq 0 ]
  [ "$(cat "$HOOKDIR/during")" = shared ]
  [ "$output" = shared ]
  [ "$(cat "$HOOKDIR/rootfs")" = private ]
  # Control: in the same kind of namespace the probe does see a change of
  # "/" and a bind that stayed shared.
  run unshare -m --propagation shared sh -c '
    mount --bind "$0" "$0"; findmnt -n -o PROPAGATION "$0"
    mount --make-rslave /; findmnt -n -o PROPAGATION /' "$ROOTFS"
  [ "${lines[0]}" = shared ]
  [ "${lines[1]}" = private,slave ] || [ "${lines[1]}" = slave ] || [ "${lines[1]}" = private ]
}

@test "exec into it is refused; into a container with its own mount namespace it runs" {
  update_config '.process.args = ["/bin/sleep", "100"] | .root.readonly = false'
  runtime_quiet create "$CID"
  runtime start "$CID"
  run runtime exec "$CID" /bin/touch /exec-ran
  [ "$status" -ne 0 ]
  [[ "$output" == *"has no mount namespace of its own"* ]]
  [ ! -e "$ROOTFS/exec-ran" ]
  runtime delete --force "$CID"
  # Control: with a mount namespace the same exec runs and the probe sees it.
  update_config '.linux.namespaces += [{"type": "mount"}]'
  runtime_quiet create "$CID"
  runtime start "$CID"
  runtime exec "$CID" /bin/touch /exec-ran
  [ -e "$ROOTFS/exec-ran" ]
}

@test "a new user namespace without a mount namespace is refused, leaving nothing" {
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  run runtime_quiet create "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.namespaces"*"a user namespace needs a mount namespace of its own"* ]]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
  [ "$(mounts_under "$ROOTFS")" -eq 0 ]
  no_cgroup_left
}
