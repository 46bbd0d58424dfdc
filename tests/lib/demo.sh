#!/bin/sh
# Demo: builds a busybox bundle in a temp dir, runs "echo" in a container
# with berth-runtime, then deletes it.  RUNTIME overrides the binary.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
runtime=${RUNTIME:-$repo/build/src/cli/berth-runtime}
[ -x "$runtime" ] || { echo "demo: $runtime not found (run 'make build')" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
id=demo-$$
. "$repo/tests/lib/cgroups.sh"
cleanup() {
  "$runtime" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true
  remove_cgroups "/berth-test/$id" /berth-test
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT INT TERM

echo "demo: building a busybox bundle in $tmp/bundle"
cc -static -O2 -Wall -Wextra -o "$tmp/probe" "$repo/tests/lib/probe.c"
CID=$id "$repo/tests/lib/make-bundle.sh" "$tmp/bundle" "$tmp/probe"
jq '.process.args = ["/bin/echo", "Hello from a berth container!"]' \
  "$tmp/bundle/config.json" > "$tmp/config.json"
mv "$tmp/config.json" "$tmp/bundle/config.json"

echo "demo: $runtime run --bundle $tmp/bundle $id"
rc=0
"$runtime" --root "$tmp/state" run --bundle "$tmp/bundle" "$id" || rc=$?
echo "demo: container exited with status $rc"
echo "demo: $runtime delete $id"
# `run` may already have removed the container, as runc's does.
"$runtime" --root "$tmp/state" delete "$id" 2>/dev/null || true
echo "demo: done"
exit "$rc"
