#!/usr/bin/env bats
# A --root anywhere works with user namespaces on: straight from
# `mktemp -d` (0700) and under a directory only its owner may search (as a
# 0700 home), with a named volume and a bind from under a 0700 directory.
# The container's root is an unprivileged host id that cannot reach any of
# them by path (the controls show it); berth must get there without
# chmodding anything (modes compared before and after).

load engine

bats_require_minimum_version 1.5.0

setup_file() {
  engine_setup_file
}

setup() {
  ROOTS=()
}

teardown() {
  local r
  for r in "${ROOTS[@]}"; do
    ids=$("$BERTH" --root "$r" ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && "$BERTH" --root "$r" rm -f $ids >/dev/null 2>&1
    "$BERTH" --root "$r" system reset -f >/dev/null 2>&1
    rm -rf "$r"
  done
  engine_teardown
}

teardown_file() {
  engine_teardown_file
}

# A fresh root at $1 with the bb image.
new_root() {
  ROOTS+=("$1")
  "$BERTH" --root "$1" import -c 'CMD ["/bin/sh"]' \
    "$BATS_FILE_TMPDIR/bb.tar" bb >/dev/null
}

# Modes of $@ and of every directory above them.
modes() {
  local d
  for d in "$@"; do
    while [ "$d" != / ]; do
      stat -c '%n %a' "$d"
      d=$(dirname "$d")
    done
  done
}

# Through sh: setpriv still holds its capabilities when it execs.
as_id() {
  setpriv --reuid "$1" --regid "$1" --clear-groups -- sh -c "$2"
}

# Runs a user-namespaced container in root $1 with a volume and a bind of
# $2, checks what it saw, and that its root's host id cannot reach the
# root or the bind source by path.
check_root() {
  local r=$1 src=$2
  run "$BERTH" --root "$r" run --name probe1 -v vol:/v -v "$src:/b:ro" bb \
    sh -c 'cat /proc/self/uid_map; cat /b/f; echo in-volume > /v/f; cat /v/f'
  [ "$status" -eq 0 ]
  read -r inside host count <<<"${lines[0]}"
  [ "$inside" = 0 ] && [ "$host" -ge 1073741824 ] && [ "$count" = 65536 ]
  [ "${lines[1]}" = bind-data ]
  [ "${lines[2]}" = in-volume ]
  # Control: that host id is refused on the way to the rootfs and to the
  # bind source.
  id=$("$BERTH" --root "$r" inspect -f '{{.Id}}' probe1)
  run as_id "$host" "ls '$r/containers/$id/rootfs'"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  run as_id "$host" "cat '$src/f'"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
}

make_source() {
  mkdir -m 700 "$1"
  mkdir -m 755 "$1/data"
  echo bind-data >"$1/data/f"
  chmod 644 "$1/data/f"
}

@test "a root straight from mktemp -d (0700) runs containers with user namespaces" {
  r=$(mktemp -d /tmp/berth-anywhere.XXXXXX)
  new_root "$r"
  make_source "$BATS_TEST_TMPDIR/src"
  before=$(modes "$r" "$BATS_TEST_TMPDIR/src/data")
  [[ "$before" == *"$r 700"* ]]
  check_root "$r" "$BATS_TEST_TMPDIR/src/data"
  [ "$(modes "$r" "$BATS_TEST_TMPDIR/src/data")" = "$before" ]
}

@test "a root under a directory others cannot search (a 0700 home) works too" {
  home=$BATS_TEST_TMPDIR/home
  mkdir -m 700 "$home"
  new_root "$home/.local/berth"
  make_source "$home/src"
  before=$(modes "$home/.local/berth" "$home/src/data")
  check_root "$home/.local/berth" "$home/src/data"
  [ "$(modes "$home/.local/berth" "$home/src/data")" = "$before" ]
}

@test "a detached container in a private root restarts and takes exec" {
  home=$BATS_TEST_TMPDIR/home2
  mkdir -m 700 "$home"
  r=$home/root
  new_root "$r"
  make_source "$home/src"
  before=$(modes "$r" "$home/src/data")
  "$BERTH" --root "$r" run -d --name d1 -v dvol:/v -v "$home/src/data:/b" bb \
    sleep 1000 >/dev/null
  run "$BERTH" --root "$r" exec d1 cat /b/f
  [ "$output" = bind-data ]
  "$BERTH" --root "$r" restart -t 0 d1 >/dev/null
  run "$BERTH" --root "$r" exec d1 sh -c 'cat /b/f; touch /v/x && echo ok'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = bind-data ]
  [ "${lines[1]}" = ok ]
  [ "$(modes "$r" "$home/src/data")" = "$before" ]
}
