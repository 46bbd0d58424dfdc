#!/usr/bin/env bats
# A network's name server (`berth __dns`, src/engine/netdns.c): local
# names, aliases, short ids and PTR from the database, forwarding to the
# host's resolvers, refusal of strangers, hostile packets, and its
# lifetime (ensure starts one, it exits when its network is idle).
#
# Everything stays on 127.0.53.0/24 in the host's namespace: the
# "containers" are rows in a test root's database whose addresses are
# loopback addresses the client binds as its source; the fake upstream is
# a python responder on 127.0.53.2.  Processes are stopped by PID.

load ../helpers

BERTH=${BERTH:-$REPO/build/src/cli/berth}
TOOL=$BATS_TEST_DIRNAME/dns_tool.py

hex() { printf "%${2}s" | tr ' ' "$1"; }
NET=$(hex d 64)      # user network, gateway 127.0.53.1
NET2=$(hex 2 64)     # another user network (not served here)
NETI=$(hex 9 64)     # internal network, gateway 127.0.53.65
NETB=$(hex 3 64)     # gateway 192.0.2.1: not a host address, cannot bind
WEB=$(hex a 64) CLIENT=$(hex b 64) OTHER=$(hex c 64) BOTH=$(hex e 64)
GONE=$(hex f 64) LATE=$(hex 7 64) ISO=$(hex 8 64) SIX=$(hex 6 64)

sql() { sqlite3 -cmd '.timeout 5000' "$BERTH_ROOT/berth.db" "$@"; }
q() { python3 "$TOOL" query "$@"; }

ctr() { # id name state
  sql "INSERT INTO containers (id, name, image_id, image_name, created,
       config, state) VALUES ('$1', '$2', 'x', 'bb', 0, '{}', '$3')"
}
ep() { # container network ip aliases [seq]
  sql "INSERT INTO endpoints VALUES ('$1', '$2', 'eth0$5', 'v${1:0:6}${2:0:3}',
       '$3', NULL, '02:42:00:00:00:00', '$4', ${5:-0})"
}

start_bg() { # pidfile command... (fd 3 closed: bats waits for it)
  local f=$1
  shift
  "$@" 3>&- >"$f.log" 2>&1 &
  echo $! >"$f"
}

stop_pid() { # pidfile
  [ -f "$1" ] || return 0
  local p
  p=$(cat "$1")
  kill "$p" 2>/dev/null
  for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}

# The server the pid file of a network names (ours: started by this file).
served_by() { cut -d' ' -f1 "$BERTH_ROOT/netdns/$1.pid" 2>/dev/null; }
# How many `berth ... __dns ID` servers of network ID run.
servers_of() {
  local f n=0
  for f in /proc/[0-9]*/cmdline; do
    case "$(tr '\0' ' ' 2>/dev/null <"$f")" in
    *" __dns $1 "*) n=$((n + 1)) ;;
    esac
  done
  echo "$n"
}
dead() { ! kill -0 "$1" 2>/dev/null; }

setup_file() {
  BERTH_ROOT=$(mktemp -d /tmp/berth-dns.XXXXXX)
  export BERTH_ROOT
  "$BERTH" --root "$BERTH_ROOT" ps >/dev/null # migrates the schema
  sql "INSERT INTO networks (id, name, driver, bridge, subnet, gateway,
       internal, created) VALUES
       ('$NET', 'dnsnet', 'bridge', 'bdns0', '127.0.53.0/27', '127.0.53.1', 0, 0),
       ('$NET2', 'dnsnet2', 'bridge', 'bdns1', '127.0.53.32/27', '127.0.53.33', 0, 0),
       ('$NETI', 'dnsint', 'bridge', 'bdns2', '127.0.53.64/27', '127.0.53.65', 1, 0),
       ('$NETB', 'dnsbad', 'bridge', 'bdns3', '192.0.2.0/24', '192.0.2.1', 0, 0)"
  ctr "$WEB" web running
  ctr "$CLIENT" client running
  ctr "$OTHER" other running
  ctr "$BOTH" both running
  ctr "$GONE" gone exited
  ep "$WEB" "$NET" 127.0.53.10 '["db","Cache.Local"]'
  ep "$CLIENT" "$NET" 127.0.53.11 '[]'
  ep "$BOTH" "$NET" 127.0.53.12 '[]'
  ep "$BOTH" "$NET2" 127.0.53.42 '[]' 1
  ep "$OTHER" "$NET2" 127.0.53.41 '[]'
  ep "$GONE" "$NET" 127.0.53.13 '[]'
  echo "nameserver 127.0.53.2" >"$BERTH_ROOT/resolv.conf"
  export BERTH_RESOLV_CONF=$BERTH_ROOT/resolv.conf
  start_bg "$BERTH_ROOT/upstream.pid" python3 "$TOOL" upstream 127.0.53.2 \
    example.test 192.0.2.7
  start_bg "$BERTH_ROOT/server.pid" "$BERTH" --root "$BERTH_ROOT" __dns "$NET"
  for _ in $(seq 50); do
    grep -q ready "$BERTH_ROOT/upstream.pid.log" 2>/dev/null &&
      q 127.0.53.1 web A --src 127.0.53.11 --timeout 0.2 | grep -q NOERROR &&
      return 0
    sleep 0.1
  done
  cat "$BERTH_ROOT"/*.log >&2
  return 1
}

teardown_file() {
  local f p
  for f in "$BERTH_ROOT"/*.pid; do stop_pid "$f"; done
  # Servers started by ensure (their pids recorded by themselves).
  for f in "$BERTH_ROOT"/netdns/*.pid; do
    [ -f "$f" ] || continue
    p=$(cut -d' ' -f1 "$f")
    grep -qa __dns "/proc/$p/cmdline" 2>/dev/null && kill "$p"
  done
  rm -rf "$BERTH_ROOT"
}

@test "dns: a container's name, aliases and short id give its address" {
  for name in web WEB. db cache.local CACHE.LOCAL. aaaaaaaaaaaa; do
    run q 127.0.53.1 "$name" A --src 127.0.53.11
    [ "$output" = "NOERROR aa A 127.0.53.10" ] || {
      echo "$name: $output"
      false
    }
  done
  # Only the 12-character short id; a longer prefix is just an unknown
  # name (forwarded: the upstream says NXDOMAIN, not authoritative).
  run q 127.0.53.1 aaaaaaaaaaaaa A --src 127.0.53.11
  [ "$output" = "NXDOMAIN" ]
}

@test "dns: AAAA of a container without IPv6 is NODATA; PTR names it" {
  run q 127.0.53.1 web AAAA --src 127.0.53.11
  [ "$output" = "NOERROR aa" ]
  run q 127.0.53.1 10.53.0.127.in-addr.arpa PTR --src 127.0.53.11
  [ "$output" = "NOERROR aa PTR web" ]
  # With an IPv6 address (asked over IPv4 here): AAAA and ip6.arpa.
  ctr "$SIX" six running
  sql "INSERT INTO endpoints VALUES ('$SIX', '$NET', 'eth0', 'vsix', '127.0.53.15',
       'fd53::15', '02:42:00:00:00:00', '[]', 0)"
  run q 127.0.53.1 six AAAA --src 127.0.53.11
  [ "$output" = "NOERROR aa AAAA fd53::15" ]
  run q 127.0.53.1 six A --src 127.0.53.11
  [ "$output" = "NOERROR aa A 127.0.53.15" ]
  local rev
  rev=$(python3 -c 'import ipaddress; print(ipaddress.ip_address("fd53::15").reverse_pointer)')
  run q 127.0.53.1 "$rev" PTR --src 127.0.53.11
  [ "$output" = "NOERROR aa PTR six" ]
}

@test "dns: only containers sharing a network with the asker, and running" {
  # other is only on dnsnet2: client (dnsnet) does not see it ...
  run q 127.0.53.1 other A --src 127.0.53.11
  [ "$output" = "NXDOMAIN" ]
  # ... both (dnsnet and dnsnet2) does, at its dnsnet2 address.
  run q 127.0.53.1 other A --src 127.0.53.12
  [ "$output" = "NOERROR aa A 127.0.53.41" ]
  # gone is on dnsnet but exited.
  run q 127.0.53.1 gone A --src 127.0.53.11
  [ "$output" = "NXDOMAIN" ]
}

@test "dns: a source that is no container of the network is refused" {
  run q 127.0.53.1 web A --src 127.0.53.99
  [ "$output" = "REFUSED" ]
  run q 127.0.53.1 example.test A --src 127.0.53.99
  [ "$output" = "REFUSED" ]
  # control: the same questions from a container of the network
  run q 127.0.53.1 web A --src 127.0.53.11
  [ "$output" = "NOERROR aa A 127.0.53.10" ]
}

@test "dns: other names are forwarded to the host's resolver (UDP and TCP)" {
  run q 127.0.53.1 example.test A --src 127.0.53.11
  [ "$output" = "NOERROR A 192.0.2.7" ]
  run q 127.0.53.1 EXAMPLE.test A --src 127.0.53.11 --tcp
  [ "$output" = "NOERROR A 192.0.2.7" ]
  run q 127.0.53.1 web A --src 127.0.53.11 --tcp
  [ "$output" = "NOERROR aa A 127.0.53.10" ]
  # Too big for UDP: truncated over UDP; over TCP the server asks the
  # upstream over TCP and relays all 40 records.
  run q 127.0.53.1 big.test A --src 127.0.53.11
  [ "$output" = "NOERROR tc" ]
  run q 127.0.53.1 big.test A --src 127.0.53.11 --tcp
  [ "$(wc -w <<<"$output")" -eq 81 ]
  [[ "$output" == "NOERROR A 10.0.0.1 A 10.0.0.2 "*" A 10.0.0.40" ]]
}

@test "dns: a container recorded while the server runs resolves within 1 s" {
  run q 127.0.53.1 late A --src 127.0.53.11
  [ "$output" = "NXDOMAIN" ]
  ctr "$LATE" late running
  ep "$LATE" "$NET" 127.0.53.14 '["late-alias"]'
  local t0=$SECONDS ok=
  for _ in $(seq 10); do
    q 127.0.53.1 late-alias A --src 127.0.53.11 | grep -qx "NOERROR aa A 127.0.53.14" &&
      { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ]
  [ $((SECONDS - t0)) -le 1 ]
}

@test "dns: hostile packets get FORMERR or nothing; the server goes on" {
  run python3 "$TOOL" hostile 127.0.53.1 --src 127.0.53.11
  [ "$status" -eq 0 ]
  echo "$output"
  for name in loop forward-pointer truncated-name label-64 name-256 \
    qdcount-2 qdcount-0 ancount-1 no-type; do
    grep -qx "$name FORMERR" <<<"$output"
  done
  for name in short response empty; do
    grep -qx "$name DROPPED" <<<"$output"
  done
  kill -0 "$(cat "$BERTH_ROOT/server.pid")"
  run q 127.0.53.1 web A --src 127.0.53.11
  [ "$output" = "NOERROR aa A 127.0.53.10" ]
}

@test "dns: upstream down: SERVFAIL at once (refused) or within ~3 s (silent)" {
  stop_pid "$BERTH_ROOT/upstream.pid"
  local t0
  t0=$(date +%s%N)
  run q 127.0.53.1 example.test A --src 127.0.53.11
  [ "$output" = "SERVFAIL" ]
  run q 127.0.53.1 example.test A --src 127.0.53.11 --tcp
  [ "$output" = "SERVFAIL" ]
  [ $((($(date +%s%N) - t0) / 1000000)) -lt 1000 ]
  start_bg "$BERTH_ROOT/silent.pid" python3 "$TOOL" upstream 127.0.53.2 \
    example.test 192.0.2.7 --silent
  for _ in $(seq 30); do
    grep -q ready "$BERTH_ROOT/silent.pid.log" && break
    sleep 0.1
  done
  t0=$(date +%s%N)
  run q 127.0.53.1 example.test A --src 127.0.53.11 --timeout 6
  local ms=$((($(date +%s%N) - t0) / 1000000))
  echo "$output after $ms ms"
  [ "$output" = "SERVFAIL" ]
  [ "$ms" -ge 2500 ] && [ "$ms" -lt 4000 ]
  # Local names do not wait for the upstream.
  run q 127.0.53.1 web A --src 127.0.53.11 --timeout 1
  [ "$output" = "NOERROR aa A 127.0.53.10" ]
  stop_pid "$BERTH_ROOT/silent.pid"
}

@test "dns: forged upstream replies (wrong id, other question) are ignored" {
  stop_pid "$BERTH_ROOT/upstream.pid"
  start_bg "$BERTH_ROOT/upstream.pid" python3 "$TOOL" upstream 127.0.53.2 \
    example.test 192.0.2.7 --forge
  for _ in $(seq 30); do
    grep -q ready "$BERTH_ROOT/upstream.pid.log" && break
    sleep 0.1
  done
  run q 127.0.53.1 example.test A --src 127.0.53.11
  # The forgeries (6.6.6.6) came first; the genuine answer is relayed.
  grep -q forged "$BERTH_ROOT/upstream.pid.log"
  [ "$output" = "NOERROR A 192.0.2.7" ]
  stop_pid "$BERTH_ROOT/upstream.pid"
}

@test "dns: ensure twice at once starts one server; internal: no forwarding" {
  ctr "$ISO" iso running
  ep "$ISO" "$NETI" 127.0.53.70 '[]'
  # The upstream answers example.test (stopped by the test before).
  [ -f "$BERTH_ROOT/upstream.pid" ] ||
    start_bg "$BERTH_ROOT/upstream.pid" python3 "$TOOL" upstream 127.0.53.2 \
      example.test 192.0.2.7
  "$BERTH" --root "$BERTH_ROOT" __dns --ensure "$NETI" 3>&- &
  local a=$!
  "$BERTH" --root "$BERTH_ROOT" __dns --ensure "$NETI" 3>&- &
  local b=$!
  wait "$a"
  wait "$b"
  # Bound when ensure returns: the first query is answered.
  run q 127.0.53.65 iso A --src 127.0.53.70 --timeout 1
  [ "$output" = "NOERROR aa A 127.0.53.70" ]
  local pid n
  pid=$(served_by "$NETI")
  [ -n "$pid" ] && grep -qa "__dns" "/proc/$pid/cmdline"
  n=$(servers_of "$NETI")
  [ "$n" -eq 1 ]
  # Detached: another session than the caller's, reparented away from it.
  [ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
  [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" != "$$" ]
  # An internal network has no way out: not forwarded (the upstream,
  # which answers this name on dnsnet, is not asked).
  run q 127.0.53.65 example.test A --src 127.0.53.70
  [ "$output" = "NXDOMAIN aa" ]
  # A second ensure while it runs finds it.
  "$BERTH" --root "$BERTH_ROOT" __dns --ensure "$NETI" 3>&-
  [ "$(served_by "$NETI")" = "$pid" ]
  # Its last container stops: gone after the grace period of the last
  # ensure (5 s) plus a check (1 s); the pid file goes with it.
  sql "UPDATE containers SET state = 'exited' WHERE id = '$ISO'"
  for _ in $(seq 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  dead "$pid"
  [ ! -f "$BERTH_ROOT/netdns/$NETI.pid" ]
}

@test "dns: ensure reports a server that cannot start; bad ids are refused" {
  run "$BERTH" --root "$BERTH_ROOT" __dns --ensure "$NETB"
  [ "$status" -eq 1 ]
  [[ "$output" == *"start the name server of network 333333333333: bind the name server to 192.0.2.1 (udp): Cannot assign requested address"* ]]
  [ "$(servers_of "$NETB")" -eq 0 ]
  [ ! -f "$BERTH_ROOT/netdns/$NETB.pid" ]
  # Run by hand next to a running server of the same network.
  run "$BERTH" --root "$BERTH_ROOT" __dns "$NET"
  [ "$status" -eq 1 ]
  [[ "$output" == *"already serves network $NET"* ]]
  run "$BERTH" --root "$BERTH_ROOT" __dns --ensure ../../etc
  [ "$status" -eq 1 ]
  [[ "$output" == *"expected up to 64 hex digits"* ]]
  run "$BERTH" --root "$BERTH_ROOT" __dns --ensure "$(hex 1 64)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"not found"* ]]
  [ ! -e "$BERTH_ROOT/netdns/$(hex 1 64).lock" ]
}

@test "dns: the server exits by itself within ~2 s when its network is idle" {
  local pid
  pid=$(cat "$BERTH_ROOT/server.pid")
  [ "$(served_by "$NET")" = "$pid" ]
  # No ensure for a while (the grace period is over) ...
  touch -d '-1 minute' "$BERTH_ROOT/netdns/$NET.pid"
  sleep 1.5
  kill -0 "$pid" # control: containers run, it stays
  sql "UPDATE containers SET state = 'exited'"
  local t0
  t0=$(date +%s%N)
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  local ms=$((($(date +%s%N) - t0) / 1000000))
  echo "exited after $ms ms"
  dead "$pid"
  [ "$ms" -le 2200 ]
  [ ! -f "$BERTH_ROOT/netdns/$NET.pid" ]
  # Its sockets went with it.
  run bash -c "ss -lun | grep '127.0.53.1:53 '"
  [ "$status" -ne 0 ]
}
