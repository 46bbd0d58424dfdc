#!/usr/bin/env bats
# linux.seccomp: the container's syscalls get exactly the configured errno
# or signal; bad profiles are refused before anything exists.

load ../helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

deny_mkdir() { # ACTION [ERRNO]
  local extra=""
  [ -n "${2:-}" ] && extra=", \"errnoRet\": $2"
  update_config ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\",
    \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
    \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"$1\"$extra}]}"
}

@test "a denied syscall fails with the configured errnoRet" {
  deny_mkdir SCMP_ACT_ERRNO 38
  update_config '.process.args = ["/bin/probe", "errno", "mkdir", "/dev/shm/d"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = ENOSYS ]
}

@test "SCMP_ACT_ERRNO without errnoRet is EPERM; other syscalls still work" {
  deny_mkdir SCMP_ACT_ERRNO
  update_config '.process.args = ["/bin/sh", "-c", "/bin/probe errno mkdir /dev/shm/d; /bin/probe errno open /dev/null"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'EPERM\nOK')" ]
}

@test "an argument condition filters only the matching calls" {
  # personality(0xffffffff) only queries; deny exactly that value.
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
      "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]}
    | .process.args = ["/bin/sh", "-c", "/bin/probe errno syscall 135 0xffffffff; /bin/probe errno syscall 135 0"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'EPERM\nOK')" ]
}

@test "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
  deny_mkdir SCMP_ACT_KILL_PROCESS
  update_config '.process.args = ["/bin/probe", "errno", "mkdir", "/dev/shm/d"]'
  run runtime run "$CID"
  [ "$status" -eq 159 ]
}

@test "a default-deny allowlist still runs the process" {
  # Enough for a static probe to start and open a file; mkdir is not listed.
  # berth makes no syscall of its own after loading the filter but the
  # execs; runc (Go) needs many more, so this list is berth's.
  require_berth
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
    "syscalls": [{"names": ["execve", "execveat", "brk", "arch_prctl", "set_tid_address",
      "set_robust_list", "rseq", "prlimit64", "mprotect", "readlink", "readlinkat",
      "getrandom", "uname", "newfstatat", "fstat", "write", "writev", "exit_group",
      "open", "openat", "close", "read", "mmap", "munmap", "ioctl"],
      "action": "SCMP_ACT_ALLOW"}]}
    | .process.args = ["/bin/probe", "errno", "mkdir", "/dev/shm/d"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = EACCES ]
}

@test "seccomp loads for a non-root user without no_new_privileges" {
  deny_mkdir SCMP_ACT_ERRNO 38
  update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}
    | .process.args = ["/bin/sh", "-c", "grep NoNewPrivs /proc/self/status; /bin/probe errno mkdir /dev/shm/d"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(printf 'NoNewPrivs:\t0')" ]
  [ "${lines[1]}" = ENOSYS ]
}

@test "exec'd processes get the container's filter too" {
  deny_mkdir SCMP_ACT_ERRNO 38
  update_config '.process.args = ["/bin/sleep", "100"]'
  runtime_quiet run --detach "$CID"
  run runtime exec "$CID" /bin/probe errno mkdir /dev/shm/d
  [ "$output" = ENOSYS ]
}

@test "the filter is visible to the kernel: Seccomp mode 2" {
  deny_mkdir SCMP_ACT_ERRNO
  update_config '.process.args = ["/bin/grep", "^Seccomp:", "/proc/self/status"]'
  run runtime run "$CID"
  [ "$output" = "$(printf 'Seccomp:\t2')" ]
}

@test "an unknown syscall name is refused with its name, leaving nothing" {
  require_berth # runc silently ignores unknown names
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdir_with_typo"], "action": "SCMP_ACT_ERRNO"}]}'
  run runtime run "$CID"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"linux.seccomp.syscalls[0].names[1]"*mkdir_with_typo* ]]
  [ ! -e "$STATE_ROOT/$CID" ]
  no_cgroup_left
}

@test "an unknown action or architecture is refused" {
  require_berth
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_MAYBE"}'
  run runtime run "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *SCMP_ACT_MAYBE* ]]
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}'
  run runtime run "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *SCMP_ARCH_Z80* ]]
}
