#!/usr/bin/env bats
# images, tag, rmi, image prune, system df, inspect: what they show and
# that removal really frees the blobs and snapshots.

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

count() { find "$BERTH_ROOT/$1" -mindepth 1 -maxdepth 1 ! -name tmp | wc -l; }

@test "images: table, -q, --digests, --format json, filtered by name" {
  run berth images
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE* ]]
  [[ "${lines[1]}" == "$REG_ADDR/test/busybox"*latest*"${ID:7:12}"* ]]
  run berth images -q
  [ "$output" = "${ID:7:12}" ]
  run berth images --digests
  [[ "${lines[1]}" == *sha256:* ]]
  # json: one object a line with Docker's fields (strings, as docker's)
  run berth images --no-trunc --format json
  [ "$(jq -r .ID <<<"${lines[0]}")" = "$ID" ]
  [[ "$(jq -r .Size <<<"${lines[0]}")" == *[0-9]MB ]]
  [ "$(jq -r .Tag <<<"${lines[0]}")" = latest ]
  run berth images --format '{{.Nope}}'
  [ "$status" -eq 125 ]
  [[ "$output" == *"can't evaluate field Nope"* ]]
  berth pull -q "$REG_ADDR/test/second" >/dev/null
  [ "$(berth images -q | wc -l)" -eq 2 ]
  [ "$(berth images -q "$REG_ADDR/test/busybox")" = "${ID:7:12}" ]
}

@test "tag and untag; rmi of one name keeps the image while others remain" {
  berth tag "$REG_ADDR/test/busybox" mine:1
  berth tag "${ID:7:6}" docker.io/library/mine:2       # by id prefix
  run berth image inspect mine:1
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$ID" ]
  [ "$(jq -r '.[0].RepoTags | length' <<<"$output")" = 3 ]
  run berth rmi mine:1
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/library/mine:1" ]
  [ "$(count blobs/sha256)" -eq 4 ]                     # nothing freed
  run berth image inspect mine:1
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such image: mine:1"* ]]
  # by id: several names, so docker's rule: only with -f
  run berth rmi "${ID:7:12}"
  [ "$status" -ne 0 ]
  [[ "$output" == *"must be forced"* ]]
  berth rmi -f "${ID:7:12}"
  [ "$(berth images -q | wc -l)" -eq 0 ]
}

@test "rmi of the last name deletes the image, its blobs and snapshots" {
  berth pull -q "$REG_ADDR/test/second" >/dev/null
  [ "$(count snapshots)" -eq 3 ]                     # the base is shared
  run berth rmi "$REG_ADDR/test/busybox"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $ID"* ]]
  [ "$(count snapshots)" -eq 2 ]                     # shared base stays
  verify_store
  berth rmi "$REG_ADDR/test/second" >/dev/null
  [ "$(count snapshots)" -eq 0 ]
  [ "$(count blobs/sha256)" -eq 0 ]
  run berth rmi "$REG_ADDR/test/second"
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such image"* ]]
}

@test "image prune removes dangling images; -a removes all" {
  berth pull -q "$REG_ADDR/test/second" >/dev/null
  # retagging second's name onto busybox leaves second dangling
  sid=$(berth image inspect "$REG_ADDR/test/second" | jq -r '.[0].Id')
  berth tag "$REG_ADDR/test/busybox" "$REG_ADDR/test/second"
  run berth image prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $sid"* ]]
  [[ "$output" == *"Total reclaimed space"* ]]
  [ "$(berth images -q | wc -l)" -eq 1 ]
  run berth image prune -a -f
  [ "$(berth images -q | wc -l)" -eq 0 ]
  [ "$(count snapshots)" -eq 0 ]
}

@test "system df counts shared layers once" {
  berth pull -q "$REG_ADDR/test/second" >/dev/null
  a=$(berth image inspect "$REG_ADDR/test/busybox" | jq '.[0].Layers | map(.UnpackedSize) | add')
  b=$(berth image inspect "$REG_ADDR/test/second" | jq '.[0].Layers[1].UnpackedSize')
  run berth system df
  [ "$status" -eq 0 ]
  [[ "${lines[1]}" == Images*2* ]]
  want=$(python3 -c "import sys; b=$a+$b; u=['B','kB','MB','GB']; i=0
while b >= 1000 and i < 3: b/=1000; i+=1
print(('%.0f' if i == 0 else '%.4g') % b + u[i])")
  [[ "${lines[1]}" == *"$want"* ]]
}

@test "image inspect: unknown images fail, several at once work" {
  run berth image inspect nosuch
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such image: nosuch"* ]]
  run berth image inspect "$REG_ADDR/test/busybox" "${ID:7:12}"
  [ "$(jq length <<<"$output")" -eq 2 ]
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" -eq 2 ]
  [ "$(jq -r '.[0].History | length' <<<"$output")" -eq 2 ]
}
