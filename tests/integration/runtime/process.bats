#!/usr/bin/env bats
# process: user, groups, capabilities, rlimits, no_new_privs, oomScoreAdj,
# umask, env and cwd, each read back from the kernel inside the container.

load ../helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# Runs the container with `sh -c SCRIPT` and leaves its stdout in $output.
run_sh() {
  update_config --arg s "$1" '.process.args = ["/bin/sh", "-c", $s]'
  run runtime run "$CID"
}

status_line() { # FIELD -> value of /proc/self/status line FIELD in $output
  sed -n "s/^$1:\t*//p" <<<"$output" | sed "s/ *$//"
}

@test "uid, gid and additionalGids are set in all three slots" {
  update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 2000]}'
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line Uid)" = "1000	1000	1000	1000" ]
  [ "$(status_line Gid)" = "1001	1001	1001	1001" ]
  [ "$(status_line Groups)" = "5 2000" ]
}

@test "root without additionalGids has no supplementary groups" {
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line Uid)" = "0	0	0	0" ]
  [ -z "$(status_line Groups)" ]
}

@test "capability sets are exactly the configured ones" {
  # CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line CapEff)" = 0000000020000420 ]
  [ "$(status_line CapPrm)" = 0000000020000420 ]
  [ "$(status_line CapBnd)" = 0000000020000420 ]
  [ "$(status_line CapInh)" = 0000000000000000 ]
  [ "$(status_line CapAmb)" = 0000000000000000 ]
}

@test "a dropped capability is really missing: chown fails with EPERM" {
  run_sh 'touch /dev/shm/f && /bin/probe errno chown /dev/shm/f 1'
  [ "$status" -eq 0 ]
  [ "$output" = EPERM ]
}

@test "an added capability works: chown succeeds with CAP_CHOWN" {
  update_config '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
  run_sh 'touch /dev/shm/f && /bin/probe errno chown /dev/shm/f 1'
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
}

@test "ambient capabilities reach a non-root process" {
  update_config '.process.user = {"uid": 1000, "gid": 1000}
    | .process.capabilities = {
        "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"]}'
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  # After execve a non-root process keeps only its ambient set.
  [ "$(status_line CapEff)" = 0000000000000400 ]
  [ "$(status_line CapAmb)" = 0000000000000400 ]
  [ "$(status_line CapBnd)" = 0000000000000420 ]
}

@test "a non-root user without capabilities has none" {
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line CapEff)" = 0000000000000000 ]
  [ "$(status_line CapPrm)" = 0000000000000000 ]
}

@test "an unknown capability name is a warning, not a failure" {
  require_berth
  update_config '.process.capabilities.bounding += ["CAP_FROM_THE_FUTURE"]'
  run_sh 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line CapBnd)" = 0000000020000420 ]
}

@test "rlimits are applied (soft and hard)" {
  update_config '.process.rlimits = [
    {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
  run_sh 'cat /proc/self/limits'
  [ "$status" -eq 0 ]
  grep -Eq '^Max open files +100 +200 ' <<<"$output"
  grep -Eq '^Max core file size +0 +0 ' <<<"$output"
}

@test "an RLIMIT_NOFILE soft limit is enforced" {
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 8, "hard": 8}]'
  # fds 0-2 plus the probe's own: opening the 9th fd must fail.
  run_sh 'exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null; /bin/probe errno open /dev/null'
  [ "$status" -eq 0 ]
  [ "$output" = EMFILE ]
}

@test "an unknown rlimit type is refused before anything is created" {
  require_berth
  update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.rlimits[0].type"*RLIMIT_BOGUS* ]]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "noNewPrivileges sets no_new_privs; false leaves it clear" {
  run_sh 'cat /proc/self/status'
  [ "$(status_line NoNewPrivs)" = 1 ]
  update_config '.process.noNewPrivileges = false'
  run_sh 'cat /proc/self/status'
  [ "$(status_line NoNewPrivs)" = 0 ]
}

@test "oomScoreAdj is set" {
  update_config '.process.oomScoreAdj = 500'
  run_sh 'cat /proc/self/oom_score_adj'
  [ "$status" -eq 0 ]
  [ "$output" = 500 ]
}

@test "umask is applied to created files" {
  update_config '.process.user.umask = 63'
  run_sh 'touch /dev/shm/f && stat -c %a /dev/shm/f'
  [ "$status" -eq 0 ]
  [ "$output" = 600 ]
}

@test "env is exactly the configured environment and cwd is set" {
  update_config '.process.env = ["PATH=/bin", "FOO=bar baz"] | .process.cwd = "/dev/shm"'
  run_sh 'env | sort; pwd'
  [ "$status" -eq 0 ]
  # busybox sh adds PWD and SHLVL itself; nothing else may appear.
  # HOME comes from the user's /etc/passwd entry when not configured.
  [ "$(grep -v '^PWD=\|^SHLVL=' <<<"$output")" = "$(printf 'FOO=bar baz\nHOME=/root\nPATH=/bin\n/dev/shm')" ]
}

@test "a cwd that does not exist is created" {
  update_config '.process.cwd = "/dev/shm/new/dir"'
  run_sh 'pwd'
  [ "$status" -eq 0 ]
  [ "$output" = /dev/shm/new/dir ]
}

@test "a program that does not exist fails with a clear error and no state" {
  update_config '.process.args = ["/bin/nonexistent"]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == */bin/nonexistent* ]]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

@test "the container is in its own session without a terminal" {
  run_sh 'cat /proc/self/stat'
  [ "$status" -eq 0 ]
  # fields: pid comm state ppid pgrp session tty_nr
  read -r pid _ _ _ _ sid tty _ <<<"$output"
  [ "$sid" = "$pid" ] || [ "$sid" = 1 ]
  [ "$tty" = 0 ]
}
