#!/usr/bin/env bats
# Volumes through the Engine API: the docker CLI (this machine's and
# Debian's 20.10 client) and curl on the service's socket.  The files are
# checked where the local driver keeps them, under the root's volumes/.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }

teardown() {
  engine_teardown
  local v
  for v in $(berth volume ls -q 2>/dev/null); do
    berth volume rm -f "$v" >/dev/null 2>&1
  done
  return 0
}

teardown_file() { api_teardown_file; }

@test "volume create, ls with filters, inspect and rm (docker CLI and 20.10 client)" {
  local client n=0
  for client in dk dk20; do
    n=$((n + 1))
    run $client volume create --label team=t$n vol$n
    [ "$status" -eq 0 ]
    [ "$output" = vol$n ]
    [ -d "$BERTH_ROOT/volumes/vol$n/_data" ]
    run $client volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Labels.team}}' vol$n
    [ "$status" -eq 0 ]
    [ "$output" = "vol$n local local $BERTH_ROOT/volumes/vol$n/_data t$n" ]
    # An existing name: the same volume, its files kept (Docker).
    touch "$BERTH_ROOT/volumes/vol$n/_data/kept"
    run $client volume create vol$n
    [ "$status" -eq 0 ]
    [ -e "$BERTH_ROOT/volumes/vol$n/_data/kept" ]
    run $client volume ls --filter label=team=t$n -q
    [ "$output" = vol$n ]
    run $client volume ls --filter name=vol$n --format '{{.Driver}} {{.Name}}'
    [ "$output" = "local vol$n" ]
  done
  run dk volume ls --filter dangling=true --filter driver=local -q
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "vol1 vol2 " ]
  run dk volume ls --filter driver=nfs -q
  [ -z "$output" ]
  run dk volume ls --filter colour=red
  [ "$status" -ne 0 ]
  # Anonymous: 64 hex digits.
  run dk volume create
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  [ -d "$BERTH_ROOT/volumes/$output/_data" ]
  run dk volume rm vol1
  [ "$status" -eq 0 ]
  [ ! -e "$BERTH_ROOT/volumes/vol1" ]
  run dk20 volume rm vol2
  [ "$status" -eq 0 ]
  [ ! -e "$BERTH_ROOT/volumes/vol2" ]
  run dk volume inspect vol1
  [ "$status" -ne 0 ]
  [[ "$output" == *"no such volume"* ]]
  # The listing's shape.
  run api /volumes
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -c '[(.Volumes | length), .Warnings]')" = '[1,[]]' ]
}

@test "a container writes into a named volume; in-use removal is refused" {
  # Control: the volume does not exist before the container names it.
  [ ! -e "$BERTH_ROOT/volumes/data1" ]
  cid=$(dk run -d -v data1:/data bb sh -c 'echo written > /data/f')
  [ "$(dk wait "$cid")" = 0 ]
  dk rm "$cid" >/dev/null
  [ "$(cat "$BERTH_ROOT/volumes/data1/_data/f")" = written ]
  # Docker's volume event for the mount, through the API.
  run dk events --since 0 --until "$(($(date +%s) + 1))" --filter volume=data1 \
    --filter event=mount --format '{{.Type}} {{.Action}} {{.Actor.ID}}'
  [[ "$output" == "volume mount data1"* ]]
  [ "$(dk volume inspect -f '{{.Name}}' data1)" = data1 ]
  dk create --name holder -v data1:/data bb true >/dev/null
  run dk volume ls --filter dangling=false -q
  [ "$output" = data1 ]
  run dk volume rm data1
  [ "$status" -ne 0 ]
  [[ "$output" == *"in use"* ]]
  run api -X DELETE /volumes/data1
  [ "$(api_status)" = 409 ]
  [[ "$(api_body | jq -r .message)" == *"in use"* ]]
  run api -X DELETE '/volumes/data1?force=1'
  [ "$(api_status)" = 409 ]
  [ "$(cat "$BERTH_ROOT/volumes/data1/_data/f")" = written ]
  dk rm holder >/dev/null
  run api -X DELETE /volumes/data1
  [ "$(api_status)" = 204 ]
  [ ! -e "$BERTH_ROOT/volumes/data1" ]
  # Gone: 404, and with force not an error (Docker).
  run api -X DELETE /volumes/data1
  [ "$(api_status)" = 404 ]
  run api -X DELETE '/volumes/data1?force=true'
  [ "$(api_status)" = 204 ]
}

@test "volume prune takes the unused volumes the filters select and reports the space" {
  dk volume create --label x=1 p1 >/dev/null
  dk volume create p2 >/dev/null
  dk volume create p3 >/dev/null
  head -c 1048576 /dev/zero >"$BERTH_ROOT/volumes/p2/_data/mb"
  dk create --name user -v p3:/data bb true >/dev/null
  run dk volume prune -f --filter label=x=1
  [ "$status" -eq 0 ]
  [[ "$output" == *p1* ]]
  [[ "$output" != *p2* ]]
  [ ! -e "$BERTH_ROOT/volumes/p1" ]
  [ -d "$BERTH_ROOT/volumes/p2/_data" ]
  # API 1.41 prunes named volumes too (Docker before 1.42), not used ones.
  run dk20 volume prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *p2* ]]
  [[ "$output" == *"Total reclaimed space: 1.049MB"* ]]
  [ ! -e "$BERTH_ROOT/volumes/p2" ]
  [ -d "$BERTH_ROOT/volumes/p3/_data" ]
  run api -X POST /volumes/prune
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -c .)" = '{"VolumesDeleted":null,"SpaceReclaimed":0}' ]
  run api -X POST '/volumes/prune?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D'
  [ "$(api_status)" = 400 ]
  dk rm user >/dev/null
  run api -X POST '/volumes/prune?filters=%7B%22label%21%22%3A%5B%22x%22%5D%7D'
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -c .VolumesDeleted)" = '["p3"]' ]
}

@test "bad volume requests are refused, leave nothing behind and the service serves on" {
  before=$(ls -A "$BERTH_ROOT/volumes" 2>/dev/null)
  post() { api -X POST -H 'Content-Type: application/json' -d "$1" /volumes/create; }
  run post '{"Name": "b1", '
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"invalid JSON"* ]]
  run post '{"Name": "a/b"}'
  [ "$(api_status)" = 400 ]
  run post '{"Name": "b2", "Driver": "nfs"}'
  [ "$(api_status)" = 400 ]
  run post '{"Name": "b3", "Labels": {"k": 1}}'
  [ "$(api_status)" = 400 ]
  run post '{"Name": 7}'
  [ "$(api_status)" = 400 ]
  run post '{"Name": "b4", "DriverOpts": "x"}'
  [ "$(api_status)" = 400 ]
  run api /volumes/nosuch
  [ "$(api_status)" = 404 ]
  [[ "$(api_body | jq -r .message)" == *nosuch* ]]
  run api '/volumes?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D'
  [ "$(api_status)" = 400 ]
  [ "$(ls -A "$BERTH_ROOT/volumes" 2>/dev/null)" = "$before" ]
  [ -z "$(berth volume ls -q)" ]
  # A good request still works.
  run post '{"Name": "good", "Labels": {"k": "v"}, "Unknown": true}'
  [ "$(api_status)" = 201 ]
  [ "$(api_body | jq -r '.Name + " " + .Labels.k')" = "good v" ]
  run api /_ping
  [ "$(api_body)" = OK ]
}
