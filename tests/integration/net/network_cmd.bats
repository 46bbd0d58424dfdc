#!/usr/bin/env bats
# berth network create/ls/inspect/rm/prune/connect/disconnect: the records
# and the address leases (the bridges themselves are net_apply's).  Every
# subnet chosen here is inside 10.203.0.0/16; nothing is made on the host.

bats_require_minimum_version 1.5.0
load ../engine/engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  engine_teardown
  local n
  for n in $(berth network ls -q --filter type=custom 2>/dev/null); do
    berth network rm "$n" >/dev/null 2>&1
  done
  return 0
}

db() { sqlite3 "$BERTH_ROOT/berth.db" "$@"; }
# The count of network rows named $1.
net_rows() { db "SELECT count(*) FROM networks WHERE name = '$1'"; }

@test "the pre-defined networks are listed as Docker lists them" {
  run berth network ls
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "NETWORK ID     NAME      DRIVER    SCOPE" ]
  [[ "$output" =~ [0-9a-f]{12}\ +bridge\ +bridge\ +local ]]
  [[ "$output" =~ [0-9a-f]{12}\ +host\ +host\ +local ]]
  [[ "$output" =~ [0-9a-f]{12}\ +none\ +null\ +local ]]
  run berth network inspect bridge
  [ "$status" -eq 0 ]
  # berth0 is the default root's; a root of its own (this test's) gets
  # "bb-" and the network id's first 12 hex digits.
  id=$(jq -r '.[0].Id' <<<"$output")
  [ "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$output")" = "bb-${id:0:12}" ]
  [ "$(jq -r '.[0].Options["com.docker.network.bridge.default_bridge"]' <<<"$output")" = true ]
  # The default bridge's subnet comes from Docker's default pools.
  subnet=$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$output")
  [[ "$subnet" =~ ^(172\.(1[7-9]|2[0-9]|3[01])\.0\.0/16|192\.168\.[0-9]+\.0/20)$ ]]
  [ "$(db "SELECT bridge FROM networks WHERE name = 'bridge'")" = "bb-${id:0:12}" ]
  run berth network inspect host none
  [ "$(jq -r '.[0].Driver, .[1].Driver' <<<"$output" | tr '\n' ' ')" = "host null " ]
  [ "$(jq -c '.[0].IPAM.Config' <<<"$output")" = "[]" ]
}

@test "network create records the network; inspect has Docker's shape" {
  run berth network create --subnet 10.203.1.0/24 --label team=a --label solo \
    -o com.example.x=y cmdnet
  [ "$status" -eq 0 ]
  id=$output
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  [ "$(db "SELECT bridge FROM networks WHERE name = 'cmdnet'")" = "br-${id:0:12}" ]
  run berth network inspect cmdnet
  [ "$status" -eq 0 ]
  doc=$(jq '.[0]' <<<"$output")
  [ "$(jq -r 'keys_unsorted | join(",")' <<<"$doc")" = \
    "Name,Id,Created,Scope,Driver,EnableIPv6,IPAM,Internal,Attachable,Ingress,ConfigFrom,ConfigOnly,Containers,Options,Labels" ]
  [ "$(jq -r .Id <<<"$doc")" = "$id" ]
  [[ "$(jq -r .Created <<<"$doc")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]{1,9})?Z$ ]]
  [ "$(jq -c '[.Scope, .Driver, .EnableIPv6, .Internal, .Attachable, .Ingress, .ConfigOnly, .ConfigFrom]' <<<"$doc")" = \
    '["local","bridge",false,false,false,false,false,{"Network":""}]' ]
  [ "$(jq -c .IPAM <<<"$doc")" = \
    '{"Driver":"default","Options":{},"Config":[{"Subnet":"10.203.1.0/24","Gateway":"10.203.1.1"}]}' ]
  [ "$(jq -c .Labels <<<"$doc")" = '{"solo":"","team":"a"}' ]
  [ "$(jq -c .Options <<<"$doc")" = '{"com.example.x":"y"}' ]
  [ "$(jq -c .Containers <<<"$doc")" = '{}' ]
  # By id and by unique id prefix too; --format.
  run berth network inspect -f '{{.Name}} {{.Driver}}' "$id" "${id:0:10}"
  [ "$output" = "cmdnet bridge
cmdnet bridge" ]
  # --gateway and --ip-range, --internal.
  run berth network create --subnet 10.203.2.0/24 --gateway 10.203.2.254 \
    --ip-range 10.203.2.128/25 --internal cmdnet2
  [ "$status" -eq 0 ]
  run berth network inspect -f '{{json .IPAM.Config}} {{.Internal}}' cmdnet2
  [ "$output" = '[{"Subnet":"10.203.2.0/24","IPRange":"10.203.2.128/25","Gateway":"10.203.2.254"}] true' ]
}

@test "network create without --subnet takes the pool's next free /16" {
  used=$(db "SELECT subnet FROM networks WHERE subnet IS NOT NULL")
  run berth network create pooled
  [ "$status" -eq 0 ]
  subnet=$(berth network inspect -f '{{(index .IPAM.Config 0).Subnet}}' pooled)
  [[ "$subnet" =~ ^(172\.[0-9]+\.0\.0/16|192\.168\.[0-9]+\.0/20)$ ]]
  # Not one a network had, and overlapping no route of the host.
  ! grep -qx "$subnet" <<<"$used"
  routes=$(ip -4 route show table main | awk '$1 != "default" {print $1}')
  python3 -c '
import ipaddress, sys
s = ipaddress.ip_network(sys.argv[1])
sys.exit(any(s.overlaps(ipaddress.ip_network(r, strict=False)) for r in sys.argv[2:]))
' "$subnet" $routes
}

@test "network create --ipv6: a ULA /64 from the id, or the given one" {
  run berth network create --ipv6 --subnet 10.203.3.0/24 six
  [ "$status" -eq 0 ]
  id=$output
  run berth network inspect -f '{{.EnableIPv6}} {{(index .IPAM.Config 1).Subnet}} {{(index .IPAM.Config 1).Gateway}}' six
  want="fd${id:0:2}:${id:2:4}:${id:6:4}:${id:10:4}::"
  want=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]))" "$want")
  [ "$output" = "true $want/64 ${want}1" ]
  # IPv4 and IPv6 subnets as repeated --subnet (Docker's way).
  run berth network create --ipv6 --subnet 10.203.4.0/24 --subnet fd20:203:4::/64 \
    --gateway fd20:203:4::fe six2
  [ "$status" -eq 0 ]
  run berth network inspect -f '{{json .IPAM.Config}}' six2
  [ "$output" = '[{"Subnet":"10.203.4.0/24","Gateway":"10.203.4.1"},{"Subnet":"fd20:203:4::/64","Gateway":"fd20:203:4::fe"}]' ]
  # Containers get an address of each family (the gateway is ::fe here).
  run berth create --network six2 bb true
  [ "$status" -eq 0 ]
  [ "$(db "SELECT ip || ' ' || ip6 FROM endpoints WHERE container_id = '$output'")" = \
    "10.203.4.2 fd20:203:4::1" ]
  # A requested IPv6 address far into the /64; one outside it is refused.
  c4=$(berth create bb true)
  run berth network connect --ip6 fd20:203:4:0:1::5 six2 "$c4"
  [ "$status" -eq 0 ]
  [ "$(db "SELECT ip6 FROM endpoints WHERE container_id = '$c4' AND ip6 IS NOT NULL")" = fd20:203:4:0:1::5 ]
  run berth network connect --ip6 fd20:203:5::5 six2 "$(berth create bb true)"
  [ "$status" -eq 125 ]
  [[ "$output" == *"fd20:203:5::5"* ]]
}

@test "overlapping subnets are refused and leave no row" {
  run berth network create --subnet 10.203.5.0/24 over1
  [ "$status" -eq 0 ]
  run berth network create --subnet 10.203.5.128/25 over2
  [ "$status" -eq 125 ]
  [ "$output" = "berth: invalid pool request: Pool overlaps with other one on this address space" ]
  [ "$(net_rows over2)" -eq 0 ]
  run berth network create --subnet 10.203.0.0/16 over3
  [ "$status" -eq 125 ]
  [ "$(net_rows over3)" -eq 0 ]
  # Two overlapping --subnet in one request.
  run berth network create --subnet 10.203.6.0/24 --subnet 10.203.6.0/25 over4
  [ "$status" -eq 125 ]
  [[ "$output" == *"multiple overlapping subnet configuration is not supported"* ]]
  [ "$(net_rows over4)" -eq 0 ]
}

@test "a subnet a host route leads to is refused" {
  # The subnet of the host's uplink (eth0 here: 192.0.2.0/24); skipped
  # where it has none.
  dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
  [ -n "$dev" ] || skip "the host has no default route"
  route=$(ip -4 route show table main proto kernel dev "$dev" | awk '$1 ~ /\// {print $1; exit}')
  [ -n "$route" ] || skip "the host has no kernel route to a subnet"
  # CONTROL: no network holds it (the refusal is the route's).
  [ "$(db "SELECT count(*) FROM networks WHERE subnet = '$route'")" -eq 0 ]
  run berth network create --subnet "$route" hostroute
  [ "$status" -eq 125 ]
  [ "$output" = "berth: invalid pool request: Pool overlaps with other one on this address space" ]
  [ "$(net_rows hostroute)" -eq 0 ]
}

@test "gateways outside the subnet or not a host address are refused" {
  run berth network create --subnet 10.203.7.0/24 --gateway 10.203.8.1 gw1
  [ "$status" -eq 125 ]
  [ "$output" = "berth: network create: no matching subnet for gateway 10.203.8.1" ]
  run berth network create --subnet 10.203.7.0/24 --gateway 10.203.7.0 gw2
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid gateway 10.203.7.0"* ]]
  run berth network create --subnet 10.203.7.0/24 --gateway 10.203.7.255 gw3
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid gateway 10.203.7.255"* ]]
  run berth network create --gateway 10.203.7.1 gw4
  [ "$status" -eq 125 ]
  run berth network create --subnet 10.203.7.0/24 --ip-range 10.203.9.0/25 gw5
  [ "$status" -eq 125 ]
  [[ "$output" == *"no matching subnet for range 10.203.9.0/25"* ]]
  [ "$(db "SELECT count(*) FROM networks WHERE name LIKE 'gw%'")" -eq 0 ]
}

@test "bad names, drivers, subnets and duplicates are refused" {
  run berth network create --subnet 10.203.10.0/24 dup
  [ "$status" -eq 0 ]
  run berth network create --subnet 10.203.11.0/24 dup
  [ "$status" -eq 125 ]
  [ "$output" = "berth: network with name dup already exists" ]
  [ "$(net_rows dup)" -eq 1 ]
  run berth network create bridge
  [ "$status" -eq 125 ]
  [[ "$output" == *"operation is not permitted on predefined bridge network"* ]]
  run berth network create 'a/b'
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid network name"* ]]
  run berth network create -d overlay ov
  [ "$status" -eq 125 ]
  [ "$output" = 'berth: plugin "overlay" not found' ]
  run berth network create --subnet 10.203.12.7/24 hostbits
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid subnet 10.203.12.7/24: it should be 10.203.12.0/24"* ]]
  run berth network create --subnet 10.203.012.0/24 zeros
  [ "$status" -eq 125 ]
  run berth network create --subnet garbage junk
  [ "$status" -eq 125 ]
  run berth network create -o com.docker.network.bridge.name=eth0 stealer
  [ "$status" -eq 125 ]
  [ "$(db "SELECT count(*) FROM networks WHERE name NOT IN ('bridge','host','none','dup')")" -eq 0 ]
}

@test "network ls: filters, --format, -q, --no-trunc" {
  berth network create --subnet 10.203.13.0/24 --label env=prod lsa >/dev/null
  id=$(berth network create --subnet 10.203.14.0/24 --label env=dev lsb)
  run berth network ls --format '{{.Name}}' --filter type=custom
  [ "$output" = "lsa
lsb" ]
  run berth network ls --format '{{.Name}}' --filter type=builtin
  [ "$output" = "bridge
host
none" ]
  run berth network ls --format '{{.Name}}' --filter label=env=prod
  [ "$output" = lsa ]
  run berth network ls --format '{{.Name}}' --filter label=env
  [ "$output" = "lsa
lsb" ]
  run berth network ls --format '{{.Name}}' --filter name=sb
  [ "$output" = lsb ]
  run berth network ls --format '{{.Name}}' --filter "id=${id:0:8}"
  [ "$output" = lsb ]
  run berth network ls --format '{{.Name}}' --filter driver=null
  [ "$output" = none ]
  run berth network ls --format '{{.Name}} {{.Label "env"}} {{.Driver}}' --filter name=ls
  [ "$output" = "lsa prod bridge
lsb dev bridge" ]
  run berth network ls -q --filter name=lsb
  [ "$output" = "${id:0:12}" ]
  run berth network ls -q --no-trunc --filter name=lsb
  [ "$output" = "$id" ]
  # dangling: unused user networks only.
  berth create --network lsa bb true >/dev/null
  run berth network ls --format '{{.Name}}' --filter dangling=true
  [ "$output" = lsb ]
  run berth network ls --format '{{json .}}' --filter name=lsb
  [ "$(jq -r .ID <<<"$output")" = "${id:0:12}" ]
  run berth network ls --filter bogus=1
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid filter"* ]]
  run berth network ls --filter type=other
  [ "$status" -eq 125 ]
}

@test "network rm: builtin refused, in use refused, unknown named" {
  for n in bridge host none; do
    run berth network rm "$n"
    [ "$status" -eq 125 ]
    [ "$output" = "berth: $n is a pre-defined network and cannot be removed" ]
    [ "$(net_rows "$n")" -eq 1 ]
  done
  id=$(berth network create --subnet 10.203.15.0/24 rmnet)
  cid=$(berth create --network rmnet bb true)
  run berth network rm rmnet
  [ "$status" -eq 125 ]
  [ "$output" = "berth: error while removing network: network rmnet id $id has active endpoints" ]
  [ "$(net_rows rmnet)" -eq 1 ]
  berth rm "$cid" >/dev/null
  run berth network rm rmnet
  [ "$status" -eq 0 ]
  [ "$output" = rmnet ]
  [ "$(net_rows rmnet)" -eq 0 ]
  run berth network rm nosuch
  [ "$status" -eq 125 ]
  [ "$output" = "berth: network nosuch not found" ]
  run berth network rm -f nosuch
  [ "$status" -eq 0 ]
}

@test "network prune removes unused user networks only" {
  berth network create --subnet 10.203.16.0/24 --label keep=1 pr1 >/dev/null
  berth network create --subnet 10.203.17.0/24 pr2 >/dev/null
  berth network create --subnet 10.203.18.0/24 pr3 >/dev/null
  berth create --network pr3 bb true >/dev/null
  run berth network prune -f --filter label=keep
  [ "$output" = "Deleted Networks:
pr1" ]
  run berth network prune -f --filter until=1h
  [ "$output" = "" ]
  [ "$(net_rows pr2)" -eq 1 ]
  run berth network prune -f
  [ "$status" -eq 0 ]
  [ "$output" = "Deleted Networks:
pr2" ]
  [ "$(net_rows pr3)" -eq 1 ]
  [ "$(db "SELECT count(*) FROM networks WHERE name IN ('bridge','host','none')")" -eq 3 ]
}

@test "create --network: leases, MACs, modes; bad networks leave no container" {
  berth network create --subnet 10.203.19.0/24 --gateway 10.203.19.2 lease >/dev/null
  c1=$(berth create --network lease bb true)
  c2=$(berth create --network lease bb true)
  # The lowest free host addresses, the gateway skipped; MAC from the IP.
  [ "$(db "SELECT ip, mac, ifname, seq FROM endpoints WHERE container_id = '$c1'")" = \
    "10.203.19.1|02:42:0a:cb:13:01|eth0|0" ]
  [ "$(db "SELECT ip FROM endpoints WHERE container_id = '$c2'")" = 10.203.19.3 ]
  [[ "$(db "SELECT host_if FROM endpoints WHERE container_id = '$c1'")" =~ ^vb[0-9a-f]{12}$ ]]
  # The default network: NetworkMode bridge, an endpoint on bridge.
  c3=$(berth create bb true)
  [ "$(berth inspect -f '{{.HostConfig.NetworkMode}}' "$c3")" = bridge ]
  [ "$(db "SELECT n.name FROM endpoints e JOIN networks n ON n.id = e.network_id WHERE e.container_id = '$c3'")" = bridge ]
  # host and none: no endpoint.
  c4=$(berth create --network host bb true)
  c5=$(berth create --network none bb true)
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id IN ('$c4', '$c5')")" -eq 0 ]
  # container:NAME: an existing container, no endpoint of its own.
  # (running, as for --pid/--ipc container:)
  c6=$(berth run -d bb sleep 60)
  c7=$(berth create --network "container:$c6" bb true)
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$c7'")" -eq 0 ]
  run berth create --network container:nosuchctr bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"No such container: nosuchctr"* ]]
  # A network that does not exist: no container.
  before=$(db "SELECT count(*) FROM containers")
  run berth create --network nosuch --name ghost bb true
  [ "$status" -eq 125 ]
  [ "$output" = "berth: network nosuch not found" ]
  [ "$(db "SELECT count(*) FROM containers")" -eq "$before" ]
  # The lease is released with the container; the freed address is reused.
  berth rm "$c1" >/dev/null
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$c1'")" -eq 0 ]
  c6=$(berth create --network lease bb true)
  [ "$(db "SELECT ip FROM endpoints WHERE container_id = '$c6'")" = 10.203.19.1 ]
}

@test "network connect and disconnect record endpoints" {
  berth network create --subnet 10.203.20.0/24 conn >/dev/null
  cid=$(berth create --name connme bb true)
  run berth network connect --ip 10.203.20.50 --alias web --alias www conn connme
  [ "$status" -eq 0 ]
  [ "$(db "SELECT ip, ifname, seq, aliases FROM endpoints e JOIN networks n ON n.id = e.network_id WHERE n.name = 'conn'")" = \
    '10.203.20.50|eth1|1|["web","www"]' ]
  run berth network inspect -f '{{json .Containers}}' conn
  doc=$output
  [ "$(jq -r --arg c "$cid" '.[$c] | .Name, .IPv4Address, .MacAddress, .IPv6Address' <<<"$doc" | tr '\n' ' ')" = \
    "connme 10.203.20.50/24 02:42:0a:cb:14:32  " ]
  [[ "$(jq -r --arg c "$cid" '.[$c].EndpointID' <<<"$doc")" =~ ^[0-9a-f]{64}$ ]]
  run berth network connect conn connme
  [ "$status" -eq 125 ]
  [ "$output" = "berth: endpoint with name connme already exists in network conn" ]
  # A requested address that is taken, or outside the subnet: named.
  other=$(berth create bb true)
  run berth network connect --ip 10.203.20.50 conn "$other"
  [ "$status" -eq 125 ]
  [[ "$output" == *"10.203.20.50"*"Address already in use"* ]]
  run berth network connect --ip 10.203.21.5 conn "$other"
  [ "$status" -eq 125 ]
  [ "$output" = "berth: no configured subnet or ip-range contain the IP address 10.203.21.5" ]
  run berth network connect --ip 10.203.20.1 conn "$other"
  [ "$status" -eq 125 ]
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$other'")" -eq 1 ]
  # Addresses are chosen by users on user networks only (Docker).
  onconn=$(berth create --network conn bb true)
  run berth network connect --ip 172.17.0.9 bridge "$onconn"
  [ "$status" -eq 125 ]
  [ "$output" = "berth: user specified IP address is supported on user defined networks only" ]
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$onconn'")" -eq 1 ]
  # none and host containers cannot join.
  nonec=$(berth create --network none bb true)
  run berth network connect conn "$nonec"
  [ "$status" -eq 125 ]
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$nonec'")" -eq 0 ]
  run berth network disconnect conn connme
  [ "$status" -eq 0 ]
  [ "$(db "SELECT count(*) FROM endpoints e JOIN networks n ON n.id = e.network_id WHERE n.name = 'conn' AND e.container_id = '$cid'")" -eq 0 ]
  # Its endpoint on bridge stays.
  [ "$(db "SELECT count(*) FROM endpoints WHERE container_id = '$cid'")" -eq 1 ]
  run berth network disconnect conn connme
  [ "$status" -eq 125 ]
  [ "$output" = "berth: container connme is not connected to network conn" ]
  run berth network connect conn nosuchctr
  [ "$status" -eq 125 ]
}

@test "30 parallel creates get 30 distinct addresses; rm releases them" {
  berth network create --subnet 10.203.22.0/24 par >/dev/null
  seq 30 | xargs -P 30 -I{} "$BERTH" --root "$BERTH_ROOT" create \
    --network par --name "par{}" bb true >"$BATS_TEST_TMPDIR/ids"
  [ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -eq 30 ]
  run berth network inspect -f '{{range .Containers}}{{.IPv4Address}}
{{end}}' par
  addrs=$(grep . <<<"$output" | sort)
  [ "$(wc -l <<<"$addrs")" -eq 30 ]
  [ "$(sort -u <<<"$addrs" | wc -l)" -eq 30 ]
  # The 30 lowest host addresses after the gateway (.1): .2 to .31.
  [ "$(sort -t. -k4 -n <<<"$addrs" | sed -n '1p;$p' | tr '\n' ' ')" = \
    "10.203.22.2/24 10.203.22.31/24 " ]
  xargs "$BERTH" --root "$BERTH_ROOT" rm <"$BATS_TEST_TMPDIR/ids" >/dev/null
  [ "$(db "SELECT count(*) FROM endpoints e JOIN networks n ON n.id = e.network_id WHERE n.name = 'par'")" -eq 0 ]
  run berth network rm par
  [ "$status" -eq 0 ]
  engine_teardown
  [ "$(db "SELECT count(*) FROM endpoints")" -eq 0 ]
}

@test "parallel creates of one subnet: exactly one network gets it" {
  seq 8 | xargs -P 8 -I{} sh -c "'$BERTH' --root '$BERTH_ROOT' network create \
    --subnet 10.203.60.0/24 race{} >/dev/null 2>&1; true"
  [ "$(db "SELECT count(*) FROM networks WHERE subnet = '10.203.60.0/24'")" -eq 1 ]
  [ "$(db "SELECT count(*) FROM networks WHERE name LIKE 'race%'")" -eq 1 ]
}
