#!/usr/bin/env bats
# Regression tests for rootfs setup attacks: mount destinations that leave
# the rootfs through symlinks (CVE-2021-30465) and masked paths or /dev/null
# replaced by symlinks or hardlinks (CVE-2025-31133, -52565, -52881).
# Each test asserts that the host, or the file the attack aims at, is
# unchanged.  Note: runc 1.1.5 fails the masked-path tests (it is vulnerable).

load ../helpers

setup() {
  setup_bundle
  MARK="berth-sec-$CID"
}

teardown() {
  rm -rf "/tmp/$MARK" "/etc/$MARK"
  teardown_bundle
}

run_sh() {
  update_config ".process.args = [\"/bin/sh\", \"-c\", $(jq -n --arg s "$1" '$s')]"
  run runtime run --bundle "$BUNDLE" "$CID"
}

# Drops the spec's own /dev mounts so that the image's /dev is what the
# runtime sees (the attacker controls the image).
use_image_dev() {
  update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
}

@test "CVE-2021-30465: destination through an absolute symlink stays inside" {
  ln -s /etc "$BUNDLE/rootfs/evil"
  update_config ".mounts += [{\"destination\": \"/evil/$MARK\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  run_sh "awk '\$5 == \"/etc/$MARK\" {print \"MOUNTED\"}' /proc/self/mountinfo"
  [ ! -e "/etc/$MARK" ]
  [ "$status" -eq 0 ]
  [ "$output" = MOUNTED ]
  [ -d "$BUNDLE/rootfs/etc/$MARK" ]
}

@test "CVE-2021-30465: destination through a ../ symlink stays inside" {
  ln -s ../../../../../../../../../tmp "$BUNDLE/rootfs/up"
  mkdir -p "$BUNDLE/src"
  echo inside > "$BUNDLE/src/f"
  update_config ".mounts += [{\"destination\": \"/up/$MARK\", \"type\": \"bind\", \"source\": \"$BUNDLE/src\", \"options\": [\"rbind\"]}]"
  run_sh "cat /tmp/$MARK/f"
  [ ! -e "/tmp/$MARK" ]
  [ "$status" -eq 0 ]
  [ "$output" = inside ]
}

@test "CVE-2021-30465: a file bind through a symlink does not create host files" {
  ln -s "/etc/$MARK" "$BUNDLE/rootfs/filelink"
  echo content > "$BUNDLE/srcfile"
  update_config ".mounts += [{\"destination\": \"/filelink\", \"type\": \"bind\", \"source\": \"$BUNDLE/srcfile\", \"options\": [\"bind\"]}]"
  run_sh "cat /filelink"
  [ ! -e "/etc/$MARK" ]
  [ "$status" -eq 0 ]
  [ "$output" = content ]
}

@test "/proc on a symlink leading out of the rootfs is refused or kept inside" {
  rmdir "$BUNDLE/rootfs/proc"
  ln -s "../../../../../../../tmp/$MARK" "$BUNDLE/rootfs/proc"
  mkdir -p "/tmp/$MARK"
  run_sh 'test -r /proc/self/status && echo PROC_OK'
  # The host directory the link points at must not have become procfs.
  [ ! -e "/tmp/$MARK/self" ]
  [ -z "$(ls -A "/tmp/$MARK")" ]
  if [ "$status" -eq 0 ]; then [ "$output" = PROC_OK ]; fi
}

@test "/sys on a symlink leading out of the rootfs is refused or kept inside" {
  rmdir "$BUNDLE/rootfs/sys"
  ln -s "/../../../../../../../tmp/$MARK" "$BUNDLE/rootfs/sys"
  mkdir -p "/tmp/$MARK"
  run_sh 'test -d /sys/kernel && echo SYS_OK'
  [ -z "$(ls -A "/tmp/$MARK")" ]
  if [ "$status" -eq 0 ]; then [ "$output" = SYS_OK ]; fi
}

@test "masked path that is a symlink does not mask its target" {
  echo "root:x:0:0:root:/:/bin/sh" > "$BUNDLE/rootfs/etc/passwd"
  ln -s /etc/passwd "$BUNDLE/rootfs/etc/masklink"
  update_config '.linux.maskedPaths += ["/etc/masklink"]'
  run_sh 'cat /etc/passwd'
  [ "$status" -eq 0 ]
  [[ "$output" == root:* ]]
}

@test "image /proc/kcore symlink to /etc/passwd (no proc mount) is not followed" {
  update_config '.mounts |= map(select(.destination != "/proc"))'
  echo "root:x:0:0:root:/:/bin/sh" > "$BUNDLE/rootfs/etc/passwd"
  ln -s /etc/passwd "$BUNDLE/rootfs/proc/kcore"
  update_config '.linux.maskedPaths = ["/proc/kcore"] | .linux.readonlyPaths = ["/proc/kcore"]'
  run_sh 'cat /etc/passwd; echo appended >> /etc/passwd && echo WRITABLE'
  # runc cannot start without /proc at all; whatever happens, the target
  # must neither be masked nor made read-only.
  [ "$(head -n 1 "$BUNDLE/rootfs/etc/passwd")" = "root:x:0:0:root:/:/bin/sh" ]
  if [ "$status" -eq 0 ]; then
    [[ "$output" == root:* ]]
    [[ "$output" == *WRITABLE* ]]
    [ "$(tail -n 1 "$BUNDLE/rootfs/etc/passwd")" = appended ]
  fi
}

@test "/dev/null replaced by a symlink is not used as the mask source" {
  use_image_dev
  echo secret-target > "$BUNDLE/rootfs/etc/target"
  ln -s /etc/target "$BUNDLE/rootfs/dev/null"
  update_config '.linux.maskedPaths = ["/proc/keys"]'
  run_sh 'cat /proc/keys'
  [[ "$output" != *secret-target* ]]
  [ "$(cat "$BUNDLE/rootfs/etc/target")" = secret-target ]
}

@test "/dev/null replaced by a hardlink is not used as the mask source" {
  use_image_dev
  echo secret-target > "$BUNDLE/rootfs/etc/target"
  ln "$BUNDLE/rootfs/etc/target" "$BUNDLE/rootfs/dev/null"
  update_config '.linux.maskedPaths = ["/proc/keys"]'
  run_sh 'cat /proc/keys'
  [[ "$output" != *secret-target* ]]
  [ "$(cat "$BUNDLE/rootfs/etc/target")" = secret-target ]
}

@test "no container mount or path creation reaches the host mount table" {
  before=$(wc -l < /proc/self/mountinfo)
  ln -s /etc "$BUNDLE/rootfs/evil"
  update_config ".mounts += [{\"destination\": \"/evil/$MARK\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  run_sh true
  [ "$status" -eq 0 ]
  [ "$(wc -l < /proc/self/mountinfo)" -eq "$before" ]
  [ ! -e "/etc/$MARK" ]
}
