#!/usr/bin/env bats
# `ps CID [PS-ARGS...]`: ps(1) run with the caller's arguments as its own
# argv, never through a shell, its lines filtered to the container's pids.

load ../helpers

setup() {
  setup_bundle
  MARK=$BATS_TEST_TMPDIR/shell-ran
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
}

teardown() {
  teardown_bundle
}

@test "ps: the header and only the container's processes" {
  pid=$(container_pid)
  run runtime ps "$CID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID* ]]
  [ "${#lines[@]}" -eq 2 ]
  grep -qw "$pid" <<<"${lines[1]}"
  # The caller's ps options are passed on.
  run runtime ps "$CID" -o pid,comm
  [ "$status" -eq 0 ]
  [ "$(awk 'NR == 2 { print $1, $2 }' <<<"$output")" = "$pid sleep" ]
}

# Each argument reaches ps as one argv element: quotes, semicolons and
# command substitutions are not shell syntax.  Control: the same string
# given to `sh -c` runs the command.
@test "ps: arguments never reach a shell" {
  for arg in "-ef'; touch $MARK; echo '" "-ef; touch $MARK" \
             "\$(touch $MARK)" "\`touch $MARK\`"; do
    run runtime ps "$CID" "$arg"
    echo "$arg -> $status: $output"
    [ ! -e "$MARK" ]
    [ "$status" -eq 1 ]                   # ps itself rejects the option
    [[ "$output" == *"ps exited with status"* ]]
  done
  # Control: through a shell, the quote-breaking form does run touch (as
  # `ps '<arg>'` built into a command line did).
  sh -c "ps '-ef'; touch $MARK; echo ''" >/dev/null 2>&1 || true
  [ -e "$MARK" ]
}

@test "ps: a ps that fails or is missing is an error, not an empty list" {
  run runtime ps "$CID" --no-such-ps-option
  [ "$status" -eq 1 ]
  [[ "$output" == *"ps exited with status"* ]]
  PATH=/nonexistent run "$RUNTIME" --root "$STATE_ROOT" ps "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"run ps"* ]]
}
