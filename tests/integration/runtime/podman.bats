#!/usr/bin/env bats
# Podman driving berth-runtime as its OCI runtime (through conmon), the way
# users will call it: run, exec, terminals, pause, stop, limits,
# --privileged, and the exit statuses of a command that cannot run.
# Podman lives in its own --root/--runroot/--tmpdir and cgroup parent.

bats_require_minimum_version 1.5.0
load ../helpers

setup_file() {
  command -v podman >/dev/null || skip "podman is not installed"
  # podman refuses a runroot longer than 50 characters: a short directory.
  PM=$(mktemp -d /tmp/bpm.XXXXXX)
  export PM
  # Root here lacks CAP_SYS_RESOURCE: podman's default rlimits (raised
  # hard limits) could not be applied by any runtime; ask for low ones.
  cat > "$PM/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  _berth_base_bundle
  tar -C "$BERTH_RUN_DIR/base/rootfs" -cf "$PM/rootfs.tar" .
  pm import "$PM/rootfs.tar" localhost/berth-busybox:test >/dev/null
}

teardown_file() {
  [ -n "${PM:-}" ] || return 0
  pm rm -af >/dev/null 2>&1 || true
  pm rmi -af >/dev/null 2>&1 || true
  remove_cgroups /berth-test/podman /berth-test
  if grep -q " $PM" /proc/self/mountinfo; then
    echo "podman left mounts under $PM:" >&2
    grep " $PM" /proc/self/mountinfo >&2
    return 1
  fi
  rm -rf --one-file-system "$PM"
}

# From $PM: conmon writes an `oom` marker into its working directory.
pm() {
  (cd "$PM" || exit 1
  CONTAINERS_CONF=$PM/containers.conf exec podman --root "$PM/root" \
    --runroot "$PM/runroot" --tmpdir "$PM/tmp" --storage-driver vfs \
    --cgroup-manager cgroupfs --runtime "$RUNTIME" "$@")
}

prun() {
  pm run --cgroup-parent /berth-test/podman --network none "$@"
}

setup() {
  require_berth
}

@test "podman run: output and exit status pass through" {
  run prun --rm localhost/berth-busybox:test sh -c 'echo hello-from-berth; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = hello-from-berth ]
}

@test "podman run applies its default seccomp profile and capabilities" {
  run prun --rm localhost/berth-busybox:test sh -c 'grep -E "^(Seccomp|CapBnd):" /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(printf 'CapBnd:\t00000000a80425fb')" ]
  [ "${lines[1]}" = "$(printf 'Seccomp:\t2')" ]
}

@test "podman run -d, exec, pause, unpause, stop, rm" {
  prun -d --name berth-pm1 localhost/berth-busybox:test sleep 100
  run pm exec berth-pm1 sh -c 'echo exec-ok; cat /proc/1/comm'
  [ "$output" = "$(printf 'exec-ok\nsleep')" ]
  run pm exec -t berth-pm1 tty
  [[ "$output" == /dev/pts/* ]]
  pm pause berth-pm1
  [ "$(pm inspect -f '{{.State.Status}}' berth-pm1)" = paused ]
  pm unpause berth-pm1
  [ "$(pm inspect -f '{{.State.Status}}' berth-pm1)" = running ]
  pm stop -t 1 berth-pm1
  [ "$(pm inspect -f '{{.State.Status}}' berth-pm1)" = exited ]
  pm rm berth-pm1
  run pm inspect berth-pm1
  [ "$status" -ne 0 ]
}

@test "podman run -t gets a terminal through the console socket" {
  run prun --rm -t localhost/berth-busybox:test sh -c '[ -t 0 ] && [ -t 1 ] && tty'
  [ "$status" -eq 0 ]
  [[ "$output" == /dev/pts/* ]]
}

@test "podman resource flags are enforced" {
  run prun --rm --memory 32m --memory-swap 32m --pids-limit 20 localhost/berth-busybox:test \
    sh -c 'cat /sys/fs/cgroup/pids/pids.max; /bin/probe alloc 128'
  [ "$status" -eq 137 ]
  [ "${lines[0]}" = 20 ]
}

@test "podman run --privileged: host devices, every capability, no seccomp" {
  # podman lists every host device with fileMode as stat() gives it (file
  # type bits included) and asks for all the capabilities there are.
  run prun --rm --privileged localhost/berth-busybox:test \
    sh -c 'stat -c "%F %t:%T" /dev/kmsg; grep -E "^(CapEff|Seccomp):" /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:b" ]
  # Root here lacks CAP_SYS_RESOURCE: everything the caller has.
  [ "${lines[1]}" = "$(grep '^CapBnd:' /proc/self/status | sed 's/Bnd/Eff/')" ]
  [ "${lines[2]}" = "$(printf 'Seccomp:\t0')" ]
}

@test "control: without --privileged the host's devices are not there" {
  run prun --rm localhost/berth-busybox:test sh -c 'test -e /dev/kmsg || echo absent'
  [ "$status" -eq 0 ]
  [ "$output" = absent ]
}

@test "podman run: a missing command exits 127, a non-executable one 126" {
  run -127 prun --rm localhost/berth-busybox:test no-such-command
  [[ "$output" == *"executable file not found in \$PATH"* ]]
  run -127 prun --rm localhost/berth-busybox:test /no/such/file
  [[ "$output" == *"no such file or directory"* ]]
  # Exit status 126 alone could come from the container itself (a shell
  # does that): podman must say why, as it does for runc.
  run -126 prun --rm localhost/berth-busybox:test /etc/passwd
  [[ "$output" == *"permission denied"* ]]
  run -126 prun --rm localhost/berth-busybox:test /bin
  [ -z "$(pm ps -aq)" ]
}

@test "podman exec: a missing command exits 127, a non-executable one 126" {
  prun -d --name berth-pm2 localhost/berth-busybox:test sleep 100
  run -127 pm exec berth-pm2 no-such-command
  [[ "$output" == *"executable file not found in \$PATH"* ]]
  run -126 pm exec berth-pm2 /etc/passwd
  [[ "$output" == *"permission denied"* ]]
  # The container is untouched by the failed execs.
  run pm exec berth-pm2 echo still-running
  [ "$output" = still-running ]
  pm rm -f -t 0 berth-pm2 >/dev/null
}
