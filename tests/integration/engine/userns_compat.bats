#!/usr/bin/env bats
# A user namespace per container must not cost a Docker user anything:
# - `-v $PWD:/src` and `-v ./dir:/src`: the container's root reads and
#   writes the host directory, what it creates belongs to host root (as
#   under Docker), and the user's files keep their owner (idmapped mounts,
#   never a chown); a filesystem that cannot be idmapped is a one-line
#   error naming it, and leaves no container behind;
# - `--device /dev/fuse` is usable by the container's root; --privileged
#   gives the host's devices;
# - a volume on /etc keeps the generated hosts, hostname and resolv.conf.
# Controls use berth-runtime with a hand-made config.json: the same bind
# without an idmap shows the user's file as nobody's and gives the
# container's files to its host id range.

bats_require_minimum_version 1.5.0
load engine

# The range of the runtime controls' user namespace.
HOST_ID=1200000

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }

teardown() {
  engine_teardown
  teardown_bundle
  local m
  for m in "${MOUNTED[@]}"; do
    umount "$m" 2>/dev/null || true
  done
  MOUNTED=()
}

MOUNTED=()
mount_fs() { # TYPE DIR: a private instance, unmounted by teardown
  mkdir -p "$2"
  mount -t "$1" none "$2"
  MOUNTED=("$2" "${MOUNTED[@]}")
}

# A host directory with a file of user 1234 in it, and a 0755 directory
# of host root's: the user's project as Docker users bind it.
make_project() {
  P=$BATS_TEST_TMPDIR/project
  mkdir -m 755 -p "$P/sub"
  echo mine >"$P/user-file"
  chown 1234:1234 "$P/user-file"
  echo mine >"$P/sub/user-file"
  chown 1234:1234 "$P/sub/user-file"
}

@test "-v \$PWD:/src: container root writes the host directory as root, the user's files keep their owner" {
  make_project
  cd "$P"
  run berth run --rm -v "$PWD:/src" bb sh -c \
    'stat -c %u:%g /src/user-file; echo more >>/src/user-file; echo new >/src/new; mkdir /src/d; stat -c %u:%g /src/new'
  [ "$status" -eq 0 ]
  # Inside: the host's ids, the container's new file root's.
  [ "$output" = "$(printf '1234:1234\n0:0')" ]
  # On the host: the container's files are host root's (Docker's owner),
  # the user's file was written to and still is the user's.
  [ "$(stat -c %u:%g "$P/new")" = 0:0 ]
  [ "$(stat -c %u:%g "$P/d")" = 0:0 ]
  [ "$(stat -c %u:%g "$P/user-file")" = 1234:1234 ]
  [ "$(cat "$P/user-file")" = "$(printf 'mine\nmore')" ]
  [ "$(stat -c %u:%g "$P")" = 0:0 ]
}

@test "-v ./dir:/src is the directory relative to the caller's cwd" {
  make_project
  cd "$P"
  run berth run --rm -v ./sub:/src bb sh -c \
    'stat -c %u /src/user-file; echo x >/src/made'
  [ "$status" -eq 0 ]
  [ "$output" = 1234 ]
  [ "$(stat -c %u:%g "$P/sub/made")" = 0:0 ]
  cd "$P/sub"
  run berth run --rm --mount type=bind,src=..,dst=/p bb cat /p/user-file
  [ "$output" = mine ]
  # A bare name is still a volume name, not a directory of the cwd.
  run berth run --rm -v sub:/src bb ls /src
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  berth volume rm sub >/dev/null
}

@test "-v FILE:/f and :ro: a file is idmapped too; read-only refuses writes" {
  make_project
  run berth run --rm -v "$P/user-file:/f" bb sh -c 'stat -c %u /f; echo w >>/f'
  [ "$status" -eq 0 ]
  [ "$output" = 1234 ]
  [ "$(tail -n 1 "$P/user-file")" = w ]
  [ "$(stat -c %u "$P/user-file")" = 1234 ]
  run berth run --rm -v "$P:/src:ro" bb sh -c 'stat -c %u /src/user-file; touch /src/ro'
  [ "$status" -ne 0 ]
  [ "${lines[0]}" = 1234 ]
  [[ "$output" == *"Read-only file system"* ]]
  [ ! -e "$P/ro" ]
  run berth run --rm -v "$P/user-file:/f:ro" bb sh -c 'echo x >>/f'
  [ "$status" -ne 0 ]
}

@test "control: a bind without an idmap shows the user's file as nobody's and gives new files to the id range" {
  setup_bundle
  D=$BATS_TEST_TMPDIR/ctl
  mkdir -m 777 "$D"
  echo mine >"$D/user-file"
  chown 1234:1234 "$D/user-file"
  mkdir "$BUNDLE/rootfs/src"
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .process.args = ["/bin/sh", "-c", "stat -c %u /src/user-file; touch /src/made"]'
  update_config --arg src "$D" '.mounts += [
      {"destination": "/src", "type": "bind", "source": $src,
       "options": ["rbind"]}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = 65534 ]
  [ "$(stat -c %u:%g "$D/made")" = "$HOST_ID:$HOST_ID" ]
  rm "$D/made"
  # The same bind with the runtime-spec's idmap option: the host's ids,
  # and the container's root is host root there.
  update_config '.mounts[-1].options = ["rbind", "idmap"]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = 1234 ]
  [ "$(stat -c %u:%g "$D/made")" = 0:0 ]
  rm "$D/made"
  # Mappings of the mount's own (ridmap): only ids 0..1999 on disk are
  # mapped (to the container's 0..1999), so 3000 is nobody's and 100 is 100.
  update_config '.mounts[-1].options = ["rbind", "ridmap"]
    | .mounts[-1].uidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 2000}]
    | .mounts[-1].gidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 2000}]
    | .process.args = ["/bin/sh", "-c", "stat -c %u /src/user-file /src/low; touch /src/made"]'
  chown 3000:3000 "$D/user-file"
  echo low >"$D/low"
  chown 100:100 "$D/low"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '65534\n100')" ]
  [ "$(stat -c %u:%g "$D/made")" = 0:0 ]
}

@test "a filesystem without idmapped mounts is a one-line error naming it, exit 125, nothing left" {
  # ramfs lacks FS_ALLOW_IDMAP (as do procfs, sysfs, devtmpfs; ext4, xfs,
  # btrfs, tmpfs and overlay have it).
  R=$BATS_TEST_TMPDIR/ram
  mount_fs ramfs "$R"
  before=$(ls -A "$BERTH_ROOT/containers")
  for v in "$R:/r" "$R:/r:rshared" "$R:/r:ro"; do
    run berth run --rm -v "$v" bb true
    [ "$status" -eq 125 ]
    [ "$output" = "berth: bind mount $R: filesystem ramfs does not support idmapped mounts" ]
  done
  run berth create -v "$R:/r" bb true
  [ "$status" -eq 125 ]
  [ -z "$(berth ps -aq)" ]
  [ "$(ls -A "$BERTH_ROOT/containers")" = "$before" ]
  # Control: the same path works where no user namespace is asked for.
  run berth run --rm --userns host -v "$R:/r" bb sh -c 'echo ok >/r/f; cat /r/f'
  [ "$output" = ok ]
}

@test "the runtime names the filesystem that refuses an idmap" {
  setup_bundle
  R=$BATS_TEST_TMPDIR/ram
  mount_fs ramfs "$R"
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]'
  update_config --arg src "$R" '.mounts += [
      {"destination": "/tmp", "type": "bind", "source": $src,
       "options": ["rbind", "idmap"]}]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"\`/tmp\`: bind \`$R\`: filesystem ramfs does not support idmapped mounts"* ]]
  # Without a user namespace there is nothing to map with.
  update_config '.linux.namespaces -= [{"type": "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"idmap without uidMappings needs a user namespace"* ]]
}

@test "submounts of a bind are idmapped where their filesystem allows it" {
  make_project
  mount_fs tmpfs "$P/tm"
  mount_fs ramfs "$P/ram"
  echo t >"$P/tm/t"
  echo r >"$P/ram/r"
  run berth run --rm -v "$P:/src" bb sh -c \
    'stat -c %u /src/tm/t /src/ram/r; echo n >/src/tm/new'
  [ "$status" -eq 0 ]
  # tmpfs: host root's file is root's; ramfs keeps host ids (nobody).
  [ "$output" = "$(printf '0\n65534')" ]
  [ "$(stat -c %u "$P/tm/new")" = 0 ]
  # --rm left nothing: the monitor detached the clones before deleting.
  wait_until sh -c "[ -z \"\$(ls -A '$BERTH_ROOT/containers')\" ]"
  [ "$(cat "$P/tm/t" "$P/ram/r")" = "$(printf 't\nr')" ]
}

@test "named and anonymous volumes keep working" {
  run berth run --rm -v ucvol:/data bb sh -c 'echo v >/data/f; stat -c %u /data/f'
  [ "$output" = 0 ]
  [ "$(stat -c %u "$BERTH_ROOT/volumes/ucvol/_data/f")" = 0 ]
  run berth run --rm -v ucvol:/data:ro bb cat /data/f
  [ "$output" = v ]
  run berth run --name anon -v /anon bb sh -c 'echo a >/anon/f; stat -c %u /anon/f'
  [ "$output" = 0 ]
  berth rm -v anon >/dev/null
  berth volume rm ucvol >/dev/null
}

@test "--device /dev/fuse is usable by the container's root" {
  [ -c /dev/fuse ] || skip "no /dev/fuse"
  run berth run --rm --device /dev/fuse bb sh -c \
    'stat -c %u:%g:%t:%T /dev/fuse; probe errno open /dev/fuse rw; cat /dev/fuse'
  [ "${lines[0]}" = "0:0:a:e5" ]
  [ "${lines[1]}" = OK ]
  # Reading an unmounted fuse device is refused by the driver (EPERM),
  # not by ownership.
  [[ "${lines[2]}" == *"Operation not permitted"* ]]
  # The device cgroup still decides: read-only access refuses rw.
  run berth run --rm --device /dev/fuse:/dev/fuse:r bb probe errno open /dev/fuse rw
  [ "$output" = EPERM ]
  # The node was the container's own: nothing of it is left.
  wait_until sh -c "[ -z \"\$(ls -A '$BERTH_ROOT/containers')\" ]"
}

@test "control: the host's node bound into a user namespace is nobody's and cannot be opened" {
  [ "$(stat -c %a /dev/fuse)" = 600 ] || skip "/dev/fuse is not 0600 here"
  setup_bundle
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": '$HOST_ID', "size": 65536}]
    | .linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
    | .linux.resources.devices = [{"allow": true, "access": "rwm"}]
    | .process.args = ["/bin/sh", "-c", "stat -c %u /dev/fuse; probe errno open /dev/fuse rw"]'
  run runtime run "$CID"
  [ "$output" = "$(printf '65534\nEACCES')" ]
}

@test "--privileged gives the host's devices" {
  [ -c /dev/loop-control ] || skip "no /dev/loop-control"
  run berth run --rm --privileged bb sh -c \
    'stat -c %t:%T /dev/loop-control; probe errno open /dev/loop-control rw; ls /dev | wc -l'
  [ "${lines[0]}" = a:ed ]
  [ "${lines[1]}" = OK ]
  host=$(find /dev -maxdepth 1 \( -type c -o -type b \) | wc -l)
  [ "${lines[2]}" -ge $((host - 10)) ]
  # Control: not without it.
  run berth run --rm bb probe errno open /dev/loop-control rw
  [ "$output" = ENOENT ]
}

@test "a volume on /etc keeps the generated hosts, hostname and resolv.conf" {
  run berth run --rm -h uc-host -v ucetc:/etc bb sh -c \
    'cat /etc/hostname; grep -c uc-host /etc/hosts; cat /etc/resolv.conf; cat /etc/passwd'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = uc-host ]
  [ "${lines[1]}" = 1 ]
  [[ "$output" == *"$(head -n 1 /etc/resolv.conf)"* ]]
  [[ "$output" == *"root:x:0:0"* ]]
  # The volume got the image's /etc (copy-up), whose hostname is not the
  # container's: only the mount on top shows the generated one.
  [ -f "$BERTH_ROOT/volumes/ucetc/_data/passwd" ]
  [ -f "$BERTH_ROOT/volumes/ucetc/_data/hostname" ]
  [ "$(cat "$BERTH_ROOT/volumes/ucetc/_data/hostname" 2>/dev/null)" != uc-host ]
  berth volume rm ucetc >/dev/null
}
