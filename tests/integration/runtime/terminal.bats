#!/usr/bin/env bats
# process.terminal: the pty master goes to --console-socket (SCM_RIGHTS);
# the container's stdio is the slave, sized as consoleSize says.

load ../helpers

setup() {
  setup_bundle
  cc -O2 -o "$BATS_TEST_TMPDIR/recvtty" "$REPO/tests/lib/recvtty.c"
  SOCK=$BATS_TEST_TMPDIR/console.sock
}

teardown() {
  [ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null
  teardown_bundle
}

# runc accepts a console socket only with --detach; recvtty returns when the
# container's last pty slave closes, i.e. when it has exited.
start_recvtty() { # [INPUT]
  "$BATS_TEST_TMPDIR/recvtty" "$SOCK" "$@" > "$BATS_TEST_TMPDIR/tty.out" &
  RPID=$!
  for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.05; done
}

@test "terminal: stdio is a pty whose master reaches the console socket" {
  update_config '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}
    | .process.args = ["/bin/sh", "-c", "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; tty; stty size"]'
  start_recvtty
  runtime_quiet run --detach --console-socket "$SOCK" "$CID"
  wait "$RPID"
  RPID=
  out=$(tr -d '\r' < "$BATS_TEST_TMPDIR/tty.out")
  grep -qx all-tty <<<"$out"
  grep -qx '/dev/pts/[0-9]*' <<<"$out"
  grep -qx '33 101' <<<"$out"
}

@test "terminal: input written to the master reaches the process" {
  update_config '.process.terminal = true | .process.args = ["/bin/sh", "-c", "read line; echo got:$line"]'
  start_recvtty $'hello\n'
  runtime_quiet run --detach --console-socket "$SOCK" "$CID"
  wait "$RPID"
  RPID=
  grep -q 'got:hello' "$BATS_TEST_TMPDIR/tty.out"
}

@test "terminal: the container is its session leader with a controlling tty" {
  update_config '.process.terminal = true | .process.args = ["/bin/sh", "-c", "cat /proc/self/stat"]'
  start_recvtty
  runtime_quiet run --detach --console-socket "$SOCK" "$CID"
  wait "$RPID"
  RPID=
  read -r _ _ _ _ _ sid tty _ < <(tr -d '\r' < "$BATS_TEST_TMPDIR/tty.out")
  [ "$tty" != 0 ]
}

@test "terminal without --console-socket for create is refused" {
  update_config '.process.terminal = true'
  run runtime_quiet create "$CID"
  [ "$status" -ne 0 ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}
