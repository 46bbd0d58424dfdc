#!/usr/bin/env bats
# run/create's network flags: -p/-P/--expose, --ip/--ip6/--network-alias,
# --mac-address, --add-host, --dns/--dns-search/--dns-option as Docker's
# create request (inspect shows it), the engine's refusals (exit 125, one
# line, no container), and the generated /etc/hosts and /etc/resolv.conf.
# Nothing here binds a port or sends a packet: containers use --network
# none (or the host's, to read files), and port numbers are in 23000-23999.

bats_require_minimum_version 1.5.0
load ../engine/engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# Runs berth in a private mount namespace where the host's /etc/hosts and
# /etc/resolv.conf are the test's files ($1, $2): the engine reads them.
berth_with_host_files() {
  local hosts=$1 resolv=$2
  shift 2
  run timeout 60 unshare -m --propagation private sh -c '
    mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf &&
    shift 2 && exec "$@"' sh "$hosts" "$resolv" \
    "$BERTH" --root "$BERTH_ROOT" "$@"
}

json_of() { # CONTAINER TEMPLATE: the value, compact and key-sorted
  berth inspect --format "{{json $2}}" "$1" | jq -cS .
}

@test "-p, -P and --expose become PortBindings, ExposedPorts, PublishAllPorts" {
  id=$(berth create --network none -p 127.0.0.1:23080:80 \
    -p '[::1]:23081:81/udp' -p 23090-23091:90-91 -p 23100-23110:100 \
    -p 82 -p 127.0.0.1::83 --expose 7000-7001 --expose 53/udp -P bb true)
  [ "$(json_of "$id" .HostConfig.PortBindings)" = "$(jq -cS . <<'J'
{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"23080"}],
 "81/udp":[{"HostIp":"::1","HostPort":"23081"}],
 "90/tcp":[{"HostIp":"","HostPort":"23090"}],
 "91/tcp":[{"HostIp":"","HostPort":"23091"}],
 "100/tcp":[{"HostIp":"","HostPort":"23100-23110"}],
 "82/tcp":[{"HostIp":"","HostPort":""}],
 "83/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]}
J
)" ]
  [ "$(json_of "$id" .Config.ExposedPorts | jq -c 'keys')" = \
    '["100/tcp","53/udp","7000/tcp","7001/tcp","80/tcp","81/udp","82/tcp","83/tcp","90/tcp","91/tcp"]' ]
  [ "$(json_of "$id" .HostConfig.PublishAllPorts)" = true ]
  # Not running: nothing published (Docker's {}), `port` has nothing.
  [ "$(json_of "$id" .NetworkSettings.Ports)" = '{}' ]
  run berth port "$id"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run berth port "$id" 80
  [ "$status" -eq 1 ]
  [ "$output" = "berth: no public port '80' published for $id" ] ||
    [[ "$output" == *"no public port '80' published for $id" ]]
}

@test "--add-host, --dns, --dns-search, --dns-option, --mac-address in the request" {
  id=$(berth create --network none --add-host db:10.1.2.3 \
    --add-host 'v6=[2001:db8::1]' --add-host gw=192.0.2.1 \
    --dns 192.0.2.53 --dns 2001:db8::53 --dns-search a.example \
    --dns-search b.example --dns-option ndots:3 --dns-opt timeout:2 \
    --mac-address 02:42:ac:11:00:09 bb true)
  [ "$(json_of "$id" .HostConfig.ExtraHosts)" = \
    '["db:10.1.2.3","v6:2001:db8::1","gw:192.0.2.1"]' ]
  [ "$(json_of "$id" .HostConfig.Dns)" = '["192.0.2.53","2001:db8::53"]' ]
  [ "$(json_of "$id" .HostConfig.DnsSearch)" = '["a.example","b.example"]' ]
  [ "$(json_of "$id" .HostConfig.DnsOptions)" = '["ndots:3","timeout:2"]' ]
  [ "$(berth inspect --format '{{.Config.MacAddress}}' "$id")" = \
    02:42:ac:11:00:09 ]
  # Unset: Docker's empty lists.
  id2=$(berth create --network none bb true)
  [ "$(json_of "$id2" .HostConfig.Dns)" = '[]' ]
  [ "$(json_of "$id2" .HostConfig.PortBindings)" = '{}' ]
}

@test "bad network flags: exit 125, one line naming the problem, no container" {
  while IFS='|' read -r flags message; do
    # shellcheck disable=SC2086
    run berth create --network none $flags bb true
    [ "$status" -eq 125 ] || { echo "$flags: $status $output"; false; }
    [ "${#lines[@]}" -eq 1 ] || { echo "$flags: $output"; false; }
    [[ "$output" == *"$message"* ]] || { echo "$flags: $output"; false; }
  done <<'CASES'
-p abc|invalid containerPort: abc
-p 23080-23082:80-81|invalid ranges specified for container and host Ports: 80-81 and 23080-23082
-p 23080:80/icmp|invalid proto: icmp
-p 1.2.3:23080:80|invalid IP address: 1.2.3
-p 70000:80|invalid hostPort: 70000
--expose 1:2|invalid port format for --expose: 1:2
--expose 80-70|invalid range format for --expose: 80-70
--ip 10.88.0.9|user specified IP address is supported on user defined networks only
--ip6 2001:db8::9|user specified IP address is supported on user defined networks only
--network-alias web|network-scoped alias is supported only for containers in user defined networks
--add-host nohost|bad format for add-host: "nohost"
--add-host db:not-an-ip|invalid IP address in add-host: "not-an-ip"
--add-host gw:host-gateway|host-gateway needs a network
--dns 1.2.3|invalid --dns `1.2.3`: not an IP address
--dns-search bad_domain|invalid --dns-search `bad_domain`: not a valid domain
--mac-address 01:00:5e:00:00:01|a multicast address
--mac-address 02:42:zz:00:00:01|is not a valid mac address
CASES
  # The same through run (and with the default network), then the host's
  # network refusing a MAC address (Docker's rule).
  run berth run --rm -p 23080:80/bad bb true
  [ "$status" -eq 125 ]
  [ "$output" = "berth: invalid proto: bad" ] || [[ "$output" == *"invalid proto: bad" ]]
  run berth run --rm --network host --mac-address 02:42:ac:11:00:09 bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"conflicting options: mac-address and the network mode"* ]]
  # Without --network the addresses are for the default bridge: refused.
  run berth create --ip 172.17.0.9 --network-alias web bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
  [ -z "$(berth ps -aq)" ]
}

@test "/etc/hosts and /etc/resolv.conf follow --add-host, --dns*, -h and --domainname" {
  run berth run --rm --network none -h web --domainname example.org \
    --add-host db:10.1.2.3 --add-host 'v6=[2001:db8::1]' \
    --dns 192.0.2.53 --dns-search a.example --dns-search b.example \
    --dns-option ndots:3 bb sh -c 'cat /etc/hosts; echo --; cat /etc/resolv.conf; echo --; hostname'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n' \
    $'127.0.0.1\tlocalhost' \
    $'::1\tlocalhost ip6-localhost ip6-loopback' \
    $'fe00::0\tip6-localnet' \
    $'ff00::0\tip6-mcastprefix' \
    $'ff02::1\tip6-allnodes' \
    $'ff02::2\tip6-allrouters' \
    $'10.1.2.3\tdb' \
    $'2001:db8::1\tv6' \
    $'127.0.1.1\tweb.example.org web' \
    -- \
    'nameserver 192.0.2.53' \
    'search a.example b.example' \
    'options ndots:3' \
    -- \
    web)" ]
  # --dns-search . : no search line at all.
  run berth run --rm --network none --dns 192.0.2.53 --dns-search . bb \
    cat /etc/resolv.conf
  [ "$status" -eq 0 ]
  [ "$output" = "nameserver 192.0.2.53" ]
}

@test "resolv.conf without --dns: the host's, minus nameservers the container cannot reach" {
  hosts=$BATS_TEST_TMPDIR/hosts resolv=$BATS_TEST_TMPDIR/resolv.conf
  printf '127.0.0.1 localhost\n10.9.9.9 buildhost\n' >"$hosts"
  printf '%s\n' '# host comment' 'nameserver 127.0.0.53' \
    'nameserver 192.0.2.1' 'nameserver ::1' 'nameserver 2001:db8::1' \
    'search s.example' 'options edns0' >"$resolv"
  berth_with_host_files "$hosts" "$resolv" run --rm --network none bb \
    cat /etc/resolv.conf
  [ "$status" -eq 0 ]
  # Loopback ones (the host's stub resolver) and IPv6 ones (no IPv6 here)
  # go; search and options stay.
  [ "$output" = "$(printf '%s\n' 'nameserver 192.0.2.1' 'search s.example' \
    'options edns0')" ]
  # --dns-option replaces the options only.
  berth_with_host_files "$hosts" "$resolv" run --rm --network none \
    --dns-option ndots:1 bb cat /etc/resolv.conf
  [ "$output" = "$(printf '%s\n' 'nameserver 192.0.2.1' 'search s.example' \
    'options ndots:1')" ]
  # None left: Docker's fallback to public resolvers.
  printf 'nameserver 127.0.0.53\n' >"$resolv"
  berth_with_host_files "$hosts" "$resolv" run --rm --network none bb \
    cat /etc/resolv.conf
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n' 'nameserver 8.8.8.8' 'nameserver 8.8.4.4')" ]
  # Control: the host's network reaches the host's loopback, so its
  # file is kept as it is, and so is its /etc/hosts (+ --add-host).
  berth_with_host_files "$hosts" "$resolv" run --rm --network host \
    --add-host db:10.1.2.3 bb sh -c 'cat /etc/resolv.conf /etc/hosts'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n' 'nameserver 127.0.0.53' \
    '127.0.0.1 localhost' '10.9.9.9 buildhost' $'10.1.2.3\tdb')" ]
}
