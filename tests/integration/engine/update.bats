#!/usr/bin/env bats
# berth update: new limits reach the running container's cgroup, are kept
# in its record (inspect, restart), and impossible ones change nothing.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# A cgroup v1 file of the container, read from the host.
cg_file() {
  local id
  id=$(berth inspect -f '{{.Id}}' "$1")
  cat "/sys/fs/cgroup/$2$BERTH_CGROUP_PARENT/$id/$3"
}

@test "update --memory changes the running container's cgroup and its record" {
  berth run -d --name u1 --memory 64m bb sleep 1000 >/dev/null
  [ "$(cg_file u1 memory memory.limit_in_bytes)" = $((64 << 20)) ]
  run berth update --memory 96m u1
  [ "$status" -eq 0 ]
  [ "$output" = u1 ]
  [ "$(cg_file u1 memory memory.limit_in_bytes)" = $((96 << 20)) ]
  [ "$(berth inspect -f '{{.HostConfig.Memory}}' u1)" = $((96 << 20)) ]
  # The container sees it too (its cgroup namespace).
  [ "$(berth exec u1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = $((96 << 20)) ]
}

@test "updated limits survive a restart" {
  berth run -d --name u2 bb sleep 1000 >/dev/null
  berth update --memory 80m --cpus 0.5 --pids-limit 77 u2 >/dev/null
  berth restart -t 0 u2 >/dev/null
  [ "$(berth inspect -f '{{.State.Status}}' u2)" = running ]
  [ "$(cg_file u2 memory memory.limit_in_bytes)" = $((80 << 20)) ]
  [ "$(cg_file u2 cpu cpu.cfs_quota_us)" = 50000 ]
  [ "$(cg_file u2 pids pids.max)" = 77 ]
}

@test "update of a stopped container changes its record for the next start" {
  berth create --name u3 bb sleep 1000 >/dev/null
  berth update --memory 72m --cpu-shares 512 u3 >/dev/null
  [ "$(berth inspect -f '{{.HostConfig.Memory}}' u3)" = $((72 << 20)) ]
  berth start u3 >/dev/null
  [ "$(cg_file u3 memory memory.limit_in_bytes)" = $((72 << 20)) ]
  [ "$(cg_file u3 cpu cpu.shares)" = 512 ]
}

@test "an impossible update is refused and changes nothing" {
  berth run -d --name u4 --memory 64m bb sleep 1000 >/dev/null
  before=$(berth inspect u4 | jq -S '.[0].HostConfig')
  for args in "--memory 1" "--memory 32m --memory-swap 16m" \
      "--memory-reservation 128m" "--cpus 0.5 --cpu-period 100000" \
      "--blkio-weight 5" "--cpuset-cpus 99" "--cpu-period 10"; do
    run berth update $args u4
    echo "$args: $status $output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *invalid* || "$output" == *conflicting* ]]
  done
  [ "$(cg_file u4 memory memory.limit_in_bytes)" = $((64 << 20)) ]
  [ "$(berth inspect u4 | jq -S '.[0].HostConfig')" = "$before" ]
  run berth update --memory 12q u4
  [ "$status" -eq 125 ]
  run berth update u4
  [ "$status" -eq 125 ]
  run berth update --memory 64m nosuch
  [ "$status" -eq 1 ]
}

@test "update --restart changes the policy; refused for --rm containers" {
  berth create --name u5 bb true >/dev/null
  berth update --restart on-failure:3 u5 >/dev/null
  [ "$(berth inspect -f '{{.HostConfig.RestartPolicy.Name}}' u5)" = on-failure ]
  [ "$(berth inspect -f '{{.HostConfig.RestartPolicy.MaximumRetryCount}}' u5)" = 3 ]
  berth create --rm --name u6 bb true >/dev/null
  run berth update --restart always u6
  [ "$status" -eq 1 ]
  [[ "$output" == *AutoRemove* ]]
}

is_running() { [ "$(berth inspect -f '{{.State.Running}}' "$1")" = true ]; }

# Waits (at most 10 s) until the container's RestartCount is at least $2.
restarts_reach() {
  local i
  for i in $(seq 1 100); do
    [ "$(berth inspect -f '{{.RestartCount}}' "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

@test "update --restart on a running container: its monitor restarts it" {
  # The file the container waits for lets each run end on cue.
  berth run -d --name u7 -v "$BATS_TEST_TMPDIR:/w" bb \
    sh -c 'while [ ! -e /w/go ]; do sleep 0.1; done; rm -f /w/go; exit 3' >/dev/null
  berth update --restart on-failure:2 u7 >/dev/null
  touch "$BATS_TEST_TMPDIR/go"
  restarts_reach u7 1
  # The restarted run works (its rootfs was kept): it waits again.
  wait_until is_running u7
  touch "$BATS_TEST_TMPDIR/go"
  restarts_reach u7 2
  # CONTROL: without the update the container is not restarted.
  berth run -d --name u8 -v "$BATS_TEST_TMPDIR:/w" bb \
    sh -c 'while [ ! -e /w/go8 ]; do sleep 0.1; done; exit 3' >/dev/null
  touch "$BATS_TEST_TMPDIR/go8"
  [ "$(berth wait u8)" = 3 ]
  sleep 0.5
  [ "$(berth inspect -f '{{.RestartCount}}' u8)" = 0 ]
  [ "$(berth inspect -f '{{.State.Running}}' u8)" = false ]
  # And the reverse: policy removed while running, no restart.
  berth run -d --name u9 --restart always -v "$BATS_TEST_TMPDIR:/w" bb \
    sh -c 'while [ ! -e /w/go9 ]; do sleep 0.1; done; exit 4' >/dev/null
  berth update --restart no u9 >/dev/null
  touch "$BATS_TEST_TMPDIR/go9"
  [ "$(berth wait u9)" = 4 ]
  sleep 0.5
  [ "$(berth inspect -f '{{.RestartCount}}' u9)" = 0 ]
}
