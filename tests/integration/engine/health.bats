#!/usr/bin/env bats
# Health checks: --health-cmd and friends, run by the monitor.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

health() { berth inspect -f '{{.State.Health.Status}}' "$1"; }

@test "health goes starting -> unhealthy -> healthy -> unhealthy with the check's result" {
  berth run -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 200ms \
    --health-retries 2 --health-timeout 1s bb sleep 1000 >/dev/null
  [ "$(health hc)" = starting ]
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' hc)\" = unhealthy ]"
  berth exec hc touch /tmp/ok
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' hc)\" = healthy ]"
  run berth ps --format '{{.Status}}'
  [[ "$output" == *"(healthy)"* ]]
  berth exec hc rm /tmp/ok
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' hc)\" = unhealthy ]"
  # The log keeps the last results with their exit codes.
  run berth inspect -f '{{json .State.Health.Log}}' hc
  [ "$(echo "$output" | jq 'length')" -le 5 ]
  [ "$(echo "$output" | jq '.[-1].ExitCode')" = 1 ]
  # Start and End are Docker's RFC 3339 times with nanoseconds (strings:
  # the docker CLI fails to decode numbers), End not before Start.
  echo "$output" | jq -e 'all(.[]; (.Start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$"))
                               and (.End | type) == "string" and .End >= .Start)'
  run berth inspect -f '{{json .State.Health}}' hc
  [ "$(echo "$output" | jq -r 'keys | join(",")')" = FailingStreak,Log,Status ]
  [ "$(echo "$output" | jq -r '.Log[-1] | keys | join(",")')" = End,ExitCode,Output,Start ]
  run berth events --since 1h --until "$(date +%s.%N)" --filter container=hc
  [[ "$output" == *"health_status: healthy"* ]]
}

@test "a check that hangs is stopped at its timeout and counts as a failure" {
  berth run -d --name slow --health-cmd 'sleep 5' --health-interval 300ms \
    --health-timeout 200ms --health-retries 1 bb sleep 1000 >/dev/null
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' slow)\" = unhealthy ]"
  run berth inspect -f '{{json .State.Health.Log}}' slow
  [[ "$output" == *"exceeded timeout"* ]]
  # The killed check left no process behind.
  run berth exec slow sh -c 'ps -o args | grep -c "^sleep 5$"'
  [ "$output" -le 1 ]
}

@test "--no-healthcheck and containers without a check have no health" {
  berth run -d --name none --no-healthcheck bb sleep 1000 >/dev/null
  run berth inspect -f '{{json .State.Health}}' none
  [ "$output" = null ]
}

# The Start/End of the last n results are all the same exit code.
last_n_are() {
  berth inspect -f '{{json .State.Health.Log}}' "$1" |
    jq -e --argjson n "$2" --argjson c "$3" 'length >= $n and all(.[-$n:][]; .ExitCode == $c)'
}

@test "a health_status event is recorded when the status changes, not on every check" {
  berth run -d --name ev --health-cmd 'test -f /tmp/ok' --health-interval 100ms \
    --health-retries 1 --health-timeout 2s bb sh -c 'touch /tmp/ok; exec sleep 1000' >/dev/null
  # five checks in a row pass, then five fail, then five pass again
  wait_until last_n_are ev 5 0
  [ "$(health ev)" = healthy ]
  berth exec ev rm /tmp/ok
  wait_until last_n_are ev 5 1
  [ "$(health ev)" = unhealthy ]
  berth exec ev touch /tmp/ok
  wait_until last_n_are ev 5 0
  run berth events --since 1h --until "$(date +%s.%N)" --filter container=ev \
    --format '{{.Action}}'
  echo "$output"
  [ "$(grep '^health_status' <<<"$output" | tr '\n' ' ')" = \
    "health_status: healthy health_status: unhealthy health_status: healthy " ]
}
