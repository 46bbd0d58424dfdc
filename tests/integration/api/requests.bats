#!/usr/bin/env bats
# Requests as the server meets them: version prefixes, unknown paths and
# methods, bad and huge bodies, clients that go away, many at once,
# keep-alive; and the system routes (_ping, version, info, system df,
# auth) through curl and both docker CLIs.  After bad input the service
# keeps serving.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
teardown() { engine_teardown; }

# The service still answers.
alive() {
  run api /_ping
  [ "$(api_status)" = 200 ]
  [ "$(api_body)" = OK ]
}

@test "an unknown path is 404 with a JSON message" {
  run api /no/such/thing
  [ "$(api_status)" = 404 ]
  [ "$(api_body | jq -r .message)" = "page not found" ]
  run curl -sS -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" \
    http://d/no/such/thing
  [ "$output" = application/json ]
  # A trailing slash or an empty segment is another path.
  run api /version/
  [ "$(api_status)" = 404 ]
  run api //version
  [ "$(api_status)" = 404 ]
  alive
}

@test "a known path with the wrong method is 405" {
  run api -X DELETE /version
  [ "$(api_status)" = 405 ]
  [ "$(api_body | jq -r .message)" = "method not allowed" ]
  run api -X POST /_ping
  [ "$(api_status)" = 405 ]
  alive
}

@test "version prefixes: 1.24 to 1.41 and none are served, others refused in Docker's words" {
  local p
  for p in /v1.41 "" /v1.24 /v1.30; do
    run api "$p/version"
    [ "$(api_status)" = 200 ]
    [ "$(api_body | jq -r .ApiVersion)" = 1.41 ]
    [ "$(api_body | jq -r .MinAPIVersion)" = 1.24 ]
  done
  run api /v1.50/version
  [ "$(api_status)" = 400 ]
  [ "$(api_body | jq -r .message)" = "client version 1.50 is too new. Maximum supported API version is 1.41" ]
  run api /v1.42/_ping
  [ "$(api_status)" = 400 ]
  run api /v1.12/version
  [ "$(api_status)" = 400 ]
  [ "$(api_body | jq -r .message)" = "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version" ]
  # "/volumes" starts with /v but is no version.
  run api /vx/version
  [ "$(api_status)" = 404 ]
  alive
}

@test "_ping: OK with the headers clients negotiate with; HEAD has no body" {
  run curl -sS -i --unix-socket "$SOCK" http://d/_ping
  [[ "$output" == *"Api-Version: 1.41"* ]]
  [[ "$output" == *"Builder-Version: 1"* ]]
  [[ "$output" == *"Ostype: linux"* ]]
  [[ "$output" == *"Docker-Experimental: false"* ]]
  [[ "$output" == *"Cache-Control: no-cache, no-store, must-revalidate"* ]]
  [[ "$output" == *"Pragma: no-cache"* ]]
  [[ "$output" == *"Server: berth/"* ]]
  [[ "$output" == *$'\r\n\r\nOK' ]]
  run curl -sS -I --unix-socket "$SOCK" -w '%{size_download}' http://d/_ping
  [[ "$output" == *"HTTP/1.1 200"* ]]
  [[ "$output" == *"Api-Version: 1.41"* ]]
  [ "${output##*$'\n'}" = 0 ]
  # Every answer carries the version, errors too.
  run curl -sS -i --unix-socket "$SOCK" http://d/no/such
  [[ "$output" == *"Api-Version: 1.41"* ]]
}

@test "malformed and wrongly typed JSON bodies are 400; the service keeps serving" {
  run api -X POST -H 'Content-Type: application/json' -d '{"username": ' /auth
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == "invalid JSON: 1:"* ]]
  run api -X POST -H 'Content-Type: application/json' -d '[1, 2]' /auth
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"not a JSON object"* ]]
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"username": 5, "password": "x"}' /auth
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"username"* ]]
  alive
}

@test "POST /auth checks the credentials with the registry, and says why it fails" {
  # Nothing listens on this port of ours: the check fails, as a JSON
  # error, and nothing is stored for the client.
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"username":"u","password":"p","serveraddress":"127.0.0.1:19101"}' /auth
  [ "$(api_status)" -ge 400 ]
  [[ "$(api_body | jq -r .message)" == *"127.0.0.1:19101"* ]]
  [ ! -e "$DOCKER_CONFIG/config.json" ]
  alive
}

# A docker-registry on 127.0.0.1:19102 (plain HTTP is allowed on
# loopback) asking for alice / s3cret.
registry_with_auth() {
  local dir=$BATS_TEST_TMPDIR/reg
  mkdir -p "$dir/data"
  python3 -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<EOF2
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:19102, secret: berth-api-test}
auth: {htpasswd: {realm: berth-test, path: $dir/htpasswd}}
EOF2
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
  REG_PID=$!
  wait_until curl -s -o /dev/null http://127.0.0.1:19102/v2/
}

@test "POST /auth and docker login: good credentials succeed, wrong ones fail" {
  registry_with_auth
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"username":"alice","password":"s3cret","serveraddress":"127.0.0.1:19102"}' /auth
  local st body
  st=$(api_status) body=$(api_body)
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"username":"alice","password":"wrong","serveraddress":"http://127.0.0.1:19102/v2/"}' /auth
  local st2=$(api_status) body2=$(api_body)
  run dk login -u alice -p s3cret 127.0.0.1:19102
  local login_status=$status login_out=$output
  kill "$REG_PID"
  wait "$REG_PID" 2>/dev/null || true
  [ "$st" = 200 ]
  [ "$(jq -r .Status <<<"$body")" = "Login Succeeded" ]
  [ "$st2" = 400 ]
  [[ "$(jq -r .message <<<"$body2")" == *"wrong username or password"* ]]
  # The client keeps the credentials (the service only checks them).
  [ "$login_status" -eq 0 ]
  [[ "$login_out" == *"Login Succeeded"* ]]
  [ "$(jq -r '.auths["127.0.0.1:19102"].auth' "$DOCKER_CONFIG/config.json" | base64 -d)" = alice:s3cret ]
  rm -f "$DOCKER_CONFIG/config.json"
}

@test "bodies over 16 MiB are 413, declared or chunked; the service keeps serving" {
  head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$BATS_TEST_TMPDIR/big"
  run api -X POST --data-binary @"$BATS_TEST_TMPDIR/big" /auth
  [ "$(api_status)" = 413 ]
  [[ "$(api_body | jq -r .message)" == *"over the limit"* ]]
  run api -X POST -H 'Transfer-Encoding: chunked' \
    --data-binary @"$BATS_TEST_TMPDIR/big" /auth
  [ "$(api_status)" = 413 ]
  # Exactly the limit is a body like any other (here: not JSON).
  head -c $((16 * 1024 * 1024)) /dev/zero >"$BATS_TEST_TMPDIR/max"
  run api -X POST --data-binary @"$BATS_TEST_TMPDIR/max" /auth
  [ "$(api_status)" = 400 ]
  alive
}

# Threads of the service (one per connection).
threads() { ls "/proc/$API_PID/task" | wc -l; }

@test "clients that go away mid-request leave nothing behind" {
  local before
  before=$(threads)
  local i
  for i in 1 2 3 4 5; do
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
# Half a body, then gone.
s.sendall(b"POST /auth HTTP/1.1\r\nHost: d\r\nContent-Length: 1000\r\n\r\n{\"user")
s.close()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /_pi")
s.close()
' "$SOCK"
  done
  alive
  # Their connection threads ended.
  wait_until test "$(threads)" -le "$before"
}

@test "100 parallel /_ping requests all succeed" {
  run bash -c "seq 100 | xargs -P 100 -I{} curl -s -o /dev/null \
    -w '%{http_code}\n' --unix-socket '$SOCK' http://d/_ping | sort | uniq -c"
  [ "$status" -eq 0 ]
  [[ "$output" == *"100 200"* ]]
  alive
}

@test "keep-alive: two requests on one connection" {
  run curl -sS -o /dev/null -o /dev/null -w '%{num_connects} %{http_code}\n' \
    --unix-socket "$SOCK" http://d/_ping http://d/v1.41/version
  [ "${lines[0]}" = "1 200" ]
  # The second reused the first's connection.
  [ "${lines[1]}" = "0 200" ]
}

@test "request heads: a credentials header of 24 KB is served, a 64 KB head is 431; the service keeps serving" {
  local h
  # X-Registry-Config carries every configured registry's credentials.
  h=$(head -c 24000 /dev/zero | tr '\0' a)
  run api -H "X-Registry-Config: $h" /_ping
  [ "$(api_status)" = 200 ]
  [ "$(api_body)" = OK ]
  h=$(head -c 65536 /dev/zero | tr '\0' a)
  run api -H "X-Registry-Config: $h" /_ping
  [ "$(api_status)" = 431 ]
  alive
}

# A hijacked exec start's connection (hijack.py, the raw client of
# attach_exec.bats): the service's end of it, a socket on $SOCK, goes
# with the client, and the connection's thread with it.  (The exec's
# own waiter thread and the process's output ends stay while it runs.)
HIJACK=$BATS_TEST_DIRNAME/hijack.py
conns() { ss -xpH | grep -F "$SOCK " | grep -v LISTEN | grep -c "pid=$API_PID," || true; }
exec_silent() { # CONTAINER ATTACH_STDIN: an exec of a silent sleep, its id
  run api -X POST -H 'Content-Type: application/json' \
    -d "{\"Cmd\":[\"sleep\",\"300\"],\"AttachStdin\":$2,\"AttachStdout\":true,\"AttachStderr\":true}" \
    "/containers/$1/exec"
  [ "$(api_status)" = 201 ]
  api_body | jq -r .Id
}
# Within a second, the service holds no connection and THREADS threads.
closed_within_1s() {
  local i
  for i in $(seq 10); do
    [ "$(conns)" -eq 0 ] && [ "$(threads)" -le "$1" ] && return 0
    sleep 0.1
  done
  echo "berth-api: $(conns) connections, $(threads) threads (expected $1)" >&2
  ss -xpH | grep -F "$SOCK " >&2
  return 1
}

@test "hijacked exec of a silent process: a client that closes its socket is let go at once, a half-closed one is kept" {
  dk run -d --name hup bb sleep 300 >/dev/null
  local id thr stdin client
  for stdin in true false; do
    id=$(exec_silent hup "$stdin")
    thr=$(threads)
    run python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{}' --close-now
    [ "$status" -eq 0 ]
    [[ "$output" == *closed* ]]
    # The connection's thread goes; the exec's waiter came.
    closed_within_1s $((thr + 1))
  done
  # Half-closed (end of stdin), the client still reads: its connection
  # stays until it closes the whole socket (after 2 s of silence).
  id=$(exec_silent hup true)
  thr=$(threads)
  python3 "$HIJACK" "$SOCK" "/exec/$id/start" --body '{}' --stdin x --shut \
    --timeout 2 >"$BATS_TEST_TMPDIR/half" &
  client=$!
  sleep 1
  [ "$(conns)" -eq 1 ]
  [ "$(threads)" -eq $((thr + 2)) ]
  wait "$client"
  grep -q 'eof no' "$BATS_TEST_TMPDIR/half"
  closed_within_1s $((thr + 1))
  # The exec'd processes outlive their clients, as under docker.
  [ "$(berth top hup | grep -c 'sleep 300')" -eq 4 ]
  alive
}

@test "/info and /system/df: the engine's documents in Docker's shape" {
  berth create --name dfc bb true >/dev/null
  run api /info
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -r .Containers)" = 1 ]
  [ "$(api_body | jq -r .DockerRootDir)" = "$BERTH_ROOT" ]
  run api /system/df
  [ "$(api_status)" = 200 ]
  local doc
  doc=$(api_body)
  [ "$(jq '.LayersSize > 0' <<<"$doc")" = true ]
  [ "$(jq -r '.Images[0].RepoTags[0]' <<<"$doc")" = bb:latest ]
  [ "$(jq -r '.Images[0].Containers' <<<"$doc")" = 1 ]
  [ "$(jq -r '.Containers[0].Names[0]' <<<"$doc")" = /dfc ]
  [ "$(jq -r '.Containers[0].State' <<<"$doc")" = created ]
  [ "$(jq -r '.Volumes | length' <<<"$doc")" = 0 ]
  [ "$(jq -r '.BuildCache | length' <<<"$doc")" = 0 ]
}

@test "the docker CLIs negotiate 1.41 and read version, info and system df" {
  local d
  for d in dk dk20; do
    run "$d" version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}'
    [ "$status" -eq 0 ]
    [ "$output" = "1.41 1.24" ]
    run "$d" info --format '{{.DockerRootDir}} {{.OSType}}'
    [ "$status" -eq 0 ]
    [ "$output" = "$BERTH_ROOT linux" ]
    run "$d" system df --format '{{.Type}} {{.TotalCount}}'
    [ "$status" -eq 0 ]
    [[ "$output" == *"Images 1"* ]]
  done
  # The client on this machine speaks 1.50: it asked for less.
  run dk version --format '{{.Client.APIVersion}}'
  [ "$output" = 1.41 ]
}
