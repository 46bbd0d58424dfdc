#!/usr/bin/env bats
# Networks through the Engine API: the docker CLI (this machine's and
# Debian's 20.10 client) and curl on the service's socket.  Subnets
# 10.217.X.0/24 (netvol's).  Containers are made through the API too;
# commands run in them with berth exec on the same root.

bats_require_minimum_version 1.5.0
load api

setup_file() { api_setup_file; }

teardown() {
  engine_teardown
  berth network prune -f >/dev/null 2>&1
  return 0
}

teardown_file() { api_teardown_file; }

serve_httpd() { # NAME ARGS...: a detached httpd serving "hello NAME"
  local name=$1
  shift
  dk run -d --name "$name" "$@" bb sh -c \
    "mkdir -p /www && echo hello $name > /www/index.html && exec httpd -f -p 80 -h /www" \
    >/dev/null
}

# What a failed request could leave behind: network rows, bridges and
# berth's nftables rules for netvol's subnets.
leftovers() {
  berth network ls -q --no-trunc | sort
  ip -o link show type bridge | awk -F': ' '{print $2}' | grep '^br-' | sort
  nft list ruleset 2>/dev/null | grep -c '10\.217\.' || true
}

@test "network create, ls with filters and inspect (docker CLI and 20.10 client)" {
  local client n=0
  for client in dk dk20; do
    n=$((n + 1))
    run $client network create --subnet 10.217.$n.0/24 --gateway 10.217.$n.254 \
      --label team=t$n --label tier nw$n
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    id=$output
    # The engine recorded it: the CLI on the same root sees it.
    [ "$(berth network inspect -f '{{.Id}}' nw$n)" = "$id" ]
    run $client network inspect -f \
      '{{.Name}} {{.Driver}} {{.Scope}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Labels.team}}' \
      nw$n
    [ "$status" -eq 0 ]
    [ "$output" = "nw$n bridge local 10.217.$n.0/24 10.217.$n.254 t$n" ]
    # By id prefix too.
    run $client network inspect -f '{{.Name}}' "${id:0:12}"
    [ "$output" = nw$n ]
    run $client network ls --filter label=team=t$n --format '{{.Name}}'
    [ "$output" = nw$n ]
    run $client network ls --filter name=nw$n -q --no-trunc
    [ "$output" = "$id" ]
    run $client network ls --filter id="${id:0:10}" --format '{{.Name}}'
    [ "$output" = nw$n ]
  done
  # type and dangling: the two user networks, not the pre-defined ones.
  run dk network ls --filter type=custom --format '{{.Name}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "nw1 nw2 " ]
  run dk20 network ls --filter type=builtin --format '{{.Name}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none " ]
  run dk network ls --filter dangling=true --format '{{.Name}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "nw1 nw2 " ]
  run dk network ls --filter label=team=nobody -q
  [ -z "$output" ]
  # The list is Docker's NetworkResource without Containers (API 1.28+).
  run api '/networks?filters=%7B%22name%22%3A%5B%22nw1%22%5D%7D'
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -r '.[0].IPAM.Config[0].Subnet')" = 10.217.1.0/24 ]
  [ "$(api_body | jq -c '[.[0].Containers, .[0].Internal, .[0].EnableIPv6, .[0].Attachable]')" = '[{},false,false,false]' ]
  # Unknown filters are refused.
  run dk network ls --filter colour=red
  [ "$status" -ne 0 ]
  [[ "$output" == *colour* ]]
}

@test "containers on a network reach each other by name; connect and disconnect" {
  since=$(date +%s)
  id=$(dk network create --subnet 10.217.3.0/24 web)
  serve_httpd srv --network web
  dk run -d --name cl bb sleep 60 >/dev/null
  # The bridge exists while the network is used.
  ip link show "br-${id:0:12}" >/dev/null
  # Control: on the default bridge only, cl cannot resolve srv.
  run berth exec cl timeout 3 wget -qO- http://srv/
  [ "$status" -ne 0 ]
  run dk network connect --ip 10.217.3.50 --alias clalias web cl
  [ "$status" -eq 0 ]
  run berth exec cl timeout 5 wget -qO- http://srv/
  [ "$status" -eq 0 ]
  [ "$output" = "hello srv" ]
  run berth exec srv nslookup clalias
  [[ "$output" == *10.217.3.50* ]]
  run dk network inspect -f '{{len .Containers}}' web
  [ "$output" = 2 ]
  cid=$(berth inspect -f '{{.Id}}' cl)
  run dk network inspect -f "{{(index .Containers \"$cid\").IPv4Address}}" web
  [ "$output" = 10.217.3.50/24 ]
  # Connected twice: Docker's 403.
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Container":"cl"}' /networks/web/connect
  [ "$(api_status)" = 403 ]
  [[ "$output" == *"already exists in network"* ]]
  # In use: refused, Docker's 403, nothing removed.
  run dk network rm web
  [ "$status" -ne 0 ]
  [[ "$output" == *"has active endpoints"* ]]
  run api -X DELETE /networks/web
  [ "$(api_status)" = 403 ]
  ip link show "br-${id:0:12}" >/dev/null
  # Disconnect with the older client: eth1 goes, the name no longer
  # resolves.
  run dk20 network disconnect web cl
  [ "$status" -eq 0 ]
  run berth exec cl ip link show eth1
  [ "$status" -ne 0 ]
  run berth exec cl timeout 3 wget -qO- http://srv/
  [ "$status" -ne 0 ]
  run dk network inspect -f '{{len .Containers}}' web
  [ "$output" = 1 ]
  # Not connected any more: disconnecting again is an error.
  run dk network disconnect web cl
  [ "$status" -ne 0 ]
  [[ "$output" == *"not connected"* ]]
  dk rm -f srv >/dev/null
  run dk network rm web
  [ "$status" -eq 0 ]
  run ip link show "br-${id:0:12}"
  [ "$status" -ne 0 ]
  run berth network inspect web
  [ "$status" -ne 0 ]
  run nft list ruleset
  [[ "$output" != *10.217.3.* ]]
  # Docker's network events, by the network's name.
  cid=$(berth inspect -f '{{.Id}}' cl)
  run dk events --since "$since" --until "$(($(date +%s) + 1))" \
    --filter network=web --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "container"}}'
  [ "$status" -eq 0 ]
  [ "$output" = "network create $id 
network connect $id $cid
network disconnect $id $cid
network destroy $id " ]
}

@test "pre-defined networks cannot be removed; prune takes unused custom ones" {
  run dk network rm bridge
  [ "$status" -ne 0 ]
  [[ "$output" == *"pre-defined network"* ]]
  run api -X DELETE /networks/host
  [ "$(api_status)" = 403 ]
  run api -X POST -H 'Content-Type: application/json' \
    -d '{"Name":"none"}' /networks/create
  [ "$(api_status)" = 403 ]
  dk network create --subnet 10.217.4.0/24 --label keep=no p1 >/dev/null
  dk network create --subnet 10.217.5.0/24 p2 >/dev/null
  dk20 network create --subnet 10.217.6.0/24 --label keep=yes p3 >/dev/null
  dk20 create --name user --network p2 bb true >/dev/null
  run dk network prune -f --filter label=keep=no
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted Networks:"*p1* ]]
  run berth network ls --format '{{.Name}}'
  [[ "$output" != *p1* ]]
  [[ "$output" == *p2* && "$output" == *p3* ]]
  run dk20 network prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *p3* ]]
  [[ "$output" != *p2* ]]
  run berth network ls --format '{{.Name}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none p2 " ]
  # Nothing left to prune: Docker's null list.
  run api -X POST /networks/prune
  [ "$(api_status)" = 200 ]
  [ "$(api_body)" = '{"NetworksDeleted":null}' ]
  # Bad prune filters: 400, nothing removed.
  dk rm user >/dev/null
  run api -X POST '/networks/prune?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D'
  [ "$(api_status)" = 400 ]
  berth network inspect p2 >/dev/null
}

@test "bad create and connect requests leave nothing behind and the service serves on" {
  before=$(leftovers)
  post() { api -X POST -H 'Content-Type: application/json' -d "$1" "$2"; }
  run post '{"Name": "bad1", "IPAM": {"Config": [{"Subnet": ' /networks/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *"invalid JSON"* ]]
  run post '{"Name":"bad2","IPAM":{"Config":[{"Subnet":"10.217.7.0/33"}]}}' /networks/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *10.217.7.0/33* ]]
  run post '{"Name":"bad3","IPAM":{"Config":[{"Subnet":"10.217.7.0/24","Gateway":"10.217.8.1"}]}}' /networks/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *10.217.8.1* ]]
  run post '{"Name":"bad4","EnableIPv6":"yes"}' /networks/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *EnableIPv6* ]]
  run post '{"Name":"bad5","Driver":"nosuch"}' /networks/create
  [ "$(api_status)" = 404 ]
  [[ "$(api_body | jq -r .message)" == *nosuch* ]]
  run post '{"Name":"bad/6"}' /networks/create
  [ "$(api_status)" = 400 ]
  run post '{}' /networks/create
  [ "$(api_status)" = 400 ]
  # A duplicate name is 409 and leaves the first as it was; unknown
  # fields are ignored, as Docker's decoder does.
  run post '{"Name":"dup","CheckDuplicate":true,"Frobnicate":1,"IPAM":{"Config":[{"Subnet":"10.217.9.0/24"}]}}' /networks/create
  [ "$(api_status)" = 201 ]
  id=$(api_body | jq -r .Id)
  [ "$(api_body | jq -r .Warning)" = "" ]
  run post '{"Name":"dup","IPAM":{"Config":[{"Subnet":"10.217.10.0/24"}]}}' /networks/create
  [ "$(api_status)" = 409 ]
  [ "$(api_body | jq -r .message)" = "network with name dup already exists" ]
  [ "$(berth network inspect -f '{{.Id}} {{(index .IPAM.Config 0).Subnet}}' dup)" = "$id 10.217.9.0/24" ]
  # Overlapping another network's subnet.
  run post '{"Name":"bad7","IPAM":{"Config":[{"Subnet":"10.217.9.128/25"}]}}' /networks/create
  [ "$(api_status)" = 400 ]
  [[ "$(api_body | jq -r .message)" == *overlaps* ]]
  # Unknown objects and malformed connect bodies.
  run api /networks/nosuch
  [ "$(api_status)" = 404 ]
  [ "$(api_body | jq -r .message)" = "network nosuch not found" ]
  run api '/networks/dup?scope=swarm'
  [ "$(api_status)" = 404 ]
  run post '{"Container":"nosuch"}' /networks/dup/connect
  [ "$(api_status)" = 404 ]
  run post '{"Container":' /networks/dup/connect
  [ "$(api_status)" = 400 ]
  dk create --name c bb true >/dev/null
  run post '{"Container":"c","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.217.11.5"}}}' /networks/dup/connect
  [ "$(api_status)" = 400 ]
  run post '{"Container":"c","EndpointConfig":{"Aliases":"x"}}' /networks/dup/connect
  [ "$(api_status)" = 400 ]
  run post '{"Container":"c","Force":"yes"}' /networks/dup/disconnect
  [ "$(api_status)" = 400 ]
  [ "$(berth network inspect -f '{{len .Containers}}' dup)" = 0 ]
  run api -X DELETE /networks/dup
  [ "$(api_status)" = 204 ]
  dk rm c >/dev/null
  [ "$(leftovers)" = "$before" ]
  run api /_ping
  [ "$(api_body)" = OK ]
}
