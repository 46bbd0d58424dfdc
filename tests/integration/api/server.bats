#!/usr/bin/env bats
# berth system service: the socket (mode, group, stale and live ones),
# socket activation, idle exit, SIGTERM, and what the service leaves to
# the processes it starts (no fd) and behind it (containers keep running).

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }

# The services a test starts besides the file's one, stopped by teardown.
SVC_PIDS=()

teardown() {
  local p
  for p in "${SVC_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
    wait_gone "$p" || kill -KILL "$p" 2>/dev/null
  done
  SVC_PIDS=()
  [ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
  HOLD_PID=
  engine_teardown
}

# svc SOCKET ARGS...: a service of its own on SOCKET (its log in
# $API_DIR/svc.log); SVC_PID.  Waits until it answers.
svc() {
  local sock=$1
  shift
  "$BERTH" --root "$BERTH_ROOT" system service "$@" "unix://$sock" \
    >"$API_DIR/svc.log" 2>&1 &
  SVC_PID=$!
  SVC_PIDS+=("$SVC_PID")
  wait_until curl -sf --unix-socket "$sock" http://d/_ping
}

# wait_gone PID: up to ~10 s for the process to end.
wait_gone() {
  local i
  for i in $(seq 100); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# hold SOCKET SECONDS: a client keeping a keep-alive connection open
# (after one /_ping) for SECONDS; HOLD_PID.
hold() {
  python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
s.recv(4096)
time.sleep(float(sys.argv[2]))
' "$1" "$2" 3>&- &
  HOLD_PID=$!
}

@test "the service answers on its socket, 0660 root:root" {
  run api /_ping
  [ "$(api_status)" = 200 ]
  [ "$(api_body)" = OK ]
  [ "$(stat -c '%a %U:%G %F' "$SOCK")" = "660 root:root socket" ]
  # The API version is negotiated from the ping's headers.
  run curl -sSI --unix-socket "$SOCK" http://d/_ping
  [[ "$output" == *"Api-Version: 1.41"* ]]
}

@test "--group gives the socket to that group; an unknown group is refused" {
  getent group daemon >/dev/null || skip "no group daemon on this host"
  svc "$API_DIR/g.sock" --group daemon
  [ "$(stat -c '%a %U:%G' "$API_DIR/g.sock")" = "660 root:daemon" ]
  run -125 "$BERTH" --root "$BERTH_ROOT" system service --group no-such-grp \
    "unix://$API_DIR/n.sock"
  [[ "$output" == *"no such group: no-such-grp"* ]]
  [ ! -e "$API_DIR/n.sock" ]
}

@test "the socket's missing directory is made 0755; a path too long is refused" {
  svc "$API_DIR/run/berth/s.sock"
  [ "$(stat -c '%a' "$API_DIR/run/berth")" = 755 ]
  [ "$(stat -c '%a' "$API_DIR/run")" = 755 ]
  local long
  long=$API_DIR/$(printf 'x%.0s' $(seq 120)).sock
  run -125 "$BERTH" --root "$BERTH_ROOT" system service "unix://$long"
  [[ "$output" == *"longer than 107 bytes"* ]]
  [ ! -e "$long" ]
}

@test "a stale socket nothing listens on is replaced" {
  local s=$API_DIR/stale.sock
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$s"
  [ -S "$s" ]
  run curl -s --unix-socket "$s" http://d/_ping
  [ "$status" -ne 0 ]
  svc "$s"
  run curl -sf --unix-socket "$s" http://d/_ping
  [ "$output" = OK ]
}

@test "a live socket is refused: the second service fails, the first serves on" {
  local ino
  ino=$(stat -c %i "$SOCK")
  run -125 "$BERTH" --root "$BERTH_ROOT" system service --time 0 "unix://$SOCK"
  [[ "$output" == *"another service is already listening"* ]]
  [ "$(stat -c %i "$SOCK")" = "$ino" ]
  run api /_ping
  [ "$(api_status)" = 200 ]
  # Neither is a file that is not a socket taken over.
  echo keep >"$API_DIR/file"
  run -125 "$BERTH" --root "$BERTH_ROOT" system service "unix://$API_DIR/file"
  [[ "$output" == *"is not a socket"* ]]
  [ "$(cat "$API_DIR/file")" = keep ]
  # Nor a TCP address: the socket is root-equivalent.
  run -125 "$BERTH" --root "$BERTH_ROOT" system service tcp://127.0.0.1:19100
  [[ "$output" == *"only unix sockets"* ]]
}

@test "--time: the service exits when idle, removing its socket" {
  local s=$API_DIR/idle.sock
  svc "$s" --time 1
  wait_gone "$SVC_PID"
  run wait "$SVC_PID"
  [ "$status" -eq 0 ]
  [ ! -e "$s" ]
}

@test "--time: an open connection keeps the service; its close starts the count" {
  local s=$API_DIR/busy.sock
  svc "$s" --time 1
  hold "$s" 3
  sleep 2.2
  # Idle for 1 s by now, but a client is connected.
  kill -0 "$SVC_PID"
  [ -S "$s" ]
  wait "$HOLD_PID"
  HOLD_PID=
  wait_gone "$SVC_PID"
  [ ! -e "$s" ]
}

@test "SIGTERM ends the service at once, open connections too, and removes the socket" {
  local s=$API_DIR/term.sock
  svc "$s" --time 0
  hold "$s" 30
  sleep 0.3
  kill -TERM "$SVC_PID"
  local t0=$SECONDS
  wait_gone "$SVC_PID"
  [ $((SECONDS - t0)) -le 3 ]
  run wait "$SVC_PID"
  [ "$status" -eq 0 ]
  [ ! -e "$s" ]
}

@test "socket activation: systemd's socket is served and left to systemd" {
  [ -x /usr/bin/systemd-socket-activate ] ||
    skip "systemd-socket-activate is not installed"
  local s=$API_DIR/act.sock
  # systemd-socket-activate listens, then execs berth (which execs
  # berth-api) on the first connection with LISTEN_PID/LISTEN_FDS.
  systemd-socket-activate -l "$s" "$BERTH" --root "$BERTH_ROOT" system \
    service --time 1 >"$API_DIR/act.log" 2>&1 &
  SVC_PID=$!
  SVC_PIDS+=("$SVC_PID")
  wait_until test -S "$s"
  run curl -sf --unix-socket "$s" http://d/_ping
  [ "$output" = OK ]
  # The same process, now berth-api, serving fd 3.
  [[ "$(readlink "/proc/$SVC_PID/exe")" == */berth-api ]]
  [[ "$(readlink "/proc/$SVC_PID/fd/3")" == socket:* ]]
  run curl -sf --unix-socket "$s" http://d/version
  [[ "$output" == *'"ApiVersion":"1.41"'* ]]
  # Idle: it exits and leaves systemd's socket where it is.
  wait_gone "$SVC_PID"
  [ -S "$s" ]
  rm -f "$s"
}

@test "every fd of the service is close-on-exec (none can reach a monitor)" {
  # A connection open while looking: its socket is one of them.
  hold "$SOCK" 5
  sleep 0.3
  local fd flags n=0
  for fd in /proc/"$API_PID"/fdinfo/*; do
    fd=${fd##*/}
    [ "$fd" -le 2 ] && continue
    flags=$(awk '/^flags:/ {print $2}' "/proc/$API_PID/fdinfo/$fd")
    # O_CLOEXEC is 02000000 (octal).
    if (( (8#$flags & 8#2000000) == 0 )); then
      echo "fd $fd -> $(readlink "/proc/$API_PID/fd/$fd") is inherited" >&2
      return 1
    fi
    n=$((n + 1))
  done
  # The listening socket, the connection, the signal pipe, eventfds.
  [ "$n" -ge 4 ]
  # Control: an fd left open by the service's starter (bats's own fd 3
  # reaches the service) is marked close-on-exec too, which the check
  # above would otherwise have reported.
  [ -e "/proc/$API_PID/fd/3" ]
}

@test "a container started through the API keeps running after the service stops, with no fd of it" {
  local s=$API_DIR/ctr.sock
  svc "$s" --time 0
  run curl -s --unix-socket "$s" -w '\n%{http_code}' -XPOST \
    -H 'Content-Type: application/json' \
    -d '{"Image":"bb","Cmd":["sleep","1000"]}' http://d/containers/create
  [ "${output##*$'\n'}" = 404 ] &&
    skip "the containers routes are not built in (api_ctr.c)"
  local id
  id=$(printf '%s\n' "$output" | head -n 1 | jq -r .Id)
  run curl -s --unix-socket "$s" -w '%{http_code}' -XPOST \
    "http://d/containers/$id/start"
  [ "$output" = 204 ]
  local mon
  mon=$(pgrep -f -- "berth-monitor --id $id")
  [ -n "$mon" ]
  # The monitor runs berth's helpers (berth _exited), not berth-api.
  tr '\0' '\n' <"/proc/$mon/cmdline" | grep -A1 -x -- --helper |
    tail -n 1 | grep -q '/berth$'
  # No socket of the service is among the monitor's fds.
  local svc_socks
  svc_socks=$(ls -l "/proc/$SVC_PID/fd" | grep -o 'socket:\[[0-9]*\]')
  local f
  for f in $svc_socks; do
    ! ls -l "/proc/$mon/fd" | grep -qF "$f"
  done
  kill -TERM "$SVC_PID"
  wait_gone "$SVC_PID"
  [ "$(berth inspect -f '{{.State.Running}}' "$id")" = true ]
  kill -0 "$mon"
}

@test "--debug logs each request to stderr; without it the service is silent" {
  local s=$API_DIR/dbg.sock
  svc "$s" --debug --time 0
  curl -sf --unix-socket "$s" http://d/no/such >/dev/null || true
  wait_until grep -q 'GET /no/such -> 404' "$API_DIR/svc.log"
  grep -Eq "^berth-api: pid [0-9]+ uid 0: GET /_ping -> 200 \([0-9]+ us\)$" \
    "$API_DIR/svc.log"
  # Control: the file's own service, without --debug, logged nothing for
  # the same requests.
  curl -sf --unix-socket "$SOCK" http://d/no/such >/dev/null || true
  [ ! -s "$API_DIR/service.log" ]
}
