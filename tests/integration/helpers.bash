# Shared helpers for berth integration tests (bats).  Load with
#   load ../helpers
# from tests/integration/<area>/<file>.bats.
#
# API:
#   setup_bundle            fresh busybox bundle in $BUNDLE; sets $CID, $STATE_ROOT;
#                           cds into $BUNDLE (runtimes default --bundle to cwd)
#   update_config 'FILTER'  edit $BUNDLE/config.json in place with jq
#   runtime ARGS...         "$RUNTIME" --root "$STATE_ROOT" ARGS...
#   teardown_bundle         delete --force $CID, remove its cgroups and the bundle
#   no_cgroup_left          assert $CID's cgroup is gone from every hierarchy
#   remove_cgroups PATH...  (tests/lib/cgroups.sh) rmdir cgroups, children first
#   wait_for_state STATE    poll `runtime state $CID` until .status == STATE (~5s)
#   require_berth           skip unless RUNTIME is berth-runtime
#   runtime_quiet ARGS...   like runtime, but the container's stdio goes to a
#                           file (printed afterwards): use it for `create` and
#                           `run --detach`, otherwise the container inherits
#                           the pipe of bats' `run` and `run` never returns
#   container_pid           pid of $CID from `runtime state`
#
# RUNTIME: path of the runtime under test; default build/src/cli/berth-runtime.
# RUNTIME=runc or RUNTIME=crun select Debian's (crun via tests/lib/crun-hybrid).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESTLIB=$REPO/tests/lib
# shellcheck source=../lib/cgroups.sh
. "$TESTLIB/cgroups.sh"

# The runtime creates the shared /berth-test parent on first use; each
# file removes it when done (bats runs teardown_file even when tests
# failed).  Files with their own teardown_file call remove_cgroups too.
teardown_file() {
  remove_cgroups /berth-test
}

case "${RUNTIME:-}" in
  "") RUNTIME=$REPO/build/src/cli/berth-runtime ;;
  runc) RUNTIME=$(command -v runc) ;;
  crun) RUNTIME=$TESTLIB/crun-hybrid ;;
esac
export RUNTIME

# Per-run state: the base bundle is built once per bats run and copied
# (it is ~2 MB) for each test, which keeps tests independent and fast.
BERTH_RUN_DIR=${BATS_RUN_TMPDIR:-/tmp/berth-test-run-$PPID}
STATE_ROOT=$BERTH_RUN_DIR/state
export STATE_ROOT

_berth_base_bundle() {
  local base=$BERTH_RUN_DIR/base
  [ -f "$base/.done" ] && return 0
  mkdir -p "$BERTH_RUN_DIR"
  (
    # Parallel bats jobs (-j) must not build the base concurrently.
    flock 9
    if [ ! -f "$base/.done" ]; then
      rm -rf "$base"
      mkdir -p "$base"
      local probe=${PROBE:-$REPO/build/tests/lib/probe}
      if [ ! -x "$probe" ]; then
        probe=$BERTH_RUN_DIR/probe
        cc -static -O2 -Wall -Wextra -o "$probe" "$TESTLIB/probe.c"
      fi
      CID=CID "$TESTLIB/make-bundle.sh" "$base" "$probe" >&2
      touch "$base/.done"
    fi
  ) 9>"$BERTH_RUN_DIR/base.lock"
}

setup_bundle() {
  CID="t$$-${BATS_TEST_NUMBER:-0}-$RANDOM"
  export CID
  _berth_base_bundle || return 1
  mkdir -p "$STATE_ROOT"
  BUNDLE=${BATS_TEST_TMPDIR:-$BERTH_RUN_DIR/$CID}/bundle
  export BUNDLE
  rm -rf "$BUNDLE"
  mkdir -p "$(dirname "$BUNDLE")"
  cp -a "$BERTH_RUN_DIR/base" "$BUNDLE"
  rm -f "$BUNDLE/.done"
  update_config ".linux.cgroupsPath = \"/berth-test/$CID\""
  # crun 1.8 rejects ociVersion 1.2.0 ("unknown version specified").
  case "$RUNTIME" in
    *crun*) update_config '.ociVersion = "1.1.0"' ;;
  esac
  # Like runc's own tests: `runtime run "$CID"` finds the bundle in cwd.
  cd "$BUNDLE" || return 1
}

update_config() {
  local tmp=$BUNDLE/config.json.tmp
  jq "$@" "$BUNDLE/config.json" > "$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

runtime() {
  "$RUNTIME" --root "$STATE_ROOT" "$@"
}

runtime_quiet() {
  local f rc
  f=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/runtime-out.XXXXXX")
  "$RUNTIME" --root "$STATE_ROOT" "$@" </dev/null >"$f" 2>&1
  rc=$?
  cat "$f"
  rm -f "$f"
  return $rc
}

container_pid() {
  runtime state "$CID" | jq -r .pid
}

wait_for_state() {
  local want=$1 status=
  for _ in $(seq 50); do
    status=$(runtime state "$CID" 2>/dev/null | jq -r .status 2>/dev/null) || true
    [ "$status" = "$want" ] && return 0
    sleep 0.1
  done
  echo "wait_for_state: $CID is '$status', wanted '$want'" >&2
  return 1
}

require_berth() {
  case "$(basename "$RUNTIME")" in
    berth-runtime*) ;;
    *) skip "berth-runtime only (RUNTIME=$RUNTIME)" ;;
  esac
}

is_berth() {
  case "$(basename "$RUNTIME")" in berth-runtime*) return 0 ;; esac
  return 1
}

teardown_bundle() {
  if [ -n "${CID:-}" ]; then
    runtime delete --force "$CID" >/dev/null 2>&1 || true
    # The shared berth-test parent stays (teardown_file removes it).
    remove_cgroups "/berth-test/$CID"
  fi
  if [ -n "${BUNDLE:-}" ] && [ -d "$BUNDLE" ]; then
    cd /
    rm -rf --one-file-system "$BUNDLE"
  fi
}

# Asserts that the container's cgroup is gone from every hierarchy.
no_cgroup_left() {
  local d
  for d in /sys/fs/cgroup/*/berth-test/"$CID"; do
    [ ! -e "$d" ] || { echo "left behind: $d" >&2; return 1; }
  done
}
