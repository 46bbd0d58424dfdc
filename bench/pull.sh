#!/bin/bash
# Pulls a multi-layer image of about 100 MB (gzip layers of real binaries
# and libraries from this host: busybox, python3.11, gcc's libexec tree,
# perl) from docker-registry on 127.0.0.1 into an empty store, with
#   berth pull, podman pull (its own --root/--runroot/--tmpdir, overlay),
#   skopeo copy docker:// -> oci: (an OCI layout directory),
# in ROUNDS rounds: every round runs each tool once, in an order rotated
# every round so no tool always follows the same one, each after emptying
# its store (hyperfine --prepare, not timed).  Prints medians and ratios.
#
# Env: BERTH (berth path), ROUNDS (default 9), KEEP=1 keeps the temp dir.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$repo/build/src/cli/berth}
ROUNDS=${ROUNDS:-9}
# podman refuses run roots longer than 50 characters: a short directory.
tmp=$(mktemp -d /tmp/bpull.XXXXXX)
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

echo "bench: building the image"
mkdir -p "$tmp/bb"
CID=bench "$repo/tests/lib/make-bundle.sh" "$tmp/bb" >/dev/null
layers=("$tmp/bb/rootfs")
for d in usr/lib/python3.11 usr/lib/gcc usr/share/perl; do
  [ -d "/$d" ] || { echo "bench: /$d missing on this host" >&2; exit 1; }
  t=$tmp/layer-$(echo "$d" | tr / _).tar
  tar -C / --sort=name --mtime=@1700000000 -cf "$t" "$d"
  layers+=("$t")
done
python3 "$repo/tests/lib/ociimg.py" layout "$tmp/oci" --ref big "${layers[@]}" >/dev/null
rm -f "$tmp"/layer-*.tar
skopeo copy -q --dest-tls-verify=false "oci:$tmp/oci:big" "docker://127.0.0.1:$port/bench/big:latest"
size=$(du -sb "$tmp/reg/data" | cut -f1)
echo "bench: image of ${#layers[@]} layers, $((size / 1000000)) MB in the registry"
ref=127.0.0.1:$port/bench/big:latest

cat >"$tmp/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
declare -A cmd prep
cmd[berth]="$BERTH --root $tmp/berth pull -q $ref"
prep[berth]="rm -rf $tmp/berth"
cmd[podman]="env CONTAINERS_CONF=$tmp/containers.conf podman --root $tmp/pm/root --runroot $tmp/pm/run --tmpdir $tmp/pm/tmp --storage-driver overlay pull -q --tls-verify=false $ref"
prep[podman]="rm -rf $tmp/pm"
cmd[skopeo]="skopeo copy -q --src-tls-verify=false docker://$ref oci:$tmp/skopeo:big"
prep[skopeo]="rm -rf $tmp/skopeo"
names=(berth podman skopeo)

# Each must really pull: berth's image must be recorded, podman's listed.
for n in "${names[@]}"; do
  bash -c "${prep[$n]}"
  bash -c "${cmd[$n]}" >/dev/null
done
"$BERTH" --root "$tmp/berth" images -q | grep -q . || { echo "bench: berth pulled nothing" >&2; exit 1; }
[ -f "$tmp/skopeo/index.json" ] || { echo "bench: skopeo copied nothing" >&2; exit 1; }

for r in $(seq "$ROUNDS"); do
  args=()
  k=${#names[@]}
  for i in $(seq 0 $((k - 1))); do
    n=${names[$(( (i + r) % k ))]}
    args+=(--prepare "${prep[$n]}" --command-name "$n" "${cmd[$n]}")
  done
  hyperfine -N --runs 1 --style none --export-json "$tmp/round-$r.json" "${args[@]}" >/dev/null 2>&1 ||
    hyperfine --runs 1 --style none --export-json "$tmp/round-$r.json" "${args[@]}" >/dev/null
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
berth_med=$(jq -r '.[] | select(.name == "berth") | .median' "$tmp/summary.json")
echo
printf '%-8s %10s %10s %10s   %s\n' tool median min max "berth / tool"
jq -r --argjson b "$berth_med" '.[] | [.name, .median, .times[0], .times[-1],
      ($b / .median)] | @tsv' "$tmp/summary.json" |
  while IFS=$'\t' read -r n med mn mx ratio; do
    printf '%-8s %9.3fs %9.3fs %9.3fs   %.2f\n' "$n" "$med" "$mn" "$mx" "$ratio"
  done
echo "($ROUNDS rounds; target: berth / podman <= 0.67)"
