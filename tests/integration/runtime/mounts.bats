#!/usr/bin/env bats
# Mounts, /dev and the filesystem view of a container (src/oci/rootfs.c,
# mounts.c, devices.c).  Every test checks an effect from inside the
# container; run with RUNTIME=runc to check the test itself.

load ../helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# Runs `sh -c SCRIPT` as the container process; bats' $status/$output.
run_sh() {
  update_config ".process.args = [\"/bin/sh\", \"-c\", $(jq -n --arg s "$1" '$s')]"
  run runtime run --bundle "$BUNDLE" "$CID"
}

add_mount() {
  update_config ".mounts += [$1]"
}

@test "bind mount with ro is read-only inside, readable, host untouched" {
  mkdir -p "$BUNDLE/data"
  echo hello > "$BUNDLE/data/file"
  add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BUNDLE/data\", \"options\": [\"rbind\", \"ro\"]}"
  run_sh 'cat /data/file && if touch /data/new; then echo WRITABLE; fi'
  [ "$status" -eq 0 ]
  [[ "$output" == *hello* ]]
  [[ "$output" != *WRITABLE* ]]
  [ ! -e "$BUNDLE/data/new" ]
}

@test "bind mount without ro is writable and reaches the source" {
  mkdir -p "$BUNDLE/data"
  add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BUNDLE/data\", \"options\": [\"rbind\", \"rw\"]}"
  run_sh 'echo written > /data/new'
  [ "$status" -eq 0 ]
  [ "$(cat "$BUNDLE/data/new")" = written ]
}

@test "bind mount of a file creates the file destination" {
  echo filecontent > "$BUNDLE/single"
  add_mount "{\"destination\": \"/etc/single\", \"type\": \"bind\", \"source\": \"$BUNDLE/single\", \"options\": [\"bind\", \"ro\"]}"
  run_sh 'test -f /etc/single && cat /etc/single'
  [ "$status" -eq 0 ]
  [ "$output" = filecontent ]
}

@test "tmpfs size= and mode= are honored" {
  add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1777"]}'
  run_sh 'stat -c %a /scratch; df -k /scratch | tail -n 1'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1777 ]
  # df -k: Filesystem 1K-blocks Used Available ...
  [ "$(echo "${lines[1]}" | awk '{print $2}')" = 1024 ]
}

@test "tmpfs size limit is enforced" {
  add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}'
  run_sh 'if dd if=/dev/zero of=/scratch/big bs=1k count=256 2>/dev/null; then echo FITS; fi'
  [ "$status" -eq 0 ]
  [[ "$output" != *FITS* ]]
}

@test "tmpfs with tmpcopyup starts with the image's content; writes stay in the tmpfs" {
  mkdir -p "$BUNDLE/rootfs/seeded/sub"
  echo image-data > "$BUNDLE/rootfs/seeded/sub/file"
  add_mount '{"destination": "/seeded", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
  run_sh 'cat /seeded/sub/file && echo changed > /seeded/sub/file && awk '"'"'$5 == "/seeded" {print $9}'"'"' /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = image-data ]
  [ "${lines[1]}" = tmpfs ]
  [ "$(cat "$BUNDLE/rootfs/seeded/sub/file")" = image-data ]
}

@test "noexec forbids running a binary; exec allows it" {
  add_mount '{"destination": "/noexec", "type": "tmpfs", "source": "tmpfs", "options": ["noexec"]}'
  add_mount '{"destination": "/exec", "type": "tmpfs", "source": "tmpfs", "options": ["exec"]}'
  run_sh 'cp /bin/busybox /noexec/busybox; cp /bin/busybox /exec/busybox
          /exec/busybox true && echo EXEC_OK
          /noexec/busybox true && echo NOEXEC_RAN; true'
  [ "$status" -eq 0 ]
  [[ "$output" == *EXEC_OK* ]]
  [[ "$output" != *NOEXEC_RAN* ]]
}

@test "nosuid is set on the mount, suid clears it" {
  add_mount '{"destination": "/nosuid", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}'
  add_mount '{"destination": "/suid", "type": "tmpfs", "source": "tmpfs", "options": ["suid"]}'
  run_sh 'awk '"'"'$5 == "/nosuid" || $5 == "/suid" {print $5, $6}'"'"' /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$(echo "$output" | grep '^/nosuid ')" == *nosuid* ]]
  [[ "$(echo "$output" | grep '^/suid ')" != *nosuid* ]]
}

@test "root.readonly makes / read-only" {
  update_config '.root.readonly = true'
  run_sh 'if touch /newfile; then echo WRITABLE; fi; if mkdir /newdir; then echo WRITABLE; fi'
  [ "$status" -eq 0 ]
  [[ "$output" != *WRITABLE* ]]
  [ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "without root.readonly / is writable" {
  update_config '.root.readonly = false'
  run_sh 'touch /newfile'
  [ "$status" -eq 0 ]
  [ -e "$BUNDLE/rootfs/newfile" ]
}

@test "masked paths read empty" {
  update_config '.linux.maskedPaths = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi"]'
  run_sh 'echo "keys=$(cat /proc/keys 2>/dev/null | wc -c)"
          echo "timer=$(cat /proc/timer_list 2>/dev/null | wc -c)"
          echo "acpi=$(ls -A /proc/acpi | wc -l)"
          if [ -e /proc/kcore ]; then echo "kcore=$(stat -c %s /proc/kcore)"; else echo kcore=0; fi'
  [ "$status" -eq 0 ]
  [[ "$output" == *keys=0* ]]
  [[ "$output" == *timer=0* ]]
  [[ "$output" == *acpi=0* ]]
  [[ "$output" == *kcore=0* ]]
}

@test "an unmasked /proc/timer_list is readable (the masking test can fail)" {
  update_config '.linux.maskedPaths = []'
  run_sh 'cat /proc/timer_list | wc -c'
  [ "$status" -eq 0 ]
  [ "$output" -gt 0 ]
}

@test "readonly paths refuse writes" {
  update_config '.linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"]'
  run_sh 'if echo berth > /proc/sys/kernel/domainname; then echo WROTE; fi
          if echo h > /proc/sysrq-trigger; then echo WROTE; fi
          cat /proc/sys/kernel/ostype'
  [ "$status" -eq 0 ]
  [[ "$output" != *WROTE* ]]
  [[ "$output" == *Linux* ]]
}

@test "/dev has exactly the default device nodes with the right numbers" {
  run_sh 'for f in $(find /dev -maxdepth 1 -type c -o -maxdepth 1 -type b | sort); do
            stat -c "%n %F %t:%T %a" "$f"; done'
  [ "$status" -eq 0 ]
  expected="/dev/full character special file 1:7 666
/dev/null character special file 1:3 666
/dev/random character special file 1:8 666
/dev/tty character special file 5:0 666
/dev/urandom character special file 1:9 666
/dev/zero character special file 1:5 666"
  [ "$output" = "$expected" ]
}

@test "/dev symlinks: fd, stdin, stdout, stderr and ptmx" {
  run_sh 'for l in fd stdin stdout stderr ptmx; do echo "$l $(readlink /dev/$l)"; done; test -c /dev/pts/ptmx && echo PTS'
  [ "$status" -eq 0 ]
  [[ "$output" == *"fd /proc/self/fd"* ]]
  [[ "$output" == *"stdin /proc/self/fd/0"* ]]
  [[ "$output" == *"stdout /proc/self/fd/1"* ]]
  [[ "$output" == *"stderr /proc/self/fd/2"* ]]
  [[ "$output" == *"ptmx pts/ptmx"* ]]
  [[ "$output" == *PTS* ]]
}

@test "a linux.devices entry appears with its mode, owner and numbers" {
  update_config '.linux.devices = [{"path": "/dev/berthdev", "type": "c", "major": 1, "minor": 7, "fileMode": 384, "uid": 1000, "gid": 1001}]'
  update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"}]'
  run_sh 'stat -c "%F %t:%T %a %u %g" /dev/berthdev'
  [ "$status" -eq 0 ]
  [ "$output" = "character special file 1:7 600 1000 1001" ]
}

@test "a linux.devices fileMode with the file-type bits (as podman writes it) is accepted" {
  # 8576 = S_IFCHR | 0600: podman copies stat()'s st_mode.
  update_config '.linux.devices = [{"path": "/dev/berthdev", "type": "c", "major": 1, "minor": 7, "fileMode": 8576}]'
  run_sh 'stat -c "%F %t:%T %a" /dev/berthdev'
  [ "$status" -eq 0 ]
  [ "$output" = "character special file 1:7 600" ]
}

@test "a fileMode whose file-type bits are not the device's is refused" {
  require_berth # runc ORs the bits together (and makes a block device)
  # 25008 = S_IFBLK | 0660 on a character device.
  update_config '.linux.devices = [{"path": "/dev/berthdev", "type": "c", "major": 1, "minor": 7, "fileMode": 25008}]'
  run runtime_quiet run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.devices[0].fileMode"* ]]
  run runtime state "$CID"
  [ "$status" -ne 0 ]
}

# Without a tmpfs on /dev the image's own /dev gets the default devices
# (runtime-spec "Default Devices"), before the masked paths need /dev/null.
no_dev_tmpfs() {
  update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
}

@test "without a tmpfs on /dev the default devices are supplied in the image's /dev" {
  no_dev_tmpfs
  update_config '.linux.maskedPaths = ["/proc/keys", "/proc/timer_list"]'
  run_sh 'for f in $(find /dev -maxdepth 1 -type c | sort); do
            stat -c "%n %t:%T %a" "$f"; done
          echo x > /dev/null && head -c 3 /dev/zero | od -An -tx1
          echo "timer=$(cat /proc/timer_list | wc -c)"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/full 1:7 666" ]
  [ "${lines[1]}" = "/dev/null 1:3 666" ]
  [ "${lines[2]}" = "/dev/random 1:8 666" ]
  [ "${lines[3]}" = "/dev/tty 5:0 666" ]
  [ "${lines[4]}" = "/dev/urandom 1:9 666" ]
  [ "${lines[5]}" = "/dev/zero 1:5 666" ]
  [ "$(echo ${lines[6]})" = "00 00 00" ]
  # Masked with the null device made just before.
  [ "${lines[7]}" = timer=0 ]
}

@test "a /dev bound from the host is not filled with devices" {
  # runc also needs /dev/null there (for the container's stdio).
  mkdir "$BATS_TEST_TMPDIR/hostdev"
  mknod -m 666 "$BATS_TEST_TMPDIR/hostdev/null" c 1 3
  no_dev_tmpfs
  add_mount "{\"destination\": \"/dev\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hostdev\", \"options\": [\"rbind\"]}"
  update_config '.linux.maskedPaths = [] | .linux.readonlyPaths = []
    | .linux.devices = [{"path": "/dev/berthdev", "type": "c", "major": 1, "minor": 7}]'
  run_sh 'ls -A /dev'
  [ "$status" -eq 0 ]
  [ "$output" = null ]
  [ "$(ls -A "$BATS_TEST_TMPDIR/hostdev")" = null ]
}

@test "a linux.devices FIFO in a new directory" {
  update_config '.linux.devices = [{"path": "/dev/sub/fifo", "type": "p", "fileMode": 420}]'
  run_sh 'stat -c "%F %a" /dev/sub/fifo'
  [ "$status" -eq 0 ]
  [ "$output" = "fifo 644" ]
}

@test "proc, sysfs, devpts, mqueue and shm are mounted with their types" {
  run_sh 'awk '"'"'{ for (i = 7; $i != "-"; i++); print $5, $(i+1) }'"'"' /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$output" == *"/proc proc"* ]]
  [[ "$output" == *"/sys sysfs"* ]]
  [[ "$output" == *"/dev tmpfs"* ]]
  [[ "$output" == *"/dev/pts devpts"* ]]
  [[ "$output" == *"/dev/mqueue mqueue"* ]]
  [[ "$output" == *"/dev/shm tmpfs"* ]]
}

@test "the cgroup mount is read-only and shows the controllers" {
  update_config '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
  run_sh 'test -e /sys/fs/cgroup/memory/memory.limit_in_bytes && echo HAVE_MEMORY
          if mkdir /sys/fs/cgroup/memory/x 2>/dev/null; then echo WRITABLE; fi'
  [ "$status" -eq 0 ]
  [[ "$output" == *HAVE_MEMORY* ]]
  [[ "$output" != *WRITABLE* ]]
}

@test "the host's filesystem is not visible after pivot" {
  touch "$BUNDLE/marker-outside-rootfs"
  run_sh "if [ -e $BUNDLE/marker-outside-rootfs ]; then echo VISIBLE; fi; ls / | wc -l"
  [ "$status" -eq 0 ]
  [[ "$output" != *VISIBLE* ]]
}

@test "no container mount propagates to the host" {
  before=$(wc -l < /proc/self/mountinfo)
  add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"}'
  run_sh 'true'
  [ "$status" -eq 0 ]
  [ "$(wc -l < /proc/self/mountinfo)" -eq "$before" ]
}

@test "hostname is set" {
  update_config '.hostname = "berth-host-test"'
  run_sh 'hostname'
  [ "$status" -eq 0 ]
  [ "$output" = berth-host-test ]
}

@test "a relative mount destination is refused" {
  # runtime-spec 1.2 only deprecates relative destinations and runc accepts
  # them; berth refuses them by design.
  case "$(basename "${RUNTIME:-berth-runtime}")" in runc|crun) skip "berth-specific" ;; esac
  add_mount '{"destination": "relative", "type": "tmpfs", "source": "tmpfs"}'
  run_sh 'true'
  [ "$status" -ne 0 ]
}
