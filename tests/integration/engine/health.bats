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
