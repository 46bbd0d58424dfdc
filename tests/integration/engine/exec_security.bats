#!/usr/bin/env bats
# berth exec, health checks and restarts enter a running container as
# safely as `run`: none of berth's fds, no cwd outside the container, no
# way for the container to reach the joining process or the berth binary.
# Each security test has a control: the same probe against a weak
# stand-in (a host process entered with nsenter) sees the weakness.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
# Only our own cgroup parent: other files may be using /berth-test.
teardown_file() {
  engine_teardown
  "$BERTH" --root "$BERTH_ROOT" system reset -f >/dev/null 2>&1
  rm -rf "$BERTH_ROOT"
  remove_cgroups "$BERTH_CGROUP_PARENT"
}

setup() {
  # Reachable by a container's root in its own user namespace too: the
  # directory is only ever reached through an fd.
  HOSTDIR=$(mktemp -d /tmp/berth-exec-sec.XXXXXX)
  chmod 755 "$HOSTDIR"
  echo "host-secret-$RANDOM$RANDOM" > "$HOSTDIR/secret"
  chmod 644 "$HOSTDIR/secret"
  SECRET=$(cat "$HOSTDIR/secret")
}

teardown() {
  engine_teardown
  rm -rf "$HOSTDIR"
}

pid_of() { berth inspect -f '{{.State.Pid}}' "$1"; }
devino() { stat -L -c '%d:%i' "$1"; }

# A container whose process watches for SECS seconds (probe exewatch,
# output in /tmp/watch) and then sleeps; extra run flags first.
run_watcher() {
  local name=$1 secs=$2 targets=$3
  shift 3
  berth run -d --name "$name" "$@" bb sh -c \
    "/bin/probe exewatch $secs $targets > /tmp/watch 2>&1; sleep 1000" >/dev/null
  wait_until berth exec "$name" test -s /tmp/watch -o -e /tmp/watch
}

watch_result() {
  wait_until berth exec "$1" grep -qx done /tmp/watch
  berth exec "$1" cat /tmp/watch
}

health() { berth inspect -f '{{.State.Health.Status}}' "$1"; }

@test "berth exec and health checks pass none of berth's fds to the container" {
  berth run -d --name fds --health-cmd '/bin/probe fds' --health-interval 200ms \
    bb sleep 1000 >/dev/null
  run bash -c "exec 3<'$HOSTDIR' 5</etc/hostname; \
    $BERTH --root $BERTH_ROOT exec fds /bin/probe fds"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | cut -d' ' -f1 | tr '\n' ' ')" = "0 1 2 " ]
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' fds)\" = healthy ]"
  run berth inspect -f '{{json .State.Health.Log}}' fds
  [ "$(echo "$output" | jq -r '.[0].Output' | grep . | cut -d' ' -f1 | tr '\n' ' ')" = "0 1 2 " ]
  # Control: an fd that does reach the container shows in the list.
  run bash -c "exec 3<'$HOSTDIR'; nsenter --target $(pid_of fds) --all /bin/probe fds"
  [[ "$output" == *"3 $HOSTDIR"* ]]
}

@test "a restarted container gets none of berth's fds either" {
  berth run -d --name rs --restart always bb sh -c '/bin/probe fds; sleep 0.3' >/dev/null
  wait_until sh -c "[ \$($BERTH --root $BERTH_ROOT inspect -f '{{.RestartCount}}' rs) -ge 2 ]"
  run berth logs rs
  [ "$(echo "$output" | cut -d' ' -f1 | sort -u | tr '\n' ' ')" = "0 1 2 " ]
}

# CVE-2024-21626 through `berth exec -w`, the caller holding a host dir.
@test "berth exec -w /proc/self/fd/N is refused while the caller holds a host directory" {
  berth run -d --name cw bb sleep 1000 >/dev/null
  for fd in 3 4; do
    run bash -c "exec $fd<'$HOSTDIR'; \
      $BERTH --root $BERTH_ROOT exec -w /proc/self/fd/$fd cw sh -c 'cat secret; pwd'"
    [ "$status" -ne 0 ]
    [[ "$output" == *"cwd \`/proc/self/fd/$fd\` is refused"* ]]
    [[ "$output" != *"$SECRET"* ]]
  done
  # Control: entered with the fd open, the path leads to the host.
  run bash -c "exec 3<'$HOSTDIR'; nsenter --target $(pid_of cw) --all \
    /bin/sh -c 'cd /proc/self/fd/3 && cat secret'"
  [ "$output" = "$SECRET" ]
}

@test "berth exec -w through a symlink the container planted into /proc is refused" {
  berth run -d --name ln bb sleep 1000 >/dev/null
  berth exec ln ln -s /proc/self/fd/3 /tmp/to-fd
  berth exec ln ln -s /proc/1/root /tmp/to-root
  run bash -c "exec 3<'$HOSTDIR'; \
    $BERTH --root $BERTH_ROOT exec -w /tmp/to-fd ln sh -c 'cat secret; pwd'"
  [ "$status" -ne 0 ]
  [[ "$output" == *"cwd \`/tmp/to-fd\`"* ]]
  [[ "$output" != *"$SECRET"* ]]
  run berth exec -w /tmp/to-root ln pwd
  [ "$status" -ne 0 ]
  [[ "$output" == *"cwd \`/tmp/to-root\` is refused"* ]]
  # Control: a process holding the fd follows the link to the host.
  run bash -c "exec 3<'$HOSTDIR'; nsenter --target $(pid_of ln) --all \
    /bin/sh -c 'cd /tmp/to-fd && cat secret'"
  [ "$output" = "$SECRET" ]
}

# A container with its own user namespace (the default).  The probe stops
# every joining process it sees (argv[0] berth-spawn: the stub) and tries
# its /proc/PID/exe: the stub is unreadable, so the process stays
# non-dumpable and its mm belongs to the host's user namespace.
@test "the processes berth exec and health checks start are out of reach while they join" {
  local bin copydir
  bin=$(readlink -f "$BERTH")
  copydir=$(mktemp -d /tmp/berth-exec-copy.XXXXXX)
  chmod 755 "$copydir"
  cp /bin/sleep "$copydir/sleep"
  run_watcher jn 4 "$(devino "$bin")" --health-cmd true --health-interval 100ms
  # Control: a dumpable stand-in, in the container's user and pid
  # namespaces, without capabilities (the probe's equal), whose binary
  # the container's root owns.  Not nsenter's own child: nsenter stops
  # itself when its child is stopped (as the probe does).
  base=$(berth inspect -f '{{.IdMap.HostIdBase}}' jn)
  chown "$base:$base" "$copydir/sleep"
  nsenter --target "$(pid_of jn)" --pid --user -- setpriv --bounding-set=-all \
    --inh-caps=-all -- /bin/bash -c "(exec -a berth-exec '$copydir/sleep' 1 &)" \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 40); do berth exec jn true; done
  run watch_result jn
  echo "$output"
  copy=$(devino "$copydir/sleep")
  rm -rf "$copydir"
  mine=$(echo "$output" | grep '^stub' | grep -v " $copy\$")
  [ "$(echo "$mine" | grep -c .)" -ge 1 ]
  [ -z "$(echo "$mine" | grep -v 'readlink=EACCES path=EACCES wr=EACCES rd=EACCES')" ]
  [ -z "$(echo "$output" | grep '^host')" ]
  [ "$(health jn)" = healthy ]
  # Control: the stand-in was reached, its binary opened for writing
  # once it had gone.
  echo "$output" | grep -q "^stub [0-9]* readlink=OK path=OK .* $copy\$"
  echo "$output" | grep -q "^reopen $copy wr=OK"
}

# CVE-2019-5736: with --userns host --cap-add SYS_PTRACE the container's
# root can open /proc/PID/exe of every process in its pid namespace.
@test "--userns host --cap-add SYS_PTRACE: exec and health checks never expose the berth binary" {
  local bin before copydir
  bin=$(readlink -f "$BERTH")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  copydir=$(mktemp -d /tmp/berth-exec-copy.XXXXXX)
  cp /bin/sleep "$copydir/host-binary"
  copy=$(devino "$copydir/host-binary")
  run_watcher pt 5 "$(devino "$bin") $copy" --userns host --cap-add SYS_PTRACE \
    --health-cmd true --health-interval 100ms
  # Control: a host binary entered into the pid namespace with nsenter,
  # as berth itself would be if it joined it.
  nsenter --target "$(pid_of pt)" --pid -- "$copydir/host-binary" 1 \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 40); do berth exec pt true; done
  run watch_result pt
  echo "$output"
  rm -rf "$copydir"
  [ -z "$(echo "$output" | grep "^host [0-9]* $(devino "$bin") ")" ]
  [ -z "$(echo "$output" | grep "^reopen $(devino "$bin") ")" ]
  # What it grabbed of the joining processes is the stub: busy while it
  # runs, on a read-only mount later.
  [ "$(echo "$output" | grep -c '^stub')" -ge 1 ]
  [ -z "$(echo "$output" | grep '^stub' | grep -Ev 'readlink=OK path=OK wr=(ETXTBSY|EROFS) rd=OK')" ]
  [ -z "$(echo "$output" | grep '^reopen' | grep -v "^reopen $copy " | grep -v ' wr=EROFS')" ]
  [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$before" ]
  [ "$(health pt)" = healthy ]
  # Control: the host binary was reached, and reopened for writing.
  echo "$output" | grep -q "^host [0-9]* $copy wr=ETXTBSY rd=OK"
  echo "$output" | grep -q "^reopen $copy wr=OK"
}

@test "a seccomp profile denying execveat is refused clearly, with no fallback" {
  local bin before
  bin=$(readlink -f "$BERTH")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  jq -n '{"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}' \
    > "$BATS_TEST_TMPDIR/noexecveat.json"
  run berth run --name sc --security-opt "seccomp=$BATS_TEST_TMPDIR/noexecveat.json" \
    bb sh -c 'echo ran'
  [ "$status" -ne 0 ]
  [[ "$output" == *"the seccomp profile must allow execveat"* ]]
  [[ "$output" != *ran* ]]
  [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$before" ]
  # Control: what a plain execve from a host binary (the old fallback)
  # does with a #!/proc/self/exe program: it runs that host binary (bash,
  # which then complains about its script `features`).
  printf '#!/proc/self/exe features\n' > "$HOSTDIR/evil"
  chmod 755 "$HOSTDIR/evil"
  run -127 /bin/bash -c "exec '$HOSTDIR/evil'"
  [[ "$output" == *"/proc/self/exe: features: No such file or directory"* ]]
}
