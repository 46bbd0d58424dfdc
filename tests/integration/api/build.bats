#!/usr/bin/env bats
# POST /build: docker build with the classic builder's JSON stream
# (docker CLI 28 with DOCKER_BUILDKIT=0 and by default, since /_ping says
# Builder-Version 1 and no buildx is installed; Debian's 20.10 client),
# tags, build args, a failing RUN that leaves nothing, and a hostile
# context tar refused with nothing written outside.

load api
load img_registry

setup_file() { api_setup_file; }
teardown_file() { api_teardown_file; }
teardown() {
  engine_teardown
  img_registries_stop
}

ctx() {
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX"
  echo "from the context" >"$CTX/file.txt"
  printf 'FROM bb\nCOPY file.txt /in/file.txt\nRUN cat /in/file.txt > /in/copy && echo built-ok\n' >"$CTX/Dockerfile"
}

no_leftovers() {
  [ -z "$(berth ps -aq)" ]
  run berth images -q "$1"
  [ -z "$output" ]
}

@test "DOCKER_BUILDKIT=0 docker build: classic steps, two tags, the image runs with the file" {
  ctx
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-b1:one -t api-b1:two "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Step 1/3 : FROM "*bb* ]]
  [[ "$output" == *"Step 3/3 : RUN cat /in/file.txt"* ]]
  [[ "$output" == *built-ok* ]]
  [[ "$output" == *"Successfully built "* ]]
  [[ "$output" == *"Successfully tagged api-b1:one"* ]]
  [[ "$output" == *"Successfully tagged api-b1:two"* ]]
  id=$(berth image inspect --format '{{.Id}}' api-b1:one)
  [ "$(berth image inspect --format '{{.Id}}' api-b1:two)" = "$id" ]
  [[ "$output" == *"Successfully built ${id:7:12}"* ]]
  # Each step ends with the image it left; the base's is bb's.
  [[ "$output" == *" ---> ${id:7:12}"* ]]
  bb=$(berth image inspect --format '{{.Id}}' bb)
  [[ "$output" == *"FROM "*" ---> ${bb:7:12}"*"Step 2/3"* ]]
  run berth run --rm api-b1:one cat /in/copy
  [ "$status" -eq 0 ]
  [ "$output" = "from the context" ]
  # A second build comes from the cache.
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -q -t api-b1:one "$CTX"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$id" ] # after the CLI's note on the legacy builder
  [ -z "$(berth ps -aq)" ]
}

@test "docker build without DOCKER_BUILDKIT (CLI 28) and with Debian's 20.10 client" {
  ctx
  run dk build -t api-b2 "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Successfully tagged api-b2:latest"* ]]
  run berth run --rm api-b2 cat /in/copy
  [ "$output" = "from the context" ]
  echo changed >"$CTX/file.txt"
  run env DOCKER_BUILDKIT=0 "$DOCKER20" build -t api-b3 "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Successfully tagged api-b3:latest"* ]]
  run berth run --rm api-b3 cat /in/copy
  [ "$output" = changed ]
}

@test "a compressed context (gzip, xz) builds as a plain one; docker build --compress" {
  ctx
  tar -C "$CTX" -czf "$BATS_TEST_TMPDIR/ctx.tgz" .
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/ctx.tgz" \
    -H 'Content-Type: application/x-tar' "/build?t=api-gz&q=1"
  [ "$(api_status)" = 200 ]
  id=$(api_body | jq -r .stream | tr -d '\n')
  [ "$(berth image inspect --format '{{.Id}}' api-gz)" = "$id" ]
  tar -C "$CTX" -cJf "$BATS_TEST_TMPDIR/ctx.txz" .
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/ctx.txz" "/build?t=api-xz"
  [ "$(api_status)" = 200 ]
  run berth run --rm api-xz cat /in/copy
  [ "$output" = "from the context" ]
  run env DOCKER_BUILDKIT=0 "$DOCKER" build --compress -t api-compress "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm api-compress cat /in/copy
  [ "$output" = "from the context" ]
}

@test "--build-arg and --label reach the build" {
  ctx
  printf 'FROM bb\nARG GREETING=default\nRUN echo "$GREETING" > /greeting\n' >"$CTX/Dockerfile"
  run env DOCKER_BUILDKIT=0 "$DOCKER" build --build-arg GREETING=hello-arg \
    --label api.test=yes -t api-args "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm api-args cat /greeting
  [ "$output" = hello-arg ]
  [ "$(berth image inspect --format '{{index .Config.Labels "api.test"}}' api-args)" = yes ]
}

@test "a failing RUN: non-zero, its message, no container and no tag" {
  ctx
  printf 'FROM bb\nRUN echo before-fail && false\n' >"$CTX/Dockerfile"
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-fail "$CTX"
  [ "$status" -ne 0 ]
  [[ "$output" == *before-fail* ]]
  [[ "$output" == *"The command '/bin/sh -c echo before-fail && false' returned a non-zero code: 1"* ]]
  no_leftovers api-fail
  # The raw stream ends with Docker's error line; the CLI exits with the
  # command's status, as with Docker.
  printf 'FROM bb\nRUN exit 3\n' >"$CTX/Dockerfile"
  tar -C "$CTX" -cf "$BATS_TEST_TMPDIR/ctx.tar" .
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/ctx.tar" \
    -H 'Content-Type: application/x-tar' "/build?t=api-fail"
  [ "$(api_status)" = 200 ]
  api_body | tail -n 1 | jq -e '.errorDetail == {"code": 3, "message": "The command '"'"'/bin/sh -c exit 3'"'"' returned a non-zero code: 3"} and .error == .errorDetail.message'
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-fail "$CTX"
  [ "$status" -eq 3 ]
  # Quiet, nothing was streamed before the failure: a plain error answer.
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -q -t api-fail "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Error response from daemon: The command '/bin/sh -c exit 3' returned a non-zero code: 3"* ]]
  no_leftovers api-fail
}

@test "DELETE /images of a build's last tag deletes its untagged parents (not shared ones; noprune keeps them); a rebuild works" {
  ctx
  printf 'FROM bb\nRUN echo rmtest >/one\nRUN echo step >/step\nCMD ["cat", "/step"]\n' >"$CTX/Dockerfile"
  before=$(berth images -aq --no-trunc | sort)
  # Earlier tests' leftovers: the <none> images of GET /images/json.
  nones() {
    run api "/images/json?all=1"
    api_body | jq -r 'map(select(.RepoTags == ["<none>:<none>"] or .RepoTags == [] or .RepoTags == null) | .Id) | sort | .[]'
  }
  nones_before=$(nones)
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-rm:1 "$CTX"
  [ "$status" -eq 0 ]
  final=$(berth image inspect --format '{{.Id}}' api-rm:1)
  bb=$(berth image inspect --format '{{.Id}}' bb)
  # The two step images (the RUNs; CMD makes the last) are new,
  # untagged, listed with all=1.
  mapfile -t steps < <(comm -13 <(echo "$before") <(berth images -aq --no-trunc | sort) | grep -vx "$final")
  [ "${#steps[@]}" -eq 2 ]
  run api "/images/json?all=1"
  for s in "${steps[@]}"; do api_body | jq -e --arg s "$s" 'map(.Id) | index($s)'; done
  run api -X DELETE "/images/api-rm:1"
  [ "$(api_status)" = 200 ]
  api_body | jq -e '.[0] == {"Untagged": "api-rm:1"} and .[1] == {"Deleted": "'"$final"'"}'
  for s in "${steps[@]}"; do
    api_body | jq -e --arg s "$s" 'map(.Deleted) | index($s)'
    ! berth image inspect "$s" >/dev/null 2>&1
  done
  api_body | jq -e --arg s "$bb" 'map(.Deleted) | index($s) | not'
  # No <none> left behind, with or without all.
  [ "$(nones)" = "$nones_before" ]
  berth image inspect bb >/dev/null
  # Their build cache went with them: the rebuild runs every step, and
  # its image works.
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-rm:1 "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" != *"Using cache"* ]]
  [ "$(berth run --rm api-rm:1)" = step ]
  # A parent another image was built on stays: api-rm:2 shares the
  # first RUN (a cache hit).
  printf 'FROM bb\nRUN echo rmtest >/one\nCMD ["echo", "two"]\n' >"$CTX/Dockerfile"
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-rm:2 "$CTX"
  [[ "$output" == *"Using cache"* ]]
  shared=$(berth image inspect --format '{{.Parent}}' api-rm:2)
  [ -n "$shared" ]
  run dk rmi api-rm:1
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: sha256:"* ]]
  [[ "$output" != *"$shared"* ]]
  berth image inspect "$shared" >/dev/null
  # noprune: only the image goes; its parent stays, now dangling.
  run api -X DELETE "/images/api-rm:2?noprune=1"
  [ "$(api_status)" = 200 ]
  api_body | jq -e 'map(select(.Deleted)) | length >= 1'
  api_body | jq -e --arg s "$shared" 'map(.Deleted) | index($s) | not'
  berth image inspect "$shared" >/dev/null
  run api -X DELETE "/images/$shared"
  [ "$(api_status)" = 200 ]
  ! berth image inspect "$shared" >/dev/null 2>&1
}

@test "bad requests: a hostile context tar, no Dockerfile, a bad tag; nothing left, the service serves" {
  local victim=$BATS_TEST_TMPDIR/victim
  python3 - "$BATS_TEST_TMPDIR/evil.tar" "$victim" <<'PY'
import io, sys, tarfile
out, victim = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w") as t:
    df = b"FROM bb\nCOPY . /c/\n"
    i = tarfile.TarInfo("Dockerfile"); i.size = len(df)
    t.addfile(i, io.BytesIO(df))
    data = b"pwned\n"
    i = tarfile.TarInfo("../../../../../../.." + victim); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/evil.tar" \
    -H 'Content-Type: application/x-tar' "/build?t=api-evil"
  [ "$(api_status)" = 400 ] || [ "$(api_status)" = 500 ]
  api_body | jq -e '.message | test("\\.\\.")'
  [ ! -e "$victim" ]
  no_leftovers api-evil
  # The same tar gzip-compressed: refused the same way.
  gzip -c "$BATS_TEST_TMPDIR/evil.tar" >"$BATS_TEST_TMPDIR/evil.tar.gz"
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/evil.tar.gz" "/build?t=api-evil"
  [ "$(api_status)" = 400 ] || [ "$(api_status)" = 500 ]
  [ ! -e "$victim" ]
  # No Dockerfile in the context; a tag with a digest.
  mkdir -p "$BATS_TEST_TMPDIR/empty" && touch "$BATS_TEST_TMPDIR/empty/x"
  tar -C "$BATS_TEST_TMPDIR/empty" -cf "$BATS_TEST_TMPDIR/empty.tar" .
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/empty.tar" "/build?t=api-none"
  [ "$(api_status)" -ge 400 ]
  api_body | jq -e '.message | test("Dockerfile")'
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/empty.tar" "/build?t=x@sha256:abc"
  [ "$(api_status)" = 400 ]
  run api -X POST --data-binary "@$BATS_TEST_TMPDIR/empty.tar" "/build?t=api-none&version=2"
  [ "$(api_status)" = 501 ]
  api_body | jq -e '.message | test("BuildKit")' 
  run api /_ping
  [ "$(api_status)" = 200 ]
  no_leftovers api-none
  # Control: a plain extraction of the same tar does write the victim.
  mkdir "$BATS_TEST_TMPDIR/x"
  tar -C "$BATS_TEST_TMPDIR/x" -xPf "$BATS_TEST_TMPDIR/evil.tar" 2>/dev/null || true
  [ -e "$victim" ]
}

@test "X-Registry-Config: FROM pulls with docker login's credentials" {
  local dir=$API_DIR/authreg port=19304
  img_registry_start "$dir" "$port" auth
  "$BERTH" --root "$BERTH_ROOT" push -q --authfile "$(img_registry_authfile "$dir" "$port")" \
    bb "127.0.0.1:$port/base/bb:1" >/dev/null
  ctx
  printf 'FROM 127.0.0.1:%s/base/bb:1\nRUN echo from-auth > /f\n' "$port" >"$CTX/Dockerfile"
  # Control: without credentials the base cannot be pulled.
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-authbuild "$CTX"
  [ "$status" -ne 0 ]
  no_leftovers api-authbuild
  echo s3cret | dk login -u alice --password-stdin "127.0.0.1:$port"
  run env DOCKER_BUILDKIT=0 "$DOCKER" build -t api-authbuild "$CTX"
  img_registry_stop "$dir"
  dk logout "127.0.0.1:$port" >/dev/null
  [ "$status" -eq 0 ]
  run berth run --rm api-authbuild cat /f
  [ "$output" = from-auth ]
}
