#!/usr/bin/env bats
# linux.resources through cgroups, asserted by effect: the hog is killed,
# forks fail, the device is refused, limits change live, nothing is left.

load ../helpers

setup() {
  setup_bundle
  update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs",
    "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}]'
}

teardown() {
  teardown_bundle
}

cg_file() { # CONTROLLER FILE -> contents of the container's cgroup file
  cat "/sys/fs/cgroup/$1/berth-test/$CID/$2"
}

@test "a memory limit kills a process that exceeds it" {
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
    | .process.args = ["/bin/probe", "alloc", "128"]'
  run runtime run "$CID"
  [ "$status" -eq 137 ]
  [[ "$output" != *allocated* ]]
}

@test "within the memory limit the same program succeeds" {
  update_config '.linux.resources.memory = {"limit": 67108864, "swap": 67108864}
    | .process.args = ["/bin/probe", "alloc", "16"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = allocated ]
}

@test "a pids limit makes fork fail" {
  update_config '.linux.resources.pids = {"limit": 8} | .process.args = ["/bin/probe", "forks", "20"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" -lt 8 ]
  update_config '.linux.resources.pids = {"limit": 100}'
  run runtime run "$CID"
  [ "$output" -eq 20 ]
}

@test "cpu limits are applied and visible inside the container's cgroup" {
  update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"}
    | .process.args = ["/bin/sh", "-c", "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus; grep Cpus_allowed_list /proc/self/status"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 50000 ]
  [ "${lines[1]}" = 512 ]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" = "$(printf 'Cpus_allowed_list:\t0')" ]
}

@test "the container sees its own cgroup as the root (cgroup namespace)" {
  update_config '.process.args = ["/bin/cat", "/proc/self/cgroup"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  ! grep -q berth-test <<<"$output"
  grep -q ':memory:/$' <<<"$output"
}

@test "device rules: a denied device cannot be opened, default devices can" {
  update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]
    | .process.args = ["/bin/sh", "-c", "/bin/probe errno open /dev/zero; /bin/probe errno open /dev/null rw"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # A later rule can allow it again, but here /dev/zero is a default device
  # that berth (like runc) re-allows after the config's rules.
  if is_berth || [ "$(basename "$RUNTIME")" = runc ]; then
    [ "${lines[1]}" = OK ]
  fi
}

@test "a device node outside the rules cannot be opened even with mknod" {
  update_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
    | .process.args = ["/bin/sh", "-c", "mknod /dev/sda b 8 0 && /bin/probe errno open /dev/sda; mknod /dev/mem c 1 1 && /bin/probe errno open /dev/mem"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'EPERM\nEPERM')" ]
}

@test "update changes limits of a running container" {
  update_config '.linux.resources.pids = {"limit": 50} | .process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  [ "$(cg_file pids pids.max)" = 50 ]
  runtime update --pids-limit 70 --memory 64m "$CID"
  [ "$(cg_file pids pids.max)" = 70 ]
  [ "$(cg_file memory memory.limit_in_bytes)" = 67108864 ]
  echo '{"pids": {"limit": 30}, "cpu": {"shares": 256}}' > "$BATS_TEST_TMPDIR/r.json"
  runtime update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
  [ "$(cg_file pids pids.max)" = 30 ]
  [ "$(cg_file cpu cpu.shares)" = 256 ]
}

@test "update with an invalid value fails and changes nothing" {
  update_config '.linux.resources.pids = {"limit": 50} | .process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  run runtime update --pids-limit abc "$CID"
  [ "$status" -ne 0 ]
  [ "$(cg_file pids pids.max)" = 50 ]
}

@test "pause freezes every process of the container" {
  update_config '.process.args = ["/bin/sh", "-c", "sleep 100 & sleep 100"]'
  runtime_quiet run --detach "$CID"
  sleep 0.2
  runtime pause "$CID"
  [ "$(runtime state "$CID" | jq -r .status)" = paused ]
  [ "$(cg_file freezer freezer.state)" = FROZEN ] || \
    grep -q 'frozen 1' "/sys/fs/cgroup/unified/berth-test/$CID/cgroup.events"
  runtime resume "$CID"
  [ "$(runtime state "$CID" | jq -r .status)" = running ]
  # sh execs its last command: two sleeps in all
  [ "$(runtime ps "$CID" | grep -vc PID)" -ge 2 ]
}

@test "delete removes the cgroup in every hierarchy" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  [ -d "/sys/fs/cgroup/memory/berth-test/$CID" ]
  [ -d "/sys/fs/cgroup/freezer/berth-test/$CID" ]
  runtime delete --force "$CID"
  no_cgroup_left
}

@test "kill --all reaches every process in the cgroup" {
  update_config '.process.args = ["/bin/sh", "-c", "trap \"\" TERM; sleep 100 & sleep 100 & wait"]'
  runtime_quiet run --detach "$CID"
  sleep 0.3
  pids=$(cat "/sys/fs/cgroup/pids/berth-test/$CID/cgroup.procs")
  runtime kill --all "$CID" KILL
  wait_for_state stopped
  for p in $pids; do
    st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) || continue
    [ "$st" = Z ]
  done
}

@test "an impossible limit is a one-line error and leaves nothing" {
  require_berth
  update_config '.linux.resources.cpu = {"cpus": "99"}'
  run runtime run "$CID"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *cpuset.cpus* ]]
  no_cgroup_left
  [ ! -e "$STATE_ROOT/$CID" ]
}

@test "a systemd cgroupsPath is refused clearly" {
  require_berth
  update_config '.linux.cgroupsPath = "system.slice:berth:'"$CID"'"'
  run runtime run "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *systemd* ]]
  [ ! -e "$STATE_ROOT/$CID" ]
}

@test "CVE-2022-0492: the container cannot reach or create a release_agent" {
  update_config '.process.args = ["/bin/sh", "-c",
    "for f in /sys/fs/cgroup/*/release_agent; do [ -e \"$f\" ] && /bin/probe errno open \"$f\" rw; done; mkdir -p /tmp/cg; mount -t cgroup -o memory cgroup /tmp/cg 2>/dev/null && echo MOUNTED; /bin/probe errno unshare; echo done"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" != *MOUNTED* ]]
  ! grep -qx OK <<<"$(sed '$d' <<<"$output" | head -n -1)"
  [ "${lines[-1]}" = done ]
}

@test "memory reservation and swap reach the cgroup files" {
  update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}
    | .process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  [ "$(cg_file memory memory.limit_in_bytes)" = 67108864 ]
  [ "$(cg_file memory memory.soft_limit_in_bytes)" = 33554432 ]
  if [ -e "/sys/fs/cgroup/memory/berth-test/$CID/memory.memsw.limit_in_bytes" ]; then
    [ "$(cg_file memory memory.memsw.limit_in_bytes)" = 134217728 ]
  fi
}

# A blkio weight needs CFQ or BFQ (blkio.weight or blkio.bfq.weight); on a
# kernel whose disks use neither, the limit cannot be applied: refused with
# the file named, and nothing left behind.
@test "blkio weight reaches the cgroup file, or is refused where the kernel has none" {
  update_config '.linux.resources.blockIO = {"weight": 500}
    | .process.args = ["/bin/sleep", "100"]'
  if [ -e /sys/fs/cgroup/blkio/blkio.weight ] ||
     [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
    runtime_quiet run --detach "$CID"
    w=$(cat "/sys/fs/cgroup/blkio/berth-test/$CID/blkio.weight" 2>/dev/null ||
        cat "/sys/fs/cgroup/blkio/berth-test/$CID/blkio.bfq.weight")
    [ "${w##* }" = 500 ]
  else
    run runtime run --detach "$CID"
    [ "$status" -ne 0 ]
    [[ "$output" == *"blkio.weight"* ]]
    [ ! -e "$STATE_ROOT/$CID" ]
    no_cgroup_left
  fi
}

@test "a limit below current usage fails update and keeps the old limit" {
  update_config '.linux.resources.memory = {"limit": 134217728}
    | .process.args = ["/bin/sh", "-c", "/bin/probe alloc 40 >/dev/null; head -c 41943040 /dev/zero > /dev/shm/fill; sleep 100"]'
  runtime_quiet run --detach "$CID"
  for _ in $(seq 50); do
    [ "$(cg_file memory memory.usage_in_bytes)" -gt 30000000 ] && break
    sleep 0.1
  done
  run runtime update --memory 4m --memory-swap 4m "$CID"
  [ "$status" -ne 0 ]
  [ "$(cg_file memory memory.limit_in_bytes)" = 134217728 ]
}
