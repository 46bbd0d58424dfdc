#!/bin/bash
# Network benchmark, berth against podman (netavark), both as root, both
# publishing ports through kernel NAT, on the same busybox image, in one run
# with the two engines interleaved.  Figures printed:
#
#  1. start, bridge: median wall time of `run --rm IMAGE true` on the default
#     bridge network (berth: `berth run --rm`; podman: `--network bridge`),
#     i.e. create + network set-up + start + exit + network teardown +
#     remove.  start, none: the same with `--network none`, the baseline
#     without networking; "bridge cost" is the difference.  hyperfine,
#     ROUNDS rounds, each running every command RUNS times (after WARMUP
#     warm-up runs), the order rotated every round.  Target of issue 15:
#     berth's bridge start <= 0.2 x podman's.
#  2. throughput: iperf3 -c on the host against iperf3 -s in a container
#     whose port 5201 is published on 127.0.0.1 (the host's iperf3 and its
#     libraries, bind-mounted read-only, run through their own ld.so:
#     busybox has no iperf3), IPERF_TIME (5) seconds per run, IPERF_ROUNDS
#     (3) rounds, berth and podman alternating; median of the receiver's
#     bits_per_second.  Target: berth >= podman.
#  3. connection rate: `wrk -t2 -c50 -dWRK_TIME` (5 s) against busybox httpd
#     serving a 612-byte file from a published 127.0.0.1 port, WRK_ROUNDS
#     (3) rounds alternating; busybox httpd closes every connection, so each
#     request is a new connection through the NAT.  Median requests/s.
#     Target: berth >= podman.
#  4. processes holding the published ports: the httpd container of 3
#     publishes three ports; `ss -ltnp` lists the host processes with a
#     listening socket on them.  Target: no process but the container's
#     monitor (kernel NAT, no proxy): berth-monitor holds a listening
#     socket per port to reserve it, as podman's conmon does (netavark
#     DNATs with iptables); no packet reaches those sockets.
#
# podman keeps its own --root/--runroot/--tmpdir (short paths: it refuses
# long run roots), cgroupfs, crun, default_ulimits at the limits it runs
# under (nofile: the hard limit; nproc: 32768, to which podman lowers its
# own; root here lacks CAP_SYS_RESOURCE and cannot raise them), and its
# own bridge network "bbench" (interface bbench0, 10.243.43.0/24, no DNS
# like podman's default network), written into a private
# network_config_dir and made the default, so `--network bridge` uses it
# and no other podman user's network is touched.  crun 1.8 refuses this
# host's hybrid cgroup layout: the whole script runs in a private mount
# namespace in which /sys/fs/cgroup/unified/cgroup.controllers is hidden
# under /dev/null (berth does not read it on a hybrid host), so crun runs
# directly and nothing has to be estimated and subtracted.
#
# Ports: a free block of ten in 43000-43999, on 127.0.0.1 only.
# If berth cannot run on a bridge or publish a port (`berth run -p`
# refused), its half is skipped with the reason, podman's figures are still
# printed, and the script exits 1.
#
# Env: BERTH (berth path), ROUNDS (6), RUNS (5), WARMUP (1), IPERF_TIME (5),
#      IPERF_ROUNDS (3), WRK_TIME (5), WRK_ROUNDS (3), KEEP=1 keeps the
#      temp dir.
set -euo pipefail
hidden=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$hidden" ] && [ -z "${BENCH_NET_NS:-}" ]; then
  exec env BENCH_NET_NS=1 unshare -m --propagation private bash -c \
    'mount --bind /dev/null "$1" && shift && exec bash "$@"' \
    network.sh "$hidden" "$0" "$@"
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
ROUNDS=${ROUNDS:-6}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
IPERF_TIME=${IPERF_TIME:-5}
IPERF_ROUNDS=${IPERF_ROUNDS:-3}
WRK_TIME=${WRK_TIME:-5}
WRK_ROUNDS=${WRK_ROUNDS:-3}
pnet=bbench pif=bbench0 psubnet=10.243.43
cgparent=/berth-test/bench-net

[ -x "$BERTH" ] || { echo "bench: $BERTH not found (make build)" >&2; exit 1; }
for t in podman crun hyperfine jq iperf3 wrk curl ss; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done

# podman refuses run roots longer than 50 characters: a short directory.
tmp=$(mktemp -d /tmp/bnet.XXXXXX)
chmod 711 "$tmp"
broot=$tmp/berth
B=("$BERTH" --root "$broot")
P=(podman --root "$tmp/proot" --runroot "$tmp/prun" --tmpdir "$tmp/ptmp")
export CONTAINERS_CONF=$tmp/containers.conf
export BERTH_CGROUP_PARENT=$cgparent
. "$repo/tests/lib/cgroups.sh"
# shellcheck source=podman_conf.bash
. "$repo/bench/podman_conf.bash"

links() { ip -o link show | awk -F': ' '{ print $2 }' | sort; }
tables() { nft list tables 2>/dev/null | sort; }
links_before=$(links) tables_before=$(tables)
cleanup() {
  set +e
  "${B[@]}" ps -aq --no-trunc 2>/dev/null | xargs -r "${B[@]}" rm -f >/dev/null 2>&1
  "${B[@]}" system reset -f >/dev/null 2>&1
  "${P[@]}" rm -af -t 0 >/dev/null 2>&1
  "${P[@]}" system reset -f >/dev/null 2>&1
  remove_cgroups "$cgparent"
  # And berth-test itself when nothing else is below it (as the tests do).
  rmdir /sys/fs/cgroup/*/berth-test 2>/dev/null || true
  # Reported, not removed: they may be another job's.
  local left
  left=$(comm -13 <(echo "$links_before") <(links) | tr '\n' ' ')
  [ -n "$left" ] && echo "bench: interfaces that appeared during the run" \
    "and are still there (this run's or another job's): $left" >&2
  left=$(comm -13 <(echo "$tables_before") <(tables) | tr '\n' ' ')
  [ -n "$left" ] && echo "bench: nftables tables that appeared during the run" \
    "and are still there (this run's or another job's): $left" >&2
  if [ -n "${KEEP:-}" ]; then echo "bench: keeping $tmp" >&2; return; fi
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
# A fatal signal left at its default would skip the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# 43000-43999 lies in the ephemeral range: a client socket left in
# TIME-WAIT on a port (wrk leaves thousands) makes binding it fail, so a
# port is free only if no TCP socket at all uses it locally.
port_free() { ! ss -Htan "sport = :$1" | grep -q .; }
base=
for i in $(seq 0 99); do
  b=$((43000 + (($$ + i * 37) % 100) * 10))
  ok=1
  for p in $(seq "$b" $((b + 9))); do port_free "$p" || { ok=; break; }; done
  [ -n "$ok" ] && { base=$b; break; }
done
[ -n "$base" ] || { echo "bench: no free block of ten ports in 43000-43999" >&2; exit 1; }
declare -A perf_port web_port
perf_port[berth]=$base perf_port[podman]=$((base + 1))
web_port[berth]=$((base + 2)) web_port[podman]=$((base + 5))

echo "bench: image, podman set-up (ports $base-$((base + 9)))"
cc -static -O2 -Wall -Wextra -o "$tmp/probe" "$repo/tests/lib/probe.c"
mkdir -p "$tmp/bundle"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/bundle" "$tmp/probe" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
rm -rf "$tmp/bundle"
"${B[@]}" import -c 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" bench/busybox:1 >/dev/null
"${B[@]}" save --format docker-archive -o "$tmp/image.tar" bench/busybox:1
bimg=bench/busybox:1
pimg=localhost/bench/busybox:1

podman_bench_conf "$tmp" "$pnet" "$pif" "$psubnet" b
"${P[@]}" load -q -i "$tmp/image.tar" >/dev/null

# What each benchmark container needs: iperf3 with its libraries and
# loader (run through the loader: busybox's rootfs has no /lib), a page.
mkdir -p "$tmp/iperf3" "$tmp/www"
for f in /usr/bin/iperf3 $(ldd /usr/bin/iperf3 |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  cp -L "$f" "$tmp/iperf3/"
done
loader=$(ldd /usr/bin/iperf3 | awk '$1 ~ /^\// { sub(".*/", "", $1); print $1 }')
head -c 612 /dev/zero | tr '\0' x >"$tmp/www/index.html"
iperf_args=(-v "$tmp/iperf3:/opt/iperf3:ro" IMG "/opt/iperf3/$loader"
            --library-path /opt/iperf3 /opt/iperf3/iperf3 -s)
web_args=(-v "$tmp/www:/www:ro" IMG httpd -f -p 80 -h /www)

run_berth() { "${B[@]}" run "$@"; }
run_podman() { "${P[@]}" run --cgroup-parent "$cgparent/podman" "$@"; }
# Read through indirect expansion (${!img}, ${!net}).
# shellcheck disable=SC2034
img_berth=$bimg img_podman=$pimg
# shellcheck disable=SC2034
net_berth=() net_podman=(--network bridge)
with_img() { # ENGINE ARG...: ARGs with IMG replaced by ENGINE's image
  local e=$1 a img=img_$1
  shift
  for a in "$@"; do [ "$a" = IMG ] && a=${!img}; printf '%s\n' "$a"; done
}

# An engine is measured only if it really runs containers on a bridge (a
# network namespace of their own with an IPv4 address besides loopback),
# with none only lo, and publishes a port on 127.0.0.1 that serves the page.
engines=()
declare -A why_not
host_netns=$(readlink /proc/self/ns/net)
fail() { # ENGINE WHAT OUTPUT: records why ENGINE cannot be measured
  why_not[$1]+="${why_not[$1]:+; }$2${3:+: $(tr '\n' ' ' <<<"$3" | cut -c1-300)}"
}
check_engine() {
  local e=$1 run=run_$1 img=img_$1 net="net_$1[@]" out rc=0 p=${web_port[$1]} args
  out=$("$run" --rm "${!net}" "${!img}" \
        sh -c 'readlink /proc/self/ns/net; ip -o -4 addr show; exit 3' 2>&1) || rc=$?
  if [ "$rc" != 3 ]; then
    fail "$e" "run on the default network failed (exit $rc)" "$out"
  elif grep -qxF "$host_netns" <<<"$out" || ! grep -v ' lo ' <<<"$out" | grep -q inet; then
    fail "$e" "the default network is not a bridge (the host's network namespace, or only loopback)" "$out"
  fi
  if ! out=$("$run" --rm --network none "${!img}" ip -o link show 2>&1); then
    fail "$e" "--network none failed" "$out"
  elif grep -v ': lo:' <<<"$out" | grep -q .; then
    fail "$e" "--network none has more than lo" "$out"
  fi
  mapfile -t args < <(with_img "$e" "${web_args[@]}")
  if ! out=$("$run" -d --name "web-$e" -p "127.0.0.1:$p:80" -p "127.0.0.1:$((p + 1)):81" \
             -p "127.0.0.1:$((p + 2)):82" "${args[@]}" 2>&1); then
    fail "$e" "publishing ports (run -p 127.0.0.1:$p:80) refused" "$out"
    return 1
  fi
  for _ in $(seq 50); do
    curl -sf -m 1 -o "$tmp/page-$e" "http://127.0.0.1:$p/index.html" && break
    sleep 0.1
  done
  cmp -s "$tmp/page-$e" "$tmp/www/index.html" ||
    fail "$e" "httpd in a container does not answer on its published port 127.0.0.1:$p"
  mapfile -t args < <(with_img "$e" "${iperf_args[@]}")
  if ! out=$("$run" -d --name "perf-$e" -p "127.0.0.1:${perf_port[$e]}:5201" "${args[@]}" 2>&1); then
    fail "$e" "starting the iperf3 container failed" "$out"
    return 1
  fi
  # A one-second run: waits for the server and warms up.
  for _ in $(seq 50); do
    iperf3 -c 127.0.0.1 -p "${perf_port[$e]}" -t 1 >/dev/null 2>&1 && break
    sleep 0.2
  done
  iperf3 -c 127.0.0.1 -p "${perf_port[$e]}" -t 1 >/dev/null 2>&1 ||
    fail "$e" "iperf3 in a container does not answer on 127.0.0.1:${perf_port[$e]}"
  [ -z "${why_not[$e]:-}" ]
}
for e in podman berth; do
  if check_engine "$e"; then engines+=("$e"); else
    echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2
  fi
done
[ "${#engines[@]}" -gt 0 ] || exit 1
rotate() { # ROUND NAME...: the names rotated by ROUND
  local r=$1 i
  shift
  local a=("$@")
  for i in $(seq 0 $((${#a[@]} - 1))); do echo "${a[$(( (i + r) % ${#a[@]} ))]}"; done
}

# 1. Start times.  The detached containers keep each engine's network
# (bridge, rules) in place, as on a host already running containers.
declare -A cmd
cmd[berth/bridge]="${B[*]} run --rm $bimg true"
cmd[berth/none]="${B[*]} run --rm --network none $bimg true"
cmd[podman/bridge]="${P[*]} run --cgroup-parent $cgparent/podman --rm --network bridge $pimg true"
cmd[podman/none]="${P[*]} run --cgroup-parent $cgparent/podman --rm --network none $pimg true"
names=()
for e in "${engines[@]}"; do names+=("$e/bridge" "$e/none"); done
echo "bench: start: $ROUNDS rounds x $RUNS runs of ${names[*]}, order rotated"
for r in $(seq "$ROUNDS"); do
  args=()
  for n in $(rotate "$r" "${names[@]}"); do args+=(--command-name "$n" "${cmd[$n]}"); done
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style none \
    --export-json "$tmp/start-$r.json" "${args[@]}" >/dev/null 2>"$tmp/hyperfine.err" ||
    { cat "$tmp/hyperfine.err" >&2; exit 1; }
  printf . >&2
done
echo >&2
jq -s '[.[].results[]] | group_by(.command) | map({key: .[0].command,
        value: ([.[].times[]] | sort | if length % 2 == 1 then .[length/2|floor]
                else (.[length/2 - 1] + .[length/2]) / 2 end)}) | from_entries' \
  "$tmp"/start-*.json >"$tmp/start.json"
start() { jq -r --arg n "$1" '.[$n] * 1000' "$tmp/start.json"; }

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# 2. Throughput.
echo "bench: throughput: $IPERF_ROUNDS rounds of iperf3 -t $IPERF_TIME, alternating"
for r in $(seq "$IPERF_ROUNDS"); do
  for e in $(rotate "$r" "${engines[@]}"); do
    iperf3 -c 127.0.0.1 -p "${perf_port[$e]}" -t "$IPERF_TIME" -J >"$tmp/iperf-$e-$r.json" || {
      echo "bench: iperf3 against $e failed: $(jq -r .error "$tmp/iperf-$e-$r.json")" >&2; exit 1; }
    jq -r '.end.sum_received.bits_per_second' "$tmp/iperf-$e-$r.json" >>"$tmp/bps-$e"
  done
done

# 3. Connection rate.
echo "bench: connection rate: $WRK_ROUNDS rounds of wrk -t2 -c50 -d${WRK_TIME}s, alternating"
for r in $(seq "$WRK_ROUNDS"); do
  for e in $(rotate "$r" "${engines[@]}"); do
    wrk -t2 -c50 -d"${WRK_TIME}s" "http://127.0.0.1:${web_port[$e]}/index.html" >"$tmp/wrk-$e-$r.txt"
    if grep -q 'Non-2xx' "$tmp/wrk-$e-$r.txt"; then
      echo "bench: $e's httpd answered errors:" >&2; cat "$tmp/wrk-$e-$r.txt" >&2; exit 1
    fi
    awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk-$e-$r.txt" >>"$tmp/rps-$e"
    grep -h 'Socket errors' "$tmp/wrk-$e-$r.txt" | sed "s/^ */  $e round $r: /" >>"$tmp/wrk-errors" || true
  done
done

# 4. Who holds the published ports (the web container publishes three).
declare -A holders nsock
for e in "${engines[@]}"; do
  p=${web_port[$e]}
  ss -Hltnp "( sport >= :$p and sport <= :$((p + 2)) )" >"$tmp/ss-$e"
  nsock[$e]=$(grep -c . "$tmp/ss-$e" || true)
  holders[$e]=$( (grep -o '"[^"]*",pid=[0-9]*' "$tmp/ss-$e" || true) |
                sed 's/^"//; s/",pid=/[/; s/$/]/' | sort -u | tr '\n' ' ')
done

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
have() { [[ " ${engines[*]} " == *" $1 "* ]]; }
echo
echo "berth $("$BERTH" --version 2>/dev/null | head -n1 | awk '{ print $NF }');" \
  "$(podman --version); netavark $(/usr/lib/podman/netavark --version 2>/dev/null | awk '{ print $2 }');" \
  "$(crun --version | head -n1); kernel $(uname -r)"
printf '%-34s %10s %10s %8s %-7s %s\n' "" berth podman ratio target met
row() { # LABEL FORMAT BERTH PODMAN [OP TARGET]: ratio berth/podman, OP TARGET
  local b=n/a p=n/a q=n/a met=
  [ -n "$3" ] && b=$(printf "$2" "$3")
  [ -n "$4" ] && p=$(printf "$2" "$4")
  if [ -n "$3" ] && [ -n "$4" ]; then
    q=$(calc "$3 / $4")
    [ -n "${5:-}" ] && met=$(awk "BEGIN { print ($q $5 $6) ? \"yes\" : \"NO\" }")
  fi
  printf '%-34s %10s %10s %8s %-7s %s\n' "$1" "$b" "$p" "$q" "${5:-}${6:-}" "$met"
}
declare -A sb sn bps rps
for e in "${engines[@]}"; do
  sb[$e]=$(start "$e/bridge") sn[$e]=$(start "$e/none")
  bps[$e]=$(median <"$tmp/bps-$e") rps[$e]=$(median <"$tmp/rps-$e")
done
n=$((ROUNDS * RUNS))
row "start, bridge (ms, median of $n)" %.1f "${sb[berth]:-}" "${sb[podman]:-}" "<=" 0.2
row "start, none (ms, median of $n)" %.1f "${sn[berth]:-}" "${sn[podman]:-}"
bc_b='' bc_p=''
have berth && bc_b=$(calc "${sb[berth]} - ${sn[berth]}")
have podman && bc_p=$(calc "${sb[podman]} - ${sn[podman]}")
row "  bridge cost (ms)" %.1f "$bc_b" "$bc_p"
gb() { [ -z "$1" ] || calc "$1 / 1e9"; }
row "throughput (Gbit/s, median of $IPERF_ROUNDS)" %.2f "$(gb "${bps[berth]:-}")" "$(gb "${bps[podman]:-}")" ">=" 1
row "connections (req/s, median of $WRK_ROUNDS)" %.0f "${rps[berth]:-}" "${rps[podman]:-}" ">=" 1
echo
echo "listening sockets on the 3 published ports of the web container (ss -ltnp):"
for e in berth podman; do
  if have "$e"; then
    printf '  %-7s %s socket(s), processes: %s\n' "$e" "${nsock[$e]}" "${holders[$e]:-none}"
  else
    printf '  %-7s n/a\n' "$e"
  fi
done
if have berth; then
  # The container's monitor holds them (reservations it never accepts
  # on); any other holder would be a proxy.
  others=$(echo "${holders[berth]:-}" | tr ' ' '\n' | grep . | grep -vc '^berth-monitor\[' || true)
  if [ "$others" = 0 ]; then met=yes; else met=NO; fi
  echo "  target: no process but the container's monitor: $met"
fi
echo "  (both reserve ports with a listening socket the kernel's DNAT bypasses:"
echo "   berth's container monitor, podman's conmon; neither proxies)"
if [ -s "$tmp/wrk-errors" ]; then
  echo "wrk socket errors:"
  cat "$tmp/wrk-errors"
fi
for e in berth podman; do
  have "$e" || { echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2; exit 1; }
done
