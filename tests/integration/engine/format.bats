#!/usr/bin/env bats
# --format and -f: Go templates as Docker runs them (table, json, range,
# index, functions), over Docker's field names and shapes for ps, images,
# inspect (containers and images), volume ls, stats and events.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  engine_teardown
  berth volume rm fmt-vol >/dev/null 2>&1 || true
}

@test "ps --format: fields print their values; Go prints maps and lists" {
  id=$(berth run -d --name fmt-web --label tier=web --label k=v bb sleep 1000)
  [ "$(berth ps --format '{{.Names}}')" = fmt-web ]
  [ "$(berth ps --format '{{.ID}}')" = "${id:0:12}" ]
  [ "$(berth ps --format '{{.Image}} {{.State}} {{.Command}}')" = 'bb running "sleep 1000"' ]
  [ "$(berth ps --format '{{.Label "tier"}}|{{.Label "none"}}|{{.Labels}}')" = "web||k=v,tier=web" ]
  [[ "$(berth ps --format '{{.Status}}')" == "Up "* ]]
  [[ "$(berth ps --format '{{.RunningFor}}')" == *" ago" ]]
  [[ "$(berth ps --format '{{.CreatedAt}}')" =~ ^20[0-9-]+\ [0-9:]+\ [+-][0-9]{4}\ [A-Z]+$ ]]
  # Go's %v: a map as map[k:v ...] in key order, a slice as [a b]
  [ "$(berth inspect -f '{{.Config.Labels}}' fmt-web)" = "map[k:v tier:web]" ]
  [ "$(berth inspect -f '{{.Config.Cmd}}' fmt-web)" = "[sleep 1000]" ]
}

@test "ps --format table: Docker's titles, columns aligned as tabwriter" {
  id=$(berth run -d --name fmt-t bb sleep 1000)
  run berth ps --format 'table {{.ID}}\t{{.Image}}\t{{.Names}}'
  [ "$status" -eq 0 ]
  # column width: the widest cell + 3, at least 10 (docker's tabwriter)
  [ "${lines[0]}" = "CONTAINER ID   IMAGE     NAMES" ]
  [ "${lines[1]}" = "${id:0:12}   bb        fmt-t" ]
  run berth ps
  [[ "${lines[0]}" == "CONTAINER ID   IMAGE     COMMAND        CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
  [[ "${lines[1]}" == "${id:0:12}   bb        \"sleep 1000\"   "*fmt-t ]]
  run berth ps --format table
  [[ "${lines[0]}" == "CONTAINER ID"*NAMES ]]
  # header functions show the title, as docker's: upper, json, .Label "k"
  berth run -d --name fmt-l --label tier=db bb sleep 1000 >/dev/null
  run berth ps --filter name=fmt-l --format 'table {{.Names | upper}}\t{{.Label "tier"}}\t{{json .State}}'
  [ "${lines[0]}" = "NAMES     LABEL     STATE" ]
  [ "${lines[1]}" = 'FMT-L     db        "running"' ]
}

@test "ps -n, -l, --no-trunc and -s" {
  berth run --name fmt-old bb true
  berth run --name fmt-new bb sh -c 'head -c 2000 /dev/zero > /big'
  berth run -d --name fmt-up bb sleep 1000 >/dev/null
  # -n and -l include stopped containers, newest first
  [ "$(berth ps -n 1 --format '{{.Names}}')" = fmt-up ]
  [ "$(berth ps -n 2 --format '{{.Names}}' | tr '\n' ' ')" = "fmt-up fmt-new " ]
  [ "$(berth ps --last 3 -q | wc -l)" = 3 ]
  [ "$(berth ps -l --format '{{.Names}}')" = fmt-up ]
  [ "$(berth ps --format '{{.Names}}')" = fmt-up ]
  # --no-trunc: the full id and the whole command
  id=$(berth ps --no-trunc --format '{{.ID}}')
  [ ${#id} -eq 64 ]
  [ "$(berth ps -q --no-trunc | head -1)" = "$id" ]
  [ "$(berth ps -a --no-trunc --filter name=fmt-new --format '{{.Command}}')" = '"sh -c head -c 2000 /dev/zero > /big"' ]
  [ "$(berth ps -a --filter name=fmt-new --format '{{.Command}}')" = '"sh -c head -c 2000 …"' ]
  # -s: the writable layer and the virtual size (image + layer)
  run berth ps -a -s --filter name=fmt-new
  [[ "${lines[0]}" == *NAMES*SIZE ]]
  [[ "${lines[1]}" == *"2kB (virtual "*MB")" ]]
  [ "$(berth ps -a --filter name=fmt-old --format '{{.Size}}' | cut -d' ' -f1)" = 0B ]
  # inspect --size: Docker's SizeRw and SizeRootFs in bytes
  [ "$(berth inspect -s -f '{{.SizeRw}}' fmt-new)" -ge 2000 ]
  [ "$(berth inspect -s -f '{{gt .SizeRootFs .SizeRw}}' fmt-new)" = true ]
  run berth inspect -f '{{.SizeRw}}' fmt-new
  [ "$status" -eq 125 ]
}

@test "ps --format json: one object a line with Docker's fields" {
  berth run -d --name fmt-j --label a=b bb sleep 1000 >/dev/null
  run berth ps --format json
  [ "$(jq -r .Names <<<"$output")" = fmt-j ]
  [ "$(jq -r .State <<<"$output")" = running ]
  [ "$(jq -r .Labels <<<"$output")" = a=b ]
  [ "$(berth ps --format '{{json .}}' | jq -r .ID)" = "$(jq -r .ID <<<"$output")" ]
}

@test "inspect: .Mounts, .Config.Labels, .NetworkSettings in Docker's shape" {
  berth run -d --name fmt-i -v fmt-vol:/data --label k=val bb sleep 1000 >/dev/null
  [ "$(berth inspect -f '{{range .Mounts}}{{.Destination}} {{.Type}} {{.Name}} {{.Driver}} {{.RW}}{{end}}' fmt-i)" = "/data volume fmt-vol local true" ]
  [ "$(berth inspect -f '{{range .Mounts}}{{.Source}}{{end}}' fmt-i)" = "$BERTH_ROOT/volumes/fmt-vol/_data" ]
  [ "$(berth inspect -f '{{index .Config.Labels "k"}}' fmt-i)" = val ]
  [ "$(berth inspect --format '{{.State.Status}} {{.State.Running}} {{.Name}}' fmt-i)" = "running true /fmt-i" ]
  berth inspect -f '{{json .NetworkSettings}}' fmt-i >"$BATS_TEST_TMPDIR/ns"
  for k in Bridge SandboxID Ports Networks IPAddress Gateway MacAddress; do
    jq -e "has(\"$k\")" "$BATS_TEST_TMPDIR/ns" >/dev/null
  done
  # On the default network: Docker's top-level address members are its.
  [ "$(jq -r '.Networks | keys[0]' "$BATS_TEST_TMPDIR/ns")" = bridge ]
  [ "$(jq -r '.IPAddress' "$BATS_TEST_TMPDIR/ns")" = "$(jq -r '.Networks.bridge.IPAddress' "$BATS_TEST_TMPDIR/ns")" ]
  [[ "$(jq -r '.IPAddress' "$BATS_TEST_TMPDIR/ns")" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]
  # the whole document has ContainerJSON's members
  for k in Id Created Path Args State Image Name RestartCount HostConfig Config Mounts NetworkSettings; do
    berth inspect fmt-i | jq -e ".[0] | has(\"$k\")" >/dev/null
  done
  [ "$(berth inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.Path}} {{.Args}}' fmt-i)" = "no sleep [1000]" ]
}

@test "inspect of an image: ImageInspect's fields" {
  id=$(berth images --no-trunc --format '{{.ID}}')
  [ "$(berth inspect -f '{{.Id}}' bb)" = "$id" ]
  [ "$(berth image inspect -f '{{.RepoTags}} {{.RootFS.Type}} {{len .RootFS.Layers}} {{.Os}}' bb)" = "[bb:latest] layers 1 linux" ]
  [ "$(berth image inspect -f '{{.Config.Cmd}}' bb)" = "[/bin/sh]" ]
  [ "$(berth image inspect -f '{{.Size}}' bb)" -gt 100000 ]
}

@test "functions: json, index, len, join, split, upper, lower, title, printf, println, eq" {
  berth run -d --name fmt-f --label x=1 bb sleep 1000 >/dev/null
  [ "$(berth inspect -f '{{join .Config.Cmd ","}}' fmt-f)" = "sleep,1000" ]
  [ "$(berth inspect -f '{{upper .Name}} {{lower "AB"}} {{title "a b"}}' fmt-f)" = "/FMT-F ab A B" ]
  [ "$(berth inspect -f '{{index (split .Name "-") 1}} {{len .Config.Cmd}}' fmt-f)" = "f 2" ]
  [ "$(berth inspect -f '{{printf "%s:%d" .Name .RestartCount}}' fmt-f)" = "/fmt-f:0" ]
  [ "$(berth inspect -f '{{json .Config.Labels}}' fmt-f)" = '{"x":"1"}' ]
  [ "$(berth inspect -f '{{if eq .State.Status "running"}}up{{else}}down{{end}}' fmt-f)" = up ]
  [ "$(berth inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}' fmt-f)" = x=1 ]
  run berth inspect -f '{{println .Name}}{{.Id | len}}' fmt-f
  [ "${lines[0]}" = /fmt-f ]
  [ "${lines[1]}" = 64 ]
  [ "$(berth ps --format '{{.Names | upper | printf "%q"}}')" = '"FMT-F"' ]
}

@test "an unknown field or a syntax error: one line naming it, exit 125" {
  berth run -d --name fmt-e bb sleep 1000 >/dev/null
  run berth ps --format '{{.Bogus}}'
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"can't evaluate field Bogus"* ]]
  [[ "$output" != *"<no value>"* ]]
  run berth inspect -f '{{.State.Nope}}' fmt-e
  [ "$status" -eq 125 ]
  [[ "$output" == *".State.Nope"*"field Nope"* ]]
  run berth images --format '{{.Bogus}}'
  [ "$status" -eq 125 ]
  [[ "$output" == *Bogus* ]]
  run berth ps --format '{{.Names'
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"unclosed action"* ]]
  run berth inspect -f '{{range .Mounts}}' fmt-e
  [ "$status" -eq 125 ]
  [[ "$output" == *"unexpected EOF"* ]]
  run berth info --format '{{nosuch .X}}'
  [ "$status" -eq 125 ]
  [[ "$output" == *'function "nosuch" not defined'* ]]
  # the control: a known field of the same command prints
  [ "$(berth ps --format '{{.Names}}')" = fmt-e ]
}

@test "images: table titles and fields" {
  run berth images
  [[ "${lines[0]}" == "REPOSITORY   TAG       IMAGE ID       CREATED"*SIZE ]]
  [[ "${lines[1]}" == "bb           latest    "* ]]
  [ "$(berth images --format '{{.Repository}}:{{.Tag}}')" = bb:latest ]
  run berth images --format 'table {{.Repository}}\t{{.Tag}}'
  [ "${lines[0]}" = "REPOSITORY   TAG" ]
  [ "${lines[1]}" = "bb           latest" ]
  berth create --name fmt-c bb true >/dev/null
  [ "$(berth images --format '{{.Containers}}')" = 1 ]
  [[ "$(berth images --format '{{.CreatedSince}}')" == *" ago" ]]
}

@test "volume ls, stats and events --format" {
  berth volume create --label k=v fmt-vol >/dev/null
  [ "$(berth volume ls --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Label "k"}} {{.Labels}}' --filter name=fmt-vol)" = "fmt-vol local local v k=v" ]
  run berth volume ls --format 'table {{.Name}}\t{{.Driver}}' --filter name=fmt-vol
  [ "${lines[0]}" = "VOLUME NAME   DRIVER" ]
  [ "${lines[1]}" = "fmt-vol       local" ]
  t0=$(date +%s)
  id=$(berth run -d --name fmt-s bb sleep 1000)
  run berth stats --no-stream --format '{{.Name}} {{.ID}} {{.PIDs}} {{.Container}}' fmt-s
  [ "$output" = "fmt-s ${id:0:12} 1 ${id:0:12}" ]
  run berth stats --no-stream --format 'table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}' fmt-s
  [[ "${lines[0]}" == "NAME      CPU %     MEM USAGE / LIMIT" ]]
  [[ "${lines[1]}" == "fmt-s     "*%*" / "* ]]
  run berth events --since "$t0" --until "$(date +%s)" --filter container=fmt-s \
    --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Status}} {{.ID}} {{.From}} {{gt .TimeNano .Time}}'
  [ "${lines[0]}" = "container create $id fmt-s create $id bb true" ]
  # {{json .}}: the Engine API's message, with its lower-case keys
  run berth events --since "$t0" --until "$(date +%s)" --filter container=fmt-s \
    --format '{{json .}}'
  [ "$(jq -r .status <<<"${lines[0]}")" = create ]
  [ "$(jq -r .Actor.Attributes.name <<<"${lines[0]}")" = fmt-s ]
}
