#!/usr/bin/env bats
# Registries and images that are wrong, broken or hostile: each pull fails
# with a clear error and a non-zero status, and the store is exactly as
# it was before (checked against a listing taken first).

load image

setup_file() {
  mkdir -p "$IMGDIR"
  busybox_layout "$IMGDIR/oci" busybox
  # Layers the store does not have yet, big enough to break mid-way.
  mkdir -p "$IMGDIR/fresh1/data" "$IMGDIR/fresh2/data"
  head -c 3000000 /dev/urandom >"$IMGDIR/fresh1/data/a"
  head -c 2000000 /dev/urandom >"$IMGDIR/fresh2/data/b"
  python3 "$TESTLIB/ociimg.py" layout "$IMGDIR/oci" --ref fresh \
    "$IMGDIR/fresh1" "$IMGDIR/fresh2" >/dev/null
  local h
  for h in traversal absolute symlink-escape symlink-parent hardlink-escape huge; do
    python3 "$TESTLIB/ociimg.py" hostile "$IMGDIR/$h.tar" "$h"
    python3 "$TESTLIB/ociimg.py" layout "$IMGDIR/oci" --ref "$h" "$IMGDIR/$h.tar" >/dev/null
  done
}

teardown_file() {
  servers_stop
  rm -f /tmp/berth-escape-*
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  export BERTH_ROOT
  export BERTH_REGISTRY_TIMEOUT=2 BERTH_REGISTRY_RETRIES=1
  # Something already in the store, which must survive every failure.
  fakereg_start GOOD "$IMGDIR/oci" none
  berth pull -q "$GOOD_ADDR/test/busybox:busybox" >/dev/null
  before=$(store_state)
}

teardown() {
  servers_stop
}

# pull_fails FAULT REF PATTERN: the pull fails naming the problem, and
# leaves the store as it was.
pull_fails() {
  fakereg_start BAD "$IMGDIR/oci" "$1"
  run timeout 60 "$BERTH" --root "$BERTH_ROOT" pull -q "$BAD_ADDR/test/img:$2"
  echo "$output"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  [ "${#lines[@]}" -eq 1 ]                 # one clear line
  [[ "$output" == *$3* ]]
  [ "$(store_state)" = "$before" ]
  verify_store
}

@test "a layer whose content does not match its digest" {
  pull_fails corrupt-blob fresh "digest"
}

@test "a truncated blob" {
  pull_fails truncate-blob fresh "bytes"
}

@test "a registry that drops the connection mid-blob" {
  pull_fails drop-blob fresh "GET"
}

@test "a registry that hangs on a blob" {
  pull_fails hang-blob fresh "stopped responding"
}

@test "a registry that never answers" {
  pull_fails hang-manifest busybox "stopped responding"
}

@test "a manifest over the 4 MiB bound" {
  pull_fails big-manifest busybox "larger than"
}

@test "a manifest served with the wrong media type" {
  pull_fails wrong-type busybox "media"
}

@test "a layer escaping through ..: refused, nothing written outside" {
  pull_fails none traversal ".."
  [ ! -e /tmp/berth-escape-traversal ]
}

@test "an absolute path in a layer lands inside the snapshot, never outside" {
  fakereg_start BAD "$IMGDIR/oci" none
  run berth pull -q "$BAD_ADDR/test/img:absolute"
  [ ! -e /tmp/berth-escape-absolute ]
}

@test "a write through a symlink to /tmp stays inside the snapshot" {
  fakereg_start BAD "$IMGDIR/oci" none
  run berth pull -q "$BAD_ADDR/test/img:symlink-escape"
  [ ! -e /tmp/berth-escape-symlink ]
}

@test "a write through a symlink to ../../.. stays inside the snapshot" {
  fakereg_start BAD "$IMGDIR/oci" none
  run berth pull -q "$BAD_ADDR/test/img:symlink-parent"
  [ ! -e /tmp/berth-escape-parent ]
}

@test "a hard link to a host file is refused" {
  links=$(stat -c %h /etc/passwd)
  pull_fails none hardlink-escape "link"
  [ "$(stat -c %h /etc/passwd)" = "$links" ]
}

@test "a layer claiming a 32 TiB file is refused before writing" {
  pull_fails none huge "huge"
}

@test "invalid references and unknown flags" {
  run berth pull "Busy Box"
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid reference"* ]]
  run berth pull --bogus busybox
  [ "$status" -eq 125 ]
  [[ "$output" == *"bogus"* ]]
  [ "$(store_state)" = "$before" ]
}

@test "a tag the registry does not have" {
  pull_fails none nosuchtag "MANIFEST_UNKNOWN"
}
