#!/usr/bin/env bats
# Namespaces (new or joined by path), id mappings, time offsets, hostname,
# domainname, sysctl (only in the container's own namespaces), loopback
# and personality, each read back from the kernel.

load ../helpers

setup() {
  setup_bundle
}

teardown() {
  [ -n "${CID2:-}" ] && runtime delete --force "$CID2" >/dev/null 2>&1
  teardown_bundle
  [ -z "${CID2:-}" ] || remove_cgroups "/berth-test/$CID2"
  [ -z "${NETNS:-}" ] || ip netns del "$NETNS"
  restore_host
}

# A test of a defence that failed may have changed the host: save_host
# FILE records FILE's value; teardown writes back whatever changed.
HOST_SAVED=()
save_host() {
  HOST_SAVED+=("$1=$(cat "$1")")
}

restore_host() {
  local kv
  for kv in "${HOST_SAVED[@]}"; do
    [ "$(cat "${kv%%=*}")" = "${kv#*=}" ] || echo "${kv#*=}" > "${kv%%=*}"
  done
}

# A network namespace of the test's own (lo down, as any new one), for
# configs that join one by path.
make_netns() {
  NETNS=berth-$CID
  ip netns add "$NETNS"
}

start_sleeper() {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  wait_for_state running
  PID=$(container_pid)
}

# bats' temp directories are 0700: a container whose root is an unprivileged
# host uid could not even reach its rootfs through them.
open_bundle_path() {
  local d=$BUNDLE
  while [ "$d" != / ] && [ "$d" != /tmp ]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
}

userns_config() {
  open_bundle_path
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
}

run_sh() {
  update_config --arg s "$1" '.process.args = ["/bin/sh", "-c", $s]'
  run runtime run "$CID"
}

@test "every configured namespace is new; an absent one is the host's" {
  update_config '.linux.namespaces |= map(select(.type != "ipc"))'
  start_sleeper
  for ns in pid net mnt uts cgroup; do
    [ "$(readlink /proc/$PID/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]
  done
  [ "$(readlink /proc/$PID/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ]
  [ "$(readlink /proc/$PID/ns/user)" = "$(readlink /proc/self/ns/user)" ]
}

@test "the container's process is pid 1 of its pid namespace" {
  run_sh 'echo $$; cat /proc/1/comm'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
}

@test "namespaces given by path are joined" {
  start_sleeper
  first=$PID
  CID2=${CID}-b
  update_config --arg p "/proc/$first/ns" '.linux.namespaces |= map(
      if .type == "network" then .path = ($p + "/net")
      elif .type == "uts" then .path = ($p + "/uts")
      elif .type == "ipc" then .path = ($p + "/ipc") else . end)
    | .linux.cgroupsPath = "/berth-test/'"$CID2"'"
    | del(.hostname)'
  runtime_quiet run --detach "$CID2"
  second=$(runtime state "$CID2" | jq -r .pid)
  for ns in net uts ipc; do
    [ "$(readlink /proc/$second/ns/$ns)" = "$(readlink /proc/$first/ns/$ns)" ]
  done
  [ "$(readlink /proc/$second/ns/mnt)" != "$(readlink /proc/$first/ns/mnt)" ]
}

@test "a namespace path that is not a namespace is refused cleanly" {
  update_config '.linux.namespaces |= map(if .type == "network" then .path = "/etc/passwd" else . end)'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "user namespace: ids are mapped, root inside is unprivileged outside" {
  userns_config
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  wait_for_state running
  PID=$(container_pid)
  [ "$(awk '{ print $1, $2, $3 }' /proc/$PID/uid_map)" = "0 200000 65536" ]
  [ "$(awk '{ print $1, $2, $3 }' /proc/$PID/gid_map)" = "0 200000 65536" ]
  # The host sees the container's root as uid 200000.
  [ "$(awk '$1 == "Uid:" { print $2 }' /proc/$PID/status)" = 200000 ]
  [ "$(readlink /proc/$PID/ns/user)" != "$(readlink /proc/self/ns/user)" ]
  run runtime exec "$CID" /bin/sh -c 'id -u; /bin/probe errno open /proc/1/environ'
  [ "${lines[0]}" = 0 ]
}

@test "user namespace: a host-root file bind-mounted in is not writable" {
  echo secret > "$BATS_TEST_TMPDIR/hostfile"
  chmod 600 "$BATS_TEST_TMPDIR/hostfile"
  userns_config
  update_config --arg f "$BATS_TEST_TMPDIR/hostfile" '.mounts += [{"destination": "/dev/shm/hostfile", "type": "bind", "source": $f, "options": ["bind", "rw"]}]
    | .process.args = ["/bin/probe", "errno", "open", "/dev/shm/hostfile", "rw"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = EACCES ]
  [ "$(cat "$BATS_TEST_TMPDIR/hostfile")" = secret ]
}

@test "time namespace: monotonic and boottime offsets apply" {
  require_berth # runc 1.1 has no time namespace, domainname or personality
  update_config '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0},
                            "monotonic": {"secs": 864000, "nanosecs": 0}}'
  host=$(cut -d. -f1 /proc/uptime)
  run_sh 'cut -d. -f1 /proc/uptime'
  [ "$status" -eq 0 ]
  [ "$output" -ge $((host + 864000)) ]
  [ "$output" -lt $((host + 864000 + 60)) ]
}

@test "hostname and domainname are set in the new uts namespace" {
  require_berth # runc 1.1 has no time namespace, domainname or personality
  update_config '.hostname = "box-a" | .domainname = "example.test"'
  run_sh 'hostname; cat /proc/sys/kernel/domainname'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'box-a\nexample.test')" ]
  [ "$(hostname)" != box-a ]
}

@test "namespaced sysctls are applied inside only" {
  update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4321"}'
  host_msgmax=$(cat /proc/sys/kernel/msgmax)
  run_sh 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '1\n4321')" ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "a new network namespace has lo up: 127.0.0.1 answers" {
  update_config '.process.args = ["/bin/probe", "loopback"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
}

@test "control: the loopback probe fails where lo is down" {
  # A fresh namespace (lo down), entered without any runtime.
  run unshare --net "$BUNDLE/rootfs/bin/probe" loopback
  [ "$output" = ENETUNREACH ]
}

@test "a network namespace joined by path keeps its lo as it is" {
  make_netns
  update_config --arg p "/run/netns/$NETNS" '.linux.namespaces |= map(
      if .type == "network" then .path = $p else . end)
    | .process.args = ["/bin/probe", "loopback"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = ENETUNREACH ]
  [[ "$(ip -n "$NETNS" link show lo)" != *",UP"* ]]
}

@test "net.* sysctls are refused in the host's network namespace joined by path" {
  save_host /proc/sys/net/core/somaxconn
  host=$(cat /proc/sys/net/core/somaxconn)
  update_config --arg p "/proc/$$/ns/net" --arg v "$((host + 1))" \
    '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
    | .linux.sysctl = {"net.core.somaxconn": $v}'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is the runtime's"* ]] || ! is_berth
  [ "$(cat /proc/sys/net/core/somaxconn)" = "$host" ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "control: the same net.* sysctl applies in a new or a joined non-host netns" {
  save_host /proc/sys/net/core/somaxconn
  host=$(cat /proc/sys/net/core/somaxconn)
  local v=$((host + 1))
  update_config --arg v "$v" '.linux.sysctl = {"net.core.somaxconn": $v}
    | .process.args = ["/bin/cat", "/proc/sys/net/core/somaxconn"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$v" ]
  make_netns
  update_config --arg p "/run/netns/$NETNS" '.linux.namespaces |= map(
      if .type == "network" then .path = $p else . end)'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$(ip netns exec "$NETNS" cat /proc/sys/net/core/somaxconn)" = "$v" ]
  [ "$(cat /proc/sys/net/core/somaxconn)" = "$host" ]
}

@test "ipc sysctls need an ipc namespace that is not the host's" {
  save_host /proc/sys/kernel/shmmni
  host=$(cat /proc/sys/kernel/shmmni)
  update_config --arg v "$((host - 1))" '.linux.namespaces |= map(select(.type != "ipc"))
    | .linux.sysctl = {"kernel.shmmni": $v}'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [ "$(cat /proc/sys/kernel/shmmni)" = "$host" ]
  # runc 1.1 accepts the host's ipc namespace joined by path (and writes
  # the host's limit); berth refuses it as it refuses the host's netns.
  is_berth || return 0
  update_config --arg p "/proc/$$/ns/ipc" '.linux.namespaces += [{"type": "ipc", "path": $p}]'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is the runtime's"* ]]
  [ "$(cat /proc/sys/kernel/shmmni)" = "$host" ]
}

@test "control: an ipc sysctl applies in a joined ipc namespace of another container" {
  save_host /proc/sys/kernel/shmmni
  start_sleeper
  CID2=${CID}-b
  update_config --arg p "/proc/$PID/ns/ipc" '.linux.namespaces |= map(
      if .type == "ipc" then .path = $p else . end)
    | .linux.sysctl = {"kernel.shmmni": "1234"}
    | .linux.cgroupsPath = "/berth-test/'"$CID2"'"
    | .process.args = ["/bin/true"]'
  runtime_quiet run "$CID2"
  [ "$(nsenter -t "$PID" -i cat /proc/sys/kernel/shmmni)" = 1234 ]
  [ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "the hostname is not set in the host's uts namespace joined by path" {
  require_berth # runc 1.1 sets it (in the host's namespace)
  save_host /proc/sys/kernel/hostname
  update_config --arg p "/proc/$$/ns/uts" '.linux.namespaces |= map(
      if .type == "uts" then .path = $p else . end) | .hostname = "berth-not-host"'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [ "$(hostname)" != berth-not-host ]
}

@test "a sysctl outside the container's namespaces is refused" {
  update_config '.linux.sysctl = {"kernel.panic": "5"}'
  host=$(cat /proc/sys/kernel/panic)
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [ "$(cat /proc/sys/kernel/panic)" = "$host" ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
  require_berth # runc 1.1 has no time namespace, domainname or personality
  update_config '.linux.personality = {"domain": "LINUX32"}'
  run_sh 'uname -m'
  [ "$status" -eq 0 ]
  [[ "$output" == i?86 ]]
}
