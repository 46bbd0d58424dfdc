#!/usr/bin/env bats
# berth run: commands, exit statuses, environment, users, --rm, -d.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "run passes the container's exit status through" {
  run berth run --rm bb sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ]
  [[ "$output" == *out* ]]
  [[ "$output" == *err* ]]
}

@test "a missing command exits 127, one that cannot run 126, berth errors 125" {
  run -127 berth run --rm bb /no/such/program
  [ "$status" -eq 127 ]
  run -126 berth run --rm bb /etc/passwd
  [ "$status" -eq 126 ]
  run berth run --rm --memory 12q bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--memory"* ]]
  run berth run --rm --no-such-flag bb true
  [ "$status" -eq 125 ]
  run berth run --rm no-such-image-here true --pull never
  [ "$status" -eq 125 ]
  # --rm removed the containers whose command could not run.
  [ -z "$(berth ps -aq)" ]
}

@test "--network none (the default) has loopback: a server on 127.0.0.1 answers" {
  run berth run --rm --network none bb /bin/probe loopback
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
  run berth run --rm bb sh -c 'httpd -p 127.0.0.1:8080 -h /etc &&
    wget -q -O - http://127.0.0.1:8080/passwd | head -n 1'
  [ "$status" -eq 0 ]
  [[ "$output" == root:x:0:0:* ]]
}

@test "--rm removes the container and its directory" {
  run berth run --rm --name gone bb sh -c 'echo x >/written'
  [ "$status" -eq 0 ]
  run berth inspect gone
  [ "$status" -ne 0 ]
  # The directory is gone from containers/ at once; its trash
  # (containers/.rm-ID, deleted by the monitor after berth returned) soon.
  [ -z "$(ls "$BERTH_ROOT/containers")" ]
  wait_until sh -c "[ -z \"\$(ls -A '$BERTH_ROOT/containers')\" ]"
  [ -z "$(find "$BERTH_ROOT" -name written)" ]
}

@test "image Cmd, --entrypoint, -e, --env-file, -w and -h are honoured" {
  echo "FROMFILE=yes" >"$BATS_TEST_TMPDIR/env"
  run berth run --rm -e A=1 -e B --env-file "$BATS_TEST_TMPDIR/env" -w /tmp \
    -h myhost bb sh -c 'echo $A-$B-$FROMFILE; pwd; hostname'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1--yes" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = myhost ]
  run berth run --rm --entrypoint /bin/echo bb hello
  [ "$output" = hello ]
  # Without a command the image's Cmd (/bin/sh) runs, reading stdin.
  run bash -c "echo 'echo from-stdin' | $BERTH --root $BERTH_ROOT run --rm -i bb"
  [ "$output" = from-stdin ]
}

@test "root in the container is an unprivileged host id, distinct per container" {
  berth run -d --name a bb sleep 100 >/dev/null
  berth run -d --name b bb sleep 100 >/dev/null
  pa=$(berth inspect -f '{{.State.Pid}}' a)
  pb=$(berth inspect -f '{{.State.Pid}}' b)
  ua=$(awk '/^Uid:/ {print $2}' /proc/$pa/status)
  ub=$(awk '/^Uid:/ {print $2}' /proc/$pb/status)
  [ "$ua" -ge 65536 ]
  [ "$ub" -ge 65536 ]
  [ "$ua" != "$ub" ]
  # The ranges do not overlap: 65536 ids each.
  [ $(( ua > ub ? ua - ub : ub - ua )) -ge 65536 ]
  run berth run --rm bb id -u
  [ "$output" = 0 ]
  run berth run --rm --userns host bb cat /proc/self/uid_map
  [[ "$output" == *"0          0 4294967295"* ]]
}

@test "-u resolves names in the image and sets groups" {
  run berth run --rm -u tester bb id
  [ "$status" -eq 0 ]
  [[ "$output" == "uid=1000(tester) gid=1000"* ]]
  run berth run --rm -u 4242:4343 bb id -u
  [ "$output" = 4242 ]
  run berth run --rm -u nosuchuser bb id
  [ "$status" -eq 125 ]
  [[ "$output" == *nosuchuser* ]]
}

@test "a file written by container root is owned by its host id" {
  berth run --name w bb sh -c 'echo x > /written'
  upper=$(berth inspect -f '{{.GraphDriver.Data.UpperDir}}' w)
  base=$(berth inspect -f '{{.IdMap.HostIdBase}}' w)
  [ "$(stat -c %u "$upper/written")" = "$base" ]
  # Image files stay shared: the snapshot is untouched.
  [ -z "$(find "$BERTH_ROOT/snapshots" -name written)" ]
}

@test "-d runs in the background; logs, stop and rm" {
  id=$(berth run -d --name bg bb sh -c 'trap "echo bye; exit 3" TERM; echo started; while true; do sleep 0.1; done')
  [ ${#id} -eq 64 ]
  wait_until sh -c "$BERTH --root $BERTH_ROOT logs bg | grep -q started"
  run berth ps --format '{{.Names}} {{.State}}'
  [[ "$output" == *"bg running"* ]]
  run berth stop bg
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.ExitCode}}' bg)" = 3 ]
  run berth logs bg
  [ "${lines[0]}" = started ]
  [ "${lines[1]}" = bye ]
  run berth rm bg
  [ "$status" -eq 0 ]
  run berth inspect bg
  [ "$status" -ne 0 ]
}

@test "stop escalates to SIGKILL after the timeout" {
  berth run -d --name stubborn bb sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
  start=$(date +%s%N)
  berth stop -t 1 stubborn
  end=$(date +%s%N)
  [ "$(berth inspect -f '{{.State.ExitCode}}' stubborn)" = 137 ]
  [ $(( (end - start) / 1000000 )) -ge 900 ]
}

@test "names are unique; containers are found by name, id and prefix" {
  id=$(berth create --name uniq bb true)
  run berth create --name uniq bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"already in use"* ]]
  [ "$(berth inspect -f '{{.Id}}' uniq)" = "$id" ]
  [ "$(berth inspect -f '{{.Name}}' "${id:0:8}")" = /uniq ]
  run berth create --name 'bad/name' bb true
  [ "$status" -eq 125 ]
}

@test "create then start -a; wait reports the exit code" {
  berth create --name later bb sh -c 'echo ran; exit 4' >/dev/null
  [ "$(berth inspect -f '{{.State.Status}}' later)" = created ]
  run berth start -a later
  [ "$status" -eq 4 ]
  [ "$output" = ran ]
  berth create --name waited bb sh -c 'sleep 0.3; exit 5' >/dev/null
  berth start waited
  run berth wait waited
  [ "$output" = 5 ]
}

@test "rm refuses a running container without -f" {
  berth run -d --name busy bb sleep 100 >/dev/null
  run berth rm busy
  [ "$status" -ne 0 ]
  [[ "$output" == *"Stop the container before attempting removal or force remove"* ]]
  run berth rm -f busy
  [ "$status" -eq 0 ]
  run berth inspect busy
  [ "$status" -ne 0 ]
}

@test "rmi refuses an image a container uses; -f keeps its layers" {
  "$BERTH" --root "$BERTH_ROOT" import -c 'CMD ["/bin/echo", "solo"]' \
    "$BATS_FILE_TMPDIR/bb.tar" solo >/dev/null
  berth create --name user solo >/dev/null
  run berth rmi solo
  [ "$status" -ne 0 ]
  [[ "$output" == *"(must force) - container "*" is using its referenced image"* ]]
  run berth rmi -f solo
  [ "$status" -eq 0 ]
  [[ "$output" == *Untagged* ]]
  [[ "$output" != *Deleted* ]]
  # The container still runs from the untagged image's layers.
  run berth start -a user
  [ "$output" = solo ]
  berth rm user
  run berth image prune -f
  [[ "$(berth images -q | wc -l)" -eq 1 ]]
}
