#!/usr/bin/env bats
# Concurrency and crashes: many berth processes at once, kill -9 of berth
# and of monitors at various points, and `berth system check`.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# No container directory, runtime state or cgroup is left for this root.
# (Monitors of --rm containers delete their trash after berth returned:
# wait for them first.)
monitors_gone() { ! pgrep -f "berth-monitor .*--root $BERTH_ROOT" >/dev/null; }
assert_clean() {
  wait_until monitors_gone
  [ -z "$(ls -A "$BERTH_ROOT/containers")" ]
  # (:seccomp is the compiled-filter cache, shared by all containers.)
  [ -z "$(ls "$BERTH_ROOT/run" | grep -vx ':seccomp')" ]
  [ -z "$(find /sys/fs/cgroup/*"$BERTH_CGROUP_PARENT" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" 'select count(*) from id_ranges')" = 0 ]
  monitors_gone
}

@test "50 parallel run --rm with distinct names all succeed; the database stays consistent" {
  for i in $(seq 50); do
    "$BERTH" --root "$BERTH_ROOT" run --rm --name par$i bb sh -c "echo out-$i" \
      >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
  done
  wait
  for i in $(seq 50); do
    [ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = "out-$i" ]
  done
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" 'PRAGMA integrity_check')" = ok ]
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" 'select count(*) from containers')" = 0 ]
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" "select count(*) from events where action='destroy' and actor in (select actor from events where action='create')")" -ge 50 ]
  assert_clean
}

@test "parallel creates with the same name: exactly one wins" {
  for i in $(seq 10); do
    "$BERTH" --root "$BERTH_ROOT" create --name same bb true >/dev/null 2>&1 &
  done
  wait
  [ "$(berth ps -aq | wc -l)" = 1 ]
  # Each container holds its own id range: one row for one container.
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" 'select count(*) from id_ranges')" = 1 ]
}

@test "kill -9 of a monitor: ps -a stays truthful, and the exit is recorded when the container ends" {
  berth run -d --name orphan bb sleep 1000 >/dev/null
  mon=$(sqlite3 "$BERTH_ROOT/berth.db" "select monitor_pid from containers where name='orphan'")
  kill -9 "$mon"
  run berth inspect -f '{{.State.Status}}' orphan
  [ "$output" = running ]
  kill -9 "$(berth inspect -f '{{.State.Pid}}' orphan)"
  wait_until sh -c "[ \"\$($BERTH --root $BERTH_ROOT inspect -f '{{.State.Status}}' orphan)\" = exited ]"
  [[ "$(berth inspect -f '{{.State.Error}}' orphan)" == *monitor* ]]
  berth rm orphan
  assert_clean
}

@test "kill -9 of berth at many points of run -d: every container is reported truthfully" {
  for d in 0 2 4 6 8 10 12 15 20 25 30 40; do
    "$BERTH" --root "$BERTH_ROOT" run -d --name k$d bb sleep 1000 >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$(printf %02d "$d")"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for name in $(berth ps -a --format '{{.Names}}'); do
    st=$(berth inspect -f '{{.State.Status}}' "$name")
    pid=$(berth inspect -f '{{.State.Pid}}' "$name")
    case $st in
      running) [ -d "/proc/$pid" ] ;;
      created|exited) [ "$pid" = 0 ] ;;
      *) echo "unexpected state $st of $name"; false ;;
    esac
  done
  ids=$(berth ps -aq --no-trunc)
  [ -z "$ids" ] || berth rm -f $ids >/dev/null
  berth system check
  assert_clean
}

@test "system check reports and removes leftovers" {
  id=$(printf 'ab%.0s' $(seq 32))
  cg=/sys/fs/cgroup/pids$BERTH_CGROUP_PARENT/$id
  mkdir -p "$BERTH_ROOT/containers/$id/upper" "$cg"
  run berth system check --dry-run
  [ "$status" -eq 1 ]
  [[ "$output" == *"containers/$id"* ]]
  [[ "$output" == *"$cg"* ]]
  [ -d "$BERTH_ROOT/containers/$id" ]
  run berth system check
  [ "$status" -eq 0 ]
  [ ! -d "$BERTH_ROOT/containers/$id" ]
  [ ! -d "$cg" ]
  run berth system check
  [ "$output" = "no problems found" ]
}

@test "system check removes the trash of a --rm container whose monitor died" {
  id=$(printf 'cd%.0s' $(seq 32))
  trash=$BERTH_ROOT/containers/.rm-$id
  mkdir -p "$trash/upper/etc" "$trash/work"
  echo x >"$trash/upper/etc/f"
  # A monitor deleting it holds a lock: then it is left alone.
  exec 8<"$trash"
  flock -x 8
  run berth system check --dry-run
  [ "$output" = "no problems found" ]
  exec 8<&-
  run berth system check --dry-run
  [ "$status" -eq 1 ]
  [[ "$output" == *".rm-$id"* ]]
  [ -d "$trash" ]
  run berth system check
  [ "$status" -eq 0 ]
  [ ! -e "$trash" ]
}
