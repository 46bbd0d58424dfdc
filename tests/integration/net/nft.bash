# Network namespaces for nft.bats: a "host" with two berth-style bridges,
# a container on each, another host on the host's LAN ("outside") and an
# upstream router ("up") that has no route back to the containers.  No
# packet leaves this machine: every address is in a namespace made here.
#
#   c1 (10.202.0.2, fd00:202::2) -- bnA (10.202.0.1, fd00:202::1) \
#   c2 (10.202.1.2)              -- bnB (10.202.1.1)               host
#   out (10.202.9.2, fd00:209::2) -- vo (10.202.9.1, fd00:209::1) /  |
#   up (10.202.8.2)               -- vu (10.202.8.1) ----------------+
#
# Every namespace runs busybox httpd on port 80 serving its name (/) and
# the client's address (/cgi-bin/ip); the host also on 127.0.0.1:8090
# only (a service meant for this host alone).
#
#   nft_topo_up        make it all (names from $NFT_ID), start the servers
#   nft_topo_down      stop the servers, delete the namespaces
#   ns NAME CMD...     CMD in namespace NAME (h, c1, c2, out, up)
#   nftctl ARGS...     tests/net/nftctl in the host namespace
#   fetch NAME URL     body of URL fetched from NAME (fails after 5 s)
#   no_fetch NAME URL  succeeds when URL does not answer within 2 s
#   route_127 NAME GW SRC   NAME sends TCP to 127.0.0.1 to its neighbour GW
#                      (what an attacker next to the host can do)
#   unroute_127 NAME   undoes it

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
NFTCTL=${NFTCTL:-$REPO/build/tests/net/nftctl}
NFT_NAMESPACES="h c1 c2 out up"

ns() {
  local name=$1
  shift
  ip netns exec "$NFT_ID-$name" "$@"
}

nftctl() { ns h "$NFTCTL" "$@"; }

fetch() { timeout 5 ip netns exec "$NFT_ID-$1" busybox wget -q -O - "$2"; }

no_fetch() {
  ! timeout 2 ip netns exec "$NFT_ID-$1" busybox wget -q -O - "$2" \
    >/dev/null 2>&1
}

# A veth from the host namespace (host side HOSTIF) into namespace PEER
# (eth0 there), up on both ends.
_veth() {
  ip -n "$NFT_ID-h" link add "$1" type veth peer name eth0 \
    netns "$NFT_ID-$2" &&
    ip -n "$NFT_ID-h" link set "$1" up &&
    ip -n "$NFT_ID-$2" link set eth0 up
}

_bridge() { # NAME ADDR...
  local br=$1
  shift
  ip -n "$NFT_ID-h" link add "$br" type bridge &&
    ip -n "$NFT_ID-h" link set "$br" up || return 1
  local a
  for a in "$@"; do
    case $a in
      *:*) ip -n "$NFT_ID-h" addr add "$a" dev "$br" nodad ;;
      *) ip -n "$NFT_ID-h" addr add "$a" dev "$br" ;;
    esac || return 1
  done
  # What berth's netlink code sets on its bridges (see src/net/netlink.h):
  # a host's 127.0.0.1 DNATed to a container must be routable there.
  ns h sysctl -qw "net.ipv4.conf.$br.route_localnet=1"
}

_container() { # NS BRIDGE ADDR4/LEN GW4 [ADDR6/LEN GW6]
  # hairpin on the bridge port: with br_netfilter loaded (this host), a
  # container's packet DNATed back to itself is bridged out of the port
  # it came in by, which a bridge port refuses without the flag (Docker
  # sets it too when it has no userland proxy).
  _veth "v$1" "$1" && ip -n "$NFT_ID-h" link set "v$1" master "$2" &&
    ip -n "$NFT_ID-h" link set "v$1" type bridge_slave hairpin on &&
    ip -n "$NFT_ID-$1" addr add "$3" dev eth0 &&
    ip -n "$NFT_ID-$1" route add default via "$4" || return 1
  if [ -n "${5:-}" ]; then
    ip -n "$NFT_ID-$1" addr add "$5" dev eth0 nodad &&
      ip -n "$NFT_ID-$1" -6 route add default via "$6"
  fi
}

_servers() {
  local n d
  for n in $NFT_NAMESPACES; do
    d=$NFT_DIR/www-$n
    mkdir -p "$d/cgi-bin"
    echo "$n" >"$d/index.html"
    printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$REMOTE_ADDR"\n' \
      >"$d/cgi-bin/ip"
    chmod +x "$d/cgi-bin/ip"
    ip netns exec "$NFT_ID-$n" busybox httpd -f -p 80 -h "$d" \
      </dev/null >/dev/null 2>&1 &
    echo $! >>"$NFT_DIR/pids"
  done
  ip netns exec "$NFT_ID-h" busybox httpd -f -p 127.0.0.1:8090 \
    -h "$NFT_DIR/www-h" </dev/null >/dev/null 2>&1 &
  echo $! >>"$NFT_DIR/pids"
  local port
  for n in $NFT_NAMESPACES h:8090; do
    port=80
    [ "${n#*:}" = "$n" ] || port=${n#*:}
    _serving "${n%%:*}" "http://127.0.0.1:$port/" || {
      echo "nft.bash: httpd in $n did not start" >&2
      return 1
    }
  done
}

_serving() { # NS URL: waits up to ~5 s for the server there
  local _
  for _ in $(seq 50); do
    [ "$(fetch "$1" "$2" 2>/dev/null)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

nft_topo_up() {
  local n
  for n in $NFT_NAMESPACES; do
    ip netns add "$NFT_ID-$n" && ip -n "$NFT_ID-$n" link set lo up || return 1
  done
  ns h sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 &&
    _bridge bnA 10.202.0.1/24 fd00:202::1/64 &&
    _bridge bnB 10.202.1.1/24 &&
    _container c1 bnA 10.202.0.2/24 10.202.0.1 fd00:202::2/64 fd00:202::1 &&
    _container c2 bnB 10.202.1.2/24 10.202.1.1 &&
    _veth vo out && ip -n "$NFT_ID-h" addr add 10.202.9.1/24 dev vo &&
    ip -n "$NFT_ID-h" addr add fd00:209::1/64 dev vo nodad &&
    ip -n "$NFT_ID-out" addr add 10.202.9.2/24 dev eth0 &&
    ip -n "$NFT_ID-out" addr add fd00:209::2/64 dev eth0 nodad &&
    _veth vu up && ip -n "$NFT_ID-h" addr add 10.202.8.1/24 dev vu &&
    ip -n "$NFT_ID-up" addr add 10.202.8.2/24 dev eth0 &&
    _servers
}

route_127() {
  local n=$1
  ns "$n" sysctl -qw net.ipv4.conf.eth0.route_localnet=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 || return 1
  # The local table (rule 0) would answer 127.0.0.1 itself: look it up
  # after a rule sending TCP to 127.0.0.1 out of eth0.
  if [ -z "$(ns "$n" ip rule show pref 5)" ]; then
    ns "$n" ip rule add pref 10 lookup local &&
      ns "$n" ip rule del pref 0 &&
      ns "$n" ip rule add pref 5 to 127.0.0.1/32 ipproto tcp lookup 202 ||
      return 1
  fi
  ns "$n" ip route replace 127.0.0.1/32 via "$2" dev eth0 src "$3" table 202
}

unroute_127() {
  local n=$1
  [ -n "$(ns "$n" ip rule show pref 5 2>/dev/null)" ] || return 0
  ns "$n" ip rule del pref 5
  ns "$n" ip rule add pref 0 lookup local
  ns "$n" ip rule del pref 10
  ns "$n" ip route flush table 202
  ns "$n" sysctl -qw net.ipv4.conf.eth0.route_localnet=0
  return 0
}

nft_topo_down() {
  local p n
  if [ -f "$NFT_DIR/pids" ]; then
    while read -r p; do
      kill "$p" 2>/dev/null
    done <"$NFT_DIR/pids"
    rm -f "$NFT_DIR/pids"
  fi
  for n in $NFT_NAMESPACES; do
    ip netns del "$NFT_ID-$n" 2>/dev/null
  done
  return 0
}
