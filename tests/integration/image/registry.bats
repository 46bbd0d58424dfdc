#!/usr/bin/env bats
# Pull and push against the real docker-registry from Debian, with skopeo
# and umoci on the other end.

load image

setup_file() {
  mkdir -p "$IMGDIR"
  registry_start REG
  busybox_layout "$IMGDIR/oci" busybox
  skopeo_push "$IMGDIR/oci" busybox "$REG_ADDR/test/busybox:latest"
}

teardown_file() {
  servers_stop
  remove_cgroups /berth-test # `berth run` below uses it
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  export BERTH_ROOT
}

teardown() {
  if [ -n "${RUNROOT:-}" ]; then
    berth ps -aq --no-trunc | xargs -r "$BERTH" --root "$RUNROOT" rm -f >/dev/null 2>&1
    # Its default network's bridge and rules live outside the root.
    "$BERTH" --root "$RUNROOT" system reset -f >/dev/null 2>&1
    rm -rf "$RUNROOT"
  fi
  return 0
}

# The raw manifest digest the registry holds for NAME.
registry_digest() {
  skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1
}

@test "pull from the registry: manifest, config and layers verified and recorded" {
  run berth pull -q "$REG_ADDR/test/busybox"
  [ "$status" -eq 0 ]
  [ "$output" = "$REG_ADDR/test/busybox:latest" ]
  want=$(registry_digest "$REG_ADDR/test/busybox:latest")
  run berth image inspect "$REG_ADDR/test/busybox"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0].RepoDigests[0]' <<<"$output")" = "$REG_ADDR/test/busybox@sha256:$want" ]
  [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = "$REG_ADDR/test/busybox:latest" ]
  [ "$(jq -r '.[0].Layers | length' <<<"$output")" = 2 ]
  [ "$(jq -r '.[0].Config.Labels["berth.test"]' <<<"$output")" = busybox ]
  # the id is the config digest, as docker's
  cfg=$(skopeo inspect --config --raw --tls-verify=false "docker://$REG_ADDR/test/busybox" | sha256sum | cut -d' ' -f1)
  [ "$(jq -r '.[0].Id' <<<"$output")" = "sha256:$cfg" ]
  verify_store
  # pulling again downloads nothing: every layer already exists
  run berth pull "$REG_ADDR/test/busybox"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'Already exists' <<<"$output")" -eq 2 ]
}

@test "an image pushed by skopeo is pulled and run by berth" {
  # A root outside bats' private temp dir: the container's user namespace
  # root must reach its rootfs.
  BERTH_ROOT=$(mktemp -d /tmp/berth-reg.XXXXXX)
  RUNROOT=$BERTH_ROOT
  export BERTH_CGROUP_PARENT=/berth-test
  berth pull -q "$REG_ADDR/test/busybox" >/dev/null
  run berth run --rm "$REG_ADDR/test/busybox" \
    sh -c 'cat /etc/berth-marker; test -e /etc/motd && echo motd-visible; id -u'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = busybox ]            # the top layer's file
  [[ "$output" != *motd-visible* ]]      # the whiteout hides layer one's file
  [ "${lines[1]}" = 0 ]
  # --pull always fetches again (the tag moved to another image meanwhile).
  busybox_layout "$IMGDIR/oci2" moved
  skopeo_push "$IMGDIR/oci2" moved "$REG_ADDR/test/busybox:latest"
  run berth run --rm "$REG_ADDR/test/busybox" cat /etc/berth-marker
  [ "$output" = busybox ]                # missing (default): the local one
  run berth run --rm --pull always -q "$REG_ADDR/test/busybox" cat /etc/berth-marker
  [ "$output" = moved ]
  skopeo_push "$IMGDIR/oci" busybox "$REG_ADDR/test/busybox:latest"
}

@test "push then pull round-trips digests exactly" {
  berth pull -q "$REG_ADDR/test/busybox" >/dev/null
  want=$(registry_digest "$REG_ADDR/test/busybox:latest")
  run berth push "$REG_ADDR/test/busybox" "$REG_ADDR/copy/busybox:v1"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "sha256:$want" ]
  [ "$(registry_digest "$REG_ADDR/copy/busybox:v1")" = "$want" ]
  # a fresh store pulls the pushed image back to the same id and digests
  id=$(berth image inspect "$REG_ADDR/test/busybox" | jq -r '.[0].Id')
  BERTH_ROOT=$BATS_TEST_TMPDIR/root2
  berth pull -q "$REG_ADDR/copy/busybox:v1" >/dev/null
  run berth image inspect "$REG_ADDR/copy/busybox:v1"
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -r '.[0].RepoDigests[0]' <<<"$output")" = "$REG_ADDR/copy/busybox@sha256:$want" ]
  # pushing again skips every blob the registry has
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  run berth push "$REG_ADDR/test/busybox" "$REG_ADDR/copy/busybox:v2"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'already exists' <<<"$output")" -eq 3 ]
}

@test "an image pushed by berth is pulled by skopeo and unpacked by umoci" {
  berth pull -q "$REG_ADDR/test/busybox" >/dev/null
  berth tag "$REG_ADDR/test/busybox" "$REG_ADDR/berth/made:1"
  berth push -q "$REG_ADDR/berth/made:1"
  skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/berth/made:1" "oci:$BATS_TEST_TMPDIR/layout:made"
  umoci unpack --image "$BATS_TEST_TMPDIR/layout:made" "$BATS_TEST_TMPDIR/bundle" >/dev/null
  [ "$(cat "$BATS_TEST_TMPDIR/bundle/rootfs/etc/berth-marker")" = busybox ]
  [ ! -e "$BATS_TEST_TMPDIR/bundle/rootfs/etc/motd" ]
  [ -x "$BATS_TEST_TMPDIR/bundle/rootfs/bin/busybox" ]
}

@test "a multi-arch index: the host's platform by default, --platform picks another" {
  local oci=$BATS_TEST_TMPDIR/multi
  busybox_layout "$oci" amd --arch amd64
  busybox_layout "$oci" arm --arch arm64 --variant v8
  python3 "$TESTLIB/ociimg.py" index "$oci" --ref multi amd arm >/dev/null
  skopeo copy -q --all --dest-tls-verify=false "oci:$oci:multi" "docker://$REG_ADDR/test/multi:latest"
  berth pull -q "$REG_ADDR/test/multi" >/dev/null
  run berth image inspect "$REG_ADDR/test/multi"
  [ "$(jq -r '.[0].Architecture' <<<"$output")" = amd64 ]
  [ "$(jq -r '.[0].Config.Labels["berth.test"]' <<<"$output")" = amd ]
  # the repo digest is the index's, as docker records it
  [ "$(jq -r '.[0].RepoDigests[0]' <<<"$output")" = "$REG_ADDR/test/multi@sha256:$(registry_digest "$REG_ADDR/test/multi")" ]
  berth pull -q --platform linux/arm64 "$REG_ADDR/test/multi" >/dev/null
  run berth image inspect "$REG_ADDR/test/multi"
  [ "$(jq -r '.[0].Architecture' <<<"$output")" = arm64 ]
  [ "$(jq -r '.[0].Variant' <<<"$output")" = v8 ]
  run berth pull -q --platform linux/s390x "$REG_ADDR/test/multi"
  [ "$status" -ne 0 ]
  [[ "$output" == *linux/s390x* ]]
  [[ "$output" == *linux/amd64* ]]       # says what the index has
}

@test "zstd and uncompressed layers are pulled too" {
  local oci=$BATS_TEST_TMPDIR/comp
  busybox_layout "$oci" zst --compress zstd
  busybox_layout "$oci" raw --compress none
  skopeo_push "$oci" zst "$REG_ADDR/test/zst:latest"
  skopeo_push "$oci" raw "$REG_ADDR/test/raw:latest"
  berth pull -q "$REG_ADDR/test/zst" >/dev/null
  berth pull -q "$REG_ADDR/test/raw" >/dev/null
  # the same base layer, so the same snapshot: its diff id checked out
  # through both decompressions; the top layers differ (their marker)
  a=$(berth image inspect "$REG_ADDR/test/zst" | jq -r '.[0].Layers[0].ChainID')
  b=$(berth image inspect "$REG_ADDR/test/raw" | jq -r '.[0].Layers[0].ChainID')
  [ "$a" = "$b" ]
  [ "$(ls "$BERTH_ROOT/snapshots" | grep -vc tmp)" -eq 3 ]
  [ "$(cat "$BERTH_ROOT/snapshots/$(berth image inspect "$REG_ADDR/test/zst" | jq -r '.[0].Layers[1].ChainID | sub("sha256:"; "")')/fs/etc/berth-marker")" = zst ]
}

@test "concurrent pulls of the same and different images from several processes" {
  local oci=$BATS_TEST_TMPDIR/conc
  busybox_layout "$oci" other --compress zstd
  skopeo_push "$oci" other "$REG_ADDR/test/other:latest"
  pids=()
  for i in 1 2 3 4; do
    berth pull -q "$REG_ADDR/test/busybox" >"$BATS_TEST_TMPDIR/p$i" 2>&1 &
    pids+=($!)
    berth pull -q "$REG_ADDR/test/other" >"$BATS_TEST_TMPDIR/q$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || { cat "$BATS_TEST_TMPDIR"/[pq]*; false; }
  done
  [ "$(berth images -q | wc -l)" -eq 2 ]
  verify_store
  [ -z "$(find "$BERTH_ROOT/snapshots/tmp" "$BERTH_ROOT/tmp" -mindepth 1)" ]
}

@test "pull by digest records no tag" {
  d=$(registry_digest "$REG_ADDR/test/busybox:latest")
  berth pull -q "$REG_ADDR/test/busybox@sha256:$d" >/dev/null
  run berth images --format '{{.Repository}} {{.Tag}}'
  [ "$output" = "$REG_ADDR/test/busybox <none>" ]
  run berth image inspect "$REG_ADDR/test/busybox@sha256:$d"
  [ "$status" -eq 0 ]
}

@test "snapshots are unpacked under a +T directory (ext4 spreads unrelated trees)" {
  berth pull -q "$REG_ADDR/test/busybox" >/dev/null
  attrs=$(lsattr -d "$BERTH_ROOT/snapshots/tmp" 2>/dev/null) ||
    skip "no inode flags on this filesystem"
  [[ "${attrs%% *}" == *T* ]]
  # Control: a directory berth did not mark has no T.
  mkdir "$BATS_TEST_TMPDIR/plain"
  [[ "$(lsattr -d "$BATS_TEST_TMPDIR/plain" | cut -d' ' -f1)" != *T* ]]
}
