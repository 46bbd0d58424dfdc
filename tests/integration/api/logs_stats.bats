#!/usr/bin/env bats
# The Engine API's logs and stats (api_logs.c) through the docker CLI (the
# machine's and Debian's 20.10 client) and curl: the log's streams kept
# apart (stdcopy frames), a TTY's log raw, --tail/--since/-t, a follow that
# sees new lines and ends with the container, and Docker's stats documents
# whose numbers the docker CLI turns into CPU % and memory use.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
teardown() {
  [ -z "${FOLLOW_PID:-}" ] || kill "$FOLLOW_PID" 2>/dev/null || true
  engine_teardown
}

clients() { echo dk dk20; }

# A container that wrote to both streams and exited.
two_streams() {
  berth run -d --name "$1" bb sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2' >/dev/null
  berth wait "$1" >/dev/null
}

@test "logs: stdout and stderr stay apart (both clients)" {
  two_streams lg1
  for c in $(clients); do
    run --separate-stderr "$c" logs lg1
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'out1\nout2')" ]
    [ "$stderr" = "$(printf 'err1\nerr2')" ]
  done
  # The same on the wire: stdcopy frames, an 8-byte header (stream 1 or 2,
  # three zero bytes, the size big-endian) before each entry.  (The two
  # pipes are read apart, so only each stream's own order is fixed.)
  api --output "$BATS_TEST_TMPDIR/raw" '/containers/lg1/logs?stdout=1&stderr=1' >"$BATS_TEST_TMPDIR/st"
  [ "$(tail -n 1 "$BATS_TEST_TMPDIR/st")" = 200 ]
  run python3 - "$BATS_TEST_TMPDIR/raw" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
while data:
    stream, z1, z2, z3, size = struct.unpack(">BBBBI", data[:8])
    assert (z1, z2, z3) == (0, 0, 0), data[:8]
    print(stream, data[8:8 + size].decode().rstrip("\n"))
    data = data[8 + size:]
PY
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  [ "$(grep '^1 ' <<<"$output" | tr '\n' ' ')" = "1 out1 1 out2 " ]
  [ "$(grep '^2 ' <<<"$output" | tr '\n' ' ')" = "2 err1 2 err2 " ]
  # One stream only.
  run api '/containers/lg1/logs?stderr=1'
  [ "$(api_status)" = 200 ]
  [[ "$output" == *err1* && "$output" != *out1* ]]
}

@test "logs: --tail, --since, -t as Docker (both clients)" {
  berth run -d --name lg2 bb sh -c 'echo a; echo b; echo c; sleep 2; echo d' >/dev/null
  berth wait lg2 >/dev/null
  for c in $(clients); do
    [ "$("$c" logs --tail 2 lg2 | tr '\n' ' ')" = "c d " ]
    [ "$("$c" logs --tail 0 lg2 | wc -c)" -eq 0 ]
    # d came 2 s after c: a second before it is between them.
    run "$c" logs -t lg2
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ a$ ]]
    local tc td
    tc=$(date -d "${lines[2]%% *}" +%s)
    td=$(date -d "${lines[3]%% *}" +%s)
    [ $((td - tc)) -ge 1 ]
    [ "$("$c" logs --since "$((td - 1))" lg2)" = d ]
    [ "$("$c" logs --until "$((tc + 1))" lg2 | tr '\n' ' ')" = "a b c " ]
  done
  # Both clients send --since 10m as a Unix time; the API takes it too.
  run api "/containers/lg2/logs?stdout=1&since=$(($(date +%s) + 60))"
  [ "$(api_status)" = 200 ]
  [ "$(api_body)" = "" ]
}

@test "logs -f sees a line written after it started and ends when the container stops (both clients)" {
  for c in $(clients); do
    berth run -d --name "lf-$c" bb sh -c 'echo first; until [ -e /go ]; do sleep 0.1; done; echo second; until [ -e /stop ]; do sleep 0.1; done' >/dev/null
    "$c" logs -f "lf-$c" >"$BATS_TEST_TMPDIR/f-$c" 2>&1 &
    FOLLOW_PID=$!
    wait_until grep -q first "$BATS_TEST_TMPDIR/f-$c"
    ! grep -q second "$BATS_TEST_TMPDIR/f-$c"
    berth exec "lf-$c" touch /go
    wait_until grep -q second "$BATS_TEST_TMPDIR/f-$c"
    # Still following while the container runs.
    sleep 0.5
    kill -0 "$FOLLOW_PID"
    berth exec "lf-$c" touch /stop
    wait_until sh -c "! kill -0 $FOLLOW_PID"
    wait "$FOLLOW_PID"
    FOLLOW_PID=
    [ "$(cat "$BATS_TEST_TMPDIR/f-$c")" = "$(printf 'first\nsecond')" ]
  done
}

@test "logs -f: a client that goes ends the follow, the service keeps serving" {
  berth run -d --name lf3 bb sleep 300 >/dev/null
  log=$BERTH_ROOT/containers/$(berth inspect -f '{{.Id}}' lf3)/ctr.log
  curl -sS --unix-socket "$SOCK" 'http://d/containers/lf3/logs?stdout=1&follow=1' >/dev/null &
  FOLLOW_PID=$!
  # Control: while the client follows, the service holds the log open.
  holds_log() { ls -l "/proc/$API_PID/fd" 2>/dev/null | grep -qF "$log"; }
  wait_until holds_log
  kill "$FOLLOW_PID"
  wait "$FOLLOW_PID" || true
  FOLLOW_PID=
  # The follow noticed the client went (the container still runs).
  wait_until sh -c "! ls -l /proc/$API_PID/fd | grep -qF '$log'"
  [ "$(berth inspect -f '{{.State.Status}}' lf3)" = running ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "logs of a TTY container: one raw stream, no frames" {
  berth run -d -t --name lt1 bb sh -c 'echo out; echo err >&2' >/dev/null
  berth wait lt1 >/dev/null
  api --output "$BATS_TEST_TMPDIR/raw" '/containers/lt1/logs?stdout=1&stderr=1' >/dev/null
  # The terminal made both lines "\r\n"-ended, on one stream.
  [ "$(xxd -p "$BATS_TEST_TMPDIR/raw")" = "$(printf 'out\r\nerr\r\n' | xxd -p)" ]
  run --separate-stderr dk logs lt1
  [ "$output" = "$(printf 'out\r\nerr\r')" ]
  [ -z "$stderr" ]
}

@test "logs: bad requests get Docker's statuses and words" {
  two_streams lg4
  run api '/containers/lg4/logs'
  [ "$(api_status)" = 400 ]
  [[ "$output" == *'"message":"You must choose at least one stream"'* ]]
  run api '/containers/nosuch/logs?stdout=1'
  [ "$(api_status)" = 404 ]
  [[ "$output" == *'No such container: nosuch'* ]]
  run api '/containers/lg4/logs?stdout=1&tail=x'
  [ "$(api_status)" = 400 ]
  run api '/containers/lg4/logs?stdout=1&since=yesterday'
  [ "$(api_status)" = 400 ]
  run api '/containers/lg4/logs?stdout=maybe'
  [ "$(api_status)" = 400 ]
  run dk logs nosuch
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

# CPU % and memory as the docker CLI computes them from the documents.
@test "stats --no-stream: the docker CLI shows CPU use, memory use and the --memory limit (both clients)" {
  berth run -d --name st1 --memory 64m bb sh -c 'while :; do :; done' >/dev/null
  for c in $(clients); do
    run "$c" stats --no-stream --format '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}' st1
    [ "$status" -eq 0 ]
    IFS='|' read -r name cpu mem pids <<<"$output"
    [ "$name" = st1 ]
    # A busy loop: well above nothing, at most the machine's CPUs.
    cpu=${cpu%\%}
    awk -v c="$cpu" -v n="$(nproc)" 'BEGIN { exit !(c > 1 && c <= n * 100 + 5) }'
    [[ "$mem" =~ ^[0-9.]+(B|KiB|MiB)\ /\ 64MiB$ ]]
    [[ "$mem" != "0B /"* ]]
    [ "$pids" -ge 1 ]
  done
}

@test "stats?stream=false: Docker's document with the cgroup's numbers" {
  berth run -d --name st2 --memory 32m bb sleep 300 >/dev/null
  run api '/containers/st2/stats?stream=false'
  [ "$(api_status)" = 200 ]
  doc=$(api_body)
  id=$(berth inspect -f '{{.Id}}' st2)
  [ "$(jq -r .name <<<"$doc")" = /st2 ]
  [ "$(jq -r .id <<<"$doc")" = "$id" ]
  [ "$(jq .memory_stats.limit <<<"$doc")" -eq $((32 << 20)) ]
  [ "$(jq .memory_stats.usage <<<"$doc")" -gt 0 ]
  jq -e '.memory_stats.stats | has("total_inactive_file") or has("inactive_file")' <<<"$doc"
  [ "$(jq .pids_stats.current <<<"$doc")" -eq 1 ]
  [ "$(jq .cpu_stats.online_cpus <<<"$doc")" -eq "$(nproc)" ]
  [ "$(jq .cpu_stats.system_cpu_usage <<<"$doc")" -gt 0 ]
  # Primed a second earlier, as Docker does for the CPU % of one document.
  [ "$(jq .precpu_stats.system_cpu_usage <<<"$doc")" -gt 0 ]
  [ "$(jq .precpu_stats.system_cpu_usage <<<"$doc")" -lt "$(jq .cpu_stats.system_cpu_usage <<<"$doc")" ]
  [ "$(jq -r .preread <<<"$doc")" != 0001-01-01T00:00:00Z ]
  jq -e '.cpu_stats.cpu_usage | has("total_usage") and has("usage_in_kernelmode") and has("usage_in_usermode")' <<<"$doc"
  jq -e '.cpu_stats.throttling_data | has("periods")' <<<"$doc"
  jq -e '.blkio_stats | type == "object"' <<<"$doc"
  jq -e 'has("read") and has("num_procs") and has("storage_stats")' <<<"$doc"
  # The numbers are the container's cgroup's (v1 here, v2 elsewhere).
  pid=$(berth inspect -f '{{.State.Pid}}' st2)
  cg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")
  if [ -n "$cg" ]; then
    [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((32 << 20)) ]
    [ "$(jq .memory_stats.max_usage <<<"$doc")" -eq "$(cat "/sys/fs/cgroup/memory$cg/memory.max_usage_in_bytes")" ]
  fi
  # one-shot: no priming.
  run api '/containers/st2/stats?stream=false&one-shot=true'
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -r .preread)" = 0001-01-01T00:00:00Z ]
  # The container's network namespace: its eth0.
  berth run -d --name st3 bb sleep 300 >/dev/null
  run api '/containers/st3/stats?stream=false&one-shot=true'
  api_body | jq -e '.networks.eth0 | has("rx_bytes") and has("tx_packets")'
}

@test "stats stream: a document a second, each primed with the one before" {
  berth run -d --name st4 bb sleep 300 >/dev/null
  run timeout 3.5 curl -sS --unix-socket "$SOCK" 'http://d/containers/st4/stats'
  [ "$status" -eq 124 ]
  [ "${#lines[@]}" -ge 3 ]
  [ "$(jq -c .cpu_stats <<<"${lines[0]}")" = "$(jq -c .precpu_stats <<<"${lines[1]}")" ]
  [ "$(jq -r .read <<<"${lines[0]}")" = "$(jq -r .preread <<<"${lines[1]}")" ]
  [ "$(jq -r .preread <<<"${lines[0]}")" = 0001-01-01T00:00:00Z ]
  # A stopped container: zeros, as Docker's.
  berth stop -t 0 st4 >/dev/null
  run api '/containers/st4/stats?stream=false'
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -r .name)" = /st4 ]
  [ "$(api_body | jq .cpu_stats.cpu_usage.total_usage)" -eq 0 ]
  run api '/containers/nosuch/stats?stream=false'
  [ "$(api_status)" = 404 ]
  run api '/containers/st4/stats?stream=true&one-shot=true'
  [ "$(api_status)" = 400 ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}
