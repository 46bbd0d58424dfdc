#!/usr/bin/env bats
# docker-py (Debian's python3-docker 5.0.3) drives berth through the
# Engine API socket: one test per area, each running the checks of
# tests/api/dockerpy_test.py AREA (every check an effect: the output came
# back, the file is in the container, the address answers, the object is
# gone), and, after it, nothing of the area left: no container, network or
# volume, and the service still answering.

load api
load ../image/image

# Debian's python: an interpreter earlier in PATH may carry another
# docker-py (7.x here under pyenv), which is not the client under test.
PY=/usr/bin/python3
DPY=$REPO/tests/api/dockerpy_test.py

setup_file() {
  api_setup_file
  "$PY" -c 'import docker, sys; sys.exit(docker.__version__ != "5.0.3")' ||
    { echo "python3-docker 5.0.3 is needed (scripts/deps.sh)" >&2; return 1; }
  # A registry on 127.0.0.1 holding dpy/bb:1 (bb pushed by berth), for
  # the pull test; berth forgets the pushed name again.
  mkdir -p "$IMGDIR"
  registry_start REG
  berth tag bb "$REG_ADDR/dpy/bb:1"
  berth push -q "$REG_ADDR/dpy/bb:1" >/dev/null
  berth rmi "$REG_ADDR/dpy/bb:1" >/dev/null
  export DPY_REGISTRY=$REG_ADDR DPY_SUBNET=10.218.11.0/24
}

teardown_file() {
  servers_stop
  api_teardown_file
}

setup() {
  DPY_TMP=$BATS_TEST_TMPDIR/dpy
  mkdir -p "$DPY_TMP"
  export DPY_TMP
}

teardown() {
  engine_teardown
}

# dpy AREA: runs the area's checks; its output is shown when it fails.
dpy() {
  run "$PY" "$DPY" "$1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = ok ]
}

# Nothing of a test left behind, and the service still serving.
left_clean() {
  [ -z "$(berth ps -aq)" ]
  [ -z "$(berth volume ls -q | grep dpy || true)" ]
  [ -z "$(berth network ls --format '{{.Name}}' | grep dpy || true)" ]
  run curl -sf --unix-socket "$SOCK" http://d/_ping
  [ "$output" = OK ]
}

@test "docker-py: ping, version negotiation, info and df count what exists" {
  dpy system
  left_clean
}

@test "docker-py: containers run (foreground output, errors), detach, logs, exec_run, top, attach, stop, kill, wait, rename, remove" {
  dpy containers
  left_clean
}

@test "docker-py: put_archive and get_archive carry files with mode and owner" {
  dpy archive
  left_clean
}

@test "docker-py: images list, get, history, tag, remove" {
  dpy images
  left_clean
  # The tags it made are gone, bb is not.
  run berth images --format '{{.Repository}}:{{.Tag}}'
  echo "$output"
  [ "$output" = bb:latest ]
}

@test "docker-py: pull from a registry on 127.0.0.1, run the pulled image" {
  dpy pull
  left_clean
  run berth images --format '{{.Repository}}'
  [ "$output" = bb ]
}

@test "docker-py: build from a fileobj Dockerfile and from a path" {
  dpy build
  left_clean
  run berth images --format '{{.Repository}}:{{.Tag}}'
  echo "$output"
  [ "$output" = bb:latest ]
}

@test "docker-py: networks create, connect (name, alias), disconnect, remove" {
  dpy networks
  left_clean
  # No bridge holds the gateway of the test's subnet any more.
  ! ip -o -4 addr show | grep -q ' 10\.218\.11\.1/'
}

@test "docker-py: volumes create, shared between containers, in use, remove" {
  dpy volumes
  left_clean
}

@test "docker-py: events with since/until and filters, and a live stream" {
  dpy events
  left_clean
}
