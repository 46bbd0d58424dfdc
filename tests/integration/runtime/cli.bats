#!/usr/bin/env bats
# runc's command line: global flags, usage errors, exit statuses, the log
# file, features.  Callers (podman, containerd) parse these.

load ../helpers

setup() {
  require_berth
  setup_bundle
}

teardown() {
  teardown_bundle
}

one_line_error() { # the command failed with exit 1 and one line on stderr
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
}

@test "an unknown global flag or verb flag is a usage error" {
  run runtime --bogus list
  one_line_error
  [[ "$output" == *bogus* ]]
  run runtime run --bogus "$CID"
  one_line_error
  [[ "$output" == *bogus* ]]
  run runtime frobnicate
  one_line_error
  [[ "$output" == *frobnicate* ]]
}

@test "missing arguments are usage errors" {
  run runtime kill
  one_line_error
  run runtime start
  one_line_error
}

@test "--systemd-cgroup and --no-pivot are refused with a clear error" {
  run runtime --systemd-cgroup run "$CID"
  one_line_error
  [[ "$output" == *systemd* ]]
  run runtime run --no-pivot "$CID"
  one_line_error
  [[ "$output" == *no-pivot* ]]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "operations on a container that does not exist say so" {
  for verb in state start pause resume ps; do
    run runtime $verb nope-nope
    one_line_error
    [[ "$output" == *"does not exist"* ]]
  done
  run runtime kill nope-nope KILL
  [[ "$output" == *"does not exist"* ]]
  run runtime delete nope-nope
  [ "$status" -eq 1 ]
  # --force on a missing container succeeds, as podman relies on.
  run runtime delete --force nope-nope
  [ "$status" -eq 0 ]
}

@test "--log with --log-format json writes runc's JSON lines" {
  log=$BATS_TEST_TMPDIR/log.json
  run runtime --log "$log" --log-format json state nope-nope
  [ "$status" -eq 1 ]
  jq -e '.level == "error" and (.msg | contains("does not exist")) and (.time | test("^[0-9]{4}-"))' "$log"
  run runtime --log-format yaml state nope-nope
  one_line_error
}

@test "--log in text format, and --debug adds debug lines" {
  log=$BATS_TEST_TMPDIR/log.txt
  update_config '.process.args = ["/bin/true"]'
  runtime --log "$log" --debug run "$CID"
  grep -q 'level=debug' "$log"
  run runtime --log "$log" state nope-nope
  grep -q 'level=error msg=".*does not exist' "$log"
}

@test "kill with an unknown signal is refused and the process lives" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  run runtime kill "$CID" SIGNOPE
  one_line_error
  [ "$(runtime state "$CID" | jq -r .status)" = running ]
  runtime kill --all "$CID" KILL
  wait_for_state stopped
}

@test "features is the runtime-spec features document" {
  run runtime features
  [ "$status" -eq 0 ]
  jq -e '.ociVersionMin == "1.0.0" and (.ociVersionMax | startswith("1.2"))
    and (.linux.namespaces | index("time") and index("user") and index("cgroup"))
    and (.linux.capabilities | index("CAP_SYS_ADMIN"))
    and .linux.cgroup.v1 and .linux.cgroup.v2
    and .linux.seccomp.enabled
    and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))
    and (.mountOptions | index("rbind"))
    and (.hooks | index("createContainer"))' <<<"$output"
}

@test "--root state lives where asked, and delete leaves nothing there" {
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  [ -d "$STATE_ROOT/$CID" ]
  runtime delete --force "$CID"
  [ ! -e "$STATE_ROOT/$CID" ]
}
