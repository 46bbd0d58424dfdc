#!/usr/bin/env bats
# Entering a running container (`exec`) must be as safe as `run`: no fd of
# the caller, no cwd outside the container, no way for the container to
# reach the process that joins it or the runtime's binary.  Each test
# asserts the effect from inside (the probe) or on the host, with a
# control in which the same probe meets a deliberately weak stand-in (a
# host process entered with nsenter) and does see the weakness.

load ../helpers

bats_require_minimum_version 1.5.0

# Our own cgroup parent: other test files run at the same time.
CG_PARENT=/berth-test/h-exec-escapes

setup() {
  setup_bundle
  update_config ".linux.cgroupsPath = \"$CG_PARENT/$CID\""
  HOSTDIR=$BATS_TEST_TMPDIR/hostdir
  mkdir -p "$HOSTDIR"
  echo "host-secret-$RANDOM$RANDOM" > "$HOSTDIR/secret"
  SECRET=$(cat "$HOSTDIR/secret")
}

teardown() {
  [ -n "${WATCHER:-}" ] && kill "$WATCHER" 2>/dev/null
  teardown_bundle
  remove_cgroups "$CG_PARENT/$CID"
}

teardown_file() {
  remove_cgroups "$CG_PARENT"
}

# A running container whose process is `sleep`, with the given jq edits.
start_sleeper() {
  update_config '.process.args = ["/bin/sleep", "1000"]'
  [ $# -eq 0 ] || update_config "$@"
  runtime_quiet run --detach "$CID"
  wait_for_state running
  PID=$(container_pid)
}

# dev:ino of a host file, as the probe's exewatch takes and prints it.
devino() { stat -L -c '%d:%i' "$1"; }

# Starts `probe exewatch SECS TARGETS...` in the container (output in
# /dev/shm/watch) and waits until it runs.
start_watch() {
  local secs=$1
  shift
  runtime_quiet exec --detach "$CID" /bin/sh -c \
    "/bin/probe exewatch $secs $* > /dev/shm/watch 2>&1"
  for _ in $(seq 50); do
    runtime exec "$CID" /bin/sh -c 'ps -o args | grep -q "^/bin/probe exewatch"' && return 0
    sleep 0.05
  done
  return 1
}

# Waits for the probe to finish and prints what it saw.
watch_result() {
  for _ in $(seq 100); do
    runtime exec "$CID" grep -qx done /dev/shm/watch && break
    sleep 0.1
  done
  runtime exec "$CID" cat /dev/shm/watch
}

# A stand-in for a joining process that is not protected: a copy of a
# host binary, dumpable, entered into the container's pid namespace with
# nsenter, with no capabilities (so that the cap subset rule of ptrace
# access does not hide it) and argv[0] "berth-exec" (the probe's mark).
# Not nsenter's own child: nsenter stops itself when its child is stopped
# (as the probe does), and would then never reap it.
weak_stand_in() {
  local copy=$1 secs=$2
  nsenter --target "$PID" --pid -- setpriv --bounding-set=-all \
    --inh-caps=-all -- /bin/bash -c "(exec -a berth-exec '$copy' $secs &)" \
    </dev/null >/dev/null 2>&1 &
}

@test "exec passes no fd of its caller but stdio and --preserve-fds" {
  start_sleeper
  run bash -c "exec 3<'$HOSTDIR' 4</etc/hostname 7<'$HOSTDIR'; \
    \"$RUNTIME\" --root \"$STATE_ROOT\" exec \"$CID\" /bin/probe fds"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | cut -d' ' -f1 | sort -n | tr '\n' ' ')" = "0 1 2 " ]
  # Control: the probe does list an fd that reaches it (the one asked for).
  run bash -c "exec 3<'$HOSTDIR' 4</etc/hostname; \
    \"$RUNTIME\" --root \"$STATE_ROOT\" exec --preserve-fds 1 \"$CID\" /bin/probe fds"
  [[ "$output" == *"3 $HOSTDIR"* ]]
  [[ "$output" != *"4 /etc/hostname"* ]]
}

# CVE-2024-21626 through exec: the caller leaves a host directory open.
@test "exec --cwd /proc/self/fd/N is refused while the caller holds a host directory" {
  start_sleeper
  for fd in 3 4 5; do
    run bash -c "exec $fd<'$HOSTDIR'; \"$RUNTIME\" --root \"$STATE_ROOT\" \
      exec --cwd /proc/self/fd/$fd \"$CID\" /bin/sh -c 'cat secret; pwd'"
    [ "$status" -ne 0 ]
    [[ "$output" != *"$SECRET"* ]]
    ! is_berth || [[ "$output" == *"cwd \`/proc/self/fd/$fd\` is refused"* ]]
  done
  # Control: a process entering the container with the fd still open
  # (nsenter keeps it) reaches the host directory through that path.
  run bash -c "exec 3<'$HOSTDIR'; nsenter --target $PID --all \
    /bin/sh -c 'cd /proc/self/fd/3 && cat secret'"
  [ "$status" -eq 0 ]
  [ "$output" = "$SECRET" ]
}

@test "exec refuses a cwd through a symlink the container planted into /proc" {
  start_sleeper
  runtime exec "$CID" ln -s /proc/self/fd/3 /dev/shm/to-fd
  runtime exec "$CID" ln -s /proc/1/cwd /dev/shm/to-cwd
  run bash -c "exec 3<'$HOSTDIR'; \"$RUNTIME\" --root \"$STATE_ROOT\" \
    exec --cwd /dev/shm/to-fd \"$CID\" /bin/sh -c 'cat secret; pwd'"
  [ "$status" -ne 0 ]
  [[ "$output" != *"$SECRET"* ]]
  ! is_berth || [[ "$output" == *"cwd \`/dev/shm/to-fd\`"* ]]
  # berth refuses a magic link even when it leads inside the container.
  if is_berth; then
    run runtime exec --cwd /dev/shm/to-cwd "$CID" /bin/pwd
    [ "$status" -ne 0 ]
    [[ "$output" == *"cwd \`/dev/shm/to-cwd\` is refused"* ]]
  fi
  # An ordinary symlink to a directory still works.
  runtime exec "$CID" ln -s /etc /dev/shm/to-etc
  run runtime exec --cwd /dev/shm/to-etc "$CID" /bin/cat hostname
  [ "$output" = berth ]
  # Control: followed by a process that holds the fd, the planted link
  # leads to the host directory.
  run bash -c "exec 3<'$HOSTDIR'; nsenter --target $PID --all \
    /bin/sh -c 'cd /dev/shm/to-fd && cat secret'"
  [ "$output" = "$SECRET" ]
}

# While it joins, the new process runs the exec stub: the probe stops
# every such process (argv[0] berth-spawn) before it execs and tries its
# /proc/PID/exe.  Unreadable stub -> non-dumpable -> out of reach.
@test "a joining process's executable is out of reach from inside" {
  require_berth
  start_sleeper '.process.capabilities.bounding += ["CAP_DAC_OVERRIDE"]
    | .process.capabilities.effective += ["CAP_DAC_OVERRIDE"]
    | .process.capabilities.permitted += ["CAP_DAC_OVERRIDE"]'
  cp /bin/sleep "$BATS_TEST_TMPDIR/sleep-copy"
  start_watch 4 "$(devino "$RUNTIME")"
  weak_stand_in "$BATS_TEST_TMPDIR/sleep-copy" 1
  for _ in $(seq 100); do runtime exec "$CID" /bin/true; done
  run watch_result
  echo "$output"
  # The probe caught joining processes of ours, and reached none of them.
  mine=$(echo "$output" | grep '^stub' | grep -v " $(devino "$BATS_TEST_TMPDIR/sleep-copy")\$")
  [ "$(echo "$mine" | grep -c .)" -ge 1 ]
  [ -z "$(echo "$mine" | grep -v 'readlink=EACCES path=EACCES wr=EACCES rd=EACCES')" ]
  [ -z "$(echo "$output" | grep '^host')" ]
  # Control: the dumpable stand-in was reached, and its binary, grabbed
  # while it ran, opens for writing once it has gone.
  copy=$(devino "$BATS_TEST_TMPDIR/sleep-copy")
  echo "$output" | grep -q "^stub [0-9]* readlink=OK path=OK .* $copy\$"
  echo "$output" | grep -q "^reopen $copy wr=OK"
}

# CVE-2019-5736 with CAP_SYS_PTRACE in the host's user namespace: such a
# process can open /proc/PID/exe of anything in its pid namespace, so the
# runtime's binary must never be there.
@test "with CAP_SYS_PTRACE and no user namespace, exec never shows the runtime's binary" {
  require_berth
  local caps='["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"]'
  start_sleeper ".process.capabilities.bounding += $caps
    | .process.capabilities.effective += $caps
    | .process.capabilities.permitted += $caps"
  bin=$(readlink -f "$RUNTIME")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  cp /bin/sleep "$BATS_TEST_TMPDIR/host-binary"
  copy=$(devino "$BATS_TEST_TMPDIR/host-binary")
  start_watch 4 "$(devino "$bin")" "$copy"
  # Control: a host binary entered with nsenter, as the runtime itself
  # would be if it joined the pid namespace.
  nsenter --target "$PID" --pid -- "$BATS_TEST_TMPDIR/host-binary" 1 \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 100); do runtime exec "$CID" /bin/true; done
  run watch_result
  echo "$output"
  # Never the runtime's binary.
  [ -z "$(echo "$output" | grep "^host [0-9]* $(devino "$bin") ")" ]
  [ -z "$(echo "$output" | grep "^reopen $(devino "$bin") ")" ]
  # The joining processes the probe caught run the stub, which it can
  # see (it may ptrace) but not open for writing: busy while it runs, on
  # a read-only mount later.
  [ "$(echo "$output" | grep -c '^stub')" -ge 1 ]
  [ -z "$(echo "$output" | grep '^stub' | grep -Ev 'readlink=OK path=OK wr=(ETXTBSY|EROFS) rd=OK')" ]
  [ -z "$(echo "$output" | grep '^reopen' | grep -v "^reopen $copy " | grep -v ' wr=EROFS')" ]
  [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$before" ]
  # Control: the host binary was reached and, once it exited, reopened
  # for writing.
  echo "$output" | grep -q "^host [0-9]* $copy wr=ETXTBSY rd=OK"
  echo "$output" | grep -q "^reopen $copy wr=OK"
}

# An init waiting for `start` still holds the host's privileges.
@test "a process with CAP_SYS_PTRACE cannot join a container that is not started" {
  require_berth
  update_config '.process.args = ["/bin/sleep", "1000"]'
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  PID=$(container_pid)
  run runtime exec --cap CAP_SYS_PTRACE "$CID" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"CAP_SYS_PTRACE may join only after \`start\`"* ]]
  # Without the capability exec is fine (the init is non-dumpable).
  runtime exec "$CID" /bin/true
  # Once started, the init is the container's program and exec is fine.
  runtime start "$CID"
  runtime exec --cap CAP_SYS_PTRACE "$CID" /bin/true
  # Control: what such a process would have reached before `start`: the
  # waiting init runs the runtime's own binary (seen with nsenter and the
  # host's capabilities).
  runtime delete --force "$CID"
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  PID=$(container_pid)
  run nsenter --target "$PID" --pid --mount /bin/probe exewatch 0.2 \
    "$(devino "$RUNTIME")"
  [[ "$output" == *"host 1 $(devino "$RUNTIME") wr=ETXTBSY rd=OK"* ]]
}

# Joining another container's pid namespace by path: that container's
# processes see our init while it is set up, and we cannot know what they
# may do.  The init then runs from a sealed copy of the runtime.
@test "an init in a shared pid namespace runs from a sealed copy" {
  require_berth
  local caps='["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]'
  start_sleeper ".process.capabilities.bounding += $caps
    | .process.capabilities.effective += $caps
    | .process.capabilities.permitted += $caps"
  local other=$CID-b
  mkdir "$BATS_TEST_TMPDIR/b"
  cp -a "$BUNDLE/rootfs" "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/b/"
  # The joining container itself has no CAP_SYS_PTRACE: what matters is
  # what the first one's processes can do.
  jq --arg ns "/proc/$PID/ns/pid" --arg cg "$CG_PARENT/$other" \
    '.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)
     | .linux.cgroupsPath = $cg
     | .process.capabilities |= map_values(map(select(. != "CAP_SYS_PTRACE")))' \
    "$BUNDLE/config.json" > "$BATS_TEST_TMPDIR/b/config.json"
  runtime_quiet create --bundle "$BATS_TEST_TMPDIR/b" "$other"
  # From the first container: the other init's executable.
  run runtime exec "$CID" /bin/sh -c 'for p in /proc/[0-9]*; do
      grep -q create $p/cmdline 2>/dev/null || continue
      readlink $p/exe; /bin/probe errno open $p/exe rw; done'
  runtime delete --force "$other"
  remove_cgroups "$CG_PARENT/$other"
  echo "$output"
  [[ "${lines[0]}" == "/memfd:berth-runtime"* ]]
  [ "${lines[1]}" = ETXTBSY ]
  # Control: a host binary in that pid namespace is the host file.
  cp /bin/sleep "$BATS_TEST_TMPDIR/host-binary"
  nsenter --target "$PID" --pid -- "$BATS_TEST_TMPDIR/host-binary" 2 \
    </dev/null >/dev/null 2>&1 &
  sleep 0.2
  run runtime exec "$CID" /bin/sh -c 'for p in /proc/[0-9]*; do
      [ "$(cat $p/comm)" = host-binary ] && readlink $p/exe; done'
  [ "$output" = "$BATS_TEST_TMPDIR/host-binary" ]
}

# CVE-2019-5736 itself, through exec: the program's interpreter is
# /proc/self/exe, which must be the stub, never the runtime.
@test "exec of a #!/proc/self/exe program runs the stub, not the runtime" {
  require_berth
  bin=$(readlink -f "$RUNTIME")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  printf '#!/proc/self/exe features\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  start_sleeper
  # The stub, as an interpreter, refuses (status 127); the runtime would
  # have answered `features`.
  run -127 runtime exec "$CID" /evil
  [[ "$output" != *"expected 0 arguments"* ]]
  [[ "$output" != *ociVersion* ]]
  [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$before" ]
  # Control: exec'd by a host binary (bash, in the container's pid
  # namespace), the program runs that binary.
  run -127 nsenter --target "$PID" --pid -- /bin/bash -c "exec '$BUNDLE/rootfs/evil'"
  [[ "$output" == *"/proc/self/exe: features: No such file or directory"* ]]
}

# With a profile that denies execveat the stub cannot run; the old
# fallback, a plain execve from the runtime's own image, let a
# #!/proc/self/exe program run (and then rewrite) the runtime binary.
@test "a seccomp profile denying execveat gives a clear error, never a fallback" {
  require_berth
  bin=$(readlink -f "$RUNTIME")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  printf '#!/proc/self/exe features\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}'
  update_config '.process.args = ["/evil"]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"the seccomp profile must allow execveat"* ]]
  [[ "$output" != *"expected 0 arguments"* ]]
  runtime delete --force "$CID" 2>/dev/null || true
  # exec into a container with that profile: same refusal.  (The
  # container's own process is started through a profile that allows
  # execveat; exec takes the container's profile.)
  update_config '.linux.seccomp.syscalls = []'
  start_sleeper
  jq '.linux.seccomp.syscalls = [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]' \
    "$STATE_ROOT/$CID/config.json" > "$BATS_TEST_TMPDIR/c.json"
  cp "$BATS_TEST_TMPDIR/c.json" "$STATE_ROOT/$CID/config.json"
  run runtime exec "$CID" /evil
  [ "$status" -ne 0 ]
  [[ "$output" == *"the seccomp profile must allow execveat"* ]]
  [[ "$output" != *"expected 0 arguments"* ]]
  [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$before" ]
  # Control: exec'd directly by a host binary (here bash, entered into
  # the container's pid namespace), the same program runs that host
  # binary again: bash then complains about its script `features`.
  run -127 nsenter --target "$PID" --pid -- /bin/bash -c "exec '$BUNDLE/rootfs/evil'"
  [[ "$output" == *"/proc/self/exe: features: No such file or directory"* ]]
}
