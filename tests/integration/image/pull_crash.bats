#!/usr/bin/env bats
# A pull killed with SIGKILL (a crash, as far as the store can tell)
# mid-download or mid-unpack: no partial blob or half layer is ever
# visible under its name, nothing is recorded, and pulling again works.

load image

setup_file() {
  mkdir -p "$IMGDIR"
  # One layer that takes a while to unpack: many files, then 200 MB of
  # zeros (a small blob, slow to write), so the kill lands mid-layer.
  local d=$IMGDIR/slow
  mkdir -p "$d"
  for i in $(seq 40); do
    mkdir -p "$d/d$i"
    (cd "$d/d$i" && touch $(seq -f f%g 100))
  done
  head -c 200000000 /dev/zero >"$d/zz-big"
  python3 "$TESTLIB/ociimg.py" layout "$IMGDIR/oci" --ref slow "$d" >/dev/null
  rm -rf "$d"
  # A fresh layer for the download case.
  mkdir -p "$IMGDIR/fresh/data"
  head -c 3000000 /dev/urandom >"$IMGDIR/fresh/data/a"
  python3 "$TESTLIB/ociimg.py" layout "$IMGDIR/oci" --ref fresh \
    "$IMGDIR/fresh" >/dev/null
}

teardown_file() {
  servers_stop
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  export BERTH_ROOT
}

teardown() {
  [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
  servers_stop
}

# The only layer's diff id (its chain id: the snapshot's name) of TAG.
diff_id_hex() {
  local m c
  m=$(jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$IMGDIR/oci/index.json")
  c=$(jq -r .config.digest "$IMGDIR/oci/blobs/sha256/${m#sha256:}")
  jq -r '.rootfs.diff_ids[0]' "$IMGDIR/oci/blobs/sha256/${c#sha256:}" | cut -d: -f2
}

layer_blob_hex() {
  local m
  m=$(jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$IMGDIR/oci/index.json")
  jq -r '.layers[0].digest' "$IMGDIR/oci/blobs/sha256/${m#sha256:}" | cut -d: -f2
}

# Waits (at most ~30 s) until one of the globs matches something.
wait_for_glob() {
  local i g
  for i in $(seq 6000); do
    for g in "$@"; do
      compgen -G "$g" >/dev/null && return 0
    done
    sleep 0.005
  done
  echo "nothing matched $*" >&2
  return 1
}

nothing_recorded() {
  [ -z "$(berth images -q)" ]
  [ "$(sqlite3 "$BERTH_ROOT/berth.db" 'select count(*) from images')" = 0 ]
}

@test "kill -9 mid-unpack: no half layer is visible, and a re-pull succeeds" {
  fakereg_start GOOD "$IMGDIR/oci" none
  hex=$(diff_id_hex slow)
  "$BERTH" --root "$BERTH_ROOT" pull -q "$GOOD_ADDR/test/img:slow" >/dev/null 2>&1 &
  pid=$!
  # The first files of the layer, wherever they are being written.
  wait_for_glob "$BERTH_ROOT/snapshots/tmp/*/fs/d*" "$BERTH_ROOT/snapshots/$hex/fs/d*"
  kill -9 "$pid"
  wait "$pid" || true
  pid=
  # Nothing under the layer's name; the kill did land mid-layer: the
  # partial tree is there, in tmp/ only.
  [ ! -e "$BERTH_ROOT/snapshots/$hex" ]
  [ -z "$(ls "$BERTH_ROOT/snapshots" | grep -vx tmp)" ]
  compgen -G "$BERTH_ROOT/snapshots/tmp/*/fs/d*" >/dev/null
  nothing_recorded
  # Pulling again unpacks the whole layer under its name.
  run berth pull -q "$GOOD_ADDR/test/img:slow"
  [ "$status" -eq 0 ]
  [ "$(stat -c %s "$BERTH_ROOT/snapshots/$hex/fs/zz-big")" = 200000000 ]
  [ "$(find "$BERTH_ROOT/snapshots/$hex/fs" -type f | wc -l)" = 4001 ]
  [ "$(cat "$BERTH_ROOT/snapshots/$hex/size")" -ge 200000000 ]
  [ "$(berth images -q | wc -l)" = 1 ]
}

@test "kill -9 mid-download: no partial blob is visible, and a re-pull succeeds" {
  fakereg_start BAD "$IMGDIR/oci" hang-blob
  blob=$(layer_blob_hex fresh)
  "$BERTH" --root "$BERTH_ROOT" pull -q "$BAD_ADDR/test/img:fresh" >/dev/null 2>&1 &
  pid=$!
  # The registry sends half the layer, then hangs: it is being written.
  wait_for_glob "$BERTH_ROOT/tmp/${blob:0:16}-*"
  kill -9 "$pid"
  wait "$pid" || true
  pid=
  [ ! -e "$BERTH_ROOT/blobs/sha256/$blob" ]
  [ -z "$(ls "$BERTH_ROOT/snapshots" 2>/dev/null | grep -vx tmp)" ]
  nothing_recorded
  fakereg_start GOOD "$IMGDIR/oci" none
  run berth pull -q "$GOOD_ADDR/test/img:fresh"
  [ "$status" -eq 0 ]
  [ "$(sha256sum <"$BERTH_ROOT/blobs/sha256/$blob" | cut -d' ' -f1)" = "$blob" ]
  verify_store
}
