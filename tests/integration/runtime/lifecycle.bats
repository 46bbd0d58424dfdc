#!/usr/bin/env bats
# The OCI lifecycle (runtime-spec runtime.md) and runc's command line,
# asserted by effects on processes and state, not by printed messages.

load ../helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# A tmpfs on /tmp so a read-only rootfs container can leave a marker we
# can read from the host through /proc/PID/root.
with_tmp() {
  update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs",
    "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}]'
}

# A dead container process may linger as a zombie until its (possibly
# unrelated) reaper collects it: count a zombie as gone.
process_gone() {
  local st
  for _ in $(seq 50); do
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [ -z "$st" ] || [ "$st" = Z ] && return 0
    sleep 0.1
  done
  return 1
}

cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

@test "create leaves the process waiting; start runs it" {
  with_tmp
  update_config '.process.args = ["/bin/sh", "-c", "touch /tmp/ran; exec sleep 100"]'
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  [ "$(runtime state "$CID" | jq -r .status)" = created ]
  pid=$(container_pid)
  [ "$pid" -gt 0 ]
  kill -0 "$pid"
  sleep 0.2
  [ ! -e "/proc/$pid/root/tmp/ran" ]

  runtime start "$CID"
  wait_for_state running
  for _ in $(seq 50); do
    [ -e "/proc/$pid/root/tmp/ran" ] && break
    sleep 0.1
  done
  [ -e "/proc/$pid/root/tmp/ran" ]
  [ "$(container_pid)" = "$pid" ]
}

@test "state reports the OCI fields" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  run runtime state "$CID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .id <<<"$output")" = "$CID" ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  [ -n "$(jq -r .ociVersion <<<"$output")" ]
}

@test "kill with a signal name stops the container" {
  update_config '.process.args = ["/bin/sh", "-c", "trap \"exit 7\" TERM; while :; do sleep 0.1; done"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
  pid=$(container_pid)
  runtime kill "$CID" TERM
  wait_for_state stopped
  process_gone "$pid"
}

@test "kill with a signal number stops the container" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
  pid=$(container_pid)
  runtime kill "$CID" 9
  wait_for_state stopped
  process_gone "$pid"
}

@test "kill with SIG-prefixed name works" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
  runtime kill "$CID" SIGKILL
  wait_for_state stopped
}

@test "state is stopped after the process exits; delete removes it" {
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  runtime start "$CID"
  wait_for_state stopped
  runtime delete "$CID"
  run runtime state "$CID"
  [ "$status" -ne 0 ]
  run runtime list -q
  [ "$status" -eq 0 ]
  ! grep -qx "$CID" <<<"$output"
}

@test "delete of a running container fails without --force" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
  pid=$(container_pid)
  run runtime delete "$CID"
  [ "$status" -ne 0 ]
  kill -0 "$pid"
  [ "$(runtime state "$CID" | jq -r .status)" = running ]

  runtime delete --force "$CID"
  process_gone "$pid"
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "delete --force of a created container kills the waiting process" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  pid=$(container_pid)
  runtime delete --force "$CID"
  process_gone "$pid"
}

@test "run returns the container's exit status" {
  update_config '.process.args = ["/bin/sh", "-c", "exit 42"]'
  run runtime run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 42 ]
}

@test "run passes the container's stdout through" {
  update_config '.process.args = ["/bin/echo", "hello-berth"]'
  run runtime run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  grep -qx hello-berth <<<"$output"
}

@test "run --detach returns while the container runs" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  [ "$(runtime state "$CID" | jq -r .status)" = running ]
  kill -0 "$(container_pid)"
}

@test "list shows containers as a table, json and ids" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  run runtime list
  [ "$status" -eq 0 ]
  grep -q "^$CID[[:space:]].*running" <<<"$output"

  run runtime list --format json
  [ "$status" -eq 0 ]
  [ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
  [ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .pid' <<<"$output")" = "$(container_pid)" ]

  run runtime list -q
  [ "$status" -eq 0 ]
  grep -qx "$CID" <<<"$output"
}

@test "ps lists the container's processes" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  pid=$(container_pid)
  run runtime ps --format json "$CID"
  [ "$status" -eq 0 ]
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
  run runtime ps "$CID"
  [ "$status" -eq 0 ]
  grep -qw "$pid" <<<"$output"
}

@test "pause freezes the process and resume thaws it" {
  update_config '.process.args = ["/bin/sh", "-c", "while :; do :; done"]'
  runtime_quiet run --detach --bundle "$BUNDLE" "$CID"
  wait_for_state running
  pid=$(container_pid)

  runtime pause "$CID"
  wait_for_state paused
  a=$(cpu_ticks "$pid")
  sleep 0.5
  b=$(cpu_ticks "$pid")
  [ "$a" = "$b" ]

  runtime resume "$CID"
  wait_for_state running
  a=$(cpu_ticks "$pid")
  sleep 0.5
  b=$(cpu_ticks "$pid")
  [ "$b" -gt "$a" ]
}

@test "--pid-file receives the container pid" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet create --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$CID"
  [ -f "$BATS_TEST_TMPDIR/pid" ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid)" ]
}

@test "create with an existing id fails and keeps the first container" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet create --bundle "$BUNDLE" "$CID"
  pid=$(container_pid)
  run runtime_quiet create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(runtime state "$CID" | jq -r .status)" = created ]
  [ "$(container_pid)" = "$pid" ]
  kill -0 "$pid"
}

@test "an id with a path separator is refused" {
  run runtime_quiet create --bundle "$BUNDLE" "../x$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$STATE_ROOT/../x$CID" ]
  run runtime list -q
  ! grep -q "x$CID" <<<"$output"
}

@test "an invalid config.json is reported and leaves nothing behind" {
  printf '{\n  "ociVersion": "1.2.0",\n  "process": {\n    "args": [\n' \
    > "$BUNDLE/config.json"
  run runtime_quiet create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
  run runtime list -q
  ! grep -qx "$CID" <<<"$output"
  no_cgroup_left
}

@test "invalid config.json error names the file and the line" {
  require_berth
  printf '{\n  "ociVersion": "1.2.0",\n  "process": {\n    "args": [\n' \
    > "$BUNDLE/config.json"
  run runtime_quiet create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -Eq 'config\.json:[0-9]+' <<<"$output"
}
