# Helpers of the engine tests: berth with a private root per test file and
# a busybox image imported from the test bundle's rootfs (busybox, probe,
# /etc/passwd with root, tester (1000) and nobody).
#
#   berth ARGS...        build/src/cli/berth --root $BERTH_ROOT
#   engine_setup_file    call from setup_file: root + image `bb`
#   engine_teardown      call from teardown: removes every container
#   wait_until CMD...    retries CMD every 0.1 s for ~10 s

load ../helpers

BERTH=${BERTH:-$REPO/build/src/cli/berth}

berth() { "$BERTH" --root "$BERTH_ROOT" "$@"; }

engine_setup_file() {
  # A 0700 root, as mktemp makes it: berth must not need it searchable
  # by the containers' roots (the runtime opens rootfs and mount sources
  # before entering the user namespace), nor chmod it.
  BERTH_ROOT=$(mktemp -d /tmp/berth-engine.XXXXXX)
  export BERTH_ROOT
  # Every cgroup of this file's containers is under its own parent below
  # berth-test (run.sh checks that none is left behind).
  BERTH_CGROUP_PARENT=/berth-test/${BERTH_ROOT##*/}
  export BERTH_CGROUP_PARENT
  _berth_base_bundle
  tar -C "$BERTH_RUN_DIR/base/rootfs" -cf "$BATS_FILE_TMPDIR/bb.tar" .
  "$BERTH" --root "$BERTH_ROOT" import -c 'CMD ["/bin/sh"]' \
    "$BATS_FILE_TMPDIR/bb.tar" bb >/dev/null
}

engine_teardown() {
  local ids
  ids=$("$BERTH" --root "$BERTH_ROOT" ps -aq --no-trunc 2>/dev/null)
  [ -n "$ids" ] && "$BERTH" --root "$BERTH_ROOT" rm -f $ids >/dev/null 2>&1
  return 0
}

engine_teardown_file() {
  engine_teardown
  # Networks live outside the root (bridges, firewall rules): reset
  # takes them down with everything else.
  "$BERTH" --root "$BERTH_ROOT" system reset -f >/dev/null 2>&1
  rm -rf "$BERTH_ROOT"
  remove_cgroups "$BERTH_CGROUP_PARENT" /berth-test
}

wait_until() {
  local i
  for i in $(seq 100); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
