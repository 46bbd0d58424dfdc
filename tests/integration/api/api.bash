# Helpers of the API tests: a berth root as engine.bash makes it (image
# `bb`), and `berth system service` serving it on a socket of the file's
# own, for curl, the docker CLI, docker-py and docker-compose.
#
#   api_setup_file       call from setup_file: root, image bb, service up
#   api_teardown_file    call from teardown_file: service down, root gone
#   api CURLARGS... PATH curl on the socket (http://d/PATH), body to stdout,
#                        -w status on the last line (api_status)
#   dk ARGS...           the docker CLI on the socket ($DOCKER: the one on
#                        this machine, else Debian's 20.10 client)
#   dk20 ARGS...         Debian's docker.io 20.10 client on the socket
#   SOCK, DOCKER_HOST    exported

load ../engine/engine

BERTH_API=${BERTH_API:-$REPO/build/src/cli/berth-api}
DOCKER20=/var/cache/berth-test/docker-20.10/docker
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/local/bin/docker ]; then DOCKER=/usr/local/bin/docker
  else DOCKER=$DOCKER20; fi
fi

api_setup_file() {
  engine_setup_file
  # A short path: sun_path holds 108 bytes.
  API_DIR=$(mktemp -d /tmp/bapi.XXXXXX)
  SOCK=$API_DIR/s.sock
  DOCKER_HOST=unix://$SOCK
  # The docker CLI keeps its config (and would keep contexts) here.
  DOCKER_CONFIG=$API_DIR/docker-config
  export API_DIR SOCK DOCKER_HOST DOCKER_CONFIG
  api_service_start
}

# Starts the service in the background (its log in $API_DIR/service.log)
# and waits until /_ping answers.
api_service_start() {
  "$BERTH" --root "$BERTH_ROOT" system service --time 0 "unix://$SOCK" \
    >"$API_DIR/service.log" 2>&1 &
  API_PID=$!
  export API_PID
  local i
  for i in $(seq 100); do
    curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && return 0
    kill -0 "$API_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "berth system service did not come up:" >&2
  cat "$API_DIR/service.log" >&2
  return 1
}

api_service_stop() {
  [ -n "${API_PID:-}" ] || return 0
  kill -TERM "$API_PID" 2>/dev/null
  local i
  for i in $(seq 100); do
    kill -0 "$API_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$API_PID" 2>/dev/null
  wait "$API_PID" 2>/dev/null
  API_PID=
}

api_teardown_file() {
  api_service_stop
  engine_teardown_file
  rm -rf "$API_DIR"
}

# api [CURL ARGS...] PATH: the body, then the HTTP status on its own line.
api() {
  local path=${!#}
  curl -sS --unix-socket "$SOCK" -w '\n%{http_code}\n' \
    "${@:1:$(($# - 1))}" "http://d$path"
}
# The status line api printed (the last line of $output).
api_status() { printf '%s\n' "$output" | tail -n 1; }
# The body api printed (everything but the status line).
api_body() { printf '%s\n' "$output" | sed '$d'; }

dk() { "$DOCKER" "$@"; }
dk20() { "$DOCKER20" "$@"; }
