#!/usr/bin/env bats
# attach and exec through the Engine API (api_attach.c, api_exec.c):
# docker run in the foreground (attach before start), docker attach,
# docker exec with and without a terminal, through the machine's docker
# CLI and Debian's 20.10 client, and at the raw level (python3 sockets:
# the 101 upgrade, stdcopy frames, half-closed and dropped clients).  An
# exec through the API gets exactly berth exec's isolation.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
teardown() { engine_teardown; }

clients() { echo dk dk20; }
# The client's binary, for commands run by another program (script, sh).
bin_of() { if [ "$1" = dk ]; then echo "$DOCKER"; else echo "$DOCKER20"; fi; }

# The raw-socket client: tests/integration/api/hijack.py.
HIJACK=$BATS_TEST_DIRNAME/hijack.py

fd_count() { ls "/proc/$API_PID/fd" | wc -l; }

# The fd count of the service settles (streams close asynchronously).
fds_back_to() {
  local i
  for i in $(seq 50); do
    [ "$(fd_count)" -le "$1" ] && return 0
    sleep 0.1
  done
  echo "fds of berth-api: $(fd_count), was $1" >&2
  ls -l "/proc/$API_PID/fd" >&2
  return 1
}

@test "docker run: the output, and exit status 0 (both clients)" {
  for c in $(clients); do
    run --separate-stderr "$c" run --name "hi-$c" bb echo hi
    [ "$status" -eq 0 ]
    [ "$output" = hi ]
    [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' "hi-$c")" = "exited 0" ]
  done
}

@test "docker run: stdout and stderr apart, and the exit status (both clients)" {
  for c in $(clients); do
    run --separate-stderr "$c" run bb sh -c 'echo out; echo err >&2; exit 3'
    [ "$status" -eq 3 ]
    [ "$output" = out ]
    [ "$stderr" = err ]
  done
}

@test "docker run -i: piped stdin reaches the container, then EOF (both clients)" {
  for c in $(clients); do
    run --separate-stderr sh -c "printf 'hi\nthere\n' | $(bin_of "$c") run -i bb sh -c 'cat; echo eof'"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'hi\nthere\neof')" ]
  done
}

@test "docker run --rm leaves no container (both clients)" {
  for c in $(clients); do
    run --separate-stderr "$c" run --rm --name "rm-$c" bb sh -c 'echo gone; exit 4'
    echo "$c: status $status, stderr: $stderr"
    [ "$status" -eq 4 ]
    [ "$output" = gone ]
    [ -z "$(berth ps -aq)" ]
  done
}

@test "docker run -t gets a terminal (both clients)" {
  for c in $(clients); do
    run script -qec "stty rows 27 cols 101; $(bin_of "$c") run -t --rm bb sh -c 'tty; sleep 0.5; stty size'" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == */dev/pts/* ]]
    # The client's size, through POST /containers/ID/resize.
    [[ "$output" == *"27 101"* ]]
  done
}

@test "docker run -it: typed input reaches the shell through the terminal (both clients)" {
  for c in $(clients); do
    run sh -c "(sleep 1; printf 'echo in-\$((40+2))\rexit 6\r'; sleep 2) | script -qec '$(bin_of "$c") run -it --rm bb sh' /dev/null"
    echo "$output"
    [ "$status" -eq 6 ]
    [[ "$output" == *in-42* ]]
  done
}

@test "docker start -a: attached again to a container that ran (both clients)" {
  for c in $(clients); do
    "$c" create --name "sa-$c" bb sh -c 'echo again; exit 2' >/dev/null
    run "$c" start -a "sa-$c"
    [ "$status" -eq 2 ]
    [ "$output" = again ]
    run "$c" start -a "sa-$c"
    [ "$status" -eq 2 ]
    [ "$output" = again ]
  done
}

@test "docker attach: a running container's new output and its exit status (both clients)" {
  for c in $(clients); do
    "$c" run -d --name "att-$c" bb sh -c 'sleep 2; echo new; sleep 0.5; echo end >&2; exit 5'
    run --separate-stderr "$c" attach "att-$c"
    [ "$status" -eq 5 ]
    [ "$output" = new ]
    [ "$stderr" = end ]
  done
}

# A container that keeps running, for the execs.
exec_target() {
  dk run -d --name "$1" bb sleep 300 >/dev/null
}

@test "docker exec: output apart, exit status (both clients)" {
  exec_target ex
  for c in $(clients); do
    run --separate-stderr "$c" exec ex sh -c 'echo out; echo err >&2; exit 7'
    [ "$status" -eq 7 ]
    [ "$output" = out ]
    [ "$stderr" = err ]
    run "$c" exec ex true
    [ "$status" -eq 0 ]
    run -127 --separate-stderr "$c" exec ex /nonexistent
    [[ "$stderr$output" == *nonexistent* ]]
  done
}

@test "docker exec -i: piped stdin, then EOF (both clients)" {
  exec_target exi
  for c in $(clients); do
    run sh -c "printf 'a\nb\n' | $(bin_of "$c") exec -i exi sh -c 'cat; echo eof'"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'a\nb\neof')" ]
  done
}

@test "docker exec -t: a terminal, and its size follows the client's (both clients)" {
  exec_target ext
  for c in $(clients); do
    run script -qec "stty rows 33 cols 91; $(bin_of "$c") exec -t ext sh -c 'tty; sleep 0.5; stty size'" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == */dev/pts/* ]]
    [[ "$output" == *"33 91"* ]]
  done
}

@test "docker exec -d: the process runs detached" {
  exec_target exd
  run dk exec -d exd sh -c 'echo done > /tmp/mark'
  [ "$status" -eq 0 ]
  for i in $(seq 50); do
    berth exec exd cat /tmp/mark 2>/dev/null && break
    sleep 0.1
  done
  [ "$(berth exec exd cat /tmp/mark)" = done ]
}

# POST /containers/ID/exec with body $2; prints the exec id.
exec_create() {
  run api -X POST -H 'Content-Type: application/json' -d "$2" "/containers/$1/exec"
  [ "$(api_status)" = 201 ]
  api_body | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'
}

exec_field() {
  run api "/exec/$1/json"
  [ "$(api_status)" = 200 ]
  api_body | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps(d$2))"
}

@test "exec inspect: ID, Running, ExitCode, Pid, ProcessConfig" {
  exec_target exj
  id=$(exec_create exj '{"Cmd":["sh","-c","exit 9"],"User":"0","AttachStdout":true}')
  [ "$(exec_field "$id" '["Running"]')" = false ]
  [ "$(exec_field "$id" '["ExitCode"]')" = null ]
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{}'
  [ "$status" -eq 0 ]
  [[ "$output" == *'eof yes'* ]]
  [ "$(exec_field "$id" '["ExitCode"]')" = 9 ]
  [ "$(exec_field "$id" '["Running"]')" = false ]
  [ "$(exec_field "$id" '["ID"]')" = "\"$id\"" ]
  [ "$(exec_field "$id" '["ProcessConfig"]["entrypoint"]')" = '"sh"' ]
  [ "$(exec_field "$id" '["ProcessConfig"]["arguments"]')" = '["-c", "exit 9"]' ]
  [ "$(exec_field "$id" '["ProcessConfig"]["user"]')" = '"0"' ]
  [ "$(exec_field "$id" '["ContainerID"]')" = "\"$(berth inspect -f '{{.Id}}' exj)\"" ]
  pid=$(exec_field "$id" '["Pid"]')
  [ "$pid" -gt 1 ]
  # A second start is refused; unknown ids are 404; the service serves.
  run api -X POST -d '{}' "/exec/$id/start"
  [ "$(api_status)" = 409 ]
  run api /exec/nope/json
  [ "$(api_status)" = 404 ]
  [[ "$output" == *'No such exec instance: nope'* ]]
  run api -X POST -H 'Content-Type: application/json' -d '{"Cmd":[]}' /containers/exj/exec
  [ "$(api_status)" = 400 ]
  run api -X POST -H 'Content-Type: application/json' -d '{"Cmd":"ls"}' /containers/exj/exec
  [ "$(api_status)" = 400 ]
  run api -X POST -H 'Content-Type: application/json' -d '{"Cmd":["ls"]}' /containers/nope/exec
  [ "$(api_status)" = 404 ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "raw exec start: stdin half-closed, output still framed, EOF reaches the process" {
  exec_target exr
  id=$(exec_create exr '{"Cmd":["sh","-c","cat; echo eof; echo err >&2"],"AttachStdin":true,"AttachStdout":true,"AttachStderr":true}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{"Detach":false}' --stdin 'abc' --shut
  [ "$status" -eq 0 ]
  [[ "$output" == *'status "HTTP/1.1 101'* ]]
  [[ "$output" == *'stdout "abceof\n"'* ]]
  [[ "$output" == *'stderr "err\n"'* ]]
  [[ "$output" == *'eof yes'* ]]
  [ "$(exec_field "$id" '["ExitCode"]')" = 0 ]
}

@test "raw attach before start: stdin half-closed, framed output, the container sees EOF" {
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","Cmd":["sh","-c","cat; echo eof >&2"],"OpenStdin":true,"StdinOnce":true,"AttachStdin":true,"AttachStdout":true,"AttachStderr":true}' \
    '/containers/create?name=rawatt'
  [ "$(api_status)" = 201 ]
  run python3 "$HIJACK" "$SOCK" '/containers/rawatt/attach?stream=1&stdin=1&stdout=1&stderr=1' \
    --then /containers/rawatt/start --stdin 'xyz' --shut
  [ "$status" -eq 0 ]
  [[ "$output" == *'then "HTTP/1.1 204'* ]]
  [[ "$output" == *'stdout "xyz"'* ]]
  [[ "$output" == *'stderr "eof\n"'* ]]
  [[ "$output" == *'eof yes'* ]]
  [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' rawatt)" = "exited 0" ]
}

@test "attach logs=1: the log first, then the stream" {
  dk run -d --name lg bb sh -c 'echo before; sleep 1.5; echo after' >/dev/null
  sleep 0.8
  run python3 "$HIJACK" "$SOCK" '/containers/lg/attach?logs=1&stream=1&stdout=1&stderr=1'
  [ "$status" -eq 0 ]
  [[ "$output" == *'stdout "before\nafter\n"'* ]]
  # Before a start (compose attaches so): the earlier runs' log, then
  # this run's output, once.
  dk create --name lg2 bb sh -c 'echo run' >/dev/null
  dk start lg2 >/dev/null
  dk wait lg2 >/dev/null
  run python3 "$HIJACK" "$SOCK" '/containers/lg2/attach?logs=1&stream=1&stdout=1&stderr=1' \
    --then /containers/lg2/start
  [[ "$output" == *'stdout "run\nrun\n"'* ]]
  # Without Upgrade it is a 400, and the service goes on.
  run api -X POST '/containers/lg/attach?stream=1&stdout=1'
  [ "$(api_status)" = 400 ]
  run api -X POST '/containers/nope/attach?stream=1&stdout=1'
  [ "$(api_status)" = 404 ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "a client gone mid-stream: the service serves, no process is left, no fd leaks" {
  exec_target exg
  before=$(fd_count)
  # Without a terminal: the next write after the drop is a SIGPIPE.
  id=$(exec_create exg '{"Cmd":["sh","-c","while :; do echo tick; sleep 0.1; done"],"AttachStdout":true,"AttachStderr":true}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{}' --drop-after 20
  [ "$status" -eq 0 ]
  [[ "$output" == *dropped* ]]
  for i in $(seq 50); do
    [ "$(exec_field "$id" '["Running"]')" = false ] && break
    sleep 0.1
  done
  [ "$(exec_field "$id" '["ExitCode"]')" = 141 ]
  # With a terminal: the master closes, the process gets SIGHUP.
  id=$(exec_create exg '{"Cmd":["sh","-c","while :; do echo tick; sleep 0.1; done"],"AttachStdout":true,"Tty":true}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{"Tty":true}' --tty --drop-after 20
  [[ "$output" == *dropped* ]]
  for i in $(seq 50); do
    [ "$(exec_field "$id" '["Running"]')" = false ] && break
    sleep 0.1
  done
  [ "$(exec_field "$id" '["ExitCode"]')" = 129 ]
  # An attached client that drops: the container goes on, and takes the
  # next client.
  dk run -d --name attg bb sh -c 'while :; do echo tick; sleep 0.1; done' >/dev/null
  run python3 "$HIJACK" "$SOCK" '/containers/attg/attach?stream=1&stdout=1' --drop-after 20
  [[ "$output" == *dropped* ]]
  sleep 0.3
  [ "$(berth inspect -f '{{.State.Status}}' attg)" = running ]
  run python3 "$HIJACK" "$SOCK" '/containers/attg/attach?stream=1&stdout=1' --drop-after 20
  [[ "$output" == *dropped* ]]
  # A client of a silent container that closes its socket: the monitor
  # is let go at once (it takes one client), not at the next output.
  dk run -d -i --name atts bb sleep 300 >/dev/null
  for i in 1 2 3; do
    run python3 "$HIJACK" "$SOCK" '/containers/atts/attach?stream=1&stdin=1&stdout=1' --close-now
    [ "$status" -eq 0 ]
    [[ "$output" == *closed* ]]
    sleep 0.3
  done
  run api /_ping
  [ "$(api_status)" = 200 ]
  # Only sleep 300 is left in the exec target: no exec'd process.
  [ "$(berth top exg | tail -n +2 | wc -l)" -eq 1 ]
  fds_back_to "$before"
}

# The isolation fields of a process: capabilities, seccomp, no_new_privs
# and its user namespace's map.
ISOLATION='grep -E "^(CapEff|CapPrm|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; cat /proc/self/uid_map /proc/self/gid_map'

@test "an exec through the API gets berth exec's isolation, --privileged no more than berth exec's" {
  exec_target sec
  cli=$(berth exec sec sh -c "$ISOLATION")
  [ -n "$cli" ]
  for c in $(clients); do
    run "$c" exec sec sh -c "$ISOLATION"
    [ "$status" -eq 0 ]
    [ "$output" = "$cli" ]
  done
  clipriv=$(berth exec --privileged sec sh -c "$ISOLATION")
  for c in $(clients); do
    run "$c" exec --privileged sec sh -c "$ISOLATION"
    [ "$status" -eq 0 ]
    [ "$output" = "$clipriv" ]
  done
  cliuser=$(berth exec -u 1000:1000 sec sh -c "grep -E '^(Uid|Gid):' /proc/self/status; $ISOLATION")
  for c in $(clients); do
    run "$c" exec -u 1000:1000 sec sh -c "grep -E '^(Uid|Gid):' /proc/self/status; $ISOLATION"
    [ "$output" = "$cliuser" ]
  done
  grep -q "^Uid:[[:space:]]*1000[[:space:]]" <<<"$cliuser"
  # The probe sees privilege: --privileged widens the capabilities.
  [ "$cli" != "$clipriv" ]
  grep -q '^Seccomp:[[:space:]]*2$' <<<"$cli"
  ! grep -q '^ *0 *0 *4294967295$' <<<"$cli"
  ! grep -q '^ *0 *0 *4294967295$' <<<"$clipriv"
  # Control: on the host the same probe sees no filter and the identity
  # map, so the equalities above compare confined processes.
  host=$(sh -c "$ISOLATION")
  ! grep -q '^Seccomp:[[:space:]]*2$' <<<"$host"
  grep -q '^ *0 *0 *4294967295$' <<<"$host"
}

@test "POST /containers/ID/resize with no client attached sizes the container's terminal" {
  dk run -d -t --name rz bb sleep 300 >/dev/null
  run api -X POST '/containers/rz/resize?h=40&w=120'
  [ "$(api_status)" = 200 ]
  [ "$(berth exec rz stty -F /proc/1/fd/0 size)" = "40 120" ]
  run api -X POST '/containers/rz/resize?h=41&w=121'
  [ "$(berth exec rz stty -F /proc/1/fd/0 size)" = "41 121" ]
  run api -X POST '/containers/rz/resize?h=x&w=1'
  [ "$(api_status)" = 400 ]
  dk create --name rzc bb true >/dev/null
  run api -X POST '/containers/rzc/resize?h=10&w=10'
  [ "$(api_status)" = 409 ]
  run api -X POST '/containers/nope/resize?h=10&w=10'
  [ "$(api_status)" = 404 ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "docker run -it: the detach keys leave it running, docker attach takes it back (both clients)" {
  for c in $(clients); do
    run sh -c "(sleep 1.5; printf 'echo hi\r'; sleep 0.5; printf '\020\021'; sleep 2) | script -qec '$(bin_of "$c") run -it --name dt-$c bb sh' /dev/null"
    [ "$status" -eq 0 ]
    [[ "$output" == *hi* ]]
    [ "$(berth inspect -f '{{.State.Status}}' "dt-$c")" = running ]
    run sh -c "(sleep 1.5; printf 'echo back-\$((1+1))\rexit 8\r'; sleep 2) | script -qec '$(bin_of "$c") attach dt-$c' /dev/null"
    echo "$output"
    [ "$status" -eq 8 ]
    [[ "$output" == *back-2* ]]
    [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' "dt-$c")" = "exited 8" ]
  done
}

@test "docker exec -it: typed input, the exit status; detaching leaves the process running (both clients)" {
  exec_target exk
  for c in $(clients); do
    run sh -c "(sleep 1.5; printf 'echo in-\$((40+2))\rexit 4\r'; sleep 1.5) | script -qec '$(bin_of "$c") exec -it exk sh' /dev/null"
    [ "$status" -eq 4 ]
    [[ "$output" == *in-42* ]]
    # The CLI spots ctrl-p ctrl-q itself and drops the connection.
    run sh -c "(sleep 1.5; printf 'exec sleep 77\r'; sleep 0.5; printf '\020\021'; sleep 1.5) | script -qec '$(bin_of "$c") exec -it exk sh' /dev/null"
    [[ "$output" == *"read escape sequence"* ]]
    berth top exk | grep -q 'sleep 77'
  done
}

@test "raw exec start with a terminal: the detach keys (default, or DetachKeys) end the stream, the process goes on" {
  exec_target exq
  id=$(exec_create exq '{"Cmd":["sh","-c","echo ready; exec sleep 79"],"Tty":true,"AttachStdin":true,"AttachStdout":true}')
  # The keys once the process is up (it starts after the 101, as under
  # docker: keys typed earlier detach before it printed anything).
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{"Tty":true}' --tty --wait-for ready --stdin $'\x10\x11' --timeout 10
  [ "$status" -eq 0 ]
  [[ "$output" == *'eof yes'* ]]
  [[ "$output" == *ready* ]]
  [ "$(exec_field "$id" '["Running"]')" = true ]
  berth top exq | grep -q 'sleep 79'
  id=$(exec_create exq '{"Cmd":["sh","-c","echo ready; exec sleep 80"],"Tty":true,"AttachStdin":true,"AttachStdout":true,"DetachKeys":"ctrl-x"}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{"Tty":true}' --tty --wait-for ready --stdin $'\x18' --timeout 10
  [[ "$output" == *'eof yes'* ]]
  [ "$(exec_field "$id" '["Running"]')" = true ]
  # Control: without the keys the stream goes on until the process ends.
  id=$(exec_create exq '{"Cmd":["sh","-c","echo ready; sleep 3; echo end"],"Tty":true,"AttachStdin":true,"AttachStdout":true}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{"Tty":true}' --tty --wait-for ready --stdin $'\x10' --timeout 10
  [[ "$output" == *end* ]]
  [[ "$output" == *'eof yes'* ]]
  [ "$(exec_field "$id" '["ExitCode"]')" = 0 ]
  run api -X POST -H 'Content-Type: application/json' -d '{"Cmd":["true"],"DetachKeys":"ctrl-"}' /containers/exq/exec
  [ "$(api_status)" = 400 ]
}

# The client that reads as docker-py does (buffered head, then the raw
# socket): tests/integration/api/buffered.py.
BUFFERED=$BATS_TEST_DIRNAME/buffered.py

@test "exec start: the output reaches a client that reads the head through a buffered reader (docker-py), 20 of 20" {
  exec_target exb
  run python3 "$BUFFERED" "$SOCK" exec exb '["sh","-c","echo out; echo err >&2"]' 20
  echo "$output"
  [ "$status" -eq 0 ]
  # Every one of the 20 got both streams: no byte went into the reader's
  # buffer with the head.
  [ "$(grep -c '^stdout "out\\n"$' <<<"$output")" -eq 20 ]
  [ "$(grep -c '^stderr "err\\n"$' <<<"$output")" -eq 20 ]
  [[ "$output" == *'lost 0'* ]]
}

@test "attach logs=1 stream=0: the log so far, framed, then the end; logs=0 stream=0: nothing, the end" {
  dk run -d --name alg bb sh -c 'echo early; echo early-err >&2; exec sleep 300' >/dev/null
  for i in $(seq 50); do
    [ "$(berth logs alg 2>&1 | wc -l)" -eq 2 ] && break
    sleep 0.1
  done
  # Read as docker-py reads (container.attach(logs=True)), several times:
  # the replay follows the head at once.
  for i in 1 2 3 4 5; do
    run timeout 10 python3 "$BUFFERED" "$SOCK" attach '/containers/alg/attach?logs=1&stdout=1&stderr=1&stream=0'
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *'stdout "early\n"'* ]]
    [[ "$output" == *'stderr "early-err\n"'* ]]
  done
  # Only the streams asked for.
  run python3 "$HIJACK" "$SOCK" '/containers/alg/attach?logs=1&stdout=1&stream=0' --timeout 10
  [[ "$output" == *'stdout "early\n"'* ]]
  [[ "$output" == *'stderr ""'* ]]
  [[ "$output" == *'eof yes'* ]]
  # logs=1 stream=1: the log, then the live stream (the container still
  # runs: the stream stays open until the client goes).
  run python3 "$HIJACK" "$SOCK" '/containers/alg/attach?logs=1&stdout=1&stderr=1&stream=1' --timeout 2
  [[ "$output" == *'stdout "early\n"'* ]]
  [[ "$output" == *'stderr "early-err\n"'* ]]
  [[ "$output" == *'eof no'* ]]
  # Neither: Docker answers 101 and ends the stream at once.
  run python3 "$HIJACK" "$SOCK" '/containers/alg/attach?logs=0&stdout=1&stderr=1&stream=0' --timeout 10
  [ "$status" -eq 0 ]
  [[ "$output" == *'status "HTTP/1.1 101'* ]]
  [[ "$output" == *'stdout ""'* ]]
  [[ "$output" == *'eof yes'* ]]
  [ "$(berth inspect -f '{{.State.Status}}' alg)" = running ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "exec events: exec_create and exec_start carry the command, exec_die the exit code, all the execID (API, docker exec, berth exec)" {
  exec_target exev
  since=$(date +%s)
  id=$(exec_create exev '{"Cmd":["sh","-c","exit 3"],"AttachStdout":true}')
  run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{}'
  [[ "$output" == *'eof yes'* ]]
  run dk exec exev sh -c 'exit 4'
  [ "$status" -eq 4 ]
  run berth exec exev true
  [ "$status" -eq 0 ]
  # berth exec -t goes another way (a terminal relayed by berth).
  run script -qec "$BERTH --root $BERTH_ROOT exec -t exev sh -c 'exit 2'" /dev/null
  [ "$status" -eq 2 ]
  sleep 0.5 # exec_die is recorded as the stream ends
  until=$(($(date +%s) + 1))
  run dk events --since "$since" --until "$until" --filter container=exev --format '{{json .}}'
  [ "$status" -eq 0 ]
  # (The same second's create and start of the target left out.)
  rows=$(jq -r '[.Action, .Actor.Attributes.execID, .Actor.Attributes.exitCode // "-", .Actor.Attributes.name] | join("|")' <<<"$output" | grep '^exec_')
  echo "$rows"
  [ "$(wc -l <<<"$rows")" -eq 12 ]
  # Docker's text: the command, a space, its arguments (so "true ").
  [ "$(cut -d'|' -f1,3,4 <<<"$rows")" = "$(printf '%s\n' \
    'exec_create: sh -c exit 3|-|exev' 'exec_start: sh -c exit 3|-|exev' 'exec_die|3|exev' \
    'exec_create: sh -c exit 4|-|exev' 'exec_start: sh -c exit 4|-|exev' 'exec_die|4|exev' \
    'exec_create: true |-|exev' 'exec_start: true |-|exev' 'exec_die|0|exev' \
    'exec_create: sh -c exit 2|-|exev' 'exec_start: sh -c exit 2|-|exev' 'exec_die|2|exev')" ]
  # One execID per exec, the API's the instance's own.
  ids=$(cut -d'|' -f2 <<<"$rows")
  [ "$(sed -n 1,3p <<<"$ids" | sort -u)" = "$id" ]
  [ "$(sed -n 4,6p <<<"$ids" | sort -u | wc -l)" -eq 1 ]
  [ "$(sed -n 7,9p <<<"$ids" | sort -u | wc -l)" -eq 1 ]
  [ "$(sed -n 10,12p <<<"$ids" | sort -u | wc -l)" -eq 1 ]
  [ "$(sort -u <<<"$ids" | grep -cE '^[0-9a-f]{64}$')" -eq 4 ]
  # event=exec_start matches the texted action by its prefix (both
  # clients); an exact text matches too.
  for c in $(clients); do
    run "$c" events --since "$since" --until "$until" --filter event=exec_start --format '{{.Action}}'
    [ "$output" = "$(printf '%s\n' 'exec_start: sh -c exit 3' 'exec_start: sh -c exit 4' 'exec_start: true ' 'exec_start: sh -c exit 2')" ]
  done
  run dk events --since "$since" --until "$until" --filter event=exec_die --format '{{.Action}}'
  [ "$(wc -l <<<"$output")" -eq 4 ]
  # Control: the prefix is only for the texted actions (event=exec does
  # not match exec_die).
  run dk events --since "$since" --until "$until" --filter event=exec --format '{{.Action}}'
  [ -z "$output" ]
}
