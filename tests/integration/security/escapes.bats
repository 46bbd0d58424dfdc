#!/usr/bin/env bats
# Regression tests for escapes that hit real runtimes (the runtime's own
# fds, cwd and binary).  Each asserts the effect on the host or inside.

load ../helpers

bats_require_minimum_version 1.5.0

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# CVE-2024-21626: a runtime fd to a host directory left open in the
# container let process.cwd=/proc/self/fd/N escape the rootfs.
@test "no runtime fd is open in the container process" {
  update_config '.process.args = ["/bin/ls", "/proc/self/fd"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # ls itself holds one fd for the directory it reads (3); nothing else.
  [ "$(echo "$output" | sort -n | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "cwd through a leaked fd cannot reach the host (CVE-2024-21626)" {
  for fd in 3 4 5 6 7 8 9; do
    update_config ".process.cwd = \"/proc/self/fd/$fd\" | .process.args = [\"/bin/sh\", \"-c\", \"cat ../../../../etc/hostname; pwd\"]"
    run runtime run "$CID"
    # Either refused, or whatever cwd it got is inside the container:
    # the host's hostname must never be readable.
    [[ "$output" != *"$(cat /etc/hostname)"* ]] || {
      echo "host file read through fd $fd: $output"
      return 1
    }
    runtime delete --force "$CID" 2>/dev/null || true
  done
}

@test "--preserve-fds passes exactly the asked fds" {
  update_config '.process.args = ["/bin/sh", "-c", "ls /proc/self/fd | sort -n | tr \"\\n\" \" \""]'
  run bash -c "exec 3</etc/hostname 4</etc/hostname; \"$RUNTIME\" --root \"$STATE_ROOT\" run --preserve-fds 1 \"$CID\""
  [ "$status" -eq 0 ]
  # 0-2, the preserved 3, and ls's own directory fd 4; not the host's 4.
  [ "$output" = "0 1 2 3 4 " ]
}

# CVE-2019-5736: a container binary whose interpreter is /proc/self/exe
# used to execute (and then overwrite) the host runtime binary.
@test "a #!/proc/self/exe program does not run the host runtime" {
  require_berth
  local bin before after
  bin=$(readlink -f "$RUNTIME")
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  update_config '.process.args = ["/evil", "version"]'
  # The program that ran was the sealed stub, which refuses such use
  # (status 127); berth-runtime would have printed its usage or version.
  run -127 runtime run "$CID"
  [[ "$output" != *"berth-runtime"* ]]
  after=$(sha256sum "$bin" | cut -d' ' -f1)
  [ "$before" = "$after" ]
}

@test "the waiting init's executable cannot be opened from the container" {
  require_berth
  update_config '.process.args = ["/bin/sleep", "30"]'
  runtime create --bundle "$BUNDLE" "$CID"
  # The init (pid 1 inside) still runs the runtime's image until start; it
  # is non-dumpable, so /proc/1/exe must be out of reach.
  run runtime exec "$CID" /bin/sh -c 'readlink /proc/1/exe || echo denied; cat /proc/1/exe >/dev/null 2>&1 || echo unreadable'
  [ "$status" -eq 0 ]
  [[ "$output" == *denied* ]]
  [[ "$output" == *unreadable* ]]
}

@test "exec runs through the stub: /proc/self/exe is the program itself" {
  update_config '.process.args = ["/bin/sh", "-c", "readlink /proc/self/exe"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "/bin/busybox" ]
}
