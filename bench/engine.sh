#!/bin/bash
# Engine benchmark, berth against podman (crun), on the same busybox image:
#  1. `run --rm IMAGE true`, ROUNDS rounds of RUNS runs each, the order of
#     the two tools swapped every round (interleaved), medians and ratio;
#  2. N (default 100) detached idle containers (`sleep` forever): the
#     resident memory per container of what each engine keeps beside the
#     container's own processes (berth-monitor; conmon for podman), summed
#     RSS and PSS over those processes, divided by N.
# podman keeps its own --root/--runroot/--tmpdir, cgroupfs, --network none,
# crun through tests/lib/crun-hybrid (crun 1.8 refuses the hybrid cgroup
# layout; the wrapper's own cost, timed with CRUN=/bin/true, is subtracted
# from podman's run time), and default_ulimits equal to the limits podman
# itself runs under (root here cannot raise hard limits).
#
# Env: BERTH (berth path), ROUNDS (10), RUNS (5), N (100), KEEP=1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
ROUNDS=${ROUNDS:-10}
RUNS=${RUNS:-5}
N=${N:-100}
wrap=$repo/tests/lib/crun-hybrid
tmp=$(mktemp -d /tmp/bengine.XXXXXX)
chmod 711 "$tmp"
broot=$tmp/berth
P=(podman --root "$tmp/proot" --runroot "$tmp/prun" --tmpdir "$tmp/ptmp"
   --runtime "$wrap")
export CONTAINERS_CONF=$tmp/containers.conf
export BERTH_CGROUP_PARENT=/berth-test

. "$repo/tests/lib/cgroups.sh"
cleanup() {
  "$BERTH" --root "$broot" ps -aq --no-trunc 2>/dev/null |
    xargs -r "$BERTH" --root "$broot" rm -f >/dev/null 2>&1 || true
  "${P[@]}" rm -af -t 0 >/dev/null 2>&1 || true
  "${P[@]}" system reset -f >/dev/null 2>&1 || true
  remove_cgroups /berth-test
  [ -n "${KEEP:-}" ] && { echo "bench: keeping $tmp" >&2; return; }
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

[ -x "$BERTH" ] || { echo "bench: $BERTH not found (make build)" >&2; exit 1; }
for t in podman crun hyperfine jq; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done

echo "bench: image"
cc -static -O2 -Wall -Wextra -o "$tmp/probe" "$repo/tests/lib/probe.c"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/bundle" "$tmp/probe" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
"$BERTH" --root "$broot" import -c 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" bench/busybox:1 >/dev/null
"$BERTH" --root "$broot" save --format docker-archive -o "$tmp/image.tar" bench/busybox:1
# podman runs under lowered limits (conmon's): its containers get those.
pl=$(ulimit -Hn)
cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$pl:$pl", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
"${P[@]}" load -q -i "$tmp/image.tar" >/dev/null
pimg=localhost/bench/busybox:1
bimg=bench/busybox:1

# Both must really run the container: exit 3 must come back.
for cmd in "$BERTH --root $broot run --rm $bimg sh -c 'exit 3'" \
           "${P[*]} run --rm --network none $pimg sh -c 'exit 3'"; do
  rc=0
  bash -c "$cmd" >/dev/null 2>&1 || rc=$?
  [ "$rc" = 3 ] || { echo "bench: not a working run (exit $rc): $cmd" >&2; exit 1; }
done

berth_cmd="$BERTH --root $broot run --rm $bimg true"
podman_cmd="${P[*]} run --rm --network none $pimg true"
wrapper_cmd="env CRUN=/bin/true $wrap"
echo "bench: $ROUNDS rounds x $RUNS runs, order swapped every round"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order=(berth podman wrapper); else order=(podman berth wrapper); fi
  for t in "${order[@]}"; do
    c=${t}_cmd
    hyperfine -N -w 1 -r "$RUNS" --export-json "$tmp/$t-$r.json" "${!c}" >/dev/null 2>&1
  done
done
calc() { awk "BEGIN { print $1 }"; }
median() { # tool -> median seconds over all rounds
  jq -s '[.[].results[0].times[]] | sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end' "$tmp/$1"-*.json
}
mb=$(median berth); mp=$(median podman); mw=$(median wrapper)
mpc=$(calc "$mp - $mw")
printf '\n%-30s %10s\n' "run --rm IMAGE true" median
printf '%-30s %8.1f ms\n' berth "$(calc "$mb * 1000")"
printf '%-30s %8.1f ms\n' "podman (crun), wrapper removed" "$(calc "$mpc * 1000")"
printf '%-30s %8.1f ms\n' "  (crun wrapper alone)" "$(calc "$mw * 1000")"
printf 'berth / podman = %.3f   (target <= 0.1)\n' "$(calc "$mb / $mpc")"

# Summed RSS and PSS (kB) of the given pids.
mem_of() {
  local rss=0 pss=0 p r s
  for p in "$@"; do
    r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss"
}
echo
echo "bench: $N idle containers each"
for i in $(seq "$N"); do
  "$BERTH" --root "$broot" run -d --name idle$i $bimg sleep 1000000 >/dev/null
done
sleep 1
bpids=$(pgrep -f "^$(dirname "$BERTH")/berth-monitor .*--root $broot" || true)
nb=$(echo "$bpids" | wc -w)
read -r brss bpss < <(mem_of $bpids)
"$BERTH" --root "$broot" ps -aq --no-trunc | xargs -r "$BERTH" --root "$broot" rm -f >/dev/null
for i in $(seq "$N"); do
  "${P[@]}" run -d --network none --name idle$i $pimg sleep 1000000 >/dev/null
done
sleep 1
ppids=$(pgrep -f "conmon .*$tmp/proot" || true)
np=$(echo "$ppids" | wc -w)
read -r prss ppss < <(mem_of $ppids)
"${P[@]}" rm -af -t 0 >/dev/null
printf '%-26s %8s %12s %12s\n' "per idle container" procs "RSS (KiB)" "PSS (KiB)"
printf '%-26s %8s %12.0f %12.0f\n' berth-monitor "$nb" "$(calc "$brss / $N")" "$(calc "$bpss / $N")"
printf '%-26s %8s %12.0f %12.0f\n' "podman: conmon" "$np" "$(calc "$prss / $N")" "$(calc "$ppss / $N")"
printf 'berth / podman RSS = %.3f   (target <= 0.5)\n' "$(calc "$brss / $prss")"
