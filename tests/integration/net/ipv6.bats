#!/usr/bin/env bats
# IPv6 networks (`network create --ipv6`) end to end: addresses, routes,
# container to container, names (AAAA), published ports on the host's IPv6
# address, outbound NAT, --internal, isolation, clean removal, and what
# turning on the host's IPv6 forwarding must not break.  Everything stays
# on this machine: subnets fd00:210::/32 (IPv4 halves 10.211.0.0/16), ports
# 23200-23299, an "upstream" host and private "hosts" in network
# namespaces of our own.

load ../engine/engine

setup_file() {
  engine_setup_file
  UP_NS=v6up-$$
  UP_IF=v6uh-$$
  export UP_NS UP_IF
  ip -6 route show default > "$BATS_FILE_TMPDIR/default6.before"
}

teardown() {
  engine_teardown
  priv_teardown
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^v6(p|r)-$$-"); do
    ip netns del "$ns"
  done
  return 0
}

teardown_file() {
  [ -f "$BATS_FILE_TMPDIR/up.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/up.pid")" 2>/dev/null
  ip netns del "$UP_NS" 2>/dev/null
  ip link del "$UP_IF" 2>/dev/null
  engine_teardown_file
}

serve_httpd() { # NAME ARGS...: a detached httpd serving "hello NAME"
  local name=$1
  shift
  berth run -d --name "$name" "$@" bb sh -c \
    "mkdir -p /www && echo hello $name > /www/index.html && exec httpd -f -p 80 -h /www"
}

ip6_of() { # NAME NETWORK
  berth inspect -f "{{.NetworkSettings.Networks.$2.GlobalIPv6Address}}" "$1"
}

net6() { # NAME N [ARGS]: network NAME on 10.211.N.0/24 and fd00:210:N::/64
  local name=$1 n=$2
  shift 2
  berth network create --ipv6 --subnet "10.211.$n.0/24" \
    --subnet "fd00:210:$n::/64" "$@" "$name" >/dev/null
}

# The host's own global IPv6 address (on the interface of its IPv6
# default route): connecting to it stays on this machine.
host_ip6() {
  local dev
  dev=$(ip -6 route show default | awk '{for (i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}')
  [ -n "$dev" ] || return 1
  ip -6 -o addr show dev "$dev" scope global | awk '{print $4; exit}' | cut -d/ -f1
}

@test "a container on an IPv6 network has its address (not tentative) and a default route via the gateway" {
  net6 v6a 1
  run berth network inspect v6a -f '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}'
  [ "$output" = "true 10.211.1.0/24=10.211.1.1 fd00:210:1::/64=fd00:210:1::1 " ]
  berth run -d --name a1 --network v6a bb sleep 60 >/dev/null
  ip6=$(ip6_of a1 v6a)
  [[ "$ip6" == fd00:210:1::* ]]
  run berth inspect -f '{{.NetworkSettings.Networks.v6a.IPv6Gateway}} {{.NetworkSettings.Networks.v6a.GlobalIPv6PrefixLen}}' a1
  [ "$output" = "fd00:210:1::1 64" ]
  run berth exec a1 ip -6 addr show eth0
  [ "$status" -eq 0 ]
  line=$(echo "$output" | grep "inet6 $ip6/64 scope global")
  [ -n "$line" ]
  [[ "$line" != *tentative* ]]
  run berth exec a1 ip -6 route
  [[ "$output" == *"default via fd00:210:1::1 dev eth0"* ]]
  # The gateway answers at once (no duplicate address detection delay).
  run berth exec a1 ping -6 -c 1 -W 2 fd00:210:1::1
  [ "$status" -eq 0 ]
}

@test "two containers on an IPv6 network talk over IPv6, by address and by name (AAAA)" {
  net6 v6b 2
  serve_httpd web6 --network v6b
  ip6=$(ip6_of web6 v6b)
  [ -n "$ip6" ]
  run berth run --rm --network v6b bb timeout 3 wget -qO- "http://[$ip6]/"
  [ "$status" -eq 0 ]
  [ "$output" = "hello web6" ]
  # Names resolve to the IPv6 address through the network's name server,
  # the one resolv.conf names ...
  run berth run --rm --network v6b bb nslookup -type=AAAA web6
  [ "$status" -eq 0 ]
  [[ "$output" == *"Address: $ip6"* ]]
  # ... which also listens on the IPv6 gateway (UDP and TCP) and answers
  # there, and the reverse name of the IPv6 address is the container's.
  run ss -lnuH "src [fd00:210:2::1]:53"
  [ -n "$output" ]
  run ss -lntH "src [fd00:210:2::1]:53"
  [ -n "$output" ]
  run berth run --rm --network v6b bb nslookup -type=AAAA web6 fd00:210:2::1
  [ "$status" -eq 0 ]
  [[ "$output" == *"Address: $ip6"* ]]
  run berth run --rm --network v6b bb nslookup "$ip6"
  [[ "$output" == *web6* ]]
  # Every nameserver resolv.conf lists works.
  run berth run --rm --network v6b bb sh -c \
    'for ns in $(awk "/^nameserver/ {print \$2}" /etc/resolv.conf); do echo "ns $ns"; nslookup -type=AAAA web6 $ns || exit 1; done'
  [ "$status" -eq 0 ]
  [[ "$output" == *"ns "* ]]
}

@test "a published port answers on the host's IPv6 address and on IPv4; port shows 0.0.0.0 and ::" {
  hip=$(host_ip6) || skip "the host has no global IPv6 address"
  net6 v6c 3
  serve_httpd pub6 --network v6c -p 23201:80
  wait_until curl -sf http://127.0.0.1:23201/
  run curl -sf -m 3 "http://[$hip]:23201/"
  [ "$status" -eq 0 ]
  [ "$output" = "hello pub6" ]
  run curl -sf -m 3 http://127.0.0.1:23201/
  [ "$output" = "hello pub6" ]
  # From a container on another IPv6 network, through the host's address.
  net6 v6c2 4
  run berth run --rm --network v6c2 bb timeout 3 wget -qO- "http://[$hip]:23201/"
  [ "$output" = "hello pub6" ]
  run berth port pub6
  [ "$output" = "80/tcp -> 0.0.0.0:23201
80/tcp -> [::]:23201" ]
  # Published on one IPv6 address only: that address, not IPv4.
  serve_httpd pub6b --network v6c -p "[$hip]:23202:80"
  run berth port pub6b
  [ "$output" = "80/tcp -> [$hip]:23202" ]
  wait_until curl -sf -m 1 "http://[$hip]:23202/"
  run curl -sf -m 3 "http://[$hip]:23202/"
  [ "$output" = "hello pub6b" ]
  run curl -sf -m 2 http://127.0.0.1:23202/
  [ "$status" -ne 0 ]
}

# An upstream host (fd00:210:99::2) behind the host, in a namespace of
# ours; its httpd's /cgi-bin/src prints the client's address.
make_upstream() {
  ip netns add "$UP_NS"
  ip link add "$UP_IF" type veth peer name eth0 netns "$UP_NS"
  ip addr add fd00:210:99::1/64 dev "$UP_IF" nodad
  ip link set "$UP_IF" up
  ip -n "$UP_NS" addr add fd00:210:99::2/64 dev eth0 nodad
  ip -n "$UP_NS" link set eth0 up
  ip -n "$UP_NS" link set lo up
  ip -n "$UP_NS" -6 route add default via fd00:210:99::1
  mkdir -p "$BATS_FILE_TMPDIR/up/cgi-bin"
  echo Linux > "$BATS_FILE_TMPDIR/up/ostype"
  printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' \
    > "$BATS_FILE_TMPDIR/up/cgi-bin/src"
  chmod +x "$BATS_FILE_TMPDIR/up/cgi-bin/src"
  ip netns exec "$UP_NS" busybox httpd -f -p 80 -h "$BATS_FILE_TMPDIR/up" &
  echo $! > "$BATS_FILE_TMPDIR/up.pid"
}

@test "outbound IPv6 leaves with the host's address; --internal has no IPv6 route out" {
  make_upstream
  net6 v6out 5
  net6 v6in 6 --internal
  run berth run --rm --network v6out bb timeout 3 wget -qO- "http://[fd00:210:99::2]/cgi-bin/src"
  [ "$status" -eq 0 ]
  [ "$output" = "[fd00:210:99::1]" ]
  # Not reachable from upstream even with a route to the subnet.
  serve_httpd behind --network v6out
  ip -n "$UP_NS" -6 route add fd00:210:5::/64 via fd00:210:99::1
  run ip netns exec "$UP_NS" timeout 3 busybox wget -qO- "http://[$(ip6_of behind v6out)]/"
  [ "$status" -ne 0 ]
  run berth run --rm --network v6in bb sh -c \
    'ip -6 route; timeout 3 wget -qO- http://[fd00:210:99::2]/ostype'
  [ "$status" -ne 0 ]
  [[ "$output" == *"fd00:210:6::/64 dev eth0"* ]]
  [[ "$output" != *default* ]]
  [[ "$output" != *Linux* ]]
}

@test "containers on two IPv6 networks cannot reach each other over IPv6" {
  net6 v6x 7
  net6 v6y 8
  serve_httpd in-x --network v6x
  serve_httpd in-y --network v6y
  ipx=$(ip6_of in-x v6x)
  ipy=$(ip6_of in-y v6y)
  # Control: the same network reaches it.
  run berth run --rm --network v6x bb timeout 3 wget -qO- "http://[$ipx]/"
  [ "$output" = "hello in-x" ]
  run berth run --rm --network v6x bb timeout 3 wget -qO- "http://[$ipy]/"
  [ "$status" -ne 0 ]
  [[ "$output" != *hello* ]]
  run berth run --rm --network v6y bb timeout 3 wget -qO- "http://[$ipx]/"
  [ "$status" -ne 0 ]
  [[ "$output" != *hello* ]]
}

@test "removing an IPv6 network leaves no address, route, interface or nft element" {
  net6 v6gone 9
  id=$(berth network inspect v6gone -f '{{.Id}}')
  bridge=br-${id:0:12}
  serve_httpd g6 --network v6gone -p 23203:80
  run ip -6 addr show dev "$bridge"
  [[ "$output" == *"fd00:210:9::1/64"* ]]
  run nft list table inet berth
  [[ "$output" == *"fd00:210:9::"* ]]
  berth rm -f g6 >/dev/null
  berth network rm v6gone >/dev/null
  run ip -6 addr
  [[ "$output" != *"fd00:210:9:"* ]]
  run ip -6 route
  [[ "$output" != *"fd00:210:9:"* ]]
  [[ "$output" != *"$bridge"* ]]
  run ip -o link show
  [[ "$output" != *"$bridge"* ]]
  run nft list ruleset
  [[ "$output" != *"fd00:210:9:"* ]]
  [[ "$output" != *"$bridge"* ]]
  [[ "$output" != *23203* ]]
  wait_until bash -c "! ps -eo args | grep -q '[_]_dns $id'"
  # And the host kept its IPv6 default route all along.
  [ "$(ip -6 route show default)" = "$(cat "$BATS_FILE_TMPDIR/default6.before")" ]
}

# A private "host": a network namespace with berth's networks of its own
# (berth runs in it through nsenter, which keeps the cgroup mounts).  Its
# IPv6 forwarding starts off, as on a host that never had an IPv6 network.
# A second root: the first one's networks live in the real host.
priv_setup() { # ID
  PRIV=v6p-$$-$1
  PRIV_ROOT=$(mktemp -d /tmp/berth-v6priv.XXXXXX)
  ip netns add "$PRIV"
  ip -n "$PRIV" link set lo up
  ip netns exec "$PRIV" sysctl -qw net.ipv6.conf.all.forwarding=0
  ip netns exec "$PRIV" sysctl -qw net.ipv6.conf.default.accept_ra=1
  "$BERTH" --root "$PRIV_ROOT" import -c 'CMD ["/bin/sh"]' \
    "$BATS_FILE_TMPDIR/bb.tar" bb >/dev/null
}

pberth() { nsenter --net="/run/netns/$PRIV" "$BERTH" --root "$PRIV_ROOT" "$@"; }

priv_teardown() {
  [ -n "${PRIV_ROOT:-}" ] || return 0
  local ids
  ids=$(pberth ps -aq --no-trunc 2>/dev/null)
  [ -n "$ids" ] && pberth rm -f $ids >/dev/null 2>&1
  pberth system reset -f >/dev/null 2>&1
  rm -rf "$PRIV_ROOT"
  PRIV_ROOT=
}

# A router (its own namespace, fe80::1) on the private host's up0, which
# sends it one router advertisement.
priv_router() {
  RTR=v6r-$$-$1
  ip netns add "$RTR"
  ip -n "$PRIV" link add up0 type veth peer name eth0 netns "$RTR"
  ip -n "$PRIV" link set up0 up
  ip -n "$RTR" addr add fe80::1/64 dev eth0 nodad
  ip -n "$RTR" link set eth0 up
}

# Retried: the router's link may not be up yet (ENETUNREACH).
send_ra() { wait_until ip netns exec "$RTR" python3 "$BATS_TEST_DIRNAME/send_ra.py" eth0; }

ra_route() { ip -n "$PRIV" -6 route show default | grep -q "via fe80::1 dev up0 proto ra"; }

@test "IPv6 forwarding turned on by berth keeps the routers a host learnt from advertisements" {
  priv_setup fwd
  priv_router fwd
  send_ra
  wait_until ra_route
  # Control: turning forwarding on as such drops the learnt route.
  ip netns exec "$PRIV" sysctl -qw net.ipv6.conf.all.forwarding=1
  run ip -n "$PRIV" -6 route show default
  [[ "$output" != *"fe80::1"* ]]
  ip netns exec "$PRIV" sysctl -qw net.ipv6.conf.all.forwarding=0
  send_ra
  wait_until ra_route
  pberth network create --ipv6 --subnet 10.211.20.0/24 --subnet fd00:210:20::/64 pv6 >/dev/null
  run pberth run --rm --network pv6 bb ip -6 route
  [ "$status" -eq 0 ]
  [[ "$output" == *"default via fd00:210:20::1"* ]]
  [ "$(ip netns exec "$PRIV" sysctl -n net.ipv6.conf.all.forwarding)" = 1 ]
  ra_route
  [ "$(ip netns exec "$PRIV" sysctl -n net.ipv6.conf.up0.accept_ra)" = 2 ]
  # It still takes new advertisements.
  ip -n "$PRIV" -6 route flush default
  send_ra
  wait_until ra_route
}

@test "a container cannot give the host a route with a router advertisement (CVE-2020-13401)" {
  priv_setup ra
  pberth network create --subnet 10.211.21.0/24 pv4 >/dev/null
  cid=$(pberth run -d --network pv4 bb sleep 60)
  id=$(pberth network inspect pv4 -f '{{.Id}}')
  bridge=br-${id:0:12}
  pid=$(pberth inspect -f '{{.State.Pid}}' "$cid")
  # The container's link-local address must be usable as the source.
  wait_until bash -c "nsenter -t $pid -n ip -6 addr show dev eth0 scope link | grep -q inet6 &&
    ! nsenter -t $pid -n ip -6 addr show dev eth0 | grep -q tentative"
  [ "$(ip netns exec "$PRIV" sysctl -n net.ipv6.conf.all.forwarding)" = 0 ]
  [ "$(ip netns exec "$PRIV" sysctl -n "net.ipv6.conf.$bridge.accept_ra")" = 0 ]
  nsenter -t "$pid" -n python3 "$BATS_TEST_DIRNAME/send_ra.py" eth0
  sleep 0.5
  run ip -n "$PRIV" -6 route show default
  defence=$output
  # Control: with the kernel's default the same advertisement is taken.
  ip netns exec "$PRIV" sysctl -qw "net.ipv6.conf.$bridge.accept_ra=1"
  nsenter -t "$pid" -n python3 "$BATS_TEST_DIRNAME/send_ra.py" eth0
  wait_until bash -c "ip -n $PRIV -6 route show default | grep -q $bridge"
  run ip -n "$PRIV" -6 route show default
  [[ "$output" == *"dev $bridge proto ra"* ]]
  [ -z "$defence" ]
}
