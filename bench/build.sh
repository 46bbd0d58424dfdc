#!/bin/bash
# Build benchmark: `berth build` against `podman build --layers` on the
# build corpus (tests/build/corpus), both as root on the same base images
# (tests/build/bases.sh: busybox, and Debian bookworm from debootstrap),
# RUN steps without a network (--network none) for both, in one run with
# the two engines interleaved.  Three figures, each the median wall time
# of building every entry of the set one after the other:
#
#  1. cold: the build cache emptied before each sample (hyperfine
#     --prepare, untimed): berth `rmi` of the set's tags then `builder
#     prune -a -f`; podman `rmi -f` of every image but the bases (its
#     cache is its intermediate images).  The base images stay.  Target:
#     berth <= podman.
#  2. cached: the same builds again with everything cached (no step runs).
#     Target: berth <= 0.2 x podman.
#  3. one file: before each sample, one file of each entry is changed
#     (a line appended: a new content every time, so never cached), the
#     file named in the entry's bench-change, read only by a COPY near the
#     end of the final stage; only the steps from that COPY on run again.
#     Target: berth <= 0.3 x podman.
#
# The set: the entries with a bench-change file (ENTRIES, a list of some
# of them, overrides), by default 01-busybox-httpd, 06-debian-users,
# 08-debian-slim-down, 09-opaque-dirs, 10-args-and-env, 15-hard-links,
# 20-debian-local-package: 3 busybox and 4 Debian images, services,
# users, whiteouts and opaque directories, build args, hard links, a
# two-stage build with dpkg (68 instructions, 14 of them RUN).  The
# contexts are copied to a temp dir (the one-file change must not touch
# the tree).
#
# hyperfine, ROUNDS (3) rounds per figure, each running each engine RUNS
# times (cold 1, cached 3, one file 2), the order of the engines swapped
# every round; sync before every sample (berth syncs its store; podman
# leaves writes to the kernel: without it berth would pay for podman's).
# Before timing, each engine's images are checked to be what the corpus
# test expects (the entries' check commands, run with berth).
#
# podman: the OCI image format (podman 4.3 reuses no cached step when it
# builds in the docker format), own --root/--runroot/--tmpdir under a
# short temp dir, overlay, cgroupfs, crun run directly: the whole script
# runs in a private mount namespace in which
# /sys/fs/cgroup/unified/cgroup.controllers is hidden (crun 1.8 refuses
# this host's hybrid cgroup layout otherwise).
# If `berth build` is missing or fails, podman's figures are printed alone
# and the script exits 1.
#
# Env: BERTH (berth path), ROUNDS (3), ENTRIES (names of corpus entries),
#      KEEP=1 keeps the temp dir.
set -euo pipefail
hidden=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$hidden" ] && [ -z "${BENCH_BUILD_NS:-}" ]; then
  exec env BENCH_BUILD_NS=1 unshare -m --propagation private bash -c \
    'mount --bind /dev/null "$1" && shift && exec bash "$@"' \
    build.sh "$hidden" "$0" "$@"
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
ROUNDS=${ROUNDS:-3}
for t in podman crun hyperfine jq python3; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done
[ -x "$BERTH" ] || { echo "bench: $BERTH not found (make build)" >&2; exit 1; }

# podman refuses run roots longer than 50 characters: a short directory.
tmp=$(mktemp -d /tmp/bbuild.XXXXXX)
chmod 711 "$tmp"
export CORPUS_CGROUP=/berth-test/bench-build
# podman 4.3 reuses no cached step in a docker-format build (corpus.bash):
# its own OCI format here, which drops HEALTHCHECK, SHELL and ONBUILD
# from its images (the checks do not depend on them).
export CORPUS_PODMAN_FORMAT=oci
export BERTH_CGROUP_PARENT=$CORPUS_CGROUP/berth
. "$repo/tests/build/corpus.bash"
. "$repo/tests/lib/cgroups.sh"
B=("$BERTH" --root "$tmp/berth")
cleanup() {
  set +e
  "${B[@]}" ps -aq --no-trunc 2>/dev/null | xargs -r "${B[@]}" rm -f >/dev/null 2>&1
  "${B[@]}" system reset -f >/dev/null 2>&1
  corpus_podman_teardown
  remove_cgroups "$CORPUS_CGROUP/podman" "$CORPUS_CGROUP/berth" "$CORPUS_CGROUP"
  if [ -n "${KEEP:-}" ]; then echo "bench: keeping $tmp" >&2; return; fi
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The set, and a copy of its contexts.
cp -a "$CORPUS_DIR" "$tmp/corpus"
CORPUS_DIR=$tmp/corpus
entries=()
if [ -n "${ENTRIES:-}" ]; then
  read -r -a entries <<<"$ENTRIES"
else
  for e in $(corpus_entries); do
    [ -f "$CORPUS_DIR/$e/bench-change" ] && entries+=("$e")
  done
fi
[ "${#entries[@]}" -gt 0 ] || { echo "bench: no entries" >&2; exit 1; }
for e in "${entries[@]}"; do
  [ -f "$CORPUS_DIR/$e/bench-change" ] ||
    { echo "bench: $e has no bench-change file" >&2; exit 1; }
done
echo "bench: entries: ${entries[*]}" >&2

echo "bench: base images" >&2
corpus_bases
corpus_podman_setup "$tmp/p"
corpus_load_podman
corpus_load_berth "${B[@]}"
base_ids=$(corpus_podman images -q --no-trunc | sort -u)

# The commands timed, as scripts: every entry built in turn, quietly.
cat >"$tmp/build-podman" <<EOF
#!/bin/bash
set -e
CORPUS_DIR=$CORPUS_DIR
. "$repo/tests/build/corpus.bash"
corpus_podman_setup "$tmp/p"
for e in ${entries[*]}; do corpus_podman_build "\$e" "bench/\$e" -q >/dev/null; done
EOF
cat >"$tmp/build-berth" <<EOF
#!/bin/bash
set -e
CORPUS_DIR=$CORPUS_DIR
. "$repo/tests/build/corpus.bash"
for e in ${entries[*]}; do corpus_berth_build "\$e" "bench/\$e" ${B[*]} -- -q >/dev/null; done
EOF
# Emptying each engine's cache (the bases stay).
cat >"$tmp/reset-podman" <<EOF
#!/bin/bash
. "$repo/tests/build/corpus.bash"
corpus_podman_setup "$tmp/p"
ids=\$(corpus_podman images -a -q --no-trunc | sort -u | grep -vxF "$base_ids")
[ -z "\$ids" ] || corpus_podman rmi -f \$ids >/dev/null 2>&1
sync
EOF
cat >"$tmp/reset-berth" <<EOF
#!/bin/bash
for e in ${entries[*]}; do ${B[*]} rmi "bench/\$e" >/dev/null 2>&1; done
${B[*]} builder prune -a -f >/dev/null
sync
EOF
# One file changed per entry, a new line each time.
cat >"$tmp/change" <<EOF
#!/bin/bash
n=\$(cat "$tmp/change-count" 2>/dev/null || echo 0)
n=\$((n + 1))
echo "\$n" >"$tmp/change-count"
for e in ${entries[*]}; do
  f=$CORPUS_DIR/\$e/\$(cat "$CORPUS_DIR/\$e/bench-change")
  echo "# change \$n" >>"\$f"
done
sync
EOF
chmod +x "$tmp"/build-* "$tmp"/reset-* "$tmp/change"

# An engine is timed only if it builds every entry and the images pass
# the entries' checks (run by berth; podman's images loaded into it).
engines=()
declare -A why_not
check_images() { # ENGINE IMAGE-PREFIX
  local e argv out
  for e in "${entries[@]}"; do
    if [ "$1" = podman ] && [ -n "$(corpus_podman_nocheck "$e")" ]; then
      continue
    fi
    mapfile -t argv < <(corpus_check_argv "$e")
    out=$("${B[@]}" run --rm --network none "$2$e" "${argv[@]}" 2>&1) || true
    if [ "$out" != "$(corpus_check_expected "$e")" ]; then
      why_not[$1]="the image of $e fails its check: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
      return 1
    fi
  done
}
echo "bench: first builds and checks" >&2
if out=$("$tmp/build-podman" 2>&1); then
  corpus_podman save -q --multi-image-archive --format docker-archive \
    -o "$tmp/podman.tar" "${entries[@]/#/bench/}"
  "${B[@]}" load -q -i "$tmp/podman.tar" >/dev/null
  rm -f "$tmp/podman.tar"
  check_images podman localhost/bench/ && engines+=(podman)
else
  why_not[podman]="podman build failed: $(echo "$out" | tail -n 5 | tr '\n' ' ')"
fi
if ! "$BERTH" build --help >/dev/null 2>&1; then
  why_not[berth]="berth has no build command yet"
elif out=$("$tmp/build-berth" 2>&1); then
  check_images berth bench/ && engines+=(berth)
else
  why_not[berth]="berth build failed: $(echo "$out" | tail -n 5 | tr '\n' ' ')"
fi
for e in podman berth; do
  [ -z "${why_not[$e]:-}" ] || echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2
done
[ "${#engines[@]}" -gt 0 ] || exit 1

# figure NAME RUNS PREPARE-ENGINE...: ROUNDS hyperfine runs of every
# engine's build, the order swapped every round; PREPARE (a script path
# with ENGINE in it) before each sample.
figure() {
  local name=$1 runs=$2 prep=$3 r i k e args
  k=${#engines[@]}
  for r in $(seq "$ROUNDS"); do
    args=()
    for i in $(seq 0 $((k - 1))); do
      e=${engines[$(( (i + r) % k ))]}
      args+=(--prepare "${prep//ENGINE/$e}" --command-name "$e" "$tmp/build-$e")
    done
    hyperfine -N --runs "$runs" --style none \
      --export-json "$tmp/$name-$r.json" "${args[@]}" >/dev/null 2>"$tmp/hyperfine.err" ||
      { cat "$tmp/hyperfine.err" >&2; exit 1; }
    printf . >&2
  done
  jq -s '[.[].results[]] | group_by(.command) | map({key: .[0].command,
          value: ([.[].times[]] | sort | if length % 2 == 1 then .[length/2|floor]
                  else (.[length/2 - 1] + .[length/2]) / 2 end)}) | from_entries' \
    "$tmp/$name"-*.json >"$tmp/$name.json"
}
echo "bench: cold: $ROUNDS rounds x 1 build of the set per engine" >&2
figure cold 1 "$tmp/reset-ENGINE"
echo >&2
# After the last cold sample each engine's cache is full.
echo "bench: cached: $ROUNDS rounds x 3" >&2
figure cached 3 "sync"
echo >&2
echo "bench: one file changed: $ROUNDS rounds x 2" >&2
figure onefile 2 "$tmp/change"
echo >&2

med() { jq -r --arg e "$2" '.[$e] // empty' "$tmp/$1.json"; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
have() { [[ " ${engines[*]} " == *" $1 "* ]]; }
echo
echo "berth $("$BERTH" --version 2>/dev/null | head -n1 | awk '{ print $NF }');" \
  "$(podman --version) (buildah $(corpus_podman image inspect --format \
    '{{index .Labels "io.buildah.version"}}' "bench/${entries[0]}" 2>/dev/null || echo '?'));" \
  "$(crun --version | head -n1); kernel $(uname -r)"
echo "set of ${#entries[@]}: ${entries[*]}"
printf '%-30s %9s %9s %7s %-6s %s\n' "seconds for the set (median)" berth podman ratio target met
for f in cold cached onefile; do
  case $f in
  cold) label="cold (of $ROUNDS)" target=1 ;;
  cached) label="cached (of $((ROUNDS * 3)))" target=0.2 ;;
  onefile) label="one file changed (of $((ROUNDS * 2)))" target=0.3 ;;
  esac
  tb=n/a tp=n/a q=n/a met=
  have berth && tb=$(med "$f" berth)
  have podman && tp=$(med "$f" podman)
  if have berth && have podman; then
    q=$(calc "$tb / $tp")
    met=$(awk "BEGIN { print ($q <= $target) ? \"yes\" : \"NO\" }")
  fi
  [ "$tb" = n/a ] || tb=$(printf %.2f "$tb")
  [ "$tp" = n/a ] || tp=$(printf %.2f "$tp")
  printf '%-30s %9s %9s %7s %-6s %s\n' "$label" "$tb" "$tp" "$q" "<=$target" "$met"
done
for e in berth podman; do
  have "$e" || { echo "bench: $e NOT MEASURED: ${why_not[$e]}" >&2; exit 1; }
done
