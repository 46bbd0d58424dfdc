#!/bin/bash
# Engine API benchmark: `berth system service` against `podman system
# service`, both as root, each on a unix socket of its own, the same clients
# driving both, in one run with the two interleaved.  Figures printed:
#
#  1. latency of `curl --unix-socket SOCK` on /_ping, /v1.41/containers/json
#     (three running containers in each engine), /v1.41/info and
#     /v1.41/version: the whole curl process, as a client sees it (curl's
#     own start is the same on both sides).  Target of issue 17: berth <=
#     podman on each.  Also /_ping and /containers/json KEEPALIVE (100)
#     times over one connection by one curl (`-K` with one URL per
#     request): the server's own time per request, without curl's start
#     and the connection set-up (no target; informative).  And the four
#     GETs each on a new connection without a client process's start
#     (bench/reqlat.c: connect, GET, read the whole answer, close; NEW_RUNS
#     (50) per endpoint, engine and round, the engines' order swapped every
#     round): what a new connection costs each server.  Target: berth <=
#     podman.
#  2. `docker run --rm bb true` through each socket (the docker CLI 28 at
#     /usr/local/bin/docker: create, attach, start, wait for removal), the
#     default bridge network of each engine.  Target: berth <= 0.2 x
#     podman.
#  3. a docker-compose 1.29 cycle: `up -d` then `down` of a 3-service
#     project (no build, the busybox image, a user network with its own
#     subnet, one published port on 127.0.0.1), each service a shell that
#     exits on SIGTERM (so `down` measures the engine, not a stop timeout).
#     The cycle is timed whole by hyperfine; the script also records up and
#     down apart (printed below the table).  No target in the issue.
#
# hyperfine -N: ROUNDS rounds; in each round every figure is one hyperfine
# invocation holding both engines' commands (LAT_RUNS, RUN_RUNS,
# COMPOSE_RUNS runs each after a warm-up run), the engines' order swapped
# every round; medians over all samples.  Every command must succeed
# (curl -f, exit status 0): an error answer cannot be timed as a fast one.
# Before timing, each engine must really work through its socket: /_ping
# answers OK, /containers/json lists the three containers, `docker run`
# returns the container's exit status (3) and `docker run --rm` leaves no
# container, the compose project's published port serves the page its web
# service wrote, and `down` leaves no container and no network.  An engine
# that fails is not measured (the reason is printed), the other's figures
# still are, and the script exits 1.
#
# Podman set-up (4.3, netavark, crun): its own --root/--runroot/--tmpdir
# under a short private directory (podman refuses run roots longer than 50
# characters), cgroupfs, default_ulimits at the limits it runs under (root
# here lacks CAP_SYS_RESOURCE; podman lowers its own RLIMIT_NPROC to
# 32768), its own default network "bapi" (bridge bapi0, 10.218.250.0/24, no
# DNS, like podman's stock default) in a private network_config_dir; the
# image imported from the same rootfs tar as berth's (localhost/bb, which
# podman's compat API finds as "bb").  Its containers get --cgroup-parent
# (docker run) / cgroup_parent (compose) under /berth-test/bench-api/podman;
# berth's get $BERTH_CGROUP_PARENT from the service's environment.  crun 1.8
# refuses this host's hybrid cgroup layout: the whole script runs in a
# private mount namespace in which /sys/fs/cgroup/unified/cgroup.controllers
# is hidden under /dev/null (berth does not read it on a hybrid host).
# podman 4.3's compat API answers `docker run --rm` with exit status 0
# whatever the container returned, so the exit-status check runs without
# --rm.
#
# Ports 19480 (berth) and 19481 (podman) on 127.0.0.1; compose subnets
# 10.218.248.0/24 (berth) and 10.218.249.0/24 (podman).
#
# The curl rows time ~0.1-0.2 ms of server work under ~6-8 ms of curl's
# own start, whose spread (sigma ~1 ms) hides a difference of 1-2%: 160
# runs per round (640 per figure) make the medians steady to ~0.05 ms
# (with 20, three runs gave /_ping 0.90, 1.01 and 1.02 for the same
# servers).
#
# Env: BERTH (berth path), ROUNDS (4), LAT_RUNS (160), RUN_RUNS (5),
#      COMPOSE_RUNS (1), KEEPALIVE (100), KEEP=1 keeps the temp dir, OUT=FILE keeps the
#      medians as JSON.
set -euo pipefail
hidden=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$hidden" ] && [ -z "${BENCH_API_NS:-}" ]; then
  exec env BENCH_API_NS=1 unshare -m --propagation private bash -c \
    'mount --bind /dev/null "$1" && shift && exec bash "$@"' \
    api.sh "$hidden" "$0" "$@"
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
DOCKER=${DOCKER:-/usr/local/bin/docker}
ROUNDS=${ROUNDS:-4}
LAT_RUNS=${LAT_RUNS:-160}
RUN_RUNS=${RUN_RUNS:-5}
COMPOSE_RUNS=${COMPOSE_RUNS:-1}
KEEPALIVE=${KEEPALIVE:-100}
NEW_RUNS=${NEW_RUNS:-50}
cgparent=/berth-test/bench-api
engines_all=(berth podman)
declare -A port subnet
port[berth]=19480 port[podman]=19481
subnet[berth]=10.218.248.0/24 subnet[podman]=10.218.249.0/24
pnet=bapi pif=bapi0 psubnet=10.218.250

[ -x "$BERTH" ] || { echo "bench: $BERTH not found (make build)" >&2; exit 1; }
[ -x "$DOCKER" ] || { echo "bench: the docker CLI $DOCKER is missing" >&2; exit 1; }
for t in podman crun hyperfine jq curl docker-compose ss; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done
for e in "${engines_all[@]}"; do
  if ss -Htan "sport = :${port[$e]}" | grep -q .; then
    echo "bench: port ${port[$e]} is in use" >&2; exit 1
  fi
done

# Short paths: podman refuses long run roots, sun_path holds 108 bytes.
tmp=$(mktemp -d /tmp/bapi.XXXXXX)
chmod 711 "$tmp"
broot=$tmp/b
declare -A sock pid
sock[berth]=$tmp/b.sock sock[podman]=$tmp/p.sock
P=(podman --root "$tmp/proot" --runroot "$tmp/prun" --tmpdir "$tmp/ptmp")
export CONTAINERS_CONF=$tmp/containers.conf
export DOCKER_CONFIG=$tmp/docker-config
. "$repo/tests/lib/cgroups.sh"
# shellcheck source=podman_conf.bash
. "$repo/bench/podman_conf.bash"

links() { ip -o link show | awk -F': ' '{ print $2 }' | sort; }
tables() { nft list tables 2>/dev/null | sort; }
links_before=$(links) tables_before=$(tables)
stop_service() { # ENGINE: SIGTERM, then SIGKILL after ~10 s
  local p=${pid[$1]:-} i
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  pid[$1]=
}
cleanup() {
  set +e
  for e in "${engines_all[@]}"; do
    DOCKER_HOST=unix://${sock[$e]} BENCH_PORT=${port[$e]} \
      BENCH_SUBNET=${subnet[$e]} BENCH_CGROUP_PARENT= \
      docker-compose -p "bapi$e" -f "$tmp/compose/docker-compose.yml" \
      down -t 0 >/dev/null 2>&1
    stop_service "$e"
  done
  "$BERTH" --root "$broot" ps -aq --no-trunc 2>/dev/null |
    xargs -r "$BERTH" --root "$broot" rm -f >/dev/null 2>&1
  "$BERTH" --root "$broot" system reset -f >/dev/null 2>&1
  "${P[@]}" rm -af -t 0 >/dev/null 2>&1
  "${P[@]}" network prune -f >/dev/null 2>&1
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

echo "bench: image, services (tmp $tmp)"
cc -static -O2 -Wall -Wextra -o "$tmp/probe" "$repo/tests/lib/probe.c"
cc -O2 -Wall -Wextra -o "$tmp/reqlat" "$repo/bench/reqlat.c"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/bundle" "$tmp/probe" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
rm -rf "$tmp/bundle"
"$BERTH" --root "$broot" import -c 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" bb >/dev/null

podman_bench_conf "$tmp" "$pnet" "$pif" "$psubnet" a
"${P[@]}" import -q --change 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" bb >/dev/null

# The compose project: three services on a user network, one port.
mkdir -p "$tmp/compose"
cat >"$tmp/compose/docker-compose.yml" <<'YML'
version: "2.4"
services:
  web:
    image: bb
    command: ["sh", "-c", "trap 'exit 0' TERM; echo bench-api > /tmp/index.html; httpd -f -p 80 -h /tmp & wait"]
    ports: ["127.0.0.1:${BENCH_PORT}:80"]
    networks: [net]
    cgroup_parent: "${BENCH_CGROUP_PARENT}"
  app:
    image: bb
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000000 & wait"]
    networks: [net]
    depends_on: [web]
    cgroup_parent: "${BENCH_CGROUP_PARENT}"
  worker:
    image: bb
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000000 & wait"]
    networks: [net]
    depends_on: [web]
    cgroup_parent: "${BENCH_CGROUP_PARENT}"
networks:
  net:
    ipam:
      config: [{subnet: "${BENCH_SUBNET}"}]
YML
# One compose cycle through ENGINE's socket; up's and down's times (ns)
# appended to $tmp/compose-{up,down}-ENGINE.
cat >"$tmp/compose-cycle" <<'SH'
#!/bin/bash
set -euo pipefail
e=$1 tmp=$2
t0=$(date +%s%N)
docker-compose -p "bapi$e" -f "$tmp/compose/docker-compose.yml" up -d >/dev/null 2>&1
t1=$(date +%s%N)
docker-compose -p "bapi$e" -f "$tmp/compose/docker-compose.yml" down >/dev/null 2>&1
t2=$(date +%s%N)
echo $((t1 - t0)) >>"$tmp/compose-up-$e"
echo $((t2 - t1)) >>"$tmp/compose-down-$e"
SH
chmod +x "$tmp/compose-cycle"
declare -A cenv
cenv[berth]="DOCKER_HOST=unix://${sock[berth]} BENCH_PORT=${port[berth]} BENCH_SUBNET=${subnet[berth]} BENCH_CGROUP_PARENT="
cenv[podman]="DOCKER_HOST=unix://${sock[podman]} BENCH_PORT=${port[podman]} BENCH_SUBNET=${subnet[podman]} BENCH_CGROUP_PARENT=$cgparent/podman"

BERTH_CGROUP_PARENT=$cgparent/berth \
  "$BERTH" --root "$broot" system service --time 0 "unix://${sock[berth]}" \
  >"$tmp/berth.log" 2>&1 &
pid[berth]=$!
"${P[@]}" system service --time 0 "unix://${sock[podman]}" >"$tmp/podman.log" 2>&1 &
pid[podman]=$!

engines=()
declare -A why_not
fail() { # ENGINE WHAT [OUTPUT]: records why ENGINE cannot be measured
  why_not[$1]+="${why_not[$1]:+; }$2${3:+: $(tr '\n' ' ' <<<"$3" | cut -c1-300)}"
}
dk() { local e=$1; shift; "$DOCKER" -H "unix://${sock[$e]}" "$@"; }
# podman's containers go below the benchmark's cgroup parent.
cgp() { [ "$1" = podman ] && echo "--cgroup-parent=$cgparent/podman"; return 0; }
compose() { local e=$1; shift; env ${cenv[$e]} docker-compose -p "bapi$e" \
  -f "$tmp/compose/docker-compose.yml" "$@"; }
count() { dk "$1" ps -aq | grep -c . || true; }
check_engine() {
  local e=$1 out rc=0 i
  for i in $(seq 100); do
    out=$(curl -sf --unix-socket "${sock[$e]}" http://d/_ping 2>&1) && break
    kill -0 "${pid[$e]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$out" != OK ]; then
    fail "$e" "the service does not answer /_ping" "$(tail -n 5 "$tmp/$e.log")"
    return 1
  fi
  for i in 1 2 3; do
    out=$(dk "$e" run -d $(cgp "$e") --name "idle$i" bb sleep 1000000 2>&1) ||
      { fail "$e" "docker run -d failed" "$out"; return 1; }
  done
  out=$(curl -sf --unix-socket "${sock[$e]}" http://d/v1.41/containers/json 2>&1) || true
  [ "$(jq 'map(select(.State == "running")) | length' <<<"$out" 2>/dev/null)" = 3 ] ||
    fail "$e" "/containers/json does not list the 3 running containers" "$out"
  out=$(dk "$e" run $(cgp "$e") --name exit3 bb sh -c 'exit 3' 2>&1) || rc=$?
  [ "$rc" = 3 ] || fail "$e" "docker run of 'exit 3' returned $rc" "$out"
  dk "$e" rm exit3 >/dev/null 2>&1 || true
  out=$(dk "$e" run --rm $(cgp "$e") bb sh -c 'echo ran' 2>&1) || true
  [ "$out" = ran ] || fail "$e" "docker run --rm did not give the output" "$out"
  [ "$(count "$e")" = 3 ] || fail "$e" "docker run --rm left a container" "$(dk "$e" ps -a 2>&1)"
  if ! out=$(compose "$e" up -d 2>&1); then
    fail "$e" "docker-compose up -d failed" "$out"
  else
    for i in $(seq 50); do
      out=$(curl -sf -m 1 "http://127.0.0.1:${port[$e]}/index.html" 2>&1) && break
      sleep 0.1
    done
    [ "$out" = bench-api ] ||
      fail "$e" "the compose web service does not answer on 127.0.0.1:${port[$e]}" "$out"
    [ "$(count "$e")" = 6 ] || fail "$e" "compose up did not make 3 containers" "$(dk "$e" ps -a 2>&1)"
  fi
  out=$(compose "$e" down 2>&1) || fail "$e" "docker-compose down failed" "$out"
  [ "$(count "$e")" = 3 ] || fail "$e" "compose down left containers" "$(dk "$e" ps -a 2>&1)"
  ! dk "$e" network ls --format '{{.Name}}' 2>/dev/null | grep -q "^bapi${e}_net\$" ||
    fail "$e" "compose down left its network"
  [ -z "${why_not[$e]:-}" ]
}
for e in podman berth; do
  if check_engine "$e"; then engines+=("$e"); else
    echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2
  fi
done
[ "${#engines[@]}" -gt 0 ] || exit 1

# The commands, by figure.
declare -A cmd
figures=(ping containers info version kping kcontainers run compose)
declare -A runs=([ping]=$LAT_RUNS [containers]=$LAT_RUNS [info]=$LAT_RUNS
                 [version]=$LAT_RUNS [kping]=$RUN_RUNS [kcontainers]=$RUN_RUNS
                 [run]=$RUN_RUNS [compose]=$COMPOSE_RUNS)
for p in _ping v1.41/containers/json; do # curl configs: KEEPALIVE requests
  for i in $(seq "$KEEPALIVE"); do printf 'url = "http://d/%s"\noutput = "/dev/null"\n' "$p"; done \
    >"$tmp/keepalive-${p##*/}.cfg"
done
for e in "${engines[@]}"; do
  cmd[kping/$e]="curl -sf --unix-socket ${sock[$e]} -K $tmp/keepalive-_ping.cfg"
  cmd[kcontainers/$e]="curl -sf --unix-socket ${sock[$e]} -K $tmp/keepalive-json.cfg"
  c="curl -sf -o /dev/null --unix-socket ${sock[$e]} http://d"
  cmd[ping/$e]="$c/_ping"
  cmd[containers/$e]="$c/v1.41/containers/json"
  cmd[info/$e]="$c/v1.41/info"
  cmd[version/$e]="$c/v1.41/version"
  cmd[run/$e]="$DOCKER -H unix://${sock[$e]} run --rm $(cgp "$e") bb true"
  cmd[compose/$e]="env ${cenv[$e]} $tmp/compose-cycle $e $tmp"
done
# GETs on new connections without a client's start (reqlat); every
# request's time (us) appended to $tmp/new-NAME-ENGINE.
declare -A newpath=([ping]=/_ping [containers]=/v1.41/containers/json
                    [info]=/v1.41/info [version]=/v1.41/version)
new_conns() { # ENGINE...
  local e f
  for f in ping containers info version; do
    for e in "$@"; do
      "$tmp/reqlat" "${sock[$e]}" "${newpath[$f]}" "$NEW_RUNS" new all \
        >>"$tmp/new-$f-$e" || { echo "bench: reqlat failed on $e ${newpath[$f]}" >&2; exit 1; }
    done
  done
}
echo "bench: $ROUNDS rounds of: ${figures[*]} new-connections (runs per round: $LAT_RUNS" \
  "per latency, $NEW_RUNS per new-connection GET, $RUN_RUNS docker run," \
  "$COMPOSE_RUNS compose), order swapped every round"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order=("${engines[@]}"); else
    order=(); for ((i = ${#engines[@]} - 1; i >= 0; i--)); do order+=("${engines[$i]}"); done
  fi
  for f in "${figures[@]}"; do
    args=()
    for e in "${order[@]}"; do args+=(--command-name "$f/$e" "${cmd[$f/$e]}"); done
    hyperfine -N --warmup 1 --runs "${runs[$f]}" --style none \
      --export-json "$tmp/h-$f-$r.json" "${args[@]}" >/dev/null 2>"$tmp/hyperfine.err" ||
      { echo "bench: hyperfine failed on $f:" >&2; cat "$tmp/hyperfine.err" >&2; exit 1; }
  done
  new_conns "${order[@]}"
  printf . >&2
done
echo >&2
jq -s '[.[].results[]] | group_by(.command) | map({key: .[0].command,
        value: ([.[].times[]] | sort | if length % 2 == 1 then .[length/2|floor]
                else (.[length/2 - 1] + .[length/2]) / 2 end)}) | from_entries' \
  "$tmp"/h-*.json >"$tmp/medians.json"
[ -n "${OUT:-}" ] && cp "$tmp/medians.json" "$OUT"
med() { jq -r --arg n "$1" '.[$n] // empty | . * 1000' "$tmp/medians.json"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# The services' resident memory after all this (berth-api: the service
# execs it; podman: its one process).
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/${pid[$1]}/status" 2>/dev/null || true; }

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
echo
echo "berth $("$BERTH" --version 2>/dev/null | head -n1 | awk '{ print $NF }');" \
  "$(podman --version); $(crun --version | head -n1); docker CLI" \
  "$("$DOCKER" version -f '{{.Client.Version}}' 2>/dev/null);" \
  "docker-compose $(docker-compose version --short 2>/dev/null); kernel $(uname -r)"
printf '%-36s %10s %10s %8s %-7s %s\n' "" berth podman ratio target met
row() { # LABEL FORMAT BERTH PODMAN [OP TARGET]
  local b=n/a p=n/a q=n/a met=
  [ -n "$3" ] && b=$(printf "$2" "$3")
  [ -n "$4" ] && p=$(printf "$2" "$4")
  if [ -n "$3" ] && [ -n "$4" ]; then
    q=$(calc "$3 / $4")
    [ -n "${5:-}" ] && met=$(awk "BEGIN { print ($q $5 $6) ? \"yes\" : \"NO\" }")
  fi
  printf '%-36s %10s %10s %8s %-7s %s\n' "$1" "$b" "$p" "$q" "${5:-}${6:-}" "$met"
}
n=$((ROUNDS * LAT_RUNS))
row "GET /_ping (ms, median of $n)" %.2f "$(med ping/berth)" "$(med ping/podman)" "<=" 1
row "GET /containers/json (ms, of $n)" %.2f "$(med containers/berth)" "$(med containers/podman)" "<=" 1
row "GET /info (ms, of $n)" %.2f "$(med info/berth)" "$(med info/podman)" "<=" 1
row "GET /version (ms, of $n)" %.2f "$(med version/berth)" "$(med version/podman)" "<=" 1
us() { [ -z "$1" ] || calc "$1 * 1000 / $KEEPALIVE"; }
row "  /_ping on one connection (us/req)" %.0f "$(us "$(med kping/berth)")" "$(us "$(med kping/podman)")"
row "  /containers/json, one conn (us/req)" %.0f "$(us "$(med kcontainers/berth)")" "$(us "$(med kcontainers/podman)")"
nmed() { [ -s "$tmp/new-$1-$2" ] && median <"$tmp/new-$1-$2"; }
nn=$((ROUNDS * NEW_RUNS))
for f in ping containers info version; do
  row "$(printf '  %s, new conn (us)' "${newpath[$f]#/v1.41}")" %.0f \
    "$(nmed "$f" berth)" "$(nmed "$f" podman)" "<=" 1
done
row "docker run --rm (ms, of $((ROUNDS * RUN_RUNS)))" %.1f "$(med run/berth)" "$(med run/podman)" "<=" 0.2
row "compose up -d + down (ms, of $((ROUNDS * COMPOSE_RUNS)))" %.0f "$(med compose/berth)" "$(med compose/podman)"
ms() { [ -s "$1" ] && awk '{ print $1 / 1e6 }' "$1" | median; }
row "  up -d alone (ms)" %.0f "$(ms "$tmp/compose-up-berth")" "$(ms "$tmp/compose-up-podman")"
row "  down alone (ms)" %.0f "$(ms "$tmp/compose-down-berth")" "$(ms "$tmp/compose-down-podman")"
rb= rp=
[[ " ${engines[*]} " == *" berth "* ]] && rb=$(rss berth)
[[ " ${engines[*]} " == *" podman "* ]] && rp=$(rss podman)
row "service RSS afterwards (KiB)" %.0f "$rb" "$rp"
echo "(curl's and the docker CLI's own start are in every figure, alike for both,"
echo " but the new conn rows: reqlat's connect, GET, answer, close, median of $nn;"
echo " the compose cycle includes docker-compose's python start, twice)"
for e in "${engines_all[@]}"; do
  [ -z "${why_not[$e]:-}" ] || { echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2; exit 1; }
done
