#!/bin/bash
# Pulls two images from docker-registry on 127.0.0.1 into an empty store:
#   big:   4 layers, ~100 MB of gzip (real binaries and libraries from
#          this host: busybox, python3.11, gcc's libexec tree, perl);
#   small: 5 layers, many small files (busybox; two layers of 25 MB of
#          random bytes; two layers each holding a copy of /usr/share/perl,
#          ~1,400 files each),
# with
#   berth pull, podman pull (its own --root/--runroot/--tmpdir, overlay),
#   skopeo copy docker:// -> oci: (an OCI layout directory),
# in ROUNDS rounds: every round runs each tool once on each image, in an
# order rotated every round so no tool always follows the same one, each
# after emptying its store and syncing (hyperfine --prepare, not timed).  Prints
# medians and ratios per image.
#
# Env: BERTH (berth path), ROUNDS (default 9), SHAPES (default
# "big small"), BENCH_DIR (where the temp dir goes, default /tmp: another
# filesystem can be compared), KEEP=1 keeps the temp dir.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
ROUNDS=${ROUNDS:-9}
read -r -a shapes <<<"${SHAPES:-big small}"
# podman refuses run roots longer than 50 characters: a short directory.
tmp=$(mktemp -d "${BENCH_DIR:-/tmp}/bpull.XXXXXX")
reg_pid=
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && { echo "bench: keeping $tmp" >&2; return; }
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

[ -x "$BERTH" ] || { echo "bench: $BERTH not found (make build)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/reg"
cat >"$tmp/reg/config.yml" <<CONF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $tmp/reg/data}}
http: {addr: 127.0.0.1:$port, secret: bench}
CONF
docker-registry serve "$tmp/reg/config.yml" >"$tmp/reg/log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done

push() { # NAME LAYER...: an OCI layout pushed as bench/NAME:latest
  local name=$1
  shift
  python3 "$repo/tests/lib/ociimg.py" layout "$tmp/oci" --ref "$name" "$@" >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$tmp/oci:$name" \
    "docker://127.0.0.1:$port/bench/$name:latest"
}
host_tar() { # DIR OUT [TAR ARGS]: a reproducible tar of a host directory
  local d=$1 out=$2
  shift 2
  [ -d "/$d" ] || { echo "bench: /$d missing on this host" >&2; exit 1; }
  tar -C / --sort=name --mtime=@1700000000 "$@" -cf "$out" "$d"
}

echo "bench: building the images"
mkdir -p "$tmp/bb"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/bb" >/dev/null
layers=("$tmp/bb/rootfs")
for d in usr/lib/python3.11 usr/lib/gcc usr/share/perl; do
  t=$tmp/layer-$(echo "$d" | tr / _).tar
  host_tar "$d" "$t"
  layers+=("$t")
done
push big "${layers[@]}"
layers=("$tmp/bb/rootfs")
for i in 1 2; do
  mkdir -p "$tmp/rand$i"
  head -c 25M /dev/urandom >"$tmp/rand$i/blob$i"
  layers+=("$tmp/rand$i")
done
# Two copies of perl under different paths: two distinct layers.
host_tar usr/share/perl "$tmp/perl1.tar"
host_tar usr/share/perl "$tmp/perl2.tar" \
  --transform 's,^usr/share/perl,usr/local/share/perl,'
layers+=("$tmp/perl1.tar" "$tmp/perl2.tar")
push small "${layers[@]}"
rm -rf "$tmp"/layer-*.tar "$tmp"/perl?.tar "$tmp"/rand? "$tmp/oci"
size=$(du -sb "$tmp/reg/data" | cut -f1)
echo "bench: images big (4 layers) and small (5 layers), $((size / 1000000)) MB in the registry"

cat >"$tmp/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
declare -A cmd prep
names=(berth podman skopeo)
for sh in "${shapes[@]}"; do
  ref=127.0.0.1:$port/bench/$sh:latest
  cmd[berth/$sh]="$BERTH --root $tmp/berth pull -q $ref"
  cmd[podman/$sh]="env CONTAINERS_CONF=$tmp/containers.conf podman --root $tmp/pm/root --runroot $tmp/pm/run --tmpdir $tmp/pm/tmp --storage-driver overlay pull -q --tls-verify=false $ref"
  cmd[skopeo/$sh]="skopeo copy -q --src-tls-verify=false docker://$ref oci:$tmp/skopeo:$sh"
done
# Then sync, untimed: podman and skopeo leave their writes to the
# kernel's write-back, berth syncs before it publishes a layer (syncfs:
# the whole filesystem), so without it berth would also pay for the
# previous tool's unwritten data and for the deletions just made.
prep[berth]="rm -rf $tmp/berth && sync"
prep[podman]="rm -rf $tmp/pm && sync"
prep[skopeo]="rm -rf $tmp/skopeo && sync"

# Each must really pull: berth's image must be recorded, skopeo's copied.
for sh in "${shapes[@]}"; do
  for n in "${names[@]}"; do
    bash -c "${prep[$n]}"
    bash -c "${cmd[$n/$sh]}" >/dev/null
  done
  "$BERTH" --root "$tmp/berth" images -q | grep -q . ||
    { echo "bench: berth pulled nothing" >&2; exit 1; }
  [ -f "$tmp/skopeo/index.json" ] || { echo "bench: skopeo copied nothing" >&2; exit 1; }
done

for r in $(seq "$ROUNDS"); do
  for sh in "${shapes[@]}"; do
    args=()
    k=${#names[@]}
    for i in $(seq 0 $((k - 1))); do
      n=${names[$(( (i + r) % k ))]}
      args+=(--prepare "${prep[$n]}" --command-name "$n/$sh" "${cmd[$n/$sh]}")
    done
    hyperfine -N --runs 1 --style none --export-json "$tmp/round-$r-$sh.json" "${args[@]}" >/dev/null 2>&1 ||
      hyperfine --runs 1 --style none --export-json "$tmp/round-$r-$sh.json" "${args[@]}" >/dev/null
  done
  printf '.' >&2
done
echo >&2
# podman's overlay driver may leave its storage mounted: unmount before rm.
for m in $(awk -v t="$tmp" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
  umount "$m" 2>/dev/null || true
done

jq -s '[.[].results[]] | group_by(.command) | map({name: .[0].command,
        times: ([.[].times[]] | sort)}) |
        map(. + {median: (.times | if length % 2 == 1 then .[length/2|floor]
                 else (.[length/2 - 1] + .[length/2]) / 2 end)})' \
  "$tmp"/round-*.json >"$tmp/summary.json"
for sh in "${shapes[@]}"; do
  berth_med=$(jq -r --arg n "berth/$sh" '.[] | select(.name == $n) | .median' "$tmp/summary.json")
  echo
  printf '%-14s %10s %10s %10s   %s\n' "$sh" median min max "berth / tool"
  for n in "${names[@]}"; do
    jq -r --arg n "$n/$sh" --argjson b "$berth_med" '.[] | select(.name == $n) |
        [.name, .median, .times[0], .times[-1], ($b / .median)] | @tsv' \
      "$tmp/summary.json"
  done | while IFS=$'\t' read -r n med mn mx ratio; do
    printf '%-14s %9.3fs %9.3fs %9.3fs   %.2f\n' "$n" "$med" "$mn" "$mx" "$ratio"
  done
done
echo
echo "($ROUNDS rounds; target: berth / podman <= 0.67 on each image)"
