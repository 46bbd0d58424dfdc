#!/usr/bin/env bats
# --rm containers and the commands scripts run on them: wait, stop,
# restart, inspect and rm never race with the automatic removal.  Each
# loop runs a bounded number of times; each failed often before the fix
# (see the report of issue 14: wait after the removal 20/20, stop racing
# the exit 18/30, restart 10/10).

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# Nothing of a removed container is left: no record, no directory.
nothing_left() {
  [ -z "$(berth ps -aq)" ] || { berth ps -a; return 1; }
  local left
  left=$(ls -A "$BERTH_ROOT/containers" | grep -v '^\.rm-' || true)
  [ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "run -d --rm then wait prints the exit status every time" {
  local i id out
  for i in $(seq 30); do
    id=$(berth run -d --rm bb sh -c 'exit 3')
    # Half the time the removal has surely won before wait starts.
    [ $((i % 2)) = 0 ] && sleep 0.3
    run -0 berth wait "$id"
    [ "$output" = 3 ] || { echo "iteration $i: $output"; return 1; }
  done
  nothing_left
}

@test "wait by name and by id prefix after the removal, and a wait in progress" {
  berth run -d --rm --name gone bb sh -c 'exit 4' >/dev/null
  sleep 0.3
  run -0 berth wait gone
  [ "$output" = 4 ]
  id=$(berth run -d --rm bb sh -c 'sleep 0.5; exit 5')
  run -0 berth wait "${id:0:12}"
  [ "$output" = 5 ]
  # Control: a container that never existed is still an error.
  run -1 berth wait no-such-container-here
  [[ "$output" == *"No such container: no-such-container-here"* ]]
}

@test "stop racing a --rm container's own exit never fails, and leaves nothing" {
  local i id
  for i in $(seq 30); do
    id=$(berth run -d --rm bb sh -c 'sleep 0.2')
    # From well before the exit to well after it.
    sleep "0.$((10 + i % 20))"
    run berth stop -t 1 "$id"
    [ "$status" -eq 0 ] || { echo "iteration $i: $output"; return 1; }
  done
  sleep 0.5
  nothing_left
}

@test "restart keeps a --rm container (Docker's restart does not remove)" {
  local i id
  for i in $(seq 10); do
    id=$(berth run -d --rm bb sleep 100)
    run -0 berth restart -t 1 "$id"
    run -0 berth inspect -f '{{.State.Status}}' "$id"
    [ "$output" = running ] || { echo "iteration $i: $output"; return 1; }
    berth rm -f "$id" >/dev/null
  done
  # It is still a --rm container: when it exits later it is removed.
  id=$(berth run -d --rm bb sh -c 'sleep 0.3; exit 6')
  run -0 berth restart -t 1 "$id"
  run -0 berth wait "$id"
  [ "$output" = 6 ]
  wait_until nothing_left
  nothing_left
}

@test "inspect of a --rm container while it is restarted never fails" {
  id=$(berth run -d --rm bb sleep 100)
  local i
  for i in $(seq 5); do
    berth restart -t 1 "$id" >/dev/null &
    local rpid=$! n=0
    while kill -0 "$rpid" 2>/dev/null; do
      run berth inspect -f '{{.Id}}' "$id"
      [ "$status" -eq 0 ] && [ "$output" = "$id" ] ||
        { echo "iteration $i: $output"; return 1; }
      n=$((n + 1))
    done
    wait "$rpid"
    [ "$n" -gt 0 ]
  done
  run -0 berth inspect -f '{{.State.Status}}' "$id"
  [ "$output" = running ]
}
