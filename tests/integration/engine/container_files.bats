#!/usr/bin/env bats
# Files a running container controls, read on its behalf: /etc/passwd and
# /etc/group for `exec -u`, for the HOME of every exec and for health
# checks.  The container may replace them by a FIFO (a plain open blocks
# forever), a symlink (into its /proc, to a device, to a FIFO) or a device:
# nothing may hang, and nothing but a regular file may be opened.
#
# Whether a FIFO was opened is seen from inside: a writer blocked in
# open(O_WRONLY) on it only gets through (and touches a mark) once someone
# opens it for reading.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

pid_of() { berth inspect -f '{{.State.Pid}}' "$1"; }
health() { berth inspect -f '{{.State.Health.Status}}' "$1"; }

# A container whose /etc/passwd and /etc/group are FIFOs; a writer waits on
# /etc/group and touches /tmp/group-opened once it was opened.
start_with_fifos() { # NAME [run flags...]
  local name=$1
  shift
  berth run -d --name "$name" "$@" bb sh -c \
    'rm -f /etc/passwd /etc/group; mkfifo /etc/passwd /etc/group
     (echo x >/etc/group; touch /tmp/group-opened) &
     exec sleep 1000' >/dev/null
  ROOT=/proc/$(pid_of "$name")/root
  wait_until test -p "$ROOT/etc/group"
}

@test "exec with FIFOs at /etc/passwd and /etc/group: no hang, never opened" {
  start_with_fifos fifo
  # Control: a plain open of the FIFO blocks.
  run timeout 2 cat "$ROOT/etc/passwd"
  [ "$status" -eq 124 ]
  # Without -u the process's HOME comes from /etc/passwd inside the
  # container: it is "/" now, and exec does not hang.
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec fifo sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = / ]
  # -u needs the files on the host side: a clear error, at once.
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec -u tester fifo true
  echo "$output"
  [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
  [[ "$output" == *"/etc/passwd"*"not a regular file"* ]]
  berth exec fifo sh -c 'rm /etc/passwd; echo "tester:x:1000:1000::/home/t:/bin/sh" >/etc/passwd'
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec -u tester fifo true
  [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
  [[ "$output" == *"/etc/group"*"not a regular file"* ]]
  sleep 0.3
  [ ! -e "$ROOT/tmp/group-opened" ]
  # Control: the writer does notice an open of the FIFO.
  timeout 5 cat "$ROOT/etc/group" >/dev/null
  wait_until test -e "$ROOT/tmp/group-opened"
}

@test "a health check is not hung by FIFOs at /etc/passwd and /etc/group" {
  start_with_fifos hfifo --health-cmd true --health-interval 300ms \
    --health-timeout 20s --health-retries 1
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Health.Status}}' hfifo)\" = healthy ]"
  [ ! -e "$ROOT/tmp/group-opened" ]
  # Control: the FIFOs are still there and a plain open still blocks.
  test -p "$ROOT/etc/passwd"
  run timeout 2 cat "$ROOT/etc/passwd"
  [ "$status" -eq 124 ]
}

@test "a symlinked /etc/passwd is not followed, on the host or inside" {
  berth run -d --name sl bb sh -c \
    'mkfifo /tmp/p; rm /etc/passwd; ln -s /tmp/p /etc/passwd
     (echo x >/tmp/p; touch /tmp/p-opened) &
     exec sleep 1000' >/dev/null
  ROOT=/proc/$(pid_of sl)/root
  wait_until test -L "$ROOT/etc/passwd"
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec -u tester sl true
  echo "$output"
  [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
  [[ "$output" == *"/etc/passwd"*"symbolic link"* ]]
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec sl sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = / ]
  sleep 0.3
  [ ! -e "$ROOT/tmp/p-opened" ]
  # Control: following the link (in the container, where it points) does
  # reach the FIFO and release the writer.
  timeout 5 "$BERTH" --root "$BERTH_ROOT" exec sl cat /etc/passwd >/dev/null
  wait_until test -e "$ROOT/tmp/p-opened"
}

@test "a symlink from /etc/passwd into the container's /proc is not followed" {
  berth run -d --name slp bb sh -c \
    'rm /etc/passwd; ln -s /proc/1/environ /etc/passwd; exec sleep 1000' >/dev/null
  ROOT=/proc/$(pid_of slp)/root
  wait_until test -L "$ROOT/etc/passwd"
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec -u 0 slp true
  [ "$status" -ne 0 ]
  [[ "$output" == *"symbolic link"* ]]
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" exec slp sh -c 'echo $HOME'
  [ "$output" = / ]
  # Control: in the container, the link leads somewhere readable.
  run berth exec slp cat /etc/passwd
  [ "$status" -eq 0 ]
  [[ "$output" == *PATH=* ]]
}

@test "regular /etc/passwd and /etc/group still resolve users, groups and HOME" {
  berth run -d --name ok bb sleep 1000 >/dev/null
  run berth exec -u tester ok sh -c 'id -u; echo $HOME'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = "$(awk -F: '$1 == "tester" { print $6 }' \
      "/proc/$(pid_of ok)/root/etc/passwd")" ]
}
