#!/usr/bin/env bats
# berth events, top, stats, info, version, rename, port, container prune
# and system prune.  Each test checks the effect on containers, images or
# the event log.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  [ -n "${EVENTS_PID:-}" ] && kill "$EVENTS_PID" 2>/dev/null
  engine_teardown
}

now() { date +%s.%N; }

# The actions of the events of container $1 between $2 and $3, one a line.
actions() {
  berth events --since "$2" --until "$3" --filter "container=$1" \
    --format json | jq -r .Action
}

@test "events: create, start, die in order, within --since/--until" {
  t0=$(now)
  berth run --name ev bb true
  t1=$(now)
  id=$(berth inspect --format '{{.Id}}' ev)
  run actions ev "$t0" "$t1"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'create\nstart\ndie')" ]
  # By id prefix as well; the text line carries type, action and id.
  run berth events --since "$t0" --until "$t1" --filter "container=${id:0:12}"
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == *"Z container start $id (image=bb, name=ev)" ]]
  # Bounds exclude what happened outside them.
  run actions ev "$(echo "$t0 - 60" | bc)" "$t0"
  [ -z "$output" ]
  sleep 0.1
  run actions ev "$(now)" "$(now)"
  [ -z "$output" ]
  # Filters combine: one action of one container.
  run berth events --since "$t0" --until "$t1" --filter container=ev \
    --filter event=die --format json
  [ "$(echo "$output" | jq -r .Actor.ID)" = "$id" ]
  [ "${#lines[@]}" -eq 1 ]
  run berth events --filter bogus=1 --until 0s
  [ "$status" -eq 125 ]
}

@test "events: follows new events until SIGTERM, and ends when its reader goes" {
  # Not through the `berth` function: $! must be berth's own pid.
  "$BERTH" --root "$BERTH_ROOT" events --filter container=evf --format json \
    >"$BATS_TEST_TMPDIR/ev" &
  EVENTS_PID=$!
  sleep 0.3
  berth run --name evf bb true
  wait_until grep -q '"die"' "$BATS_TEST_TMPDIR/ev"
  [ "$(jq -r .Action "$BATS_TEST_TMPDIR/ev" | tr '\n' ' ')" = "create start die " ]
  kill -TERM "$EVENTS_PID"
  wait "$EVENTS_PID"   # exits (cleanly) rather than hanging the test
  EVENTS_PID=
  # A closed pipe ends a follow with nothing more to print.
  run timeout 5 bash -c "'$BERTH' --root '$BERTH_ROOT' events --since 1h | head -1"
  [ "$status" -eq 0 ]
  # The oldest event: the import of bb (image events are logged too).
  [[ "$output" == *" image import sha256:"* ]]
}

@test "top lists the container's processes with host pids, not the host's" {
  berth run -d --name tp bb sleep 1000
  pid=$(berth inspect --format '{{.State.Pid}}' tp)
  run berth top tp
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID* ]]
  [ "${#lines[@]}" -eq 2 ]
  [ "$(echo "${lines[1]}" | awk '{print $2}')" = "$pid" ]
  [[ "${lines[1]}" == *"sleep 1000" ]]
  # ps options: the columns asked for, still only the container's pids.
  run berth top tp -o pid,comm
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[1]}" | awk '{print $1, $2}')" = "$pid sleep" ]
  [ "${#lines[@]}" -eq 2 ]
  berth exec -d tp sleep 999 2>/dev/null || skip "exec not available"
  wait_until bash -c "'$BERTH' --root '$BERTH_ROOT' top tp | grep -q 'sleep 999'"
  run berth top tp
  [ "${#lines[@]}" -eq 3 ]
}

@test "top prints Docker's table; ps options without a PID column fail" {
  berth run -d --name tpa bb sleep 1001
  pid=$(berth inspect --format '{{.State.Pid}}' tpa)
  run -0 berth top tpa
  # Docker's tabwriter: cells of at least 20 columns, so ps -ef's PID
  # title and the container's pid both start at column 20.
  [ "${lines[0]:20:3}" = PID ]
  [ "${lines[1]:20:${#pid}}" = "$pid" ]
  [[ "${lines[1]}" == *"sleep 1001" ]]
  # The engine needs the PID column to keep the container's lines.
  run -1 berth top tpa -o comm
  [[ "$output" == *"couldn't find PID field in ps output"* ]]
}

@test "prune and events refuse bad filters and bounds (125), take good ones" {
  berth create --name pf bb true >/dev/null
  run -125 berth container prune -f --filter bogus=1
  [[ "$output" == *"invalid filter \`bogus=1\`"* ]]
  run -125 berth system prune -f --filter until=someday
  run -125 berth events --filter nope=1 --until 0s
  [[ "$output" == *"invalid filter \`nope=1\`"* ]]
  # --since 1m is after --until 5m (both before now).
  run -125 berth events --since 1m --until 5m
  [[ "$output" == *"--since is after --until"* ]]
  # Nothing was pruned by the refused commands.
  [ "$(berth inspect --format '{{.State.Status}}' pf)" = created ]
  # Control: the same commands with valid filters run.
  run -0 berth events --filter type=container --since 1m --until 0s
  run -0 berth container prune -f --filter label=nosuchlabel
  [ "$(berth inspect --format '{{.State.Status}}' pf)" = created ]
  run -0 berth container prune -f --filter until=0s
  run -1 berth inspect --type container pf
}

@test "top of a stopped or unknown container fails" {
  berth create --name tpc bb true >/dev/null
  run berth top tpc
  [ "$status" -eq 1 ]
  run berth top nosuch
  [ "$status" -eq 1 ]
}

@test "stats: memory limit and pids from the container's cgroup" {
  berth run -d --memory 64m --name st bb sh -c 'sleep 1000 & sleep 1000 & wait'
  wait_until bash -c "[ \$('$BERTH' --root '$BERTH_ROOT' top st | wc -l) -eq 4 ]"
  run berth stats --no-stream --format json st
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .Name)" = st ]
  [[ "$(echo "$output" | jq -r .MemUsage)" == *" / 64MiB" ]]
  [ "$(echo "$output" | jq -r .PIDs)" = 3 ]
  # The table: every running container, with its own limit.
  berth run -d --memory 32m --name st2 bb sleep 1000
  run berth stats --no-stream
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "CONTAINER ID"*"MEM USAGE / LIMIT"*PIDS ]]
  [[ "$(echo "$output" | grep ' st2 ')" == *"/ 32MiB"* ]]
  [ "${#lines[@]}" -eq 3 ]
}

@test "stats: CPU % of a busy container, stopped ones with -a, unknown fails" {
  berth run -d --name busy bb sh -c 'while :; do :; done'
  berth create --name idle bb true >/dev/null
  run berth stats --no-stream --format json busy
  cpu=$(echo "$output" | jq -r .CPUPerc | tr -d %)
  [ "$(echo "$cpu > 50" | bc)" -eq 1 ]
  run berth stats --no-stream --format json
  [ "$(echo "$output" | jq -r .Name)" = busy ]
  run berth stats --no-stream -a --format json
  [ "$(echo "$output" | jq -r 'select(.Name == "idle") .PIDs')" = 0 ]
  run berth stats --no-stream nosuch
  [ "$status" -eq 1 ]
}

@test "rename: the old name is unknown, the new one resolves, an event" {
  t0=$(now)
  id=$(berth create --name oldname bb true)
  berth rename oldname newname
  [ "$(berth inspect --format '{{.Id}}' newname)" = "$id" ]
  run berth inspect --type container oldname
  [ "$status" -eq 1 ]
  run berth events --since "$t0" --until "$(now)" --filter event=rename \
    --format json
  [ "$(echo "$output" | jq -r .Actor.Attributes.oldName)" = /oldname ]
  [ "$(echo "$output" | jq -r .Actor.ID)" = "$id" ]
  # Taken, invalid and unchanged names are refused and change nothing.
  berth create --name other bb true >/dev/null
  run berth rename newname other
  [ "$status" -eq 1 ]
  run berth rename newname 'bad name'
  [ "$status" -eq 1 ]
  run berth rename newname newname
  [ "$status" -eq 1 ]
  [ "$(berth inspect --format '{{.Id}}' newname)" = "$id" ]
}

@test "port: nothing published; a port filter fails" {
  berth create --name pt bb true >/dev/null
  run berth port pt
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run berth port pt 80
  [ "$status" -eq 1 ]
  [[ "$output" == *"no public port '80' published for pt"* ]]
  run berth port nosuch
  [ "$status" -eq 1 ]
}

@test "container prune removes created and exited containers, keeps running" {
  berth run --name ex bb true
  berth create --name cr bb true >/dev/null
  berth run -d --name up bb sleep 1000
  exid=$(berth inspect --format '{{.Id}}' ex)
  # until= before they were created: nothing goes.
  run berth container prune -f --filter until=1h
  [ "$status" -eq 0 ]
  [ "$(berth ps -aq | wc -l)" -eq 3 ]
  run berth container prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"$exid"* ]]
  [[ "$output" == *"Total reclaimed space:"* ]]
  run berth inspect --type container ex
  [ "$status" -eq 1 ]
  run berth inspect --type container cr
  [ "$status" -eq 1 ]
  [ "$(berth inspect --format '{{.State.Status}}' up)" = running ]
  [ ! -d "$BERTH_ROOT/containers/$exid" ]
}

@test "system prune removes stopped containers and a dangling image" {
  berth import -c 'CMD ["/bin/true"]' "$BATS_FILE_TMPDIR/bb.tar" dang >/dev/null
  old=$(berth image inspect dang | jq -r '.[0].Id')
  # A second import takes the tag: the first image is dangling.
  berth import -c 'CMD ["/bin/false"]' "$BATS_FILE_TMPDIR/bb.tar" dang >/dev/null
  new=$(berth image inspect dang | jq -r '.[0].Id')
  [ "$old" != "$new" ]
  berth run --name sp bb true
  run berth system prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"deleted: $old"* ]]
  run berth image inspect "$old"
  [ "$status" -ne 0 ]
  run berth inspect --type container sp
  [ "$status" -eq 1 ]
  # Tagged images stay without -a.
  [ "$(berth image inspect dang | jq -r '.[0].Id')" = "$new" ]
  berth image inspect bb >/dev/null
  berth rmi dang >/dev/null
}

@test "info counts containers and images; version names berth" {
  berth run -d --name i1 bb sleep 1000
  berth create --name i2 bb true >/dev/null
  run berth info --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq .Containers)" -eq 2 ]
  [ "$(echo "$output" | jq .ContainersRunning)" -eq 1 ]
  [ "$(echo "$output" | jq .ContainersStopped)" -eq 1 ]
  [ "$(echo "$output" | jq .Images)" -eq "$(berth images -q | wc -l)" ]
  [ "$(echo "$output" | jq -r .DockerRootDir)" = "$BERTH_ROOT" ]
  [ "$(echo "$output" | jq .NCPU)" -eq "$(nproc)" ]
  [ "$(berth info --format '{{.ContainersRunning}}')" = 1 ]
  run berth info
  [[ "$output" == *"Containers: 2"* ]]
  [[ "$output" == *"Kernel Version: $(uname -r)"* ]]
  v=$("$BERTH" --version | awk '{print $3}')
  [ "$(berth version --format '{{.Client.Version}}')" = "$v" ]
  [ "$(berth version --format json | jq -r .Server.Components[0].Version)" = "$v" ]
}
