#!/usr/bin/env bats
# images REPO[:TAG] and images --filter (decided in the image layer),
# rmi's untag-versus-delete rules, rmi -f of missing images, history, and
# image events of pull and push.

load image

setup_file() {
  mkdir -p "$IMGDIR"
  local L=$IMGDIR/listing
  busybox_layout "$L" docker.io/library/alpha:1 --created 2026-01-01T00:00:00Z
  busybox_layout "$L" docker.io/library/alpha:2 --created 2026-02-01T00:00:00Z
  busybox_layout "$L" docker.io/acme/beta:latest --created 2026-03-01T00:00:00Z \
    --empty-step 'CMD ["/bin/sh"]' --empty-step 'ENV A=1'
  tar -C "$L" -cf "$IMGDIR/listing.tar" .
}

teardown_file() { servers_stop; }

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  export BERTH_ROOT
  berth load -i "$IMGDIR/listing.tar" >/dev/null
}

teardown() {
  local ids
  ids=$(berth ps -aq --no-trunc 2>/dev/null)
  [ -z "$ids" ] || berth rm -f $ids >/dev/null 2>&1
  return 0
}

id_of() { berth image inspect "$1" | jq -r '.[0].Id'; }
# REPOSITORY:TAG of each row, sorted.
rows() { berth images "$@" | awk 'NR > 1 {print $1 ":" $2}' | sort | tr '\n' ' '; }

@test "images REPO[:TAG]: only matching names, globs as Docker" {
  [ "$(rows)" = "acme/beta:latest alpha:1 alpha:2 " ]
  [ "$(rows alpha)" = "alpha:1 alpha:2 " ]
  [ "$(rows alpha:1)" = "alpha:1 " ]
  [ "$(rows docker.io/library/alpha:1)" = "alpha:1 " ]
  [ "$(rows 'alph?:*')" = "alpha:1 alpha:2 " ]
  [ "$(rows 'acme/*')" = "acme/beta:latest " ]
  # * does not cross a slash (Go's path.Match).
  [ "$(rows '*')" = "alpha:1 alpha:2 " ]
  run berth images nosuch
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  # An image with two names shows only the matching one.
  berth tag alpha:1 gamma:1
  [ "$(rows gamma)" = "gamma:1 " ]
  [ "$(berth images -q alpha:1)" = "$(berth images -q gamma)" ]
}

@test "images --filter: dangling, label, before, since, reference" {
  a1=$(id_of alpha:1)
  # Moving alpha:2's only name away leaves its image dangling.
  a2=$(id_of alpha:2)
  berth tag alpha:1 alpha:2
  [ "$(berth images -q --no-trunc --filter dangling=true)" = "$a2" ]
  [ "$(berth images -q --filter dangling=false | sort -u | wc -l)" -eq 2 ]
  [ "$(rows --filter dangling=true)" = "<none>:<none> " ]
  [ "$(rows --filter label=berth.test=docker.io/acme/beta:latest)" = "acme/beta:latest " ]
  [ "$(berth images -q --filter label=berth.test | sort -u | wc -l)" -eq 3 ]
  [ -z "$(rows --filter label=nosuch)" ]
  [ "$(rows --filter before=acme/beta)" = "<none>:<none> alpha:1 alpha:2 " ]
  [ "$(rows --filter since=alpha:1)" = "<none>:<none> acme/beta:latest " ]
  [ "$(rows --filter since=alpha:1 --filter before=acme/beta)" = "<none>:<none> " ]
  [ "$(rows --filter reference='*/beta')" = "acme/beta:latest " ]
  [ "$(rows --filter reference=alpha:1 --filter reference=acme/beta)" = "acme/beta:latest alpha:1 " ]
  [ "$(rows -a --digests alpha:1 | awk '{print $1}')" = "alpha:1" ]
  run berth images --filter bogus=1
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid filter 'bogus'"* ]]
  run berth images --filter dangling=maybe
  [ "$status" -eq 125 ]
  run berth images --filter before=nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such image: nosuch"* ]]
}

@test "rmi of a name shared by two images' names untags only; the last name deletes" {
  id=$(id_of alpha:1)
  berth tag alpha:1 gamma:1
  run berth rmi gamma:1
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/library/gamma:1" ]
  [ "$(id_of alpha:1)" = "$id" ]
  # Docker's lines: the name, the image, then each layer only it had
  # (the top one, with alpha:1's marker; the base is shared).
  top=$(berth image inspect alpha:1 | jq -r '.[0].Layers[-1].ChainID')
  run berth rmi alpha:1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Untagged: docker.io/library/alpha:1" ]
  [ "${lines[1]}" = "Deleted: $id" ]
  [ "${lines[2]}" = "Deleted: $top" ]
  [ "${#lines[@]}" -eq 3 ]
  run berth image inspect "$id"
  [ "$status" -ne 0 ]
}

@test "rmi by id: names in two repositories need -f; -f removes them all" {
  id=$(id_of alpha:2)
  berth tag alpha:2 delta:1
  run berth rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"image is referenced in multiple repositories"* ]]
  [ "$(id_of delta:1)" = "$id" ]
  top=$(berth image inspect alpha:2 | jq -r '.[0].Layers[-1].ChainID')
  run berth rmi -f "${id:7:12}"
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/library/alpha:2
Untagged: docker.io/library/delta:1
Deleted: $id
Deleted: $top" ]
}

@test "rmi and containers: the last name needs -f; -f untags and keeps the image" {
  id=$(id_of acme/beta)
  berth create --name user acme/beta true >/dev/null
  run berth rmi acme/beta
  [ "$status" -eq 1 ]
  [[ "$output" == *"(must force) - container"*"is using its referenced image ${id:7:12}"* ]]
  run berth rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"image is being used by stopped container"* ]]
  run berth rmi -f acme/beta
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/acme/beta:latest" ]
  [ "$(berth images -q --no-trunc --filter dangling=true)" = "$id" ]
}

@test "rmi -f of a missing image exits 0 (error on stderr); without -f 1" {
  run berth rmi -f nosuch
  [ "$status" -eq 0 ]
  [ "$output" = "berth: No such image: nosuch" ]
  # The others are still removed, and the status is still 0.
  run berth rmi -f nosuch alpha:1
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: sha256:"* ]]
  run berth rmi nosuch alpha:2
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such image: nosuch"* ]]
  [[ "$output" == *"Deleted: sha256:"* ]]
  # A prefix too short to be an id is a name that does not exist.
  run berth rmi -f ab
  [ "$status" -eq 0 ]
}

@test "history: rows as the config's history, sizes of the layers that made them" {
  id=$(id_of acme/beta)
  hlen=$(berth image inspect acme/beta | jq '.[0].History | length')
  [ "$hlen" -eq 4 ]
  run berth history -H=false acme/beta
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(( ${#lines[@]} - 1 ))" -eq "$hlen" ]
  # Newest first: the two empty steps (0 bytes), then the two layers.
  [[ "${lines[1]}" == "${id:7:12} "*"ENV A=1"*" 0 "* ]]
  [[ "${lines[2]}" == "<missing> "*'CMD ["/bin/sh"]'*" 0 "* ]]
  l1=$(berth image inspect acme/beta | jq '.[0].Layers[1].UnpackedSize')
  l0=$(berth image inspect acme/beta | jq '.[0].Layers[0].UnpackedSize')
  [[ "${lines[3]}" == "<missing> "*"ociimg.py layer 1"*" $l1 "* ]]
  [[ "${lines[4]}" == "<missing> "*"ociimg.py layer 0"*" $l0 "* ]]
  run berth history -q acme/beta
  [ "$output" = "${id:7:12}
<missing>
<missing>
<missing>" ]
}

@test "pull and push are image events" {
  registry_start REG
  python3 "$TESTLIB/ociimg.py" layout "$IMGDIR/ev" --ref ev "$IMGDIR/layers/rootfs" >/dev/null
  skopeo_push "$IMGDIR/ev" ev "$REG_ADDR/test/ev:1"
  berth pull -q "$REG_ADDR/test/ev:1" >/dev/null
  berth tag "$REG_ADDR/test/ev:1" "$REG_ADDR/test/ev:2"
  berth push -q "$REG_ADDR/test/ev:2" >/dev/null
  run berth events --since 1m --until 0s --filter type=image
  echo "$output"
  grep -q " image pull $REG_ADDR/test/ev:1 (name=$REG_ADDR/test/ev:1)$" <<<"$output"
  grep -q " image push $REG_ADDR/test/ev:2 (name=$REG_ADDR/test/ev:2)$" <<<"$output"
  run berth events --since 1m --until 0s --filter type=image --filter event=pull
  [ "${#lines[@]}" -eq 1 ]
}
