#!/usr/bin/env bats
# network connect / disconnect on running and stopped containers, and the
# per-endpoint options of run (--ip, --mac-address, --network-alias) as
# the container sees them.  Subnets 10.212.0.0/16 (10.212.9.0/24 is
# coexist.bats'), no published ports.

load ../engine/engine

setup_file() {
  engine_setup_file
}

teardown() {
  engine_teardown
}

teardown_file() {
  berth network prune -f >/dev/null 2>&1
  engine_teardown_file
}

serve_httpd() { # NAME ARGS...: a detached httpd serving "hello NAME"
  local name=$1
  shift
  berth run -d --name "$name" "$@" bb sh -c \
    "mkdir -p /www && echo hello $name > /www/index.html && exec httpd -f -p 80 -h /www"
}

ip_on() { # CTR NET: the container's address on NET
  berth inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

@test "connect gives a running container eth1 with its address at once" {
  berth network create --subnet 10.212.1.0/24 c1 >/dev/null
  serve_httpd peer --network c1
  berth run -d --name late bb sleep 60 >/dev/null
  # Control: before connect there is no eth1 and the peer is unknown.
  run berth exec late ip -4 addr show eth1
  [ "$status" -ne 0 ]
  run berth exec late timeout 3 wget -qO- http://peer/
  [ "$status" -ne 0 ]
  run berth network connect --ip 10.212.1.50 --alias lateone c1 late
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run berth exec late ip -4 addr show eth1
  [ "$status" -eq 0 ]
  [[ "$output" == *"inet 10.212.1.50/24"* ]]
  [ "$(ip_on late c1)" = 10.212.1.50 ]
  # The default route stays the first network's.
  run berth exec late ip route show default
  [[ "$output" == *"dev eth0"* ]]
  # By name over the new interface (the network's name server).
  run berth exec late timeout 3 wget -qO- http://peer/
  [ "$status" -eq 0 ]
  [ "$output" = "hello peer" ]
  # Others on c1 reach it by its alias and by its name.
  run berth exec peer nslookup lateone
  [[ "$output" == *10.212.1.50* ]]
  run berth exec peer nslookup late
  [[ "$output" == *10.212.1.50* ]]
  berth exec late sh -c 'mkdir -p /www && echo hello late > /www/index.html && (httpd -p 80 -h /www &)'
  run berth exec peer timeout 3 wget -qO- http://lateone/
  [ "$status" -eq 0 ]
  [ "$output" = "hello late" ]
}

@test "/etc/hosts gains the connected address and loses it on disconnect" {
  berth network create --subnet 10.212.2.0/24 c2 >/dev/null
  berth run -d --name h bb sleep 60 >/dev/null
  run berth exec h cat /etc/hosts
  [[ "$output" != *10.212.2.* ]]
  resolv_before=$(berth exec h cat /etc/resolv.conf)
  [[ "$resolv_before" != *10.212.2.1* ]]
  berth network connect --ip 10.212.2.9 c2 h
  hn=$(berth inspect -f '{{.Config.Hostname}}' h)
  run berth exec h cat /etc/hosts
  [[ "$output" == *"10.212.2.9	$hn"* ]]
  # Started on the default bridge: the user network's name server
  # takes over (Docker's embedded DNS does).
  run berth exec h cat /etc/resolv.conf
  [[ "$output" == *"nameserver 10.212.2.1"* ]]
  berth network disconnect c2 h
  run berth exec h cat /etc/hosts
  [[ "$output" != *10.212.2.9* ]]
  # The first network's line is still there.
  [[ "$output" == *"$(ip_on h bridge)	$hn"* ]]
  run berth exec h cat /etc/resolv.conf
  [ "$output" = "$resolv_before" ]
}

@test "disconnect removes eth1 at once and frees the address" {
  berth network create --subnet 10.212.3.0/24 c3 >/dev/null
  berth run -d --name d1 bb sleep 60 >/dev/null
  berth network connect --ip 10.212.3.2 c3 d1
  berth exec d1 ip link show eth1 >/dev/null
  run berth network disconnect c3 d1
  [ "$status" -eq 0 ]
  run berth exec d1 ip link show eth1
  [ "$status" -ne 0 ]
  run berth network inspect c3 -f '{{len .Containers}}'
  [ "$output" = 0 ]
  # eth0 is untouched.
  run berth exec d1 ip -4 addr show eth0
  [[ "$output" == *inet* ]]
  # The address goes to the next container (the lowest free one).
  berth run -d --name d2 --network c3 bb sleep 60 >/dev/null
  [ "$(ip_on d2 c3)" = 10.212.3.2 ]
  run berth exec d2 ip -4 addr show eth0
  [[ "$output" == *"inet 10.212.3.2/24"* ]]
  # Disconnecting again is refused.
  run berth network disconnect c3 d1
  [ "$status" -eq 125 ]
  [[ "$output" == *"not connected"* ]]
}

@test "connect of a stopped container takes effect at its next start" {
  berth network create --subnet 10.212.4.0/24 c4 >/dev/null
  serve_httpd p4 --network c4
  berth create --name st bb sleep 60 >/dev/null
  berth network connect --ip 10.212.4.40 --alias stal c4 st
  run berth exec st true
  [ "$status" -ne 0 ]
  berth start st >/dev/null
  run berth exec st ip -4 addr show eth1
  [[ "$output" == *"inet 10.212.4.40/24"* ]]
  run berth exec st timeout 3 wget -qO- http://p4/
  [ "$output" = "hello p4" ]
  run berth exec p4 nslookup stal
  [[ "$output" == *10.212.4.40* ]]
  run berth exec st cat /etc/hosts
  [[ "$output" == *10.212.4.40* ]]
  # Disconnected while stopped: gone at the next start.
  berth stop -t 0 st >/dev/null
  berth network disconnect c4 st
  berth start st >/dev/null
  run berth exec st ip link show eth1
  [ "$status" -ne 0 ]
}

@test "connect --ip taken or outside the subnet is refused in one line" {
  berth network create --subnet 10.212.5.0/24 c5 >/dev/null
  berth run -d --name t1 --network c5 --ip 10.212.5.7 bb sleep 60 >/dev/null
  berth run -d --name t2 bb sleep 60 >/dev/null
  run berth network connect --ip 10.212.5.7 c5 t2
  [ "$status" -eq 125 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  [[ "$output" == *10.212.5.7* ]]
  run berth network connect --ip 10.212.6.7 c5 t2
  [ "$status" -eq 125 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  [[ "$output" == *10.212.6.7* ]]
  # Nothing half-done: no endpoint, no interface.
  run berth network inspect c5 -f '{{len .Containers}}'
  [ "$output" = 1 ]
  run berth exec t2 ip link show eth1
  [ "$status" -ne 0 ]
  # Connected twice: refused as well.
  run berth network connect c5 t1
  [ "$status" -eq 125 ]
  [[ "$output" == *"already exists"* ]]
}

@test "run --ip and --mac-address on a user network are what the container sees" {
  berth network create --subnet 10.212.6.0/24 c6 >/dev/null
  run berth run --rm --network c6 --ip 10.212.6.66 --mac-address 02:42:0a:d4:06:42 bb \
    sh -c 'ip -4 -o addr show eth0; ip -o link show eth0'
  [ "$status" -eq 0 ]
  [[ "$output" == *"inet 10.212.6.66/24"* ]]
  [[ "$output" == *"link/ether 02:42:0a:d4:06:42"* ]]
  # Control: without them, something else.
  run berth run --rm --network c6 bb sh -c 'ip -4 -o addr show eth0; ip -o link show eth0'
  [[ "$output" != *10.212.6.66/* ]]
  [[ "$output" != *02:42:0a:d4:06:42* ]]
}

@test "--network-alias resolves for others on the network" {
  berth network create --subnet 10.212.7.0/24 c7 >/dev/null
  serve_httpd aliased --network c7 --network-alias svc --network-alias svc2
  run berth run --rm --network c7 bb sh -c 'timeout 3 wget -qO- http://svc/ && timeout 3 wget -qO- http://svc2/'
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c 'hello aliased')" -eq 2 ]
  # Control: a name nobody has does not resolve.
  run berth run --rm --network c7 bb nslookup svc3
  [ "$status" -ne 0 ]
}
