#!/usr/bin/env bats
# berth exec: a process in a running container, with its settings.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "exec runs in the container's namespaces with its environment" {
  berth run -d --name ex -e FROMRUN=1 -h exhost bb sleep 1000 >/dev/null
  run berth exec ex sh -c 'echo $FROMRUN; hostname; cat /proc/1/cmdline | tr "\0" " "'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = exhost ]
  [ "${lines[2]}" = "sleep 1000 " ]
  # The same user namespace: root inside maps to the container's range.
  base=$(berth inspect -f '{{.IdMap.HostIdBase}}' ex)
  run berth exec ex cat /proc/self/uid_map
  [[ "$output" == *" $base "* ]]
}

@test "exec -e, -w, -u and the exit status" {
  berth run -d --name ex2 bb sleep 1000 >/dev/null
  run berth exec -e X=2 -w /tmp -u tester ex2 sh -c 'echo $X; pwd; id -u'
  [ "${lines[0]}" = 2 ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = 1000 ]
  run berth exec ex2 sh -c 'exit 6'
  [ "$status" -eq 6 ]
  run -127 berth exec ex2 /no/such
  run berth exec -u nosuch ex2 true
  [ "$status" -ne 0 ]
}

@test "exec -i passes stdin; without -i stdin is empty" {
  berth run -d --name ex3 bb sleep 1000 >/dev/null
  run bash -c "echo piped | $BERTH --root $BERTH_ROOT exec -i ex3 cat"
  [ "$output" = piped ]
  run bash -c "echo piped | $BERTH --root $BERTH_ROOT exec ex3 cat"
  [ "$output" = "" ]
}

@test "exec -t gives a terminal; -d leaves the process running" {
  berth run -d --name ex4 bb sleep 1000 >/dev/null
  run berth exec -t ex4 sh -c 'tty; test -t 1 && echo isatty'
  [[ "$output" == */dev/pts/* ]]
  [[ "$output" == *isatty* ]]
  berth exec -d ex4 sh -c 'echo bg > /tmp/detached; sleep 1000'
  wait_until berth exec ex4 test -f /tmp/detached
  run berth exec ex4 sh -c 'ps | grep -c "sleep 1000"'
  [ "$output" -ge 2 ]
}

@test "exec into a stopped or unknown container fails" {
  berth create --name stopped bb true >/dev/null
  run berth exec stopped true
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]]
  run berth exec nosuchcontainer true
  [ "$status" -ne 0 ]
}
