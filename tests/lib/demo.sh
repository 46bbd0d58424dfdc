#!/bin/sh
# Demo (`make demo`), offline, as root:
#  1. the engine: a local image made from Debian's static busybox with
#     `berth import`, a container run from it with `berth run --rm`, the
#     image listed and removed again;
#  2. the runtime: the same rootfs as an OCI bundle run by berth-runtime.
# Everything lives in a temporary directory (its own berth root and
# runtime state) and under the cgroup parent /berth-test/demo-PID, all
# removed at the end.  BERTH and RUNTIME override the binaries.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
berth=${BERTH:-$repo/build/src/cli/berth}
runtime=${RUNTIME:-$repo/build/src/cli/berth-runtime}
busybox=${BUSYBOX:-/bin/busybox}
for b in "$berth" "$runtime"; do
  [ -x "$b" ] || { echo "demo: $b not found (run 'make build')" >&2; exit 1; }
done
[ -x "$busybox" ] ||
  { echo "demo: $busybox not found (run 'make deps': busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
id=demo-$$
cgroup_parent=/berth-test/$id
. "$repo/tests/lib/cgroups.sh"
b() { "$berth" --root "$tmp/root" "$@"; }
cleanup() {
  rc=$?
  set +e
  ids=$(b ps -aq --no-trunc 2>/dev/null)
  [ -n "$ids" ] && b rm -f $ids >/dev/null 2>&1
  "$runtime" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1
  remove_cgroups "$cgroup_parent" /berth-test
  rm -rf --one-file-system "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n$ %s\n' "$*"; }

# A root file system: static busybox, one symlink per applet.
rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" \
  "$rootfs/dev" "$rootfs/tmp" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
tar -C "$rootfs" -cf "$tmp/rootfs.tar" .

echo "demo 1/2: the engine (berth), root $tmp/root"
# Containers' cgroups go under the demo's own parent (removed at the end).
export BERTH_CGROUP_PARENT="$cgroup_parent"
say "berth import -c 'CMD [\"/bin/sh\"]' rootfs.tar localhost/demo:latest"
b import -c 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" localhost/demo:latest
say berth images
b images
say "berth run --rm localhost/demo sh -c 'echo \"Hello from a berth container: \$(hostname), pid \$\$, \$(id -un)\"'"
rc=0
b run --rm localhost/demo \
  sh -c 'echo "Hello from a berth container: $(hostname), pid $$, $(id -un)"' ||
  rc=$?
echo "demo: container exited with status $rc"
[ "$rc" -eq 0 ] || exit "$rc"
say "berth ps -a        # --rm removed it"
b ps -a
say berth rmi localhost/demo
b rmi localhost/demo

echo
echo "demo 2/2: the OCI runtime (berth-runtime), bundle $tmp/bundle"
mkdir -p "$tmp/bundle"
mv "$rootfs" "$tmp/bundle/rootfs"
"$runtime" spec --bundle "$tmp/bundle"
jq --arg cg "$cgroup_parent/$id" \
  '.process.terminal = false |
   .process.args = ["/bin/echo", "Hello from berth-runtime!"] |
   .linux.cgroupsPath = $cg' \
  "$tmp/bundle/config.json" > "$tmp/config.json"
mv "$tmp/config.json" "$tmp/bundle/config.json"
say berth-runtime run --bundle bundle "$id"
rc=0
"$runtime" --root "$tmp/state" run --bundle "$tmp/bundle" "$id" || rc=$?
echo "demo: container exited with status $rc"
# `run` may already have removed the container, as runc's does.
"$runtime" --root "$tmp/state" delete "$id" 2>/dev/null || true
echo
echo "demo: done (everything it made is removed)"
exit "$rc"
