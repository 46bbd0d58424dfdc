#!/bin/bash
# Times a full container cycle (`run` of /bin/true until it exits, plus
# `delete` if the runtime's `run` leaves the container behind) for
# berth-runtime, crun and runc on identical busybox bundles, interleaved
# (ROUNDS rounds in which every runtime runs RUNS/ROUNDS times, so drifts
# of the machine hit all alike), and reports medians, ratios and the peak
# RSS of each runtime.  See bench/README.md.
#
# crun 1.8 refuses this host's hybrid cgroup layout unless the unified
# mount's cgroup.controllers is hidden.  The whole measurement therefore
# runs in one private mount namespace with /dev/null bound over that file:
# the wrapper's cost is paid once, not per container, so nothing has to be
# estimated and subtracted.  It changes nothing for berth or runc, which
# do not read that file on a hybrid host.  CRUN_WRAPPER=1 instead runs crun
# through tests/lib/crun-hybrid per container and subtracts the wrapper's
# median (the method the project first used; noisier).
#
# Env: BERTH (berth-runtime path), RUNS (default 60), ROUNDS (default 12),
#      WARMUP (default 5, first round only), RSS_RUNS (default 5),
#      OUT (merged JSON of all samples, default in the temp dir),
#      KEEP=1 keeps the temp dir, CRUN_WRAPPER=1 (see above).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth-runtime}
RUNS=${RUNS:-60}
ROUNDS=${ROUNDS:-12}
WARMUP=${WARMUP:-5}
RSS_RUNS=${RSS_RUNS:-5}
CRUN_WRAPPER=${CRUN_WRAPPER:-}
wrap=$repo/tests/lib/crun-hybrid
hidden=/sys/fs/cgroup/unified/cgroup.controllers

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
[ -n "${KEEP:-}" ] && echo "bench: keeping $tmp" >&2
declare -A rt=()
. "$repo/tests/lib/cgroups.sh"
cleanup() {
  local n
  for n in "${!rt[@]}"; do
    in_ns "${rt[$n]} --root $tmp/root-$n delete --force bench-$n" \
      >/dev/null 2>&1 || true
    remove_cgroups "/berth-test/bench-$n"
  done
  remove_cgroups /berth-test
  [ -n "${KEEP:-}" ] || rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# Runs a shell command in the benchmark's mount namespace.
in_ns() {
  if [ -e "$hidden" ] && [ -z "$CRUN_WRAPPER" ]; then
    unshare -m --propagation private bash -c \
      "mount --bind /dev/null $hidden && $1"
  else
    bash -c "$1"
  fi
}

echo "bench: building bundle in $tmp"
cc -static -O2 -Wall -Wextra -o "$tmp/probe" "$repo/tests/lib/probe.c"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/base" "$tmp/probe"

if [ -x "$BERTH" ]; then
  rt[berth]=$BERTH
else
  echo "bench: $BERTH not found, timing crun and runc only" >&2
fi
if [ -n "$CRUN_WRAPPER" ]; then
  rt[crun]=$wrap
else
  rt[crun]=$(command -v crun)
fi
rt[runc]=$(command -v runc)

order=()
for n in berth crun runc; do
  [ -n "${rt[$n]:-}" ] || continue
  order+=("$n")
  cp -a "$tmp/base" "$tmp/bundle-$n"
  cfg=$tmp/bundle-$n/config.json
  jq --arg p "/berth-test/bench-$n" '.linux.cgroupsPath = $p' "$cfg" > "$cfg.tmp"
  # crun 1.8 only knows ociVersion 1.0/1.1; nothing else differs.
  [ "$n" = crun ] && jq '.ociVersion = "1.1.0"' "$cfg.tmp" > "$cfg.tmp2" && mv "$cfg.tmp2" "$cfg.tmp"
  mv "$cfg.tmp" "$cfg"
  mkdir -p "$tmp/root-$n"
done

# runc and crun `run` delete the container when it exits (no separate
# `delete` needed); a runtime that leaves it behind gets a `delete` step.
declare -A needs_delete=()
cycle() { # name -> command line for one complete cycle
  local n=$1 c
  c="${rt[$n]} --root $tmp/root-$n run --bundle $tmp/bundle-$n bench-$n"
  [ -n "${needs_delete[$n]:-}" ] && c="$c && ${rt[$n]} --root $tmp/root-$n delete bench-$n"
  echo "$c"
}

# Sanity: every runtime must complete a cycle before we time it.  A stub
# that exits 0 without running anything must not be timed: the container
# has to report `exit 3` back.
for n in "${order[@]}"; do
  cfg=$tmp/bundle-$n/config.json
  cp "$cfg" "$tmp/config-$n.json"
  jq '.process.args = ["/bin/sh", "-c", "exit 3"]' "$tmp/config-$n.json" > "$cfg"
  rc=0
  in_ns "${rt[$n]} --root $tmp/root-$n run --bundle $tmp/bundle-$n bench-$n </dev/null >/dev/null" || rc=$?
  cp "$tmp/config-$n.json" "$cfg"
  if [ "$rc" != 3 ]; then
    echo "bench: $n did not run the container (exit $rc, wanted 3)" >&2
    exit 1
  fi
  in_ns "${rt[$n]} --root $tmp/root-$n delete --force bench-$n" >/dev/null 2>&1 || true
  in_ns "$(cycle "$n")" >/dev/null || { echo "bench: $n cannot run the bundle" >&2; exit 1; }
  if in_ns "${rt[$n]} --root $tmp/root-$n state bench-$n" >/dev/null 2>&1; then
    needs_delete[$n]=1
    in_ns "${rt[$n]} --root $tmp/root-$n delete bench-$n"
  fi
  echo "bench: $n: $(cycle "$n")"
done

# hyperfine runs its commands one block after the other; each runtime's
# block may be slowed by the previous block's aftermath (the kernel tears
# down namespaces and cgroups asynchronously).  The order is rotated every
# round so that each runtime follows each other one equally often.
names=("${order[@]}")
if [ -n "$CRUN_WRAPPER" ]; then
  names+=(crun-wrapper)
fi
command_of() {
  if [ "$1" = crun-wrapper ]; then
    local w="env CRUN=/bin/true $wrap"
    [ -n "${needs_delete[crun]:-}" ] && w="$w && $w"
    echo "$w"
  else
    cycle "$1"
  fi
}
# Without `&&` steps the commands run directly (-N): no shell start-up to
# estimate and subtract.  hyperfine discards the commands' output.
shell_opt=-N
[ "${#needs_delete[@]}" -gt 0 ] && shell_opt=

OUT=${OUT:-$tmp/hyperfine.json}
per_round=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
rounds_script=$tmp/rounds.sh
{
  echo "set -e"
  for r in $(seq "$ROUNDS"); do
    warm=0
    [ "$r" = 1 ] && warm=$WARMUP
    printf 'hyperfine %s --warmup %s --runs %s --export-json %q --style none' \
      "$shell_opt" "$warm" "$per_round" "$tmp/round-$r.json"
    k=${#names[@]}
    for i in $(seq 0 $((k - 1))); do
      n=${names[$(( (i + r) % k ))]}
      printf ' --command-name %q %q' "$n" "$(command_of "$n")"
    done
    echo
  done
} > "$rounds_script"
in_ns "bash $rounds_script"

# All samples of a command across rounds, and their median.
jq -s '[.[].results[]] | group_by(.command)
       | map({command: .[0].command, times: (map(.times) | add)})
       | map(. + {median: (.times | sort | if length % 2 == 1
                            then .[length / 2 | floor]
                            else (.[length / 2 - 1] + .[length / 2]) / 2 end)})
       | {results: .}' "$tmp"/round-*.json > "$OUT"

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$OUT"; }
declare -A med=()
for n in "${order[@]}"; do
  med[$n]=$(median "$n")
done
if [ -n "$CRUN_WRAPPER" ]; then
  med[crun-wrapper]=$(median crun-wrapper)
  med[crun]=$(awk -v a="${med[crun]}" -v b="${med[crun-wrapper]}" 'BEGIN { print a - b }')
fi

# Peak RSS: GNU time reports the largest ru_maxrss among the runtime and
# its children (runc re-execs itself as `runc init`).
declare -A rss=()
for n in "${order[@]}"; do
  vals=()
  for _ in $(seq "$RSS_RUNS"); do
    v=$(in_ns "/usr/bin/time -f %M ${rt[$n]} --root $tmp/root-$n run --bundle $tmp/bundle-$n bench-$n 2>&1 >/dev/null | tail -n1")
    in_ns "${rt[$n]} --root $tmp/root-$n delete bench-$n" >/dev/null 2>&1 || true
    vals+=("$v")
  done
  rss[$n]=$(printf '%s\n' "${vals[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
done

echo
echo "== results (median of $((per_round * ROUNDS)) cycles in $ROUNDS interleaved rounds: run /bin/true to exit, container deleted) =="
printf '%-8s %12s %14s\n' runtime "median (ms)" "peak RSS (KiB)"
for n in "${order[@]}"; do
  printf '%-8s %12.2f %14s\n' "$n" "$(awk -v m="${med[$n]}" 'BEGIN { print m * 1000 }')" "${rss[$n]}"
done
if [ -n "$CRUN_WRAPPER" ]; then
  printf '(crun ran through tests/lib/crun-hybrid; its median %.2f ms was subtracted)\n' \
    "$(awk -v m="${med[crun-wrapper]}" 'BEGIN { print m * 1000 }')"
elif [ -e "$hidden" ]; then
  echo "(all runtimes ran in one private mount namespace hiding $hidden, for crun)"
fi
if [ -n "${rt[berth]:-}" ]; then
  for other in crun runc; do
    printf 'berth/%s time ratio: %.2f   RSS ratio: %.2f\n' "$other" \
      "$(awk -v a="${med[berth]}" -v b="${med[$other]}" 'BEGIN { print a / b }')" \
      "$(awk -v a="${rss[berth]}" -v b="${rss[$other]}" 'BEGIN { print a / b }')"
  done
  echo "target: berth/crun time <= 0.67, berth RSS <= crun RSS"
fi
