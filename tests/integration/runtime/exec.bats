#!/usr/bin/env bats
# `exec`: a new process in a running container, with runc's flags, asserted
# through the kernel's view of the new process.

load ../helpers

setup() {
  setup_bundle
  update_config '.process.args = ["/bin/sleep", "100"] | .process.noNewPrivileges = false'
  runtime_quiet run --detach "$CID"
  wait_for_state running
  PID=$(container_pid)
}

teardown() {
  teardown_bundle
}

@test "exec runs in the container's namespaces and root" {
  run runtime exec "$CID" /bin/sh -c 'hostname; cat /proc/1/comm; ls /bin/probe'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'berth\nsleep\n/bin/probe')" ]
  run runtime exec "$CID" /bin/sh -c 'for n in mnt net ipc; do readlink /proc/self/ns/$n; done'
  [ "$output" = "$(readlink /proc/$PID/ns/mnt /proc/$PID/ns/net /proc/$PID/ns/ipc)" ]
}

@test "exec passes the process's exit status through" {
  run runtime exec "$CID" /bin/sh -c 'exit 5'
  [ "$status" -eq 5 ]
}

@test "exec of a missing program fails" {
  run runtime exec "$CID" /bin/does-not-exist
  [ "$status" -ne 0 ]
  [[ "$output" == */bin/does-not-exist* ]]
}

@test "exec joins the container's cgroup" {
  runtime_quiet exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" /bin/sleep 50
  p=$(cat "$BATS_TEST_TMPDIR/pid")
  # The host's view of both processes' cgroups, in every hierarchy.
  [ "$(cat /proc/$p/cgroup)" = "$(cat /proc/$PID/cgroup)" ]
  grep -q "/berth-test/$CID" /proc/$p/cgroup
  runtime ps "$CID" | grep -qw "$p"
}

@test "exec --env, --cwd and --user" {
  run runtime exec --env FOO=bar --cwd /dev --user 1000:1001 "$CID" \
    /bin/sh -c 'echo $FOO; pwd; grep -E "^(Uid|Gid)" /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = bar ]
  [ "${lines[1]}" = /dev ]
  [ "${lines[2]}" = "$(printf 'Uid:\t1000\t1000\t1000\t1000')" ]
  [ "${lines[3]}" = "$(printf 'Gid:\t1001\t1001\t1001\t1001')" ]
}

@test "exec --cap adds a capability that works" {
  run runtime exec "$CID" /bin/sh -c 'touch /dev/shm/f; /bin/probe errno chown /dev/shm/f 1'
  [ "$output" = EPERM ]
  run runtime exec --cap CAP_CHOWN "$CID" /bin/probe errno chown /dev/shm/f 1
  [ "$output" = OK ]
}

@test "exec --no-new-privs sets no_new_privs" {
  run runtime exec "$CID" grep NoNewPrivs /proc/self/status
  [ "$output" = "$(printf 'NoNewPrivs:\t0')" ]
  run runtime exec --no-new-privs "$CID" grep NoNewPrivs /proc/self/status
  [ "$output" = "$(printf 'NoNewPrivs:\t1')" ]
}

@test "exec --process reads a process.json" {
  jq -n '{"args": ["/bin/sh", "-c", "echo $X; pwd; id -u"], "env": ["X=from-json", "PATH=/bin"],
    "cwd": "/proc", "user": {"uid": 7, "gid": 7}, "terminal": false}' > "$BATS_TEST_TMPDIR/p.json"
  run runtime exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'from-json\n/proc\n7')" ]
}

@test "exec --detach --pid-file returns while the process runs in the container" {
  runtime_quiet exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" /bin/sleep 50
  p=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$p" -gt 0 ]
  [ "$(cat /proc/$p/comm)" = sleep ]
  [ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$PID/ns/pid)" ] || \
    [ "$(readlink /proc/$p/ns/pid_for_children)" = "$(readlink /proc/$PID/ns/pid)" ]
  [ "$(readlink /proc/$p/ns/mnt)" = "$(readlink /proc/$PID/ns/mnt)" ]
}

@test "exec --tty through --console-socket gives the process a terminal" {
  cc -O2 -o "$BATS_TEST_TMPDIR/recvtty" "$REPO/tests/lib/recvtty.c"
  sock=$BATS_TEST_TMPDIR/console.sock
  "$BATS_TEST_TMPDIR/recvtty" "$sock" > "$BATS_TEST_TMPDIR/tty.out" &
  rpid=$!
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
  # runc accepts a console socket only together with --detach.
  # Fields 6 and 7 of stat: session id (our pid: we lead the session) and
  # the controlling terminal (non-zero).
  runtime exec --detach --tty --console-socket "$sock" "$CID" \
    /bin/sh -c '[ -t 0 ] && [ -t 1 ] && echo both-tty; tty
      set -- $(cat /proc/$$/stat); [ "$6" = $$ ] && [ "$7" != 0 ] && echo leader-ctty'
  wait "$rpid"
  grep -q both-tty "$BATS_TEST_TMPDIR/tty.out"
  grep -q '^/dev/pts/[0-9]' "$BATS_TEST_TMPDIR/tty.out"
  grep -q leader-ctty "$BATS_TEST_TMPDIR/tty.out"
}

@test "exec into a stopped or unknown container fails" {
  run runtime exec nonexistent-container /bin/true
  [ "$status" -ne 0 ]
  runtime kill "$CID" KILL
  wait_for_state stopped
  run runtime exec "$CID" /bin/true
  [ "$status" -ne 0 ]
}
