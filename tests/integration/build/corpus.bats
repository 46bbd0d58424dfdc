#!/usr/bin/env bats
# The build corpus (tests/build/corpus/, see tests/build/corpus.bash): each
# entry built by berth and by podman (`podman build --layers`) on the same
# base images (tests/build/bases.sh), the two images compared file by file
# and config by config (tests/build/imgdiff.py, berth's as A, podman's as
# B, with the entry's imgdiff.expect), and the entry's check command run
# with berth in berth's image and in podman's, its output compared.
#
# podman builds every entry once, in setup_file (a cold build of the whole
# corpus), and saves them in one archive; nothing is cached across runs but
# the base images.  The checks also run in podman's images (loaded into
# berth), except where the entry's podman file says podman's image is
# known to differ from Docker's; without podman, only berth's side runs.
#
# Every entry has its @test below; the first test fails if one lacks it.

bats_require_minimum_version 1.5.0
load ../engine/engine
load ../podman

. "$REPO/tests/build/corpus.bash"

setup_file() {
  [ -x "$BERTH" ] || skip "berth is not built"
  command -v jq >/dev/null || skip "jq is needed (scripts/deps.sh)"
  # podman refuses run roots longer than 50 characters: a short directory.
  CTMP=$(mktemp -d /tmp/bcorp.XXXXXX)
  chmod 711 "$CTMP"
  BERTH_ROOT=$CTMP/berth
  BERTH_CGROUP_PARENT=$CORPUS_CGROUP/berth
  export CTMP BERTH_ROOT BERTH_CGROUP_PARENT
  corpus_bases
  corpus_load_berth "$BERTH" --root "$BERTH_ROOT"
  if "$BERTH" build --help >/dev/null 2>&1; then
    touch "$CTMP/berth-builds"
  fi
  if command -v podman >/dev/null && command -v crun >/dev/null; then
    podman_build_all
  fi
}

# corpus.bash's podman: tests/integration/podman.bash's (own roots, crun
# in its private mount namespace), with the overlay driver.
corpus_podman() {
  podman --storage-driver overlay --cgroup-manager cgroupfs "$@"
}

# Every entry podman can build, cold, one after the other; the images in
# one archive, loaded into berth as well (for the checks).  An entry that
# fails is recorded with podman's output: its test fails.
podman_build_all() {
  local e imgs=() start
  podman_start bcorpp
  export CORPUS_RUNTIME=crun
  corpus_load_podman
  start=$(date +%s)
  for e in $(corpus_entries); do
    [ -n "$(corpus_podman_skip "$e")" ] && continue
    if corpus_podman_build "$e" "corpus/$e" >"$CTMP/podman-$e.log" 2>&1; then
      imgs+=("corpus/$e")
    else
      touch "$CTMP/podman-$e.failed"
    fi
  done
  echo "podman: built ${#imgs[@]} entries in $(( $(date +%s) - start )) s" \
    >"$CTMP/podman-time"
  corpus_podman save -q --multi-image-archive --format docker-archive \
    -o "$CTMP/podman.tar" "${imgs[@]}"
  "$BERTH" --root "$BERTH_ROOT" load -q -i "$CTMP/podman.tar" >/dev/null
  touch "$CTMP/podman-built"
}

teardown() {
  local ids
  ids=$("$BERTH" --root "$BERTH_ROOT" ps -aq --no-trunc 2>/dev/null)
  [ -n "$ids" ] && "$BERTH" --root "$BERTH_ROOT" rm -f $ids >/dev/null 2>&1
  return 0
}

teardown_file() {
  [ -n "${CTMP:-}" ] || return 0
  [ -f "$CTMP/podman-time" ] && cat "$CTMP/podman-time" >&3
  podman_stop
  "$BERTH" --root "$BERTH_ROOT" system reset -f >/dev/null 2>&1
  remove_cgroups "$CORPUS_CGROUP/podman" "$CORPUS_CGROUP/berth" \
    "$CORPUS_CGROUP" /berth-test
  if grep -q " $CTMP" /proc/self/mountinfo; then
    echo "mounts left under $CTMP:" >&2
    grep " $CTMP" /proc/self/mountinfo >&2
    return 1
  fi
  rm -rf --one-file-system "$CTMP"
}

# check ENTRY IMAGE: the entry's check command in IMAGE, run by berth.
check() {
  local argv out rc=0
  mapfile -t argv < <(corpus_check_argv "$1")
  out=$("$BERTH" --root "$BERTH_ROOT" run --rm --network none "$2" \
        "${argv[@]}" 2>"$CTMP/check.err") || rc=$?
  if [ "$rc" != 0 ] || [ "$out" != "$(corpus_check_expected "$1")" ]; then
    echo "$1: the check in $2 exited $rc and printed:" >&2
    echo "$out" >&2
    cat "$CTMP/check.err" >&2
    echo "expected:" >&2
    corpus_check_expected "$1" >&2
    return 1
  fi
}

# corpus ENTRY: build with berth, compare with podman's image, run the
# check in both.
corpus() {
  local e=$1 pimg=localhost/corpus/$1:latest bimg=corpus-berth/$1 skip
  skip=$(corpus_podman_skip "$e")
  if [ -f "$CTMP/podman-built" ] && [ -z "$skip" ]; then
    if [ -f "$CTMP/podman-$e.failed" ]; then
      echo "podman could not build $e:" >&2
      tail -n 20 "$CTMP/podman-$e.log" >&2
      return 1
    fi
    [ -n "$(corpus_podman_nocheck "$e")" ] || check "$e" "$pimg"
  fi
  [ -f "$CTMP/berth-builds" ] || skip "berth build is not there yet"
  run corpus_berth_build "$e" "$bimg" "$BERTH" --root "$BERTH_ROOT" -- -q
  if [ "$status" != 0 ]; then
    echo "berth build $e failed ($status):" >&2
    echo "$output" >&2
    return 1
  fi
  check "$e" "$bimg"
  if [ ! -f "$CTMP/podman-built" ] || [ -n "$skip" ]; then
    return 0
  fi
  "$BERTH" --root "$BERTH_ROOT" save -o "$CTMP/berth-$e.tar" "$bimg"
  local expect=()
  [ -f "$CORPUS_DIR/$e/imgdiff.expect" ] &&
    expect=(--expect "$CORPUS_DIR/$e/imgdiff.expect")
  run python3 "$REPO/tests/build/imgdiff.py" "${expect[@]}" \
    "$CTMP/berth-$e.tar" "$CTMP/podman.tar@$pimg"
  rm -f "$CTMP/berth-$e.tar"
  if [ "$status" != 0 ]; then
    echo "berth's image (A) and podman's (B) differ:" >&2
    echo "$output" >&2
    return 1
  fi
}

@test "corpus: every entry has a test, podman built every entry it can, on the same bases" {
  local e missing=
  for e in $(corpus_entries); do
    grep -q "^@test \"corpus $e\" { corpus $e; }$" "$BATS_TEST_FILENAME" ||
      missing+=" $e"
    [ -f "$CORPUS_DIR/$e/check" ] || missing+=" $e(no check)"
  done
  [ -z "$missing" ] || { echo "entries without a test:$missing" >&2; return 1; }
  [ "$(corpus_entries | wc -l)" -ge 20 ]
  if [ -f "$CTMP/podman-built" ]; then
    run ls "$CTMP"/podman-*.failed
    [ "$status" != 0 ] || { echo "podman failed on: $output" >&2; return 1; }
    # Both engines build on the same base images: same ids, same layers.
    local b p img
    for img in busybox debian:bookworm; do
      b=$("$BERTH" --root "$BERTH_ROOT" image inspect \
          -f '{{.Id}} {{json .RootFS.Layers}}' "$img")
      p=$(corpus_podman image inspect --format '{{.Id}} {{json .RootFS.Layers}}' "$img")
      [ "$b" = "sha256:$p" ] ||
        { echo "$img: berth has $b, podman sha256:$p" >&2; return 1; }
    done
  fi
}

@test "corpus 01-busybox-httpd" { corpus 01-busybox-httpd; }
@test "corpus 02-shell-daemon" { corpus 02-shell-daemon; }
@test "corpus 03-multistage-artifact" { corpus 03-multistage-artifact; }
@test "corpus 04-scratch-rootfs" { corpus 04-scratch-rootfs; }
@test "corpus 05-busybox-users" { corpus 05-busybox-users; }
@test "corpus 06-debian-users" { corpus 06-debian-users; }
@test "corpus 07-special-modes" { corpus 07-special-modes; }
@test "corpus 08-debian-slim-down" { corpus 08-debian-slim-down; }
@test "corpus 09-opaque-dirs" { corpus 09-opaque-dirs; }
@test "corpus 10-args-and-env" { corpus 10-args-and-env; }
@test "corpus 11-metadata" { corpus 11-metadata; }
@test "corpus 12-shell-and-entrypoint" { corpus 12-shell-and-entrypoint; }
@test "corpus 13-onbuild-base" { corpus 13-onbuild-base; }
@test "corpus 14-dockerignore" { corpus 14-dockerignore; }
@test "corpus 15-hard-links" { corpus 15-hard-links; }
@test "corpus 16-symlinks" { corpus 16-symlinks; }
@test "corpus 17-add-archives" { corpus 17-add-archives; }
@test "corpus 18-heredocs" { corpus 18-heredocs; }
@test "corpus 19-copy-globs" { corpus 19-copy-globs; }
@test "corpus 20-debian-local-package" { corpus 20-debian-local-package; }
@test "corpus 21-copy-from-image" { corpus 21-copy-from-image; }
@test "corpus 22-workdir-and-ids" { corpus 22-workdir-and-ids; }
@test "corpus 23-parallel-stages" { corpus 23-parallel-stages; }
@test "corpus 24-parser-directives" { corpus 24-parser-directives; }
@test "corpus 25-copy-ownership" { corpus 25-copy-ownership; }
