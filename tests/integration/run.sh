#!/bin/bash
# Runs every integration test (TAP output) against $RUNTIME, then checks
# that nothing was leaked: no cgroup under any berth-test parent, no mount
# under the bats temp directories, no container state left.
# RUNTIME: berth-runtime path (default build/src/cli/berth-runtime), runc, crun.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1

: "${RUNTIME:=$repo/build/src/cli/berth-runtime}"
export RUNTIME
if [ "$RUNTIME" != runc ] && [ "$RUNTIME" != crun ] && [ ! -x "$RUNTIME" ]; then
  echo "run.sh: runtime not found: $RUNTIME (run 'make build')" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/berth-integration.XXXXXX)
export TMPDIR="$tmp"
# One static probe for the whole run; helpers.bash copies it into bundles.
PROBE=$tmp/probe
export PROBE
cc -static -O2 -std=gnu17 -Wall -Wextra -Werror -o "$PROBE" tests/lib/probe.c || exit 1

# Tests must not write into the tree: compare untracked files afterwards.
untracked() { git ls-files --others --exclude-standard 2>/dev/null | sort; }
before=$(untracked)
# shellcheck source=../lib/cgroups.sh
. tests/lib/cgroups.sh
# The default /berth parent is the host's once berth is in use: only one
# this run creates is a leak.
berth_parent_before=$(ls -d /sys/fs/cgroup/*/berth 2>/dev/null)
# Networking leaves nothing either: no new interface, no firewall rule in
# berth's table, no name server.
links() { ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort; }
nft_berth() { nft list table inet berth 2>/dev/null; }
name_servers() { ps -eo pid=,args= | grep -E ' __dns [0-9a-f]+' ; }
links_before=$(links)
nft_before=$(nft_berth)

# BATS_ARGS: extra bats options, e.g. BATS_ARGS="-f lifecycle" or "-j 2".
# shellcheck disable=SC2086
bats --tap ${BATS_ARGS:-} -r tests/integration
rc=$?

leaks=0
# Every suite removes the berth-test parent it used (teardown_file): any
# cgroup left there, the parent included, is a leak.  Reported, then
# removed when empty, so that a failed run leaves the host clean too.
left=$(find /sys/fs/cgroup/*/berth-test -type d 2>/dev/null)
[ -n "$berth_parent_before" ] ||
  left="$left${left:+
}$(find /sys/fs/cgroup/*/berth -type d 2>/dev/null)"
if [ -n "$left" ]; then
  echo "run.sh: LEAKED cgroups:" >&2
  echo "$left" >&2
  leaks=1
  remove_cgroups /berth-test
  [ -n "$berth_parent_before" ] || remove_cgroups /berth
fi
new_links=$(comm -13 <(echo "$links_before") <(links))
if [ -n "$new_links" ]; then
  echo "run.sh: LEAKED interfaces:" >&2
  echo "$new_links" >&2
  leaks=1
fi
if [ "$(nft_berth)" != "$nft_before" ]; then
  echo "run.sh: LEAKED firewall rules (nft list table inet berth):" >&2
  nft_berth >&2
  leaks=1
fi
servers=$(name_servers)
if [ -n "$servers" ]; then
  echo "run.sh: LEAKED name servers:" >&2
  echo "$servers" >&2
  leaks=1
fi
mounts=$(awk -v t="$tmp" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)
if [ -n "$mounts" ]; then
  echo "run.sh: LEAKED mounts:" >&2
  echo "$mounts" >&2
  leaks=1
fi
stray=$(comm -13 <(echo "$before") <(untracked) 2>/dev/null)
if [ -n "$stray" ]; then
  echo "run.sh: LEAKED files in the tree:" >&2
  echo "$stray" >&2
  leaks=1
fi
if [ "$leaks" = 0 ]; then
  rm -rf --one-file-system "$tmp"
else
  echo "run.sh: leaving $tmp for inspection" >&2
fi

[ "$rc" = 0 ] || { echo "run.sh: integration tests FAILED" >&2; exit "$rc"; }
[ "$leaks" = 0 ] || { echo "run.sh: tests passed but leaked resources" >&2; exit 1; }
echo "run.sh: all integration tests passed"
