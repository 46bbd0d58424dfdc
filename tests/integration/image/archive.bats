#!/usr/bin/env bats
# save, load and import: both archive formats, interoperating with skopeo.

load image

setup_file() {
  mkdir -p "$IMGDIR"
  registry_start REG
  busybox_layout "$IMGDIR/oci" busybox
  busybox_layout "$IMGDIR/oci" second
  skopeo_push "$IMGDIR/oci" busybox "$REG_ADDR/test/busybox:latest"
  skopeo_push "$IMGDIR/oci" second "$REG_ADDR/test/second:latest"
}

teardown_file() {
  servers_stop
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  export BERTH_ROOT
  berth pull -q "$REG_ADDR/test/busybox" >/dev/null
  ID=$(berth image inspect "$REG_ADDR/test/busybox" | jq -r '.[0].Id')
}

# Loads FILE into a fresh store and prints the image ids it holds.
load_fresh() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/fresh berth load -i "$1" >&2
  BERTH_ROOT=$BATS_TEST_TMPDIR/fresh berth images -q --no-trunc | sort
}

@test "save --format oci-archive: skopeo reads it, load round-trips it" {
  berth save --format oci-archive -o "$BATS_TEST_TMPDIR/img.tar" "$REG_ADDR/test/busybox"
  run skopeo inspect --raw "oci-archive:$BATS_TEST_TMPDIR/img.tar"
  [ "$status" -eq 0 ]
  [ "sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "$(berth image inspect "$REG_ADDR/test/busybox" | jq -r '.[0].ManifestDigest')" ]
  [ "$(skopeo inspect --config --raw "oci-archive:$BATS_TEST_TMPDIR/img.tar" | sha256sum | cut -d' ' -f1)" = "${ID#sha256:}" ]
  [ "$(load_fresh "$BATS_TEST_TMPDIR/img.tar")" = "$ID" ]
  BERTH_ROOT=$BATS_TEST_TMPDIR/fresh run berth image inspect "$REG_ADDR/test/busybox"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0].Layers | length' <<<"$output")" = 2 ]
}

@test "save --format docker-archive: skopeo reads it, load round-trips it" {
  berth save --format docker-archive -o "$BATS_TEST_TMPDIR/img.tar" "$REG_ADDR/test/busybox"
  tar -tf "$BATS_TEST_TMPDIR/img.tar" | grep -qx manifest.json
  # docker's layers are uncompressed tars, named by their diff ids
  first=$(tar -xOf "$BATS_TEST_TMPDIR/img.tar" manifest.json | jq -r '.[0].Layers[0]')
  [ "$(tar -xOf "$BATS_TEST_TMPDIR/img.tar" "$first" | sha256sum | cut -d' ' -f1)" = "$(dirname "$first")" ]
  [ "$(tar -xOf "$BATS_TEST_TMPDIR/img.tar" manifest.json | jq -r '.[0].RepoTags[0]')" = "$REG_ADDR/test/busybox:latest" ]
  run skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/img.tar"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.Layers | length' <<<"$output")" = 2 ]
  [ "$(load_fresh "$BATS_TEST_TMPDIR/img.tar")" = "$ID" ]
  BERTH_ROOT=$BATS_TEST_TMPDIR/fresh berth image inspect "$REG_ADDR/test/busybox" >/dev/null
}

@test "several images in one archive, both formats" {
  berth pull -q "$REG_ADDR/test/second" >/dev/null
  for f in oci-archive docker-archive; do
    berth save --format "$f" -o "$BATS_TEST_TMPDIR/$f.tar" "$REG_ADDR/test/busybox" "$REG_ADDR/test/second"
    rm -rf "$BATS_TEST_TMPDIR/fresh"
    [ "$(load_fresh "$BATS_TEST_TMPDIR/$f.tar" | wc -l)" -eq 2 ]
    BERTH_ROOT=$BATS_TEST_TMPDIR/fresh berth image inspect "$REG_ADDR/test/second" >/dev/null
  done
}

@test "load archives written by skopeo (docker-archive and oci-archive)" {
  skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/test/second" \
    "docker-archive:$BATS_TEST_TMPDIR/d.tar:example.com/made/by-skopeo:1"
  skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/test/second" \
    "oci-archive:$BATS_TEST_TMPDIR/o.tar:latest"
  want=sha256:$(skopeo inspect --config --raw --tls-verify=false "docker://$REG_ADDR/test/second" | sha256sum | cut -d' ' -f1)
  [ "$(load_fresh "$BATS_TEST_TMPDIR/d.tar")" = "$want" ]
  BERTH_ROOT=$BATS_TEST_TMPDIR/fresh berth image inspect example.com/made/by-skopeo:1 >/dev/null
  rm -rf "$BATS_TEST_TMPDIR/fresh"
  [ "$(load_fresh "$BATS_TEST_TMPDIR/o.tar")" = "$want" ]
}

@test "load of a broken archive fails and leaves the store as it was" {
  before=$(store_state)
  head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/junk.tar"
  run berth load -i "$BATS_TEST_TMPDIR/junk.tar"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  # a real oci-archive whose blob was changed after the fact
  skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/test/second" "oci:$BATS_TEST_TMPDIR/lay:latest"
  for b in "$BATS_TEST_TMPDIR"/lay/blobs/sha256/*; do
    [ "$(head -c1 "$b")" = "{" ] && continue
    printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
  done
  tar -C "$BATS_TEST_TMPDIR/lay" -cf "$BATS_TEST_TMPDIR/bad.tar" .
  run berth load -i "$BATS_TEST_TMPDIR/bad.tar"
  [ "$status" -ne 0 ]
  [[ "$output" == *digest* ]]
  [ "$(store_state)" = "$before" ]
  verify_store
}

@test "import: a rootfs tarball becomes a one-layer image" {
  mkdir -p "$BATS_TEST_TMPDIR/rootfs/etc"
  echo imported >"$BATS_TEST_TMPDIR/rootfs/etc/hello"
  tar -C "$BATS_TEST_TMPDIR/rootfs" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
  run berth import -c 'CMD ["/bin/sh", "-c", "cat /etc/hello"]' -c 'ENV A=b' \
    "$BATS_TEST_TMPDIR/rootfs.tgz" example.com/imported:v1
  [ "$status" -eq 0 ]
  id=${lines[-1]}
  run berth image inspect example.com/imported:v1
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh","-c","cat /etc/hello"]' ]
  [ "$(jq -r '.[0].Config.Env[0]' <<<"$output")" = A=b ]
  chain=$(jq -r '.[0].Layers[0].ChainID | sub("sha256:"; "")' <<<"$output")
  [ "$(cat "$BERTH_ROOT/snapshots/$chain/fs/etc/hello")" = imported ]
  # from stdin too, and the result can be pushed and pulled back
  berth import - example.com/imported:v2 <"$BATS_TEST_TMPDIR/rootfs.tgz" >/dev/null
  berth tag example.com/imported:v1 "$REG_ADDR/test/imported:v1"
  berth push -q "$REG_ADDR/test/imported:v1"
  skopeo inspect --tls-verify=false "docker://$REG_ADDR/test/imported:v1" >/dev/null
}

@test "save refuses a terminal, unknown formats and images" {
  run berth save --format tarball -o x.tar "$REG_ADDR/test/busybox"
  [ "$status" -eq 125 ]
  run berth save -o "$BATS_TEST_TMPDIR/x.tar" nosuchimage
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such image"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
  [ -z "$(ls "$BATS_TEST_TMPDIR" | grep 'x.tar.')" ]
}
