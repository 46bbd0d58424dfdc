#!/usr/bin/env bats
# ps filters and formats, logs options, stop signals, --pull, terminals.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "ps: -a, -q, --filter and --format json" {
  berth run -d --name up1 --label tier=web bb sleep 1000 >/dev/null
  berth run --name done1 bb sh -c 'exit 2' || true
  berth create --name new1 bb true >/dev/null
  [ "$(berth ps -q | wc -l)" = 1 ]
  [ "$(berth ps -aq | wc -l)" = 3 ]
  [ "$(berth ps -a --filter status=exited --format '{{.Names}}')" = done1 ]
  [ "$(berth ps -a --filter exited=2 --format '{{.Names}}')" = done1 ]
  [ "$(berth ps -a --filter label=tier=web --format '{{.Names}}')" = up1 ]
  [ "$(berth ps -a --filter name=new --format '{{.Names}}')" = new1 ]
  run berth ps -a --format json
  [ "$(echo "$output" | jq -s 'length')" = 3 ]
  [ "$(echo "$output" | jq -r 'select(.Names == "up1") | .State')" = running ]
  run berth ps --filter bogus=1
  [ "$status" -eq 125 ]
}

@test "logs: --tail, -t, --since, and -f until the container stops" {
  berth run --name talker bb sh -c 'echo one; echo two >&2; echo three'
  berth run --name counter bb sh -c 'echo a; echo b; echo c'
  [ "$(berth logs --tail 2 counter | tr '\n' ' ')" = "b c " ]
  run berth logs -t talker
  [[ "${lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ one$ ]]
  [ -z "$(berth logs --since 0s talker 2>&1)" ]
  run berth logs --since 1h talker
  [ "${#lines[@]}" = 3 ]
  # stderr stays stderr.
  [ "$(berth logs talker 2>/dev/null | tr '\n' ' ')" = "one three " ]
  berth run -d --name follower bb sh -c 'for i in 1 2 3; do echo tick$i; sleep 0.2; done' >/dev/null
  run timeout 10 "$BERTH" --root "$BERTH_ROOT" logs -f follower
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'tick1\ntick2\ntick3')" ]
}

@test "--stop-signal and the image's StopSignal are used by stop" {
  berth run -d --name usr1 --stop-signal USR1 bb sh -c 'trap "exit 11" USR1; while true; do sleep 0.1; done' >/dev/null
  berth stop -t 5 usr1
  [ "$(berth inspect -f '{{.State.ExitCode}}' usr1)" = 11 ]
  run berth run --rm --stop-signal NOPE bb true
  [ "$status" -eq 125 ]
}

@test "kill -s and stop -s take Docker's signal names; kill defaults to KILL" {
  # The trap shows which signal arrived: USR1 exits 7, TERM exits 8.
  trap_cmd='trap "exit 7" USR1; trap "exit 8" TERM; while :; do sleep 0.1; done'
  berth run -d --name ks1 bb sh -c "$trap_cmd" >/dev/null
  berth run -d --name ks2 bb sh -c "$trap_cmd" >/dev/null
  berth run -d --name ks3 bb sh -c "$trap_cmd" >/dev/null
  berth run -d --name ks4 bb sh -c "$trap_cmd" >/dev/null
  sleep 0.3
  run -0 berth kill -s SIGUSR1 ks1
  [ "$(berth wait ks1)" = 7 ]
  run -0 berth kill --signal 10 ks2
  [ "$(berth wait ks2)" = 7 ]
  # Control: without -s it is SIGKILL, which no trap sees (128+9).
  run -0 berth kill ks3
  [ "$(berth wait ks3)" = 137 ]
  # A name that is no signal is refused, and the container keeps running.
  run -1 berth kill -s NOSUCHSIG ks4
  [[ "$output" == *"invalid signal \`NOSUCHSIG\`"* ]]
  [ "$(berth inspect --format '{{.State.Status}}' ks4)" = running ]
  run -0 berth stop -s USR1 ks4
  [ "$(berth inspect --format '{{.State.ExitCode}}' ks4)" = 7 ]
}

@test "--restart unless-stopped restarts until stopped; a stopped one stays stopped" {
  berth run -d --name us --restart unless-stopped bb sh -c 'sleep 0.2; exit 1' >/dev/null
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.RestartCount}}' us)\" -ge 1 ]"
  berth stop us
  n=$(berth inspect -f '{{.RestartCount}}' us)
  sleep 0.5
  [ "$(berth inspect -f '{{.RestartCount}}' us)" = "$n" ]
  [ "$(berth inspect -f '{{.State.Status}}' us)" = exited ]
}

@test "--pull never fails for a missing image; --pull with a bad value fails" {
  run berth run --rm --pull never example.invalid/none:1 true
  [ "$status" -eq 125 ]
  run berth run --rm --pull sometimes bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--pull"* ]]
}

@test "-t gives the container a terminal" {
  run script -qec "$BERTH --root $BERTH_ROOT run --rm -t bb sh -c 'tty; stty size'" /dev/null
  [[ "$output" == */dev/pts/* ]]
  run berth run --rm -t bb sh -c 'test -t 0 && echo tty0'
  [[ "$output" == *tty0* ]]
}

@test "start -a -i attaches stdin of a container created with -i" {
  berth create -i --name reader bb sh -c 'read x; echo got-$x' >/dev/null
  run bash -c "echo hello | $BERTH --root $BERTH_ROOT start -a -i reader"
  [ "$output" = got-hello ]
}

@test "--stop-timeout bounds how long stop waits before SIGKILL" {
  berth run -d --name patient --stop-timeout 1 bb sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
  start=$(date +%s%N)
  berth stop patient
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$ms" -ge 900 ]
  [ "$ms" -lt 5000 ]
  [ "$(berth inspect -f '{{.State.ExitCode}}' patient)" = 137 ]
}

@test "system df counts images, containers and volumes in use" {
  berth run -d --name dfc bb sh -c 'dd if=/dev/zero of=/big bs=1k count=600 2>/dev/null; sleep 1000' >/dev/null
  berth volume create dfv >/dev/null
  wait_until berth exec dfc test -f /big
  sleep 0.3
  run berth system df
  [[ "${lines[1]}" =~ ^Images\ +1\ +1\  ]]
  [[ "${lines[2]}" =~ ^Containers\ +1\ +1\ +6[0-9][0-9](\.[0-9])?kB ]]
  [[ "${lines[3]}" =~ ^Local\ Volumes\ +1\ +0\  ]]
  berth volume rm dfv
}

@test "a container with a terminal is restarted with a new terminal" {
  berth run -dit --name ttyr --restart on-failure:2 bb sh -c 'tty; sleep 0.2; exit 1' >/dev/null
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Status}}' ttyr)\" = exited ]"
  [ "$(berth inspect -f '{{.RestartCount}}' ttyr)" = 2 ]
  [ "$(berth logs ttyr | grep -c '^/dev/pts/')" = 3 ]
  [ -z "$(berth inspect -f '{{.State.Error}}' ttyr)" ]
}
