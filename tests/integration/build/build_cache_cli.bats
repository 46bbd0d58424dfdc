#!/usr/bin/env bats
# The builder's step images and cache as the CLI shows them, without a
# Dockerfile: tests/build/stepimage drives src/build/build_image.h (a
# created container's layer, a step image on a parent, cache entries),
# and berth run/history/inspect/images/image prune/builder prune/system
# df are checked on the result.

bats_require_minimum_version 1.5.0
load ../engine/engine

STEPIMAGE=${STEPIMAGE:-$REPO/build/tests/build/stepimage}

# A fresh root per test: listings and prunes see only this test's images.
setup() { engine_setup_file; }
teardown() { engine_teardown_file; }

step() { "$STEPIMAGE" "$BERTH_ROOT" "$@"; }
id_of() { berth inspect -f '{{.Id}}' "$1"; }
exists() { berth image inspect "$1" >/dev/null 2>&1; }
gone() { ! berth image inspect "$1" >/dev/null 2>&1; }
count() { find "$BERTH_ROOT/$1" -mindepth 1 -maxdepth 1 | wc -l; }
BUSYBOX() { echo "$BERTH_RUN_DIR/base/rootfs/bin/busybox"; }

@test "a step image from a container's layer: run, history, inspect" {
  berth run --name src bb sh -c 'rm /etc/group; echo made >/made'
  layer=$(step layer src 1000)
  # The same upper dir gives the same layer (sorted, clamped mtimes).
  [ "$(step layer src 1000)" = "$layer" ]
  bb=$(id_of bb)
  id=$(step image "$bb" '{"Cmd":["cat","/made"],"Env":["PATH=/bin"]}' \
    'RUN /bin/sh -c made' $layer 1000)
  run berth run --rm "$id"
  [ "$status" -eq 0 ]
  [ "$output" = made ]
  # The deletion travelled as a whiteout; the container's root (a host
  # id of its user namespace) is the image's root again, and the mtime
  # is SOURCE_DATE_EPOCH's.
  run berth run --rm "$id" sh -c 'test ! -e /etc/group && stat -c "%u:%g %Y" /made'
  [ "$output" = "0:0 1000" ]
  # Control: on the host the file belongs to the container's mapped root.
  upper=$BERTH_ROOT/containers/$(id_of src)/upper
  [ "$(stat -c %u "$upper/made")" != 0 ]
  # The engine's mount points for /etc/hosts and resolv.conf (bb has
  # none) are in the upper dir, not in the layer.
  [ -f "$upper/etc/hosts" ]
  [ -f "$upper/etc/resolv.conf" ]
  blob=$BERTH_ROOT/blobs/sha256/${layer:7:64}
  files=$(tar -tf "$blob")
  [[ "$files" == *made* && "$files" == *etc/.wh.group* ]]
  [[ "$files" != *etc/hosts* && "$files" != *resolv.conf* ]]
  run berth history --no-trunc "$id"
  [[ "${lines[1]}" == *"RUN /bin/sh -c made"* ]]
  [[ "${lines[2]}" == *"berth import"* ]]
  run berth inspect "$id"
  [ "$(jq -r '.[0].Parent' <<<"$output")" = "$bb" ]
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 2 ]
  [ "$(jq -r '.[0].RootFS.Layers[1]' <<<"$output")" = "${layer% *}" ]
  [ "$(jq -r '.[0].Created' <<<"$output")" = 1970-01-01T00:16:40.000000000Z ]
  [ "$(jq -r '.[0].History[-1].empty_layer' <<<"$output")" = null ]
  # A config-only step: no layer, an empty_layer history entry.
  env=$(step image "$id" '{"Cmd":["sh","-c","echo $A"],"Env":["A=1"]}' 'ENV A=1')
  run berth run --rm "$env"
  [ "$output" = 1 ]
  run berth inspect "$env"
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 2 ]
  [ "$(jq -r '.[0].History[-1].empty_layer' <<<"$output")" = true ]
}

@test "a step image refuses a missing parent or layer, and adds nothing" {
  blobs=$(count blobs/sha256)
  run -1 step image sha256:0000000000000000000000000000000000000000000000000000000000000000 '{}' 'ENV A=1'
  [[ "$output" == *"No such image"* ]]
  run -1 step image "$(id_of bb)" '{}' 'RUN x' \
    sha256:0000000000000000000000000000000000000000000000000000000000000001 10
  [[ "$output" == *"layer"* ]]
  [ "$(count blobs/sha256)" -eq "$blobs" ]
  [ "$(berth images -aq | wc -l)" -eq 1 ]
}

@test "FROM scratch: a zero-layer image runs and takes a first COPY" {
  z=$(step image scratch '{"Cmd":["/busybox","echo","zero"]}' 'FROM scratch')
  run berth inspect "$z"
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 0 ]
  run berth run --rm -v "$(BUSYBOX):/busybox:ro" "$z"
  [ "$status" -eq 0 ]
  [ "$output" = zero ]
  # The builder's COPY: a created container of the scratch image, files
  # written into its root (cp mounts it privately), its layer.
  berth create --name first "$z" >/dev/null
  berth cp "$(BUSYBOX)" first:/busybox
  [ "$(berth export first | tar t)" = busybox ]
  layer=$(step layer first)
  one=$(step image "$z" '{"Cmd":["/busybox","echo","one layer"]}' \
    'COPY busybox /' $layer)
  run berth run --rm "$one"
  [ "$status" -eq 0 ]
  [ "$output" = "one layer" ]
  run berth history "$one"
  [[ "${lines[1]}" == *"COPY busybox /"* ]]
  [[ "${lines[2]}" == *"FROM scratch"*0B* ]]
}

@test "images hides intermediate step images; -a lists them" {
  bb=$(id_of bb)
  s1=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  s2=$(step image "$s1" '{"Env":["A=1"],"Cmd":["true"]}' 'CMD true')
  berth tag "$s2" final:1
  run berth images -q --no-trunc
  [[ "$output" == *"$s2"* ]]
  [[ "$output" != *"$s1"* ]]
  run berth images -aq --no-trunc
  [[ "$output" == *"$s1"* ]]
  [[ "$output" == *"$s2"* ]]
  [[ "$output" == *"$bb"* ]]
  # An untagged build result (no child) is listed, as <none>.
  s3=$(step image "$s1" '{"Cmd":["false"]}' 'CMD false')
  run berth images
  [[ "$output" == *"<none>"*"${s3:7:12}"* ]]
  [[ "$output" != *"${s1:7:12}"* ]]
  # Naming an intermediate image lists it.
  berth tag "$s1" mid:1
  run berth images -q --no-trunc
  [[ "$output" == *"$s1"* ]]
}

@test "image prune (even -a) leaves build cache to builder prune" {
  berth create --name keepbb bb >/dev/null # bb stays through prune -a
  bb=$(id_of bb)
  s1=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  s2=$(step image "$s1" '{"Cmd":["true"]}' 'CMD true')
  step put k1 "$s1"
  step put k2 "$s2"
  # A dangling image no build made.
  berth run --name c bb true
  plain=$(berth commit c)
  run berth image prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $plain"* ]]
  [[ "$output" != *"$s1"* && "$output" != *"$s2"* ]]
  berth tag "$s2" final:1
  run berth image prune -a -f
  [ "$status" -eq 0 ]
  # The named image goes with -a (its cache entry with it), the
  # unnamed step image stays, still a cache hit.
  gone "$s2"
  exists "$s1"
  run step get k1
  [ "$status" -eq 0 ]
  [ "$output" = "$s1" ]
  run -3 step get k2
}

@test "builder prune: unnamed builds; -a all but what containers use" {
  bb=$(id_of bb)
  # Build 1, tagged: bb -> a -> b = t:1.  Build 2, untagged: bb -> c
  # (a layer) -> d.
  a=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  b=$(step image "$a" '{"Cmd":["true"]}' 'CMD true')
  berth tag "$b" t:1
  berth run --name w bb sh -c 'head -c 100000 /dev/zero >/big'
  c=$(step image "$bb" '{}' 'RUN big' $(step layer w))
  d=$(step image "$c" '{"Cmd":["false"]}' 'CMD false')
  for k in a b c d; do step put "k$k" "${!k}"; done
  snaps=$(count snapshots)
  run berth builder prune -f
  [ "$status" -eq 0 ]
  # Docker's report: the objects, a blank line, the space.
  [ "${lines[0]}" = "Deleted build cache objects:" ]
  [[ "$output" == *"$c"* && "$output" == *"$d"* ]]
  [[ "$output" != *"$a"* ]]
  [[ "$output" == *$'\n\nTotal reclaimed space: '* ]]
  # c's 100 kB layer: its blob and its snapshot.
  [[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ ([0-9.]+)kB$ ]]
  awk -v kb="${BASH_REMATCH[1]}" 'BEGIN { exit !(kb >= 200) }'
  gone "$c"
  gone "$d"
  exists "$a"
  exists "$b"
  # c's layer went with it: blob and snapshot collected.
  [ "$(count snapshots)" -eq $((snaps - 1)) ]
  run -3 step get kc
  # -a: all of it but the image a container was created from.
  berth create --name user "$a" >/dev/null
  run berth builder prune -a -f
  [ "$status" -eq 0 ]
  [[ "$output" != *"$a"* ]]
  exists "$a"
  exists "$b"
  step get ka
  run -3 step get kb # a named image's entry goes, the image stays
  berth rm user
  run berth builder prune -a -f
  [[ "$output" == *"$a"* ]]
  gone "$a"
  run berth builder prune -f
  [ "$output" = "Total reclaimed space: 0B" ]
}

@test "builder prune asks first, takes no arguments; system df counts the cache" {
  s1=$(step image "$(id_of bb)" '{"Env":["A=1"]}' 'ENV A=1')
  step put k "$s1"
  run berth builder prune <<<"n"
  [ "$status" -eq 0 ]
  exists "$s1"
  run -125 berth builder prune extra
  [[ "$output" == *"takes no arguments"* ]]
  run berth system df
  [[ "${lines[1]}" =~ ^Images\ +1\ +0 ]]
  [[ "${lines[4]}" =~ ^Build\ Cache\ +1\ +0\ +0B ]]
  run berth system df -v
  [[ "$output" == *"${s1:7:12}"*regular* ]]
  run berth system prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted build cache objects:"*"$s1"* ]]
  gone "$s1"
}

@test "rmi of the last name deletes untagged parents nothing else needs, and their cache entries; --no-prune keeps them" {
  bb=$(id_of bb)
  # bb -> a -> b -> c = t:1; a -> d = u:1 (a has two children).
  a=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  b=$(step image "$a" '{"Env":["A=1","B=2"]}' 'ENV B=2')
  c=$(step image "$b" '{"Cmd":["true"]}' 'CMD true')
  d=$(step image "$a" '{"Cmd":["false"]}' 'CMD false')
  berth tag "$c" t:1
  berth tag "$d" u:1
  for k in a b c d; do step put "k$k" "${!k}"; done
  run berth rmi t:1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "Untagged: "*t:1 ]]
  [ "${lines[1]}" = "Deleted: $c" ]
  [[ "$output" == *"Deleted: $b"* ]]
  [[ "$output" != *"$a"* && "$output" != *"$bb"* ]]
  gone "$c"
  gone "$b"
  exists "$a" # d's parent
  exists bb   # named
  # No cache entry names a deleted image; a's is still a hit.
  run -3 step get kb
  run -3 step get kc
  [ "$(step get ka)" = "$a" ]
  run berth images -a
  [[ "$output" != *"<none>"*"${b:7:12}"* ]]
  # With d gone, a has no child left: it goes too, bb (named) stays.
  run berth rmi u:1
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $d"* && "$output" == *"Deleted: $a"* ]]
  gone "$a"
  exists bb
  run -3 step get ka
  # --no-prune: only the image.
  a=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  b=$(step image "$a" '{"Cmd":["true"]}' 'CMD true')
  berth tag "$b" t:2
  run berth rmi --no-prune t:2
  [ "$status" -eq 0 ]
  gone "$b"
  exists "$a"
  # A tagged parent, and one a container was created from, stay.
  b=$(step image "$a" '{"Cmd":["true"]}' 'CMD true')
  berth tag "$b" t:3
  berth tag "$a" mid:1
  run berth rmi t:3
  [[ "$output" != *"$a"* ]]
  exists "$a"
  berth rmi mid:1 >/dev/null # its last name: a goes (no child left)
  gone "$a"
  a=$(step image "$bb" '{"Env":["A=1"]}' 'ENV A=1')
  b=$(step image "$a" '{"Cmd":["true"]}' 'CMD true')
  berth tag "$b" t:4
  berth create --name user "$a" >/dev/null
  run berth rmi t:4
  [[ "$output" != *"$a"* ]]
  exists "$a"
  berth rm user
}

@test "berth build, rmi, build again: the steps run again and the image works" {
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX"
  printf 'FROM bb\nRUN echo one >/one\nRUN echo two >/two\nCMD ["cat", "/one", "/two"]\n' >"$CTX/Dockerfile"
  berth build -q -t rb:1 "$CTX" >/dev/null
  [ "$(berth images -aq | wc -l)" -gt 2 ] # bb, rb:1 and its step images
  run berth rmi rb:1
  [ "$status" -eq 0 ]
  # Only bb is left: no <none> step image.
  [ "$(berth images -aq --no-trunc)" = "$(id_of bb)" ]
  run berth build -t rb:1 "$CTX"
  [ "$status" -eq 0 ]
  # Only FROM is CACHED (as BuildKit says of a base image).
  [ "$(grep -c '^#[0-9]* CACHED$' <<<"$output")" -eq 1 ]
  [ "$(berth run --rm rb:1)" = "$(printf 'one\ntwo')" ]
  # And a third build is all cache again.
  run berth build -t rb:1 "$CTX"
  [ "$(grep -c '^#[0-9]* CACHED$' <<<"$output")" -eq 3 ]
}
