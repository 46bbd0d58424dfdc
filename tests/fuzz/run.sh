#!/bin/sh
# Builds the libFuzzer harnesses with clang and runs each for a bounded
# time (FUZZ_SECONDS, default 30) from its seed corpus.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-30}
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang meson setup "$BUILD" -Dfuzz=true -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
# Only the harnesses and the libraries they link (alias `fuzz`, tests/fuzz/).
ninja -C "$BUILD" fuzz >/dev/null || exit 1
# Corpora and crash reproducers go to the build directory, not the tree.
repo=$(pwd)
cd "$BUILD" || exit 1
BUILD=.
status=0
for h in "$BUILD"/tests/fuzz/fuzz_*; do
  [ -f "$h" ] && [ -x "$h" ] || continue
  name=$(basename "$h")
  corpus="tests/fuzz/corpus-$name"
  mkdir -p "$corpus"
  seeds="$repo/tests/fuzz/seeds/${name#fuzz_}"
  # A harness starts from valid inputs, or its seconds go to finding them.
  if [ ! -d "$seeds" ]; then
    echo "fuzz: $name has no seeds (tests/fuzz/seeds/${name#fuzz_}/)"
    status=1
    continue
  fi
  echo "fuzz: $name for ${SECONDS_EACH}s"
  "$h" -max_total_time="$SECONDS_EACH" -max_len=65536 "$corpus" "$seeds" \
    >"$BUILD/$name.log" 2>&1 || { status=1; tail -30 "$BUILD/$name.log"; }
  # Edges of berth's code covered (all of the libraries are instrumented).
  sed -n 's/.*DONE *cov: \([0-9]*\).*/  coverage: \1 edges/p' "$BUILD/$name.log"
done
exit $status
