#!/usr/bin/env bats
# Interchangeability with crun: a bundle made by `crun spec` runs under
# berth-runtime unchanged, and one made by `berth-runtime spec` runs under
# crun.  Both default to an interactive `sh` on a terminal, so a console
# socket receiver types a command into it.

load ../helpers

BERTH=${BERTH:-$RUNTIME}

setup() {
  require_berth
  setup_bundle
  cc -O2 -o "$BATS_TEST_TMPDIR/recvtty" "$REPO/tests/lib/recvtty.c"
  SOCK=$BATS_TEST_TMPDIR/console.sock
  # Configs from `spec` have no cgroupsPath: berth-runtime then uses
  # /berth/<id>, making the /berth parent if the host has none.
  compgen -G '/sys/fs/cgroup/*/berth' >/dev/null || MAKES_BERTH_PARENT=1
}

teardown() {
  [ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null
  "$TESTLIB/crun-hybrid" --root "$STATE_ROOT-crun" delete --force "$CID" >/dev/null 2>&1 || true
  teardown_bundle
  remove_cgroups "/berth/$CID" "/$CID"
  [ -z "${MAKES_BERTH_PARENT:-}" ] || remove_cgroups /berth
}

run_typed() { # RUNTIME-CMD... : run the bundle detached, type into its sh
  rm -f "$SOCK"
  "$BATS_TEST_TMPDIR/recvtty" "$SOCK" $'echo spec-ok-$((6*7)); exit 3\n' \
    > "$BATS_TEST_TMPDIR/tty.out" &
  RPID=$!
  for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.05; done
  "$@" run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null
  wait "$RPID"
  RPID=
  grep -q 'spec-ok-42' "$BATS_TEST_TMPDIR/tty.out"
}

@test "a bundle made by crun spec runs under berth-runtime unchanged" {
  rm "$BUNDLE/config.json"
  (cd "$BUNDLE" && crun spec)
  run_typed "$BERTH" --root "$STATE_ROOT"
  wait_for_state stopped
  runtime delete "$CID"
  # crun's default config has no cgroupsPath: berth used /berth/<id> and
  # removed it again.
  for d in /sys/fs/cgroup/*/berth/"$CID"; do
    [ ! -d "$d" ]
  done
}

@test "a bundle made by berth-runtime spec runs under crun" {
  rm "$BUNDLE/config.json"
  "$BERTH" spec --bundle "$BUNDLE"
  run_typed "$TESTLIB/crun-hybrid" --root "$STATE_ROOT-crun"
  for _ in $(seq 50); do
    "$TESTLIB/crun-hybrid" --root "$STATE_ROOT-crun" state "$CID" | grep -q stopped && break
    sleep 0.1
  done
  "$TESTLIB/crun-hybrid" --root "$STATE_ROOT-crun" delete "$CID"
}

@test "berth-runtime spec writes a config that berth-runtime accepts as is" {
  rm "$BUNDLE/config.json"
  "$BERTH" spec --bundle "$BUNDLE"
  run_typed "$BERTH" --root "$STATE_ROOT"
  wait_for_state stopped
  [ "$(runtime state "$CID" | jq -r .status)" = stopped ]
  runtime delete "$CID"
}

@test "spec refuses to overwrite an existing config.json" {
  run "$BERTH" spec --bundle "$BUNDLE"
  [ "$status" -ne 0 ]
  jq -e '.linux.cgroupsPath' "$BUNDLE/config.json"
}

@test "a spec --rootless config runs, in a user namespace mapping only the caller" {
  rm "$BUNDLE/config.json"
  "$BERTH" spec --rootless --bundle "$BUNDLE"
  chmod o+x "$BUNDLE"
  update_config '.process.terminal = false | .process.args = ["/bin/sh", "-c", "cat /proc/self/uid_map"]
    | .linux.cgroupsPath = "/berth-test/'"$CID"'"'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 $(id -u) 1" ]
}
