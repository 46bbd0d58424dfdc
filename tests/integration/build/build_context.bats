#!/usr/bin/env bats
# berth build's context: .dockerignore decides what COPY sees and what
# invalidates the cache, and a context cannot reach outside itself (../,
# symlinks pointing out, hostile tars on stdin).  Every refusal leaves no
# image name, no build container and no file outside.

load ../engine/engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

ctx() { CTX=$BATS_TEST_TMPDIR/ctx; mkdir -p "$CTX"; }

no_leftovers() {
  [ -z "$(berth ps -aq)" ]
  run berth images -q "$1"
  [ -z "$output" ]
}

@test ".dockerignore excludes files and directories, ! brings one back" {
  ctx
  mkdir -p "$CTX/dir" "$CTX/sub/deep"
  echo a >"$CTX/a.txt"
  echo secret >"$CTX/id.key"
  echo x >"$CTX/dir/x"
  echo keep >"$CTX/dir/keep"
  echo deep >"$CTX/sub/deep/y.key"
  printf '*.key\ndir\n!dir/keep\n**/*.key\n' >"$CTX/.dockerignore"
  printf 'FROM bb\nCOPY . /ctx/\n' >"$CTX/Dockerfile"
  run berth build -q -t ign "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm ign find /ctx -type f
  [ "$status" -eq 0 ]
  [[ "$output" == *"/ctx/a.txt"* ]]
  [[ "$output" == *"/ctx/dir/keep"* ]]
  [[ "$output" != *"id.key"* ]]
  [[ "$output" != *"/ctx/dir/x"* ]]
  [[ "$output" != *"y.key"* ]]
  # Control: without the ignore file the same build does copy them.
  rm "$CTX/.dockerignore"
  run berth build -q -t noign "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm noign find /ctx -type f
  [[ "$output" == *"id.key"* ]]
  [[ "$output" == *"/ctx/dir/x"* ]]
}

@test "a change to an ignored file keeps every step cached" {
  ctx
  echo a >"$CTX/a.txt"
  echo 1 >"$CTX/notes.log"
  printf '*.log\n' >"$CTX/.dockerignore"
  printf 'FROM bb\nCOPY . /app/\nRUN ls /app >/listing\n' >"$CTX/Dockerfile"
  berth build -q -t cached "$CTX" >/dev/null
  echo 2 >"$CTX/notes.log"
  run berth build --progress plain -t cached "$CTX"
  [ "$status" -eq 0 ]
  # FROM, COPY and RUN
  [ "$(grep -c ' CACHED$' <<<"$output")" -eq 3 ]
  # Control: a change to a file that is not ignored re-runs both steps.
  echo b >"$CTX/a.txt"
  run berth build --progress plain -t cached "$CTX"
  [ "$status" -eq 0 ]
  [ "$(grep -c ' CACHED$' <<<"$output")" -eq 1 ]
}

@test "COPY ../x is refused" {
  ctx
  echo outside >"$BATS_TEST_TMPDIR/outside.txt"
  printf 'FROM bb\nCOPY ../outside.txt /o\n' >"$CTX/Dockerfile"
  run berth build -t esc1 "$CTX"
  [ "$status" -ne 0 ]
  [[ "$output" == *"outside the build context"* ]]
  no_leftovers esc1
}

@test "a symlink source pointing outside the context is refused" {
  ctx
  echo host-secret >"$BATS_TEST_TMPDIR/secret"
  ln -s "$BATS_TEST_TMPDIR/secret" "$CTX/link"
  ln -s ../secret "$CTX/rel"
  # Control: both links do lead to the host file.
  [ "$(cat "$CTX/link")" = host-secret ]
  [ "$(cat "$CTX/rel")" = host-secret ]
  for src in link rel; do
    printf 'FROM bb\nCOPY %s /s\n' "$src" >"$CTX/Dockerfile"
    run berth build -t esc2 "$CTX"
    [ "$status" -ne 0 ]
    [[ "$output" == *"outside the build context"* ]]
    no_leftovers esc2
  done
}

@test "symlinks inside a copied directory stay links, their targets are not read" {
  ctx
  mkdir "$CTX/d"
  ln -s /etc/shadow "$CTX/d/shadow"
  printf 'FROM bb\nCOPY d /d/\n' >"$CTX/Dockerfile"
  run berth build -q -t links "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm links readlink /d/shadow
  [ "$output" = /etc/shadow ]
  # The image's /etc/shadow, if any, is not the host's: the link was
  # copied, not followed.
  run berth run --rm links sh -c 'cat /d/shadow 2>/dev/null || echo none'
  [[ "$output" != "$(head -c 20 /etc/shadow)"* ]]
}

@test "a lone Dockerfile and a context tar on stdin" {
  run berth build -q -t stdin1 - <<<$'FROM bb\nRUN echo made >/made\n'
  [ "$status" -eq 0 ]
  [ "$(berth run --rm stdin1 cat /made)" = made ]
  ctx
  echo from-tar >"$CTX/f"
  printf 'FROM bb\nCOPY f /f\n' >"$CTX/Dockerfile"
  tar -C "$CTX" -czf "$BATS_TEST_TMPDIR/ctx.tgz" .
  run berth build -q -t stdin2 - <"$BATS_TEST_TMPDIR/ctx.tgz"
  [ "$status" -eq 0 ]
  [ "$(berth run --rm stdin2 cat /f)" = from-tar ]
}

@test "a hostile context tar on stdin is refused and writes nothing outside" {
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
  run berth build -t evil - <"$BATS_TEST_TMPDIR/evil.tar"
  [ "$status" -ne 0 ]
  [ ! -e "$victim" ]
  no_leftovers evil
  # Control: a plain extraction of the same tar does write the victim.
  mkdir "$BATS_TEST_TMPDIR/x"
  tar -C "$BATS_TEST_TMPDIR/x" -xPf "$BATS_TEST_TMPDIR/evil.tar" 2>/dev/null || true
  [ -e "$victim" ]
}
