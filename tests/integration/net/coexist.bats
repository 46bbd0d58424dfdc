#!/usr/bin/env bats
# berth beside podman (netavark, iptables-nft) on one host: both publish
# ports at once, neither's set-up or teardown touches the other's rules,
# podman's containers cannot reach berth's by address, and both NAT out
# to an upstream host.  podman runs with roots and a network config dir
# of its own (as bench/network.sh sets it up): its network "bco"
# (bridge bco0, 10.212.9.0/24), crun in a private mount namespace with
# /sys/fs/cgroup/unified/cgroup.controllers hidden (crun 1.8 refuses this
# host's hybrid layout otherwise).  Subnets 10.212.9.0/24-10.212.13.0/24,
# ports 23301-23309.  Everything podman made goes in teardown_file.

load ../engine/engine
load ../podman

PNET=bco PIF=bco0 PSUB=10.212.9

setup_file() {
  engine_setup_file
  podman_start bco
  UP_NS=bco-up-$$
  UP_IF=bco-u$$
  export UP_NS UP_IF
  write_podman_net
  berth save -o "$PTMP/bb.tar" bb
  podman load -q -i "$PTMP/bb.tar" >/dev/null
  make_upstream
}

teardown() {
  engine_teardown
  podman rm -af -t 0 >/dev/null 2>&1 || true
}

teardown_file() {
  [ -n "${PTMP:-}" ] || return 0
  [ -f "$PTMP/up.pid" ] && kill "$(cat "$PTMP/up.pid")" 2>/dev/null
  podman_stop
  # netavark removes its bridge with its last container; in case not.
  ip link del "$PIF" 2>/dev/null
  ip netns del "$UP_NS" 2>/dev/null
  ip link del "$UP_IF" 2>/dev/null
  berth network prune -f >/dev/null 2>&1
  engine_teardown_file
}

# podman's network "bco", through netavark, in a config dir of its own.
write_podman_net() {
  mkdir -p "$PTMP/net"
  cat >>"$PTMP/containers.conf" <<CONF
[network]
network_backend = "netavark"
network_config_dir = "$PTMP/net"
default_network = "$PNET"
CONF
  cat >"$PTMP/net/$PNET.json" <<NET
{
  "name": "$PNET",
  "id": "$(printf 'c%.0s' $(seq 64))",
  "driver": "bridge",
  "network_interface": "$PIF",
  "created": "2026-01-01T00:00:00Z",
  "subnets": [{ "subnet": "$PSUB.0/24", "gateway": "$PSUB.1" }],
  "ipv6_enabled": false,
  "internal": false,
  "dns_enabled": false,
  "ipam_options": { "driver": "host-local" }
}
NET
}

# An upstream host (10.212.12.2) with no route back to any container
# subnet: a container reaches it only through the host's outbound NAT.
make_upstream() {
  ip netns add "$UP_NS"
  ip link add "$UP_IF" type veth peer name eth0 netns "$UP_NS"
  ip addr add 10.212.12.1/24 dev "$UP_IF"
  ip link set "$UP_IF" up
  ip -n "$UP_NS" addr add 10.212.12.2/24 dev eth0
  ip -n "$UP_NS" link set eth0 up
  ip -n "$UP_NS" link set lo up
  mkdir -p "$PTMP/up"
  echo upstream > "$PTMP/up/index.html"
  ip netns exec "$UP_NS" busybox httpd -f -p 80 -h "$PTMP/up" >/dev/null 2>&1 3>&- &
  echo $! > "$PTMP/up.pid"
}

WEB='mkdir -p /www && echo hello $0 > /www/index.html && exec httpd -f -p 80 -h /www'

berth_web() { # NAME ARGS...
  local name=$1
  shift
  berth run -d --name "$name" "$@" bb sh -c "$WEB" "$name" >/dev/null
}

podman_web() { # NAME ARGS...
  local name=$1
  shift
  podman run -d --name "$name" --cgroup-parent "$BERTH_CGROUP_PARENT/podman" \
    "$@" localhost/bb sh -c "$WEB" "$name" >/dev/null
}

podman_ip() { podman inspect -f '{{.NetworkSettings.Networks.bco.IPAddress}}' "$1"; }
berth_ip() { berth inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

# podman's iptables-nft tables, without counters.
podman_tables() {
  local t
  for t in "ip nat" "ip filter" "ip6 nat" "ip6 filter"; do
    echo "== $t"
    nft -s list table $t 2>/dev/null || echo none
  done
}

# berth's table as far as this file's networks go: every rule (they are
# the same for all networks), and the set and map elements naming one of
# this file's bridges, subnets or ports (other test files share the
# table and change their own elements meanwhile).
berth_table() { # TOKEN...
  nft -j -s list table inet berth | python3 -c '
import json, sys
toks = sys.argv[1:]
for o in json.load(sys.stdin)["nftables"]:
    if "rule" in o:
        r = dict(o["rule"]); r.pop("handle", None)
        print("rule", json.dumps(r, sort_keys=True))
    for k in ("set", "map"):
        if k in o:
            s = o[k]
            print(k, s["name"], json.dumps(s.get("type")))
            for e in s.get("elem", []):
                t = json.dumps(e, sort_keys=True)
                if any(x in t for x in toks):
                    print("  elem", t)
' "$@"
}

@test "berth and podman publish ports side by side; removing one keeps the other" {
  berth_web bweb -p 127.0.0.1:23301:80
  podman_web pweb -p 127.0.0.1:23302:80
  wait_until curl -sf http://127.0.0.1:23301/
  wait_until curl -sf http://127.0.0.1:23302/
  [ "$(curl -sf http://127.0.0.1:23301/)" = "hello bweb" ]
  [ "$(curl -sf http://127.0.0.1:23302/)" = "hello pweb" ]
  # podman's container goes: berth's still answers.
  podman rm -f -t 0 pweb >/dev/null
  run curl -sf -m 3 http://127.0.0.1:23302/
  [ "$status" -ne 0 ]
  [ "$(curl -sf -m 3 http://127.0.0.1:23301/)" = "hello bweb" ]
  # podman again, then berth's goes (and its table with its last
  # network): podman's still answers.
  podman_web pweb2 -p 127.0.0.1:23302:80
  wait_until curl -sf http://127.0.0.1:23302/
  berth rm -f bweb >/dev/null
  run curl -sf -m 3 http://127.0.0.1:23301/
  [ "$status" -ne 0 ]
  [ "$(curl -sf -m 3 http://127.0.0.1:23302/)" = "hello pweb2" ]
  # And berth starts again beside it.
  berth_web bweb2 -p 127.0.0.1:23301:80
  wait_until curl -sf http://127.0.0.1:23301/
  [ "$(curl -sf -m 3 http://127.0.0.1:23301/)" = "hello bweb2" ]
  [ "$(curl -sf -m 3 http://127.0.0.1:23302/)" = "hello pweb2" ]
}

@test "berth leaves podman's tables byte for byte as they were, and podman berth's" {
  podman_web pw -p 127.0.0.1:23303:80
  wait_until curl -sf http://127.0.0.1:23303/
  before=$(podman_tables)
  # Control: the snapshot sees podman's rules (its port is in them).
  [[ "$before" == *23303* ]]
  berth network create --subnet 10.212.10.0/24 bnet >/dev/null
  berth_web bw --network bnet -p 127.0.0.1:23304:80
  wait_until curl -sf http://127.0.0.1:23304/
  [ "$(podman_tables)" = "$before" ]
  berth rm -f bw >/dev/null
  berth network rm bnet >/dev/null
  [ "$(podman_tables)" = "$before" ]
  [ "$(curl -sf -m 3 http://127.0.0.1:23303/)" = "hello pw" ]

  # The other way: berth's table through a podman run and rm.  (Another
  # subnet: the removed network's name server lingers on 10.212.10.1 for
  # its grace period.)
  berth network create --subnet 10.212.13.0/24 bnet2 >/dev/null
  berth_web bw2 --network bnet2 -p 127.0.0.1:23305:80
  wait_until curl -sf http://127.0.0.1:23305/
  br=$(berth network inspect bnet2 -f '{{index .Options "com.docker.network.bridge.name"}}')
  toks=(10.212.13. 23305 "\"$br\"")
  bbefore=$(berth_table "${toks[@]}")
  # Control: the snapshot sees this network's elements.
  [[ "$bbefore" == *23305* ]]
  [[ "$bbefore" == *10.212.13.* ]]
  podman_web pw2 -p 127.0.0.1:23306:80
  wait_until curl -sf http://127.0.0.1:23306/
  [ "$(berth_table "${toks[@]}")" = "$bbefore" ]
  podman rm -f -t 0 pw2 pw >/dev/null
  [ "$(berth_table "${toks[@]}")" = "$bbefore" ]
  [ "$(curl -sf -m 3 http://127.0.0.1:23305/)" = "hello bw2" ]
}

@test "podman's containers cannot reach berth's; both NAT out" {
  berth network create --subnet 10.212.11.0/24 iso >/dev/null
  berth_web bi --network iso
  podman_web pi
  bip=$(berth_ip bi iso) pip=$(podman_ip pi)
  [ -n "$bip" ] && [ -n "$pip" ]
  # Controls: both serve, the host reaches each by address.
  wait_until curl -sf "http://$bip/"
  wait_until curl -sf "http://$pip/"
  [ "$(curl -sf -m 3 "http://$bip/")" = "hello bi" ]
  [ "$(curl -sf -m 3 "http://$pip/")" = "hello pi" ]
  # podman's container is another network to berth: dropped.
  run podman exec pi timeout 3 wget -qO- "http://$bip/"
  [ "$status" -ne 0 ]
  [[ "$output" != *"hello bi"* ]]
  # The other way berth's container arrives masqueraded as the host
  # (podman's side forwards what comes to it, as beside Docker): what
  # netavark allows is netavark's to decide, not asserted here.
  # Upstream, which has no route back to either subnet: both reach it.
  run berth exec bi timeout 3 wget -qO- http://10.212.12.2/
  [ "$output" = upstream ]
  run podman exec pi timeout 3 wget -qO- http://10.212.12.2/
  [ "$output" = upstream ]
}
