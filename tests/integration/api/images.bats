#!/usr/bin/env bats
# Images through the Engine API: the docker CLI (28.x and Debian's 20.10)
# pulls from and pushes to a real docker-registry on 127.0.0.1 with
# Docker's progress, lists, inspects, tags, removes, prunes, saves and
# loads; curl checks the errors and that a failed request leaves nothing.

load api
load img_registry

REG_PORT=19301

setup_file() {
  api_setup_file
  REG_DIR=$API_DIR/registry
  img_registry_start "$REG_DIR" "$REG_PORT"
  REG=127.0.0.1:$REG_PORT
  export REG REG_DIR
  # An image the service's root does not have: bb's files and a marker
  # layer, made in a root of its own and pushed there.
  SIDE=$(mktemp -d /tmp/bapi-side.XXXXXX)
  export SIDE
  mkdir -p "$SIDE/rootfs"
  tar -C "$SIDE/rootfs" -xf "$BATS_FILE_TMPDIR/bb.tar"
  echo marked >"$SIDE/rootfs/marker"
  dd if=/dev/urandom of="$SIDE/rootfs/blob" bs=1M count=3 2>/dev/null
  tar -C "$SIDE/rootfs" -cf "$SIDE/marked.tar" .
  "$BERTH" --root "$SIDE/root" import -c 'CMD ["/bin/sh"]' \
    "$SIDE/marked.tar" "$REG/marked:latest" >/dev/null
  "$BERTH" --root "$SIDE/root" push -q "$REG/marked:latest" >/dev/null
}

teardown_file() {
  img_registries_stop "$API_DIR"
  rm -rf "$SIDE"
  api_teardown_file
}

teardown() {
  engine_teardown
  img_registries_stop
}

image_id() { berth image inspect --format '{{.Id}}' "$1"; }

@test "docker pull: Docker's progress reaches the CLI and the image runs" {
  run dk pull "$REG/marked"
  [ "$status" -eq 0 ]
  [[ "$output" == *"latest: Pulling from marked"* ]]
  [[ "$output" == *"Pull complete"* ]]
  [[ "$output" == *"Digest: sha256:"* ]]
  [[ "$output" == *"Status: Downloaded newer image for $REG/marked:latest"* ]]
  # The raw stream: every layer line of Docker's shape, Downloading with
  # its counts.
  run api -X POST "/images/create?fromImage=$REG/marked&tag=latest"
  [ "$(api_status)" = 200 ]
  api_body | jq -e 'select(.status == "Status: Image is up to date for '"$REG"'/marked:latest")'
  # Up to date: nothing said of its layers, as Docker.
  api_body | jq -e -s 'map(select(.id != null and .id != "latest")) | length == 0'
  # A new name for layers this root has: each "Already exists".
  berth push -q bb "$REG/copy:1" >/dev/null
  run api -X POST "/images/create?fromImage=$REG/copy&tag=1"
  [ "$(api_status)" = 200 ]
  api_body | jq -e -s 'map(select(.status == "Already exists")) | length == 1'
  api_body | jq -e -s '.[-1].status == "Status: Downloaded newer image for '"$REG"'/copy:1"'
  dk rmi "$REG/copy:1" >/dev/null
  # The image runs and has its marker.
  run berth run --rm "$REG/marked" cat /marker
  [ "$status" -eq 0 ]
  [ "$output" = marked ]
  # Debian's 20.10 client reads the same stream.
  dk rmi "$REG/marked" >/dev/null
  run dk20 pull "$REG/marked:latest"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Pull complete"* ]] || [[ "$output" == *"Already exists"* ]]
  [[ "$output" == *"Status: Downloaded newer image for $REG/marked:latest"* ]]
}

@test "pull progress: Pulling fs layer, Downloading with counts, Extracting, Pull complete" {
  dk rmi -f "$REG/marked" >/dev/null 2>&1 || true
  run api -X POST "/images/create?fromImage=$REG/marked&tag=latest"
  [ "$(api_status)" = 200 ]
  body=$(api_body)
  jq -e -s 'map(select(.status == "Pulling from marked" and .id == "latest")) | length == 1' <<<"$body"
  jq -e -s 'map(select(.status == "Pulling fs layer")) | length >= 1' <<<"$body"
  jq -e -s 'map(select(.status == "Downloading")) | .[-1].progressDetail.current == .[-1].progressDetail.total and .[-1].progressDetail.total > 3000000' <<<"$body"
  jq -e -s 'map(select(.status == "Extracting")) | length >= 1' <<<"$body"
  jq -e -s 'map(select(.status == "Pull complete")) | length >= 1' <<<"$body"
  jq -e -s '.[-1].status | startswith("Status: Downloaded newer image")' <<<"$body"
}

@test "docker images, inspect, history and tag (both clients)" {
  id=$(image_id bb)
  run dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  [ "$status" -eq 0 ]
  [[ "$output" == *"bb:latest ${id:7:12}"* ]]
  run dk20 images --no-trunc -q bb
  [ "$output" = "$id" ]
  [ "$(dk image inspect -f '{{.Id}} {{.Os}}' bb)" = "$id linux" ]
  [ "$(dk20 inspect -f '{{index .RepoTags 0}}' bb)" = bb:latest ]
  run dk history --no-trunc --format '{{.ID}}' bb
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$id" ]
  dk tag bb extra/bb:one
  dk20 tag bb extra/bb:two
  [ "$(image_id extra/bb:one)" = "$id" ]
  [ "$(image_id extra/bb:two)" = "$id" ]
  run api "/images/json?filters=%7B%22reference%22%3A%5B%22extra%2Fbb%22%5D%7D"
  [ "$(api_status)" = 200 ]
  [ "$(api_body | jq -c '.[0].RepoTags | sort')" = '["extra/bb:one","extra/bb:two"]' ]
  api_body | jq -e '.[0].SharedSize == -1 and .[0].Containers == -1 and .[0].Size > 0 and .[0].Created > 0'
  dk rmi extra/bb:one >/dev/null
  run dk20 rmi extra/bb:two
  [ "$status" -eq 0 ]
  [[ "$output" == *"Untagged: extra/bb:two"* ]]
  run berth images -q extra/bb
  [ -z "$output" ]
  [ "$(image_id bb)" = "$id" ] # untagging kept the image
}

@test "rmi of an image a container uses is 409, -f untags it" {
  run dk pull -q "$REG/marked"
  [ "$status" -eq 0 ]
  id=$(image_id "$REG/marked")
  berth create --name img-user "$REG/marked" true >/dev/null
  run api -X DELETE "/images/$REG/marked"
  [ "$(api_status)" = 409 ]
  api_body | jq -e '.message | test("container")'
  run dk rmi "$REG/marked"
  [ "$status" -ne 0 ]
  [ "$(image_id "$REG/marked")" = "$id" ]
  run dk rmi -f "$REG/marked"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Untagged: $REG/marked:latest"* ]]
  run berth images -q "$REG/marked"
  [ -z "$output" ]
  berth rm img-user >/dev/null
}

@test "image prune: dangling images go, a label filter keeps the others" {
  "$BERTH" --root "$BERTH_ROOT" import "$BATS_FILE_TMPDIR/bb.tar" >"$BATS_TEST_TMPDIR/id"
  id=$(tail -n 1 "$BATS_TEST_TMPDIR/id")
  berth image inspect "$id" >/dev/null
  # A label no image has: nothing goes.
  run api -X POST "/images/prune?filters=%7B%22label%22%3A%5B%22nope%3D1%22%5D%7D"
  [ "$(api_status)" = 200 ]
  api_body | jq -e '.ImagesDeleted == null'
  berth image inspect "$id" >/dev/null
  run dk image prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"deleted: $id"* ]]
  # -a with a label: only the labelled unused image goes, named as Docker
  # names it.
  printf 'FROM bb\nLABEL prune.me=yes\n' | berth build -q -t prunable:1 - >/dev/null
  run dk image prune -a -f --filter label=prune.me=yes
  [ "$status" -eq 0 ]
  [[ "$output" == *"untagged: prunable:1"* ]]
  run berth image inspect prunable:1
  [ "$status" -ne 0 ]
  run berth image inspect "$id"
  [ "$status" -ne 0 ]
  berth image inspect bb >/dev/null # tagged: kept
}

@test "docker push to the registry; a fresh berth root pulls it" {
  dk tag bb "$REG/pushed:v1"
  run dk push "$REG/pushed:v1"
  [ "$status" -eq 0 ]
  [[ "$output" == *"The push refers to repository [$REG/pushed]"* ]]
  [[ "$output" == *"v1: digest: sha256:"* ]]
  run api -X POST -H "X-Registry-Auth: e30=" "/images/$REG/pushed/push?tag=v1"
  [ "$(api_status)" = 200 ]
  api_body | jq -e -s 'map(select(.status == "Layer already exists")) | length >= 1'
  api_body | jq -e -s 'map(select(.aux.Tag == "v1" and (.aux.Digest | startswith("sha256:")) and .aux.Size > 0)) | length == 1'
  fresh=$(mktemp -d /tmp/bapi-fresh.XXXXXX)
  run "$BERTH" --root "$fresh" pull -q "$REG/pushed:v1"
  rid=$("$BERTH" --root "$fresh" image inspect --format '{{.Id}}' "$REG/pushed:v1")
  rm -rf "$fresh"
  [ "$status" -eq 0 ]
  [ "$rid" = "$(image_id bb)" ]
  dk20 tag bb "$REG/pushed:v2"
  run dk20 push "$REG/pushed:v2"
  [ "$status" -eq 0 ]
  [[ "$output" == *"v2: digest: sha256:"* ]]
  curl -sf "http://$REG/v2/pushed/tags/list" | jq -e '.tags | sort == ["v1","v2"]'
  # No tag: every local tag of the repository, as docker push --all-tags.
  dk tag bb "$REG/pushed:v3"
  run dk push --all-tags "$REG/pushed"
  [ "$status" -eq 0 ]
  [[ "$output" == *"v1: digest: sha256:"* ]]
  [[ "$output" == *"v3: digest: sha256:"* ]]
  curl -sf "http://$REG/v2/pushed/tags/list" | jq -e '.tags | sort == ["v1","v2","v3"]'
  run api -X POST "/images/$REG/pushed/push?tag=v9"
  [ "$(api_status)" = 404 ]
  [ "$(api_body | jq -r .message)" = "An image does not exist locally with the tag: $REG/pushed:v9" ]
  dk rmi "$REG/pushed:v1" "$REG/pushed:v2" "$REG/pushed:v3" >/dev/null
}

@test "docker save | docker load: the same image id" {
  run dk pull -q "$REG/marked"
  [ "$status" -eq 0 ]
  id=$(image_id "$REG/marked")
  dk save "$REG/marked" >"$BATS_TEST_TMPDIR/m.tar"
  tar -tf "$BATS_TEST_TMPDIR/m.tar" | grep -qx manifest.json
  dk rmi "$REG/marked" >/dev/null
  run berth image inspect "$id"
  [ "$status" -ne 0 ]
  run dk load -i "$BATS_TEST_TMPDIR/m.tar"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: $REG/marked:latest"* ]]
  [ "$(image_id "$REG/marked")" = "$id" ]
  # Debian's client, and several names at once (GET /images/get?names=).
  dk20 save -o "$BATS_TEST_TMPDIR/two.tar" bb "$REG/marked"
  dk rmi "$REG/marked" >/dev/null
  run dk20 load -i "$BATS_TEST_TMPDIR/two.tar"
  [ "$status" -eq 0 ]
  [ "$(image_id "$REG/marked")" = "$id" ]
  run berth run --rm "$REG/marked" cat /marker
  [ "$output" = marked ]
  dk rmi "$REG/marked" >/dev/null
}

@test "errors: missing image, unknown rmi, bad X-Registry-Auth, a dead registry; nothing left, the service serves" {
  before=$(berth images -q --no-trunc | sort)
  run api -X POST "/images/create?fromImage=$REG/missing&tag=latest"
  [ "$(api_status)" = 404 ]
  api_body | jq -e '.message | test("missing")'
  run dk pull "$REG/missing"
  [ "$status" -ne 0 ]
  run api -X DELETE "/images/nope:1"
  [ "$(api_status)" = 404 ]
  [ "$(api_body | jq -r .message)" = "No such image: nope:1" ]
  run api -X POST -H "X-Registry-Auth: %%%not-base64" "/images/create?fromImage=$REG/marked&tag=latest"
  [ "$(api_status)" = 400 ]
  api_body | jq -e '.message | test("X-Registry-Auth")'
  run api -X POST -H "X-Registry-Auth: $(printf '[1]' | base64)" "/images/create?fromImage=$REG/marked&tag=latest"
  [ "$(api_status)" = 400 ]
  run api -X POST "/images/create?fromImage=Bad%20Name"
  [ "$(api_status)" = 400 ]
  # A registry nobody listens on (port 19302 is this file's, unused).
  run api -X POST "/images/create?fromImage=127.0.0.1:19302/x&tag=latest"
  [ "$(api_status)" -ge 400 ]
  api_body | jq -e '.message'
  run api -X POST "/images/nope/push?tag=1"
  [ "$(api_status)" = 404 ]
  [ "$(berth images -q --no-trunc | sort)" = "$before" ]
  run api /_ping
  [ "$(api_status)" = 200 ]
}

@test "import with fromSrc=-: the body is the root filesystem" {
  run api -X POST --data-binary "@$BATS_FILE_TMPDIR/bb.tar" \
    -H 'Content-Type: application/x-tar' "/images/create?fromSrc=-&repo=imported&tag=1"
  [ "$(api_status)" = 200 ]
  id=$(api_body | jq -r .status)
  [ "$(image_id imported:1)" = "$id" ]
  run berth run --rm imported:1 /bin/sh -c 'echo ok'
  [ "$output" = ok ]
  dk rmi imported:1 >/dev/null
  # docker import sends the file and its --change instructions.
  run dk import -c 'CMD ["/bin/echo", "from-change"]' -c 'ENV A=1' \
    "$BATS_FILE_TMPDIR/bb.tar" imported:2
  [ "$status" -eq 0 ]
  [ "$(berth image inspect --format '{{json .Config.Cmd}} {{json .Config.Env}}' imported:2)" = '["/bin/echo","from-change"] ["A=1"]' ]
  run berth run --rm imported:2
  [ "$output" = from-change ]
  run api -X POST --data-binary "@$BATS_FILE_TMPDIR/bb.tar" "/images/create?fromSrc=-&repo=imported&tag=3&changes=RUN%20true"
  [ "$(api_status)" = 400 ]
  run berth image inspect imported:3
  [ "$status" -ne 0 ]
  dk rmi imported:2 >/dev/null
}

@test "X-Registry-Auth: docker login's credentials pull from a registry that wants them" {
  local dir=$API_DIR/authreg port=19303
  img_registry_start "$dir" "$port" auth
  "$BERTH" --root "$BERTH_ROOT" push -q --authfile "$(img_registry_authfile "$dir" "$port")" \
    bb "127.0.0.1:$port/secret/bb:1" >/dev/null
  # Without credentials the registry refuses.
  run dk pull "127.0.0.1:$port/secret/bb:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"requires authentication"* ]]
  # Wrong ones, sent by curl as Docker's base64url JSON: refused too.
  bad=$(printf '{"username":"alice","password":"nope"}' | base64 -w0 | tr '+/' '-_')
  run api -X POST -H "X-Registry-Auth: $bad" "/images/create?fromImage=127.0.0.1:$port/secret/bb&tag=1"
  [ "$(api_status)" -ge 400 ]
  run berth image inspect "127.0.0.1:$port/secret/bb:1"
  [ "$status" -ne 0 ]
  echo s3cret | dk login -u alice --password-stdin "127.0.0.1:$port"
  run dk pull "127.0.0.1:$port/secret/bb:1"
  img_registry_stop "$dir"
  dk logout "127.0.0.1:$port" >/dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"Status: "* ]]
  [ "$(image_id "127.0.0.1:$port/secret/bb:1")" = "$(image_id bb)" ]
  dk rmi "127.0.0.1:$port/secret/bb:1" >/dev/null
}
