#!/usr/bin/env bats
# GET /events through the docker CLI (this machine's and Debian's 20.10
# client) and curl: bounded reads with filters, a stream that carries an
# event made after it started, bad filters refused before any stream.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }

teardown() {
  if [ -n "${CURL_PID:-}" ]; then
    kill "$CURL_PID" 2>/dev/null
    wait "$CURL_PID" 2>/dev/null
    CURL_PID=
  fi
  engine_teardown
}

teardown_file() { api_teardown_file; }

# Starts a container in the background through the API.
start_ctr() { # NAME ARGS...
  local name=$1
  shift
  dk run -d --name "$name" "$@" bb sleep 60 >/dev/null
}

@test "docker events --since/--until with type and event filters shows Docker's fields" {
  since=$(date +%s)
  start_ctr ev1 --label team=blue
  dk create --name ev2 bb true >/dev/null
  dk stop -t 0 ev1 >/dev/null
  until=$(($(date +%s) + 1))
  id=$(berth inspect -f '{{.Id}}' ev1)
  run dk events --since "$since" --until "$until" --filter type=container \
    --filter event=start --format '{{json .}}'
  [ "$status" -eq 0 ]
  [ "$(wc -l <<<"$output")" = 1 ]
  j=$output
  [ "$(jq -r .status <<<"$j")" = start ]
  [ "$(jq -r .id <<<"$j")" = "$id" ]
  [ "$(jq -r .from <<<"$j")" = bb ]
  [ "$(jq -r .Type <<<"$j")" = container ]
  [ "$(jq -r .Action <<<"$j")" = start ]
  [ "$(jq -r .Actor.ID <<<"$j")" = "$id" ]
  [ "$(jq -r .Actor.Attributes.name <<<"$j")" = ev1 ]
  [ "$(jq -r .Actor.Attributes.image <<<"$j")" = bb ]
  [ "$(jq -r .Actor.Attributes.team <<<"$j")" = blue ]
  [ "$(jq -r .scope <<<"$j")" = local ]
  t=$(jq -r .time <<<"$j")
  tn=$(jq -r .timeNano <<<"$j")
  [ "$t" -ge "$since" ] && [ "$t" -le "$until" ]
  [ "$((tn / 1000000000))" = "$t" ]
  # Without the event filter: create, start, kill/die/stop of ev1 and the
  # create of ev2; container=ev2 only ev2's create.
  run dk20 events --since "$since" --until "$until" --filter container=ev2 \
    --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  [ "$status" -eq 0 ]
  [ "$output" = "container create ev2" ]
  run dk events --since "$since" --until "$until" --filter type=container \
    --filter label=team=blue --format '{{.Action}}'
  [[ "$output" == *create*start*die* ]]
  # The text output of the 20.10 client: time, type, action, id, attributes.
  run dk20 events --since "$since" --until "$until" --filter event=create \
    --filter container=ev1
  [[ "$output" == *" container create $id (image=bb, name=ev1, team=blue)" ]]
  # A type no event of the range has: nothing, at once.
  run timeout 10 "$DOCKER" events --since "$since" --until "$until" --filter type=network
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "a stream carries an event that happens after the request started" {
  out=$BATS_TEST_TMPDIR/events.out
  hdr=$BATS_TEST_TMPDIR/events.hdr
  f=$(jq -rn '{"type":["container"],"event":["start"]} | @uri')
  curl -sN --unix-socket "$SOCK" -D "$hdr" -o "$out" "http://d/events?filters=$f" &
  CURL_PID=$!
  wait_until grep -q '^HTTP/1.1 200' "$hdr"
  grep -qi '^Content-Type: application/json' "$hdr"
  # Control: nothing of before the request (no bounds: only new events).
  sleep 0.5
  [ ! -s "$out" ]
  start_ctr late
  id=$(berth inspect -f '{{.Id}}' late)
  wait_until grep -q "$id" "$out"
  [ "$(head -n 1 "$out" | jq -r '.Action + " " + .Actor.Attributes.name')" = "start late" ]
  # Only what the filters select: no create or die.
  dk stop -t 0 late >/dev/null
  sleep 0.6
  [ "$(wc -l <"$out")" = 1 ]
  # The client going away ends the stream (the service keeps serving).
  kill "$CURL_PID"
  wait "$CURL_PID" 2>/dev/null || true
  CURL_PID=
  run api /_ping
  [ "$(api_body)" = OK ]
}

@test "an until in the future follows until then and the stream ends" {
  out=$BATS_TEST_TMPDIR/until.out
  now=$(date +%s)
  api -m 20 "/events?since=$now&until=$((now + 3))" >"$out" &
  CURL_PID=$!
  sleep 0.5
  dk create --name inwin bb true >/dev/null
  # The stream ends by itself (curl's -m would be status 28).
  rc=0
  wait "$CURL_PID" || rc=$?
  CURL_PID=
  [ "$rc" -eq 0 ]
  [ "$(date +%s)" -ge $((now + 3)) ]
  [ "$(tail -n 1 "$out")" = 200 ]
  grep '"Action":"create"' "$out" | grep -q '"name":"inwin"'
}

@test "bad filters and bounds are 400 before any stream" {
  f=$(jq -rn '{"colour":["red"]} | @uri')
  run api -m 5 "/events?filters=$f"
  [ "$status" -eq 0 ]
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *colour* ]]
  run api -m 5 '/events?filters=%7Bnot-json'
  [ "$(api_status)" = 400 ]
  run api -m 5 '/events?since=20&until=10'
  [ "$(api_status)" = 400 ]
  run api -m 5 '/events?since=yesterday'
  [ "$(api_status)" = 400 ]
  run timeout 5 "$DOCKER" events --filter colour=red
  [ "$status" -ne 0 ]
  [[ "$output" == *colour* ]]
  run api /_ping
  [ "$(api_body)" = OK ]
}

# The Health.Log results of NAME, their exit codes, newest last.
health_codes() {
  dk inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' "$1"
}

@test "health: one health_status event per change; both clients decode the health log" {
  since=$(date +%s)
  dk run -d --name hev --health-cmd 'test -f /tmp/ok' --health-interval 100ms \
    --health-retries 1 bb sh -c 'touch /tmp/ok; exec sleep 60' >/dev/null
  # five checks pass, then five fail: two changes, many more checks
  wait_until sh -c "$DOCKER inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' hev | grep -qx '0 0 0 0 0 '"
  dk exec hev rm /tmp/ok
  wait_until sh -c "$DOCKER inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' hev | grep -qx '1 1 1 1 1 '"
  run dk events --since "$since" --until "$(($(date +%s) + 1))" \
    --filter container=hev --format '{{.Action}}'
  echo "$output"
  [ "$(grep '^health_status' <<<"$output" | tr '\n' ' ')" = \
    "health_status: healthy health_status: unhealthy " ]
  # Start/End are Go times (RFC 3339 strings): both CLIs decode and
  # format them; a number fails their decoding ("Time.UnmarshalJSON").
  for cli in dk dk20; do
    run $cli inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{with index .State.Health.Log 0}}{{.ExitCode}} {{.Start.Year}} {{lt .Start.UnixNano .End.UnixNano}}{{end}}' hev
    echo "$cli: $output"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^unhealthy\ [0-9]+\ 1\ 20[0-9]{2}\ true$ ]]
  done
  # exec inspects the container first
  run dk exec hev sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run api GET /v1.41/containers/hev/json
  api_body | jq -e '.State.Health.Log[0] | (.Start | type) == "string" and (.End | type) == "string"'
}
