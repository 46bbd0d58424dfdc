#!/usr/bin/env bats
# Who may use the API: the socket is root's (0660 root:root) unless a
# group is named, and then that group's members only.  Anyone who can
# connect can make privileged containers, so the probe is the connect
# itself, made as an unprivileged user with and without the group.

bats_require_minimum_version 1.5.0
load api

setup_file() {
  api_setup_file
  # A directory others may search, so that only the socket's own mode
  # stands between them and the service (mktemp's 0700 would hide it).
  OPEN_DIR=$(mktemp -d /tmp/bacc.XXXXXX)
  chmod 0755 "$OPEN_DIR"
  export OPEN_DIR
}

teardown_file() {
  [ -n "${SVC_PID:-}" ] && kill -TERM "$SVC_PID" 2>/dev/null
  api_teardown_file
  rm -rf "$OPEN_DIR"
}

teardown() {
  [ -n "${SVC_PID:-}" ] || return 0
  kill -TERM "$SVC_PID" 2>/dev/null
  wait "$SVC_PID" 2>/dev/null
  SVC_PID=
}

# svc SOCKET ARGS...: a service of this test's on SOCKET.
svc() {
  local sock=$1
  shift
  "$BERTH" --root "$BERTH_ROOT" system service --time 0 "$@" \
    "unix://$sock" >"$API_DIR/acc.log" 2>&1 &
  SVC_PID=$!
  wait_until curl -sf --unix-socket "$sock" http://d/_ping
}

# as_nobody [GROUP] CMD...: CMD as uid/gid 65534, with GROUP (a gid) as
# its only supplementary group when given.
as_nobody() {
  local groups=--clear-groups
  if [[ "$1" =~ ^[0-9]+$ ]]; then
    groups=--groups=$1
    shift
  fi
  setpriv --reuid=65534 --regid=65534 "$groups" "$@"
}

@test "the default socket refuses a user who is not root" {
  svc "$OPEN_DIR/root.sock"
  [ "$(stat -c '%a %u:%g' "$OPEN_DIR/root.sock")" = "660 0:0" ]
  run as_nobody curl -sS --unix-socket "$OPEN_DIR/root.sock" http://d/_ping
  [ "$status" -ne 0 ]
  [[ "$output" == *"ermission denied"* || "$output" == *"Couldn't connect"* ]]
  run as_nobody "$DOCKER" -H "unix://$OPEN_DIR/root.sock" ps
  [ "$status" -ne 0 ]
  [[ "$output" == *"permission denied"* ]]
  # Control: the same user reaches a socket whose mode lets it in, so the
  # refusal above is the mode's, not setpriv's or the directory's.
  chmod 0666 "$OPEN_DIR/root.sock"
  run as_nobody curl -sS --unix-socket "$OPEN_DIR/root.sock" http://d/_ping
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
}

@test "--group lets that group's members in, and only them" {
  getent group daemon >/dev/null || skip "no group daemon on this host"
  local gid
  gid=$(getent group daemon | cut -d: -f3)
  svc "$OPEN_DIR/grp.sock" --group daemon
  [ "$(stat -c '%a %u:%g' "$OPEN_DIR/grp.sock")" = "660 0:$gid" ]
  run as_nobody "$gid" curl -sS --unix-socket "$OPEN_DIR/grp.sock" http://d/_ping
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
  run as_nobody "$gid" "$DOCKER" -H "unix://$OPEN_DIR/grp.sock" ps -q
  [ "$status" -eq 0 ]
  run as_nobody curl -sS --unix-socket "$OPEN_DIR/grp.sock" http://d/_ping
  [ "$status" -ne 0 ]
}
