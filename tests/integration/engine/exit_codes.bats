#!/usr/bin/env bats
# Exit statuses as Docker documents them (docker run reference, "Exit
# status"): 125 when berth itself fails, 126 when the command cannot be
# invoked, 127 when it cannot be found, otherwise the container's own.
# Each comes from the error's kind through one table (src/lib/
# exit_status.c), for run, start, exec and berth-runtime alike.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  # berth-runtime's containers (the last test), even when it failed.
  if [ -n "${RT_ID:-}" ]; then
    "$RT" --root "$RT_STATE" delete --force "$RT_ID" >/dev/null 2>&1
    "$RT" --root "$RT_STATE" delete --force "$RT_ID-2" >/dev/null 2>&1
  fi
  engine_teardown
}

@test "125: a bad flag, a bad value, a missing image" {
  run -125 berth run --rm --no-such-flag bb true
  [[ "$output" == *"no-such-flag"* ]]
  run -125 berth run --rm --memory 12q bb true
  [[ "$output" == *"--memory"* ]]
  run -125 berth run --rm --pull never no-such-image-here true
  [[ "$output" == *"no-such-image-here"* ]]
  run -125 berth create --pull never no-such-image-here
  # Nothing was left behind by any of them.
  [ -z "$(berth ps -aq)" ]
}

@test "run: 127 for a missing command, 126 for one that cannot be invoked" {
  run -127 berth run --rm bb no-such-command
  [[ "$output" == *"no-such-command"*"not found"* ]]
  run -127 berth run --rm bb /no/such/file
  run -126 berth run --rm bb /etc/passwd
  [[ "$output" == *"permission denied"* ]]
  run -126 berth run --rm bb /bin
  # The control: the same statuses from the container itself are passed
  # through, so the checks above are not just "any failure".
  run -126 berth run --rm bb sh -c 'exit 126'
  [ -z "$output" ]
  run -127 berth run --rm bb sh -c 'exit 127'
  [ -z "$output" ]
}

@test "the container's own status passes through run, start -a and wait" {
  run -7 berth run --rm bb sh -c 'exit 7'
  run -0 berth run --rm bb true
  run -1 berth run --rm bb false
  # 128 + signal for a container killed by a signal.
  berth run -d --name killed bb sleep 100 >/dev/null
  berth kill killed >/dev/null
  run -0 berth wait killed
  [ "$output" = 137 ]
  berth create --name own bb sh -c 'exit 42' >/dev/null
  run -42 berth start -a own
  run -0 berth wait own
  [ "$output" = 42 ]
}

@test "start: a command that cannot run is recorded with Docker's 126/127" {
  berth create --name nf bb no-such-command >/dev/null
  run -127 berth start -a nf
  run -0 berth inspect -f '{{.State.ExitCode}}' nf
  [ "$output" = 127 ]
  berth create --name nx bb /etc/passwd >/dev/null
  run -126 berth start -a nx
  run -0 berth inspect -f '{{.State.ExitCode}}' nx
  [ "$output" = 126 ]
}

@test "a restart by the policy whose program is gone records 127 (the monitor's path)" {
  printf '#!/bin/sh\nrm -f /once.sh\nexit 1\n' > "$BATS_TEST_TMPDIR/once.sh"
  chmod +x "$BATS_TEST_TMPDIR/once.sh"
  berth create --restart on-failure:3 --name once bb /once.sh >/dev/null
  berth cp "$BATS_TEST_TMPDIR/once.sh" once:/once.sh
  berth start once >/dev/null
  # The first run exits 1; the monitor's restart cannot find /once.sh.
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Status}} {{.RestartCount}}' once)\" = 'exited 1' ]"
  run -0 berth inspect -f '{{.State.ExitCode}}' once
  [ "$output" = 127 ]
  run -0 berth inspect -f '{{.State.Error}}' once
  [[ "$output" == *"/once.sh"* ]]
}

@test "exec: 127 missing command, 126 not executable, 126 for -w /missing" {
  berth run -d --name ex bb sleep 100 >/dev/null
  run -127 berth exec ex no-such-command
  run -126 berth exec ex /etc/passwd
  run -126 berth exec -w /missing ex pwd
  [[ "$output" == *"/missing"* ]]
  # With a terminal the error crosses one more pipe (engine/exec.c):
  # its kind must survive that too.
  run -126 berth exec -t -w /missing ex pwd
  run -127 berth exec -t ex no-such-command
  # A cwd refused for going through /proc cannot be invoked either.
  run -126 berth exec -w /proc/self/cwd ex pwd
  [[ "$output" == *"is refused"* ]]
  # Control: an existing workdir works, and the command's own status
  # passes through exec.
  run -0 berth exec -w /tmp ex pwd
  [ "$output" = /tmp ]
  run -5 berth exec ex sh -c 'exit 5'
  # An engine error of exec (no such container) is 1, as docker exec's.
  run -1 berth exec no-such-container true
}

@test "run -w /missing creates the directory, as Docker does" {
  run -0 berth run --rm -w /new/work/dir bb sh -c 'pwd; [ -d /new/work/dir ]'
  [ "$output" = /new/work/dir ]
}

@test "berth-runtime: the same table (127, 126; 1 for its own errors, as runc)" {
  RT=${BERTH%/*}/berth-runtime RT_STATE=$BATS_TEST_TMPDIR/state
  RT_ID=xc-$$-$RANDOM
  _berth_base_bundle
  cp -a "$BERTH_RUN_DIR/base" "$BATS_TEST_TMPDIR/bundle"
  cd "$BATS_TEST_TMPDIR/bundle"
  jq --arg cg "$BERTH_CGROUP_PARENT/$RT_ID" \
    '.linux.cgroupsPath = $cg | .process.args = ["/bin/sleep", "100"] |
     .process.terminal = false' config.json > c.json && mv c.json config.json
  "$RT" --root "$RT_STATE" run --detach "$RT_ID" </dev/null >/dev/null 2>&1
  run -127 "$RT" --root "$RT_STATE" exec "$RT_ID" /no/such/file
  run -126 "$RT" --root "$RT_STATE" exec "$RT_ID" /etc/passwd
  run -126 "$RT" --root "$RT_STATE" exec --cwd /missing "$RT_ID" pwd
  run -0 "$RT" --root "$RT_STATE" exec --cwd /tmp "$RT_ID" pwd
  [ "$output" = /tmp ]
  run -1 "$RT" --root "$RT_STATE" exec no-such-container true
  "$RT" --root "$RT_STATE" delete --force "$RT_ID"
  jq '.process.args = ["no-such-command"]' config.json > c.json &&
    mv c.json config.json
  run -127 "$RT" --root "$RT_STATE" run "$RT_ID-2"
  [[ "$output" == *"executable file not found"* ]]
}
