#!/usr/bin/env bats
# Reproducible builds: with SOURCE_DATE_EPOCH the same Dockerfile and
# context give the same image, byte for byte (sorted layer entries,
# mtimes clamped, fixed created times), in another root and with the
# cache off; without it, the times differ.

load ../engine/engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

make_ctx() {
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX/app/sub"
  echo one >"$CTX/app/a"
  echo two >"$CTX/app/sub/b"
  cat >"$CTX/Dockerfile" <<'DF'
FROM bb
COPY app /app
RUN mkdir -p /data/z /data/a && echo x >/data/z/f && rm /app/a
ENV K=v
CMD ["cat", "/app/sub/b"]
DF
}

@test "SOURCE_DATE_EPOCH: two builds in two roots give the same image id" {
  make_ctx
  local other=$BATS_TEST_TMPDIR/other id1 id2
  id1=$(SOURCE_DATE_EPOCH=1700000000 berth build -q --no-cache "$CTX")
  "$BERTH" --root "$other" load -q -i <(berth save bb) >/dev/null
  # The second build runs in a later second: every file the RUN makes,
  # and the touched context file, have other mtimes.
  sleep 1.1
  touch "$CTX/app/a"
  id2=$(SOURCE_DATE_EPOCH=1700000000 "$BERTH" --root "$other" build -q --no-cache "$CTX")
  "$BERTH" --root "$other" system reset -f >/dev/null 2>&1
  rm -rf "$other"
  [ -n "$id1" ]
  if [ "$id1" != "$id2" ]; then
    echo "different: $id1 $id2"
    return 1
  fi
  # Control: without it, two builds a second apart differ.
  id1=$(berth build -q --no-cache "$CTX")
  sleep 1.1
  id2=$(berth build -q --no-cache "$CTX")
  [ "$id1" != "$id2" ]
}

@test "SOURCE_DATE_EPOCH clamps layer mtimes and sets created; the control without it does not" {
  make_ctx
  local id
  id=$(SOURCE_DATE_EPOCH=1700000000 berth build -q --no-cache "$CTX")
  [[ "$(berth image inspect -f '{{.Created}}' "$id")" == 2023-11-14T22:13:20* ]]
  run berth run --rm "$id" stat -c %Y /data/z/f
  [ "$output" = 1700000000 ]
  # Control: without it the file has the time of the build.
  id=$(berth build -q --no-cache "$CTX")
  run berth run --rm "$id" stat -c %Y /data/z/f
  [ "$output" -gt 1700000000 ]
  [[ "$(berth image inspect -f '{{.Created}}' "$id")" == "$(date -u +%Y-%m-%d)"* ]]
}
