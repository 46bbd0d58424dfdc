#!/usr/bin/env bats
# berth's nftables table (src/net/nft.c) with real traffic, inside network
# namespaces made here (see nft.bash for the picture): published ports,
# the 127.0.0.1 defences, hairpin, isolation, internal networks,
# masquerade, clean removal, other tables left alone, bad input.
# Every test starts from networks A (bnA: c1) and B (bnB: c2) set up.

load nft

setup_file() {
  [ -x "$NFTCTL" ] || {
    echo "$NFTCTL missing: run 'ninja -C build'" >&2
    return 1
  }
  # Unique per run: several runs (other worktrees) may share the machine.
  export NFT_ID="bnft-$$"
  export NFT_DIR="$BATS_FILE_TMPDIR"
  nft_topo_up || {
    nft_topo_down
    return 1
  }
}

teardown_file() { nft_topo_down; }

setup() {
  ns h nft delete table inet berth 2>/dev/null || true
  nftctl network-add bnA 10.202.0.0/24 fd00:202::/64
  nftctl network-add bnB 10.202.1.0/24
}

teardown() {
  ns h nft delete table ip bnftscratch 2>/dev/null
  ns h nft delete table ip podmanlike 2>/dev/null
  ns h nft delete table inet berthx 2>/dev/null
  unroute_127 out
  unroute_127 c1
  ns out ip route del 10.202.0.0/23 2>/dev/null
  return 0
}

publish_c1() { # HOST_IP|- PORT
  nftctl port-add tcp "$1" "$2" 10.202.0.2 fd00:202::2 80
}

@test "nft: a port published on every address answers from outside, on 127.0.0.1 and on the host's addresses" {
  # Nothing answers there before the mapping.
  no_fetch out http://10.202.9.1:8080/
  publish_c1 - 8080
  [ "$(fetch out http://10.202.9.1:8080/)" = c1 ]
  [ "$(fetch out 'http://[fd00:209::1]:8080/')" = c1 ]
  # From outside the client's own address reaches the container.
  [[ "$(fetch out http://10.202.9.1:8080/cgi-bin/ip)" == *10.202.9.2* ]]
  [ "$(fetch h http://10.202.9.1:8080/)" = c1 ]
  [ "$(fetch h 'http://[fd00:209::1]:8080/')" = c1 ]
  [ "$(fetch h http://127.0.0.1:8080/)" = c1 ]
  # The host's 127.0.0.1 arrives from the bridge's address (masquerade).
  [[ "$(fetch h http://127.0.0.1:8080/cgi-bin/ip)" == *10.202.0.1* ]]
  # A container of another network reaches it through the host's address.
  [ "$(fetch c2 http://10.202.9.1:8080/)" = c1 ]
}

@test "nft: a port published on 127.0.0.1 answers on the host only, not to a neighbour routing 127.0.0.1 here" {
  publish_c1 127.0.0.1 8081
  [ "$(fetch h http://127.0.0.1:8081/)" = c1 ]
  no_fetch h http://10.202.9.1:8081/
  no_fetch out http://10.202.9.1:8081/
  # The neighbour sends 127.0.0.1:8081 to the host: not DNATed (the
  # kernel then drops it as a martian destination).
  route_127 out 10.202.9.1 10.202.9.2
  no_fetch out http://127.0.0.1:8081/
  # CONTROL: a DNAT without the 127.0.0.0/8 exclusion (what Docker had)
  # makes the same packets reach the container.
  ns h nft -f - <<'EOF'
table ip bnftscratch {
  chain pre {
    type nat hook prerouting priority dstnat - 1;
    ip daddr 127.0.0.1 tcp dport 8081 dnat to 10.202.0.2:80
  }
}
EOF
  [ "$(fetch out http://127.0.0.1:8081/)" = c1 ]
}

@test "nft: a container cannot reach the host's 127.0.0.1 services through its bridge (route_localnet)" {
  [ "$(fetch h http://127.0.0.1:8090/)" = h ]
  route_127 c1 10.202.0.1 10.202.0.2
  no_fetch c1 http://127.0.0.1:8090/
  # CONTROL: without the table's input rule the bridge's route_localnet
  # delivers it to the host's loopback service.
  local handle
  handle=$(ns h nft -a list chain inet berth input |
    awk '/127.0.0.0\/8/ { print $NF }')
  [ -n "$handle" ]
  ns h nft delete rule inet berth input handle "$handle"
  [ "$(fetch c1 http://127.0.0.1:8090/)" = h ]
}

@test "nft: hairpin: a container reaches its own published port through the host's addresses" {
  publish_c1 - 8080
  [ "$(fetch c1 http://10.202.9.1:8080/)" = c1 ]
  [ "$(fetch c1 http://10.202.0.1:8080/)" = c1 ]
  [ "$(fetch c1 'http://[fd00:202::1]:8080/')" = c1 ]
  # Masqueraded: the reply must go back through the host's NAT.
  [[ "$(fetch c1 http://10.202.9.1:8080/cgi-bin/ip)" == *10.202.0.1* ]]
}

@test "nft: containers on different networks cannot reach each other, nor a host routing to them" {
  no_fetch c1 http://10.202.1.2/
  no_fetch c2 http://10.202.0.2/
  ns out ip route add 10.202.0.0/23 via 10.202.9.1
  no_fetch out http://10.202.0.2/
  # The host itself reaches its containers (as Docker's).
  [ "$(fetch h http://10.202.0.2/)" = c1 ]
  # CONTROL: the same packets get through without berth's table.
  ns h nft delete table inet berth
  [ "$(fetch c1 http://10.202.1.2/)" = c2 ]
  [ "$(fetch out http://10.202.0.2/)" = c1 ]
}

@test "nft: outbound NAT: upstream sees the host's address; removing one network leaves the other's" {
  [[ "$(fetch c1 http://10.202.8.2/cgi-bin/ip)" == *10.202.8.1* ]]
  [[ "$(fetch c2 http://10.202.8.2/cgi-bin/ip)" == *10.202.8.1* ]]
  # Without its network's NAT a container cannot get an answer (the
  # upstream has no route back), and the other network keeps its own.
  nftctl network-rm bnB
  no_fetch c2 http://10.202.8.2/
  [[ "$(fetch c1 http://10.202.8.2/cgi-bin/ip)" == *10.202.8.1* ]]
}

@test "nft: an internal network forwards nothing off its bridge" {
  publish_c1 - 8080
  # CONTROL: as an ordinary network, c2 gets out and to published ports.
  [ "$(fetch c2 http://10.202.8.2/)" = up ]
  [ "$(fetch c2 http://10.202.9.1:8080/)" = c1 ]
  nftctl network-rm bnB
  nftctl network-add bnB 10.202.1.0/24 - internal
  no_fetch c2 http://10.202.8.2/
  no_fetch c2 http://10.202.9.2/
  no_fetch c2 http://10.202.9.1:8080/
  # Nor in: a port published to its container is not forwarded.
  nftctl port-add tcp - 8082 10.202.1.2 - 80
  no_fetch out http://10.202.9.1:8082/
}

@test "nft: ports_remove makes the port stop answering, skips mappings gone, keeps another container's" {
  publish_c1 - 8080
  [ "$(fetch out http://10.202.9.1:8080/)" = c1 ]
  # Same host port, other container: not this mapping, left alone.
  nftctl port-rm tcp - 8080 10.202.0.9 - 80
  [ "$(fetch out http://10.202.9.1:8080/)" = c1 ]
  nftctl port-rm tcp - 8080 10.202.0.2 fd00:202::2 80
  no_fetch out http://10.202.9.1:8080/
  no_fetch out 'http://[fd00:209::1]:8080/'
  nftctl port-rm tcp - 8080 10.202.0.2 fd00:202::2 80
  run nftctl state
  [ "$status" -eq 0 ]
  [[ "$output" != *port* ]]
}

@test "nft: the table's state lists the bridges and ports added, in a form ports_remove takes back" {
  nftctl port-add tcp - 8080 10.202.0.2 fd00:202::2 80 \
    udp 10.202.9.1 5353 10.202.0.2 - 53 \
    sctp fd00:209::1 9000 - fd00:202::2 9001 \
    tcp :: 8443 - fd00:202::2 443 \
    tcp 0.0.0.0 8444 10.202.1.2 - 443
  run nftctl state
  [ "$status" -eq 0 ]
  [ "$(sort <<<"$output")" = "bridge bnA
bridge bnB
port sctp fd00:209::1 9000 - fd00:202::2 9001
port tcp - 8080 10.202.0.2 fd00:202::2 80
port tcp - 8444 10.202.1.2 - 443
port tcp :: 8443 - fd00:202::2 443
port udp 10.202.9.1 5353 10.202.0.2 - 53" ]
  local args
  args=$(awk '$1 == "port" { $1 = ""; print }' <<<"$output")
  # shellcheck disable=SC2086
  nftctl port-rm $args
  run nftctl state
  [[ "$output" != *port* ]]
}

@test "nft: removing the last network deletes the table; a missing network or table is no error" {
  nftctl network-rm bnA
  [ "$(ns h nft list tables | grep -c 'inet berth')" = 1 ]
  nftctl network-rm bnB
  run ns h nft list tables
  [[ "$output" != *berth* ]]
  nftctl network-rm bnB
  nftctl network-rm bnZ
  run nftctl port-add tcp - 8080 10.202.0.2 - 80
  [ "$status" -eq 1 ]
  [ "$output" = "nftctl: nftables: no table inet berth (no network is set up)" ]
}

@test "nft: re-adding a network changes nothing; concurrent adds write each rule once; lost rules come back" {
  local before
  before=$(ns h nft list table inet berth)
  nftctl network-add bnA 10.202.0.0/24 fd00:202::/64
  [ "$(ns h nft list table inet berth)" = "$before" ]
  chains=$(ns h nft list table inet berth | sed -n '/^\tchain/,$p')
  local i pids=""
  for i in 1 2 3 4 5 6 7 8; do
    nftctl network-add "bnX$i" "10.202.$((100 + i)).0/24" &
    pids="$pids $!"
  done
  for i in $pids; do wait "$i"; done
  [ "$(ns h nft list table inet berth | sed -n '/^\tchain/,$p')" = "$chains" ]
  [ "$(nftctl state | grep -c '^bridge')" = 10 ]
  # A base rule deleted by hand is back after the next network_add.
  local handle
  handle=$(ns h nft -a list chain inet berth forward |
    awk '/@internal drop/ { print $NF; exit }')
  ns h nft delete rule inet berth forward handle "$handle"
  [ "$(ns h nft list table inet berth | sed -n '/^\tchain/,$p')" != "$chains" ]
  nftctl network-add bnA 10.202.0.0/24 fd00:202::/64
  [ "$(ns h nft list table inet berth | sed -n '/^\tchain/,$p')" = "$chains" ]
}

@test "nft: removing the last network while another is added never loses the new one" {
  nftctl network-rm bnA
  nftctl network-rm bnB
  local i
  for i in $(seq 10); do
    nftctl network-add bnX 10.202.50.0/24
    nftctl network-rm bnX &
    nftctl network-add bnY 10.202.51.0/24
    wait $!
    nftctl state | grep -qx 'bridge bnY'
    ns h nft list set inet berth nat4 | grep -q 10.202.51.0/24
    nftctl network-rm bnY
  done
}

@test "nft: other tables are left byte for byte through add and remove cycles" {
  ns h nft -f - <<'EOF'
table ip podmanlike {
  chain filter_fwd {
    type filter hook forward priority filter; policy accept;
    ip saddr 10.88.0.0/16 accept
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.88.0.0/16 masquerade
  }
}
table inet berthx {
  set bridges { type ifname; elements = { "bnA" } }
  chain c { type filter hook forward priority 0; iifname @bridges accept; }
}
EOF
  local before i
  before=$(ns h nft -a list table ip podmanlike; ns h nft -a list table inet berthx)
  for i in 1 2 3; do
    publish_c1 - 8080
    nftctl port-rm tcp - 8080 10.202.0.2 fd00:202::2 80
    nftctl network-rm bnA
    nftctl network-rm bnB
    nftctl network-add bnA 10.202.0.0/24 fd00:202::/64
    nftctl network-add bnB 10.202.1.0/24
  done
  [ "$(ns h nft -a list table ip podmanlike
    ns h nft -a list table inet berthx)" = "$before" ]
}

@test "nft: bad input is refused with a clear error and leaves the table as it was" {
  publish_c1 - 8080
  local before
  before=$(ns h nft list table inet berth)
  bad() { # EXPECTED-MESSAGE NFTCTL-ARGS...
    run nftctl "${@:2}"
    [ "$status" -eq 1 ] || return 1
    [ "$output" = "nftctl: $1" ] || {
      echo "got: $output" >&2
      return 1
    }
  }
  bad 'subnet `10.202.3.0/33`: not an IPv4 CIDR' network-add bnC 10.202.3.0/33
  bad 'subnet `10.202.3.0`: not an IPv4 CIDR' network-add bnC 10.202.3.0
  bad 'subnet `fd00:3::/64`: not an IPv4 CIDR' network-add bnC fd00:3::/64
  bad 'subnet `10.202.3.1/24`: host bits are set' network-add bnC 10.202.3.1/24
  bad 'subnet `10.202.3.0/24`: not an IPv6 CIDR' \
    network-add bnC 10.202.3.0/24 10.202.3.0/24
  bad 'bridge name `bn"C`: invalid character `"`' network-add 'bn"C' 10.202.3.0/24
  bad 'bridge name `bnCCCCCCCCCCCCCC`: must be 1 to 15 characters' \
    network-add bnCCCCCCCCCCCCCC 10.202.3.0/24
  # Overlapping another network's subnet: refused by nft, nothing added.
  bad 'nftables: interval overlaps with an existing one' \
    network-add bnC 10.202.0.0/16
  bad 'protocol `icmp`: must be tcp, udp or sctp' \
    port-add icmp - 8081 10.202.0.2 - 80
  bad 'host address `1.2.3`: not an IP address' \
    port-add tcp 1.2.3 8081 10.202.0.2 - 80
  bad 'port 0:80: ports are 1 to 65535' port-add tcp - 0 10.202.0.2 - 80
  bad 'port 8081/tcp: no IPv6 address of the container' \
    port-add tcp fd00:209::1 8081 10.202.0.2 - 80
  bad 'container address `10.202.0`: not an IPv4 address' \
    port-add tcp - 8081 10.202.0 - 80
  # One bad mapping of several: none is added (one transaction).
  bad 'nftables: Could not process rule: File exists' \
    port-add tcp - 8085 10.202.0.2 - 80 tcp - 8080 10.202.1.2 - 80
  [ "$(ns h nft list table inet berth)" = "$before" ]
}

@test "nft: a missing libnftables is an error of the operation, not of the process" {
  local lib
  lib=$(readlink -f "$(ldconfig -p | awk '/libnftables\.so\.1 / { print $NF; exit }')")
  [ -f "$lib" ]
  # In a private mount namespace only: the library becomes an empty file.
  run unshare -m sh -c 'mount --bind /dev/null "$1" && exec "$2" state' \
    sh "$lib" "$NFTCTL"
  [ "$status" -eq 1 ]
  [[ "$output" == "nftctl: cannot load libnftables: "* ]]
}
