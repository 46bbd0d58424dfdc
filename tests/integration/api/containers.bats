#!/usr/bin/env bats
# The Engine API's container routes (api_ctr.c, api_ctr_more.c) driven by
# the docker CLI (the machine's and Debian's 20.10 client) and by curl:
# each request's effect is checked on the container through berth's own
# CLI, the kernel (cgroups, /proc) or the network; bad input gets
# Docker's status, leaves no record and the service keeps serving.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
teardown() { engine_teardown; }

# Both clients for the main paths.
clients() { echo dk dk20; }

state_of() { berth inspect -f '{{.State.Status}}' "$1"; }
exit_of() { berth inspect -f '{{.State.ExitCode}}' "$1"; }
pid_of() { berth inspect -f '{{.State.Pid}}' "$1"; }
has_logs() { [ -n "$(berth logs "$1")" ]; }

# A curl request, then: no record was made and the service answers.
nothing_made() {
  [ "$(berth ps -aq | wc -l)" -eq "$1" ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "create, start, ps, inspect, stop: the container runs and stops (both clients)" {
  for c in $(clients); do
    run "$c" create --name "web-$c" --label tier=front bb sleep 300
    [ "$status" -eq 0 ]
    id=$output
    [ "${#id}" -eq 64 ]
    [ "$(state_of "web-$c")" = created ]
    run "$c" start "web-$c"
    [ "$status" -eq 0 ]
    # berth's own CLI sees it running, its init is alive on the host.
    [ "$(state_of "web-$c")" = running ]
    kill -0 "$(pid_of "web-$c")"
    run "$c" ps --format '{{.ID}} {{.Names}} {{.Status}} {{.Label "tier"}}'
    [ "$status" -eq 0 ]
    [[ "$output" == *"${id:0:12} web-$c Up "*" front"* ]]
    run "$c" inspect -f '{{.State.Running}} {{.Name}} {{.Config.Image}}' "web-$c"
    [ "$output" = "true /web-$c bb" ]
    # sleep as PID 1 ignores SIGTERM: stop kills it after t seconds.
    run "$c" stop -t 1 "web-$c"
    [ "$status" -eq 0 ]
    [ "$(state_of "web-$c")" = exited ]
    [ "$(exit_of "web-$c")" -eq 137 ]
    run "$c" ps -a --filter status=exited --format '{{.Names}} {{.Status}}'
    [[ "$output" == *"web-$c Exited (137) "* ]]
    run "$c" ps -q
    [ -z "$output" ]
  done
}

@test "ps filters by label, name and status; --format and -s show Docker's fields" {
  dk run -d --name f1 --label k=a bb sleep 300
  dk create --name f2 --label k=b bb true
  run dk ps -a --filter label=k=b --format '{{.Names}}'
  [ "$output" = f2 ]
  run dk ps --filter name=f --format '{{.Names}}'
  [ "$output" = f1 ]
  run dk ps -a --filter status=created --format '{{.Names}} {{.State}}'
  [ "$output" = "f2 created" ]
  run dk ps -a -n 1 --format '{{.Names}}'
  [ "$output" = f2 ]
  run dk ps -s --format '{{.Names}} {{.Size}}'
  [[ "$output" == "f1 "*"B (virtual "*"B)" ]]
  # The summary's raw shape.
  run api '/containers/json?all=1&filters=%7B%22name%22%3A%5B%22f1%22%5D%7D'
  [ "$(api_status)" = 200 ]
  body=$(api_body)
  [ "$(jq -r '.[0].Names[0]' <<<"$body")" = /f1 ]
  [ "$(jq -r '.[0].Command' <<<"$body")" = "sleep 300" ]
  [ "$(jq -r '.[0].State' <<<"$body")" = running ]
  [ "$(jq -r '.[0].Labels.k' <<<"$body")" = a ]
  [[ "$(jq -r '.[0].Status' <<<"$body")" == Up* ]]
  [ "$(jq -r '.[0].Created | type' <<<"$body")" = number ]
  run dk ps --filter nosuch=1
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid filter"* ]]
  run api '/containers/json?filters=notjson'
  [ "$(api_status)" = 400 ]
  run api '/containers/json?limit=abc'
  [ "$(api_status)" = 400 ]
  run api '/containers/json?size=maybe'
  [ "$(api_status)" = 400 ]
}

@test "run -d -p 127.0.0.1:19150:80: the published port answers" {
  run dk run -d --name www -p 127.0.0.1:19150:80 bb httpd -f -p 80 -h /etc
  [ "$status" -eq 0 ]
  wait_until curl -sf http://127.0.0.1:19150/passwd
  run curl -sf http://127.0.0.1:19150/passwd
  [[ "$output" == root:* ]]
  run dk ps --format '{{.Ports}}'
  [ "$output" = "127.0.0.1:19150->80/tcp" ]
  run dk port www
  [[ "$output" == *"80/tcp -> 127.0.0.1:19150"* ]]
  dk rm -f www
  run curl -s -m 2 http://127.0.0.1:19150/passwd
  [ "$status" -ne 0 ]
}

@test "kill sends the signal; kill of a stopped container is 409; restart runs it again" {
  for c in $(clients); do
    "$c" run -d --name "k-$c" bb sh -c 'trap "exit 42" USR1; touch /ready; while :; do sleep 0.1; done'
    pid=$(pid_of "k-$c")
    # An init ignores a signal it has no handler for: wait for the trap.
    wait_until berth exec "k-$c" test -f /ready
    run "$c" kill -s USR1 "k-$c"
    [ "$status" -eq 0 ]
    run "$c" wait "k-$c"
    [ "$output" = 42 ]
    [ "$(state_of "k-$c")" = exited ]
    run "$c" kill "k-$c"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is not running"* ]]
    run "$c" restart -t 1 "k-$c"
    [ "$status" -eq 0 ]
    [ "$(state_of "k-$c")" = running ]
    [ "$(pid_of "k-$c")" != "$pid" ]
    "$c" kill "k-$c"
    run "$c" wait "k-$c"
    [ "$output" = 137 ]
  done
  # stop?signal= : the container's own way to stop (its trap's status).
  dk run -d --name ks bb sh -c 'trap "exit 7" USR2; touch /ready; while :; do sleep 0.1; done'
  wait_until berth exec ks test -f /ready
  run api -X POST '/containers/ks/stop?signal=USR2&t=10'
  [ "$(api_status)" = 204 ]
  [ "$(exit_of ks)" = 7 ]
  run api -X POST /containers/k-dk/kill
  [ "$(api_status)" = 409 ]
  run api -X POST '/containers/k-dk/kill?signal=NOSUCH'
  [ "$(api_status)" = 400 ]
}

@test "start of a running container is 304, stop of a stopped one 304" {
  dk run -d --name s304 bb sleep 300
  run api -X POST /containers/s304/start
  [ "$(api_status)" = 304 ]
  dk kill s304
  dk wait s304
  run api -X POST /containers/s304/stop
  [ "$(api_status)" = 304 ]
}

@test "wait: next-exit asked before start gets the coming exit; removed waits for AutoRemove" {
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","Cmd":["sh","-c","sleep 0.3; exit 3"]}' \
    '/containers/create?name=w1'
  [ "$(api_status)" = 201 ]
  # The head comes at once (the docker CLI waits for it before it starts
  # the container), the status when the container exits.
  curl -sS -N -D "$BATS_TEST_TMPDIR/w1.head" --unix-socket "$SOCK" -X POST \
    'http://d/containers/w1/wait?condition=next-exit' >"$BATS_TEST_TMPDIR/w1" &
  waiter=$!
  wait_until grep -q '^HTTP/1.1 200' "$BATS_TEST_TMPDIR/w1.head"
  run api -X POST /containers/w1/start
  [ "$(api_status)" = 204 ]
  wait "$waiter"
  [ "$(jq -r .StatusCode <"$BATS_TEST_TMPDIR/w1")" = 3 ]
  # not-running of a stopped container answers at once with its code.
  run api -X POST /containers/w1/wait
  [ "$(api_body | jq -r .StatusCode)" = 3 ]
  # AutoRemove (--rm): the record goes, the code comes from the exit.
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","Cmd":["sh","-c","exit 5"],"HostConfig":{"AutoRemove":true}}' \
    '/containers/create?name=w2'
  [ "$(api_status)" = 201 ]
  api -X POST '/containers/w2/wait?condition=removed' >"$BATS_TEST_TMPDIR/w2" &
  waiter=$!
  sleep 0.3
  api -X POST /containers/w2/start
  wait "$waiter"
  [ "$(sed '$d' "$BATS_TEST_TMPDIR/w2" | jq -r .StatusCode)" = 5 ]
  run berth inspect w2
  [ "$status" -ne 0 ]
  run api -X POST '/containers/w1/wait?condition=bogus'
  [ "$(api_status)" = 400 ]
}

@test "rm refuses a running container (409), rm -f removes it and its directory" {
  for c in $(clients); do
    id=$("$c" run -d --name "r-$c" bb sleep 300)
    [ -d "$BERTH_ROOT/containers/$id" ]
    run "$c" rm "r-$c"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Stop the container before attempting removal or force remove"* ]]
    [ "$(state_of "r-$c")" = running ]
    pid=$(pid_of "r-$c")
    run "$c" rm -f "r-$c"
    [ "$status" -eq 0 ]
    run berth inspect "r-$c"
    [ "$status" -ne 0 ]
    [ ! -e "$BERTH_ROOT/containers/$id" ]
    ! kill -0 "$pid" 2>/dev/null
  done
}

@test "rename: the new name is the container's, the old one is free" {
  for c in $(clients); do
    "$c" create --name "old-$c" bb true
    run "$c" rename "old-$c" "new-$c"
    [ "$status" -eq 0 ]
    [ "$(berth inspect -f '{{.Name}}' "new-$c")" = "/new-$c" ]
    run berth inspect "old-$c"
    [ "$status" -ne 0 ]
  done
  dk create --name taken bb true
  run dk rename new-dk taken
  [ "$status" -ne 0 ]
  run api -X POST '/containers/new-dk/rename?name=taken'
  [ "$(api_status)" = 409 ]
}

@test "update: the new memory limit is in the container's cgroup" {
  for c in $(clients); do
    "$c" run -d --name "u-$c" -m 64m bb sleep 300
    pid=$(pid_of "u-$c")
    cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")
    [ -n "$cg" ]
    [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((64 << 20)) ]
    run "$c" update -m 96m --memory-swap 192m "u-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((96 << 20)) ]
    [ "$(berth inspect -f '{{.HostConfig.Memory}}' "u-$c")" -eq $((96 << 20)) ]
    run "$c" update --restart on-failure:3 "u-$c"
    [ "$status" -eq 0 ]
    [ "$(berth inspect -f '{{.HostConfig.RestartPolicy.Name}}' "u-$c")" = on-failure ]
  done
  # Refused whole: nothing changes.
  run dk update -m 1k u-dk
  [ "$status" -ne 0 ]
  [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((96 << 20)) ]
  run api -X POST -H 'Content-Type: application/json' -d '{"Memory":"1g"}' /containers/u-dk/update
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"UpdateConfig.Memory"* ]]
  run api -X POST -H 'Content-Type: application/json' -d '{"Memory":' /containers/u-dk/update
  [ "$(api_status)" = 400 ]
  [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((96 << 20)) ]
}

@test "top lists the container's processes" {
  for c in $(clients); do
    "$c" run -d --name "t-$c" bb sleep 301
    run "$c" top "t-$c"
    [ "$status" -eq 0 ]
    [[ "$output" == *PID* ]]
    [[ "$output" == *"sleep 301"* ]]
    run "$c" top "t-$c" -o pid,comm
    [[ "$output" == *"COMMAND"* ]]
    [[ "$output" == *"$(pid_of "t-$c") "*sleep* ]]
  done
  dk create --name t-stopped bb true
  run api /containers/t-stopped/top
  [ "$(api_status)" = 409 ]
}

@test "diff and export show the file the container wrote" {
  for c in $(clients); do
    "$c" run -d --name "fs-$c" bb sh -c 'rm /etc/group; echo written-by-it > /newfile; sleep 300'
    wait_until berth exec "fs-$c" test -s /newfile
    run "$c" diff "fs-$c"
    [ "$status" -eq 0 ]
    [[ "$output" == *"A /newfile"* ]]
    [[ "$output" == *"D /etc/group"* ]]
    "$c" export -o "$BATS_TEST_TMPDIR/$c.tar" "fs-$c"
    tar -tf "$BATS_TEST_TMPDIR/$c.tar" | grep -qx './newfile\|newfile'
    [ "$(tar -xOf "$BATS_TEST_TMPDIR/$c.tar" ./newfile 2>/dev/null ||
         tar -xOf "$BATS_TEST_TMPDIR/$c.tar" newfile)" = written-by-it ]
    ! tar -tf "$BATS_TEST_TMPDIR/$c.tar" | grep -q 'etc/group$'
  done
  run api -D "$BATS_TEST_TMPDIR/h" /containers/fs-dk/export
  grep -qi '^content-type: application/x-tar' "$BATS_TEST_TMPDIR/h"
}

@test "pause freezes the container, unpause thaws it" {
  for c in $(clients); do
    "$c" run -d --name "p-$c" bb sh -c 'while :; do date +%s%N > /tick; sleep 0.05; done'
    pid=$(pid_of "p-$c")
    run "$c" pause "p-$c"
    [ "$status" -eq 0 ]
    [ "$(state_of "p-$c")" = paused ]
    cg=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ {print $3}' "/proc/$pid/cgroup")
    [ "$(cat "/sys/fs/cgroup/freezer$cg/freezer.state")" = FROZEN ]
    run "$c" ps --format '{{.Status}}'
    [[ "$output" == *"(Paused)"* ]]
    run "$c" unpause "p-$c"
    [ "$status" -eq 0 ]
    [ "$(cat "/sys/fs/cgroup/freezer$cg/freezer.state")" = THAWED ]
    [ "$(state_of "p-$c")" = running ]
  done
  run api -X POST /containers/p-dk/unpause
  [ "$(api_status)" = 409 ]
}

@test "container prune removes the stopped containers only" {
  dk run -d --name keep bb sleep 300
  dk create --name gone1 bb true
  dk create --name gone2 --label drop=1 bb true
  run dk container prune -f --filter label=drop=1
  [ "$status" -eq 0 ]
  run berth inspect gone2
  [ "$status" -ne 0 ]
  berth inspect gone1 >/dev/null
  run api -X POST /containers/prune
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -r '.ContainersDeleted | length')" = 1 ]
  [ "$(api_body | jq -r '.SpaceReclaimed | type')" = number ]
  run berth ps -a --format '{{.Names}}'
  [ "$output" = keep ]
}

@test "docker run in the foreground: wait before start gives the exit status; --rm leaves nothing" {
  # Attaching is api_attach.c's (the io part): without it, nothing to run.
  run api -X POST /containers/nosuch/attach
  [ "$(api_body | jq -r .message)" = "No such container: nosuch" ] ||
    skip "no attach route in this build"
  for c in $(clients); do
    run -3 "$c" run --rm bb sh -c 'echo out-$PPID; exit 3'
    [ "$output" = "out-0" ]
    run -4 "$c" run --name "fg-$c" bb sh -c 'exit 4'
    [ "$(exit_of "fg-$c")" = 4 ]
    run "$c" run --rm bb true
    [ "$status" -eq 0 ]
  done
  [ "$(berth ps -aq | wc -l)" -eq 2 ]
}

@test "a command that cannot run: docker run exits 127 or 126; --rm leaves nothing" {
  for c in $(clients); do
    run -127 "$c" run -d --name "nx-$c" bb /no/such/program
    [[ "$output" == *"no such file or directory"* ]]
    [ "$(state_of "nx-$c")" != running ]
    run -126 "$c" run -d bb /etc/passwd
    run -127 "$c" run -d --rm bb /no/such/program
  done
  # The --rm ones are gone, the others stay (as Docker's).
  [ "$(berth ps -aq | wc -l)" -eq 4 ]
  run api -X POST /containers/nx-dk/start
  [ "$(api_status)" = 400 ]
}

@test "run -d --rm: the record goes when the container exits" {
  for c in $(clients); do
    id=$("$c" run -d --rm bb sh -c 'sleep 0.5; exit 0')
    wait_until sh -c "! '$BERTH' --root '$BERTH_ROOT' inspect $id"
    run berth inspect "$id"
    [ "$status" -ne 0 ]
    [ ! -e "$BERTH_ROOT/containers/$id" ]
  done
}

@test "NetworkingConfig aliases: replicas are reachable by the service's name" {
  berth network create apictr-net >/dev/null
  for i in 1 2; do
    run api -X POST -H 'Content-Type: application/json' -d '{"Image":"bb",
      "Cmd":["sleep","300"],"HostConfig":{"NetworkMode":"apictr-net"},
      "NetworkingConfig":{"EndpointsConfig":{"apictr-net":{"Aliases":["svc"]}}}}' \
      "/containers/create?name=rep$i"
    [ "$(api_status)" = 201 ]
    run api -X POST "/containers/rep$i/start"
    [ "$(api_status)" = 204 ]
  done
  ip1=$(berth inspect -f '{{(index .NetworkSettings.Networks "apictr-net").IPAddress}}' rep1)
  ip2=$(berth inspect -f '{{(index .NetworkSettings.Networks "apictr-net").IPAddress}}' rep2)
  [ -n "$ip1" ] && [ -n "$ip2" ]
  run berth inspect -f '{{json (index .NetworkSettings.Networks "apictr-net").Aliases}}' rep1
  [[ "$output" == *'"svc"'* ]]
  run berth run --rm --network apictr-net bb nslookup svc
  [[ "$output" == *"$ip1"* ]]
  [[ "$output" == *"$ip2"* ]]
  berth rm -f rep1 rep2 >/dev/null
  berth network rm apictr-net
}

@test "-v binds, --tmpfs and named volumes reach the container" {
  mkdir -p "$BATS_TEST_TMPDIR/host"
  dk run -d --name v1 -v "$BATS_TEST_TMPDIR/host:/data" --tmpfs /scratch:size=1m \
    -v apivol:/vol bb sh -c 'echo via-bind > /data/f; grep " /scratch " /proc/mounts > /data/m; echo v > /vol/x; sleep 300'
  wait_until test -s "$BATS_TEST_TMPDIR/host/m"
  [ "$(cat "$BATS_TEST_TMPDIR/host/f")" = via-bind ]
  grep -q tmpfs "$BATS_TEST_TMPDIR/host/m"
  run berth inspect -f '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}' v1
  [[ "$output" == *"bind:/data"* ]]
  [[ "$output" == *"volume:/vol"* ]]
  dk rm -f v1
  berth volume rm apivol
}

@test "a container created through the API gets the isolation of berth run" {
  want=$(berth run --rm bb sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status')
  [ -n "$want" ]
  dk run -d --name iso bb sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; sleep 300'
  wait_until has_logs iso
  [ "$(berth logs iso)" = "$want" ]
  # The control: the probe sees a difference when there is one.
  dk run -d --name iso-priv --privileged bb sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; sleep 300'
  wait_until has_logs iso-priv
  [ "$(berth logs iso-priv)" != "$want" ]
  # The same user namespace shape (berth's default: one of its own).
  berth run -d --name iso-cli bb sleep 300
  [ "$(awk '{print $1, $3}' "/proc/$(pid_of iso)/uid_map")" = \
    "$(awk '{print $1, $3}' "/proc/$(pid_of iso-cli)/uid_map")" ]
  [ "$(awk '{print $2}' "/proc/$(pid_of iso)/uid_map")" != 0 ]
}

@test "a create body as docker-compose sends it (nulls, zero values, Binds, default network) runs" {
  run api -X POST -H 'Content-Type: application/json' -d '{"Image":"bb",
    "Cmd":["sh","-c","echo $A > /data/f; sleep 300"],"Env":["A=from-env"],
    "Labels":{"com.docker.compose.project":"p"},"Volumes":{"/data":{}},
    "ExposedPorts":{"80/tcp":{}},
    "HostConfig":{"Binds":["apictr-pvol:/data:rw"],"Links":[],
      "LogConfig":{"Type":"","Config":{}},"NetworkMode":"default",
      "PortBindings":{},"VolumesFrom":[],"ExtraHosts":null,"Init":null,
      "RestartPolicy":{"Name":"","MaximumRetryCount":0},"CapAdd":null,
      "Dns":null,"SecurityOpt":null,"Memory":0,"MemorySwap":0,"CpuShares":0,
      "NanoCpus":0,"CpusetCpus":"","BlkioWeight":0,"OomKillDisable":false,
      "PidsLimit":null,"Ulimits":null,"Devices":[],"ShmSize":0,
      "Sysctls":null,"Tmpfs":null,"Mounts":null,"MemorySwappiness":null,
      "CgroupParent":"","GroupAdd":null,"AutoRemove":false,"IpcMode":"",
      "PidMode":"","UsernsMode":"","CgroupnsMode":"private"},
    "NetworkingConfig":{"EndpointsConfig":{"bridge":{"Aliases":null,
      "IPAMConfig":null,"Links":null}}}}' '/containers/create?name=compose1'
  [ "$(api_status)" = 201 ]
  run api -X POST /containers/compose1/start
  [ "$(api_status)" = 204 ]
  wait_until sh -c "[ \"\$(cat '$BERTH_ROOT'/volumes/apictr-pvol/_data/f)\" = from-env ]"
  run api '/containers/json?filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3Dp%22%5D%7D'
  [ "$(api_body | jq -r '.[0].Names[0]')" = /compose1 ]
  berth rm -f compose1 >/dev/null
  berth volume rm apictr-pvol >/dev/null
}

@test "bad create input: 400 for malformed JSON and wrong types, 404 for an unknown image, 409 for a name in use; nothing is made" {
  dk create --name inuse bb true
  run api -X POST -H 'Content-Type: application/json' -d '{"Image": "bb",' /containers/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *JSON* ]]
  nothing_made 1
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","HostConfig":{"Memory":"lots"}}' /containers/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"HostConfig.Memory"* ]]
  nothing_made 1
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","Cmd":[1,2]}' /containers/create
  [ "$(api_status)" = 400 ]
  nothing_made 1
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"no-such-image-here"}' /containers/create
  [ "$(api_status)" = 404 ]
  [[ "$(api_body | jq -r .message)" == "No such image: no-such-image-here"* ]]
  nothing_made 1
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb"}' '/containers/create?name=inuse'
  [ "$(api_status)" = 409 ]
  [[ "$(api_body | jq -r .message)" == *"already in use"* ]]
  nothing_made 1
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb"}' '/containers/create?name=bad%2Fname'
  [ "$(api_status)" = 400 ]
  nothing_made 1
  # Unknown fields are ignored, as Docker's decoder does.
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"bb","NoSuchField":1,"HostConfig":{"Nope":true}}' '/containers/create?name=ok'
  [ "$(api_status)" = 201 ]
  nothing_made 2
  # The docker CLI pulls on 404 and, offline, fails: nothing is made.
  run dk create no-such-image-here
  [ "$status" -ne 0 ]
  nothing_made 2
}

@test "an unknown container is 404 on every verb" {
  local m p
  while read -r m p; do
    run api -X "$m" "/containers/nosuch$p"
    [ "$(api_status)" = 404 ] || { echo "$m $p: $output"; false; }
    [ "$(api_body | jq -r .message)" = "No such container: nosuch" ]
  done <<'EOF2'
GET /json
POST /start
POST /stop
POST /restart
POST /kill
POST /wait
DELETE
POST /rename?name=x
POST /update
GET /top
GET /changes
GET /export
POST /pause
POST /unpause
EOF2
  nothing_made 0
}
