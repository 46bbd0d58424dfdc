#!/usr/bin/env bats
# berth run: resource limits, security defaults and their opt-outs, mounts,
# restart policy, log rotation.  Each test checks the effect.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "--memory is enforced: an allocation beyond it is killed" {
  run berth run --rm --memory 32m --memory-swap 32m bb probe alloc 16
  [ "$status" -eq 0 ]
  [ "$output" = allocated ]
  run berth run --rm --memory 32m --memory-swap 32m bb probe alloc 128
  [ "$status" -eq 137 ]
  run berth run --rm --memory 1k bb true
  [ "$status" -eq 125 ]
}

@test "--pids-limit is enforced, and a default limit applies" {
  run berth run --rm --pids-limit 8 bb probe forks 20
  [ "$status" -eq 0 ]
  [ "$output" -lt 8 ]
  run berth run --rm bb cat /sys/fs/cgroup/pids/pids.max
  [ "$output" = 2048 ]
}

@test "--cpus and --cpuset-cpus reach the cgroup" {
  run berth run --rm --cpus 0.5 --cpuset-cpus 0 bb sh -c \
    'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 50000 ]
  [ "${lines[1]}" = 0 ]
  run berth run --rm --cpus 999 bb true
  [ "$status" -eq 125 ]
}

@test "--ulimit sets the process limits" {
  run berth run --rm --ulimit nofile=256:512 bb sh -c 'ulimit -n; ulimit -Hn'
  [ "${lines[0]}" = 256 ]
  [ "${lines[1]}" = 512 ]
}

@test "default seccomp profile blocks namespace creation; unconfined does not" {
  run berth run --rm bb probe errno unshare
  [ "$output" = EPERM ]
  run berth run --rm --security-opt seccomp=unconfined --cap-add SYS_ADMIN \
    bb probe errno syscall 155
  # pivot_root(NULL, NULL): no longer EPERM from the filter (EFAULT).
  [ "$output" != EPERM ]
  run berth run --rm bb probe errno syscall 155
  [ "$output" = EPERM ]
}

@test "a user's seccomp profile file is used" {
  berth run --rm bb true
  # The default profile without mkdir: the default action (EPERM) applies.
  jq '.syscalls |= map(.names -= ["mkdirat", "mkdir"])' \
    "$REPO/src/engine/seccomp-default.json" >"$BATS_TEST_TMPDIR/p.json"
  run berth run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/p.json" bb probe errno mkdir /tmp/x
  [ "$output" = EPERM ]
  run berth run --rm bb probe errno mkdir /tmp/x
  [ "$output" = OK ]
  echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$BATS_TEST_TMPDIR/bad.json"
  run berth run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *defaultAction* ]]
}

@test "Docker's capability set by default; --cap-drop and --cap-add change it" {
  # CapEff of Docker's default set: 0xa80425fb.
  run berth run --rm bb sh -c 'grep CapEff /proc/self/status'
  [[ "$output" == *00000000a80425fb ]]
  run berth run --rm --cap-drop CHOWN bb probe errno chown /tmp 5
  [ "$output" = EPERM ]
  run berth run --rm bb probe errno chown /tmp 5
  [ "$output" = OK ]
  run berth run --rm --cap-drop ALL bb sh -c 'grep CapEff /proc/self/status'
  [[ "$output" == *0000000000000000 ]]
  run berth run --rm --cap-add NOPE bb true
  [ "$status" -eq 125 ]
}

@test "masked and read-only /proc paths; --privileged lifts them" {
  run berth run --rm bb probe errno open /proc/kcore
  [ "$output" != OK ]
  run berth run --rm bb sh -c 'wc -c < /proc/keys'
  [ "$output" = 0 ]
  run berth run --rm --userns host bb probe errno open /proc/sys/kernel/hostname rw
  [ "$output" = EROFS ]
  # In the user namespace the host-owned file is not even writable.
  run berth run --rm bb probe errno open /proc/sys/kernel/hostname rw
  [[ "$output" = EACCES || "$output" = EROFS ]]
  run berth run --rm --privileged bb sh -c 'grep CapEff /proc/self/status; grep Seccomp: /proc/self/status'
  # Every capability berth holds itself (its bounding set).
  [ "${lines[0]##*[[:space:]]}" = "$(awk '/^CapBnd/ {print $2}' /proc/self/status)" ]
  [[ "${lines[1]}" == *0 ]]
}

@test "no-new-privileges is available" {
  run berth run --rm bb sh -c 'grep NoNewPrivs /proc/self/status'
  [[ "$output" == *0 ]]
  run berth run --rm --security-opt no-new-privileges bb sh -c 'grep NoNewPrivs /proc/self/status'
  [[ "$output" == *1 ]]
}

@test "--read-only, --tmpfs and bind mounts (-v, --mount)" {
  run berth run --rm --read-only bb probe errno mkdir /newdir
  [ "$output" = EROFS ]
  run berth run --rm --read-only --tmpfs /scratch:size=1m bb sh -c 'echo hi > /scratch/f && cat /scratch/f && df /scratch | tail -1'
  [ "${lines[0]}" = hi ]
  [[ "${lines[1]}" == *" 1024 "* ]]
  # Under the (0700) berth root: the runtime opens the bind source; the
  # directory itself must let the container's root (nobody's) in.
  data=$BERTH_ROOT/binds/data
  mkdir -p "$data"
  echo host-file >"$data/in"
  chmod 644 "$data/in"
  chmod 755 "$BERTH_ROOT/binds" "$data"
  run berth run --rm -v "$data:/data:ro" bb sh -c 'cat /data/in; probe errno mkdir /data/x'
  [ "${lines[0]}" = host-file ]
  [ "${lines[1]}" = EROFS ]
  run berth run --rm --mount "type=bind,source=$data,target=/d" bb cat /d/in
  [ "$output" = host-file ]
  run berth run --rm -v /no/such/dir:/d bb true
  [ "$status" -eq 125 ]
}

@test "through a bind, root in a container is host root (as Docker) but not another container's root" {
  secret=$BERTH_ROOT/binds/secret
  mkdir -p "$secret"
  echo secret >"$secret/key"
  chmod 600 "$secret/key"
  chmod 755 "$BERTH_ROOT/binds" "$secret"
  # Binds are idmapped (issue 14, userns_compat.bats): the container's
  # root reads what host root may in the directory the user bound.
  run berth run --rm -v "$secret:/s" bb cat /s/key
  [ "$output" = secret ]
  # A file of another container's id range is not readable: those ids are
  # outside the mapping (the idmap maps host 0..65535 only).
  berth run --name other bb sh -c 'echo mine > /f; chmod 600 /f'
  upper=$(berth inspect -f '{{.GraphDriver.Data.UpperDir}}' other)
  chmod 755 "$upper"
  run berth run --rm -v "$upper:/o" bb probe errno open /o/f
  [ "$output" = EACCES ]
  # With --userns host (opting out), root reads it.
  run berth run --rm --userns host -v "$secret:/s" bb cat /s/key
  [ "$output" = secret ]
}

@test "--device and --sysctl" {
  run berth run --rm --device /dev/null:/dev/mynull bb sh -c 'echo x > /dev/mynull && echo ok'
  [ "$output" = ok ]
  run berth run --rm bb probe errno open /dev/mynull
  [ "$output" = ENOENT ]
  run berth run --rm --sysctl kernel.shmmax=12345678 bb cat /proc/sys/kernel/shmmax
  [ "$output" = 12345678 ]
  run berth run --rm --sysctl kernel.hostname=x bb true
  [ "$status" -eq 125 ]
}

@test "--restart on-failure:N restarts a failing container N times" {
  berth run -d --name flaky --restart on-failure:2 bb sh -c 'echo try; exit 1' >/dev/null
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Status}}' flaky)\" = exited ]"
  [ "$(berth inspect -f '{{.RestartCount}}' flaky)" = 2 ]
  [ "$(berth logs flaky | grep -c try)" = 3 ]
  run berth run --rm --restart always bb true
  [ "$status" -eq 125 ]
}

@test "--restart always restarts after a crash until stopped" {
  berth run -d --name phoenix --restart always bb sh -c 'sleep 0.2; exit 0' >/dev/null
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.RestartCount}}' phoenix)\" -ge 2 ]"
  berth stop phoenix
  n=$(berth inspect -f '{{.RestartCount}}' phoenix)
  sleep 0.6
  [ "$(berth inspect -f '{{.RestartCount}}' phoenix)" = "$n" ]
  [ "$(berth inspect -f '{{.State.Status}}' phoenix)" = exited ]
}

@test "json-file logs rotate with --log-opt max-size and max-file" {
  berth run --name chatty --log-opt max-size=2k --log-opt max-file=3 bb \
    sh -c 'i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done'
  dir=$(dirname "$(berth inspect -f '{{.LogPath}}' chatty)")
  [ -f "$dir/ctr.log.1" ]
  [ -f "$dir/ctr.log.2" ]
  [ ! -f "$dir/ctr.log.3" ]
  for f in "$dir"/ctr.log*; do [ "$(stat -c %s "$f")" -le 2048 ]; done
  # The newest entries survive, in order, each a JSON object.
  run berth logs --tail 1 chatty
  [ "$output" = line-399 ]
  jq -e '.stream == "stdout"' "$dir/ctr.log" >/dev/null
}

@test "pause freezes the container; unpause resumes it" {
  berth run -d --name frozen bb sh -c 'while true; do date +%s%N > /tmp/t; sleep 0.05; done' >/dev/null
  berth pause frozen
  [ "$(berth inspect -f '{{.State.Status}}' frozen)" = paused ]
  pid=$(berth inspect -f '{{.State.Pid}}' frozen)
  [ "$(cat /sys/fs/cgroup/freezer$BERTH_CGROUP_PARENT/$(berth inspect -f '{{.Id}}' frozen)/freezer.state)" = FROZEN ]
  berth unpause frozen
  [ "$(berth inspect -f '{{.State.Status}}' frozen)" = running ]
  berth rm -f frozen
}

@test "--init reaps orphans, forwards signals and passes the exit status" {
  berth run -d --name withinit --init bb sh -c '(sleep 0.1 &); exec sleep 1000' >/dev/null
  berth run -d --name noinit bb sh -c '(sleep 0.1 &); exec sleep 1000' >/dev/null
  sleep 0.6
  run berth exec withinit ps -o stat,args
  [[ "${lines[1]}" == *"/dev/init -- sh"* ]]
  [[ "$output" != *"Z "* ]]
  run berth exec noinit ps -o stat,args
  [[ "$output" == *"Z "* ]]
  # sleep as pid 1 would ignore SIGTERM; under the init it dies of it.
  berth stop -t 5 withinit
  [ "$(berth inspect -f '{{.State.ExitCode}}' withinit)" = 143 ]
  run berth run --rm --init bb sh -c 'exit 4'
  [ "$status" -eq 4 ]
}
