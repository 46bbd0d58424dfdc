#!/usr/bin/env bats
# Nothing a container holds is readable by other local users: the
# database (containers' env carries secrets) with its -wal and -shm, each
# container's directory (config, log, writable layer) and the volumes.
#
# The root itself is made 0755 here, as /var/lib/berth or a shared
# directory may be: only berth's own modes may stand in the way.  Other
# users are played by nobody (setpriv); each refusal has a control where
# the same read by the same user succeeds.

load engine

bats_require_minimum_version 1.5.0

SECRET=s3cr3t-$$-value

setup_file() {
  engine_setup_file
  chmod 755 "$BERTH_ROOT"
}

teardown() {
  engine_teardown
}

teardown_file() {
  engine_teardown_file
}

# setpriv still holds its capabilities when it execs: run the command
# through sh, which starts after the switch, without them.
as_nobody() {
  setpriv --reuid 65534 --regid 65534 --clear-groups -- sh -c "$1"
}

# A copy of $1, 0644 in a 0755 directory: readable by nobody if berth's
# modes were the only thing in the way.
open_copy() {
  mkdir -p -m 755 "$BERTH_ROOT/open"
  cp "$1" "$BERTH_ROOT/open/copy"
  chmod 644 "$BERTH_ROOT/open/copy"
  echo "$BERTH_ROOT/open/copy"
}

@test "berth.db, -wal and -shm are 0600 and no other user reads the secrets in them" {
  berth create --name sec -e "TOKEN=$SECRET" bb true >/dev/null
  for f in berth.db berth.db-wal berth.db-shm; do
    [ "$(stat -c %a "$BERTH_ROOT/$f")" = 600 ]
    run as_nobody "cat '$BERTH_ROOT/$f' >/dev/null"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
  done
  # Control: the secret is in there, and nobody finds it in a readable copy.
  grep -qa "$SECRET" "$BERTH_ROOT/berth.db" "$BERTH_ROOT/berth.db-wal"
  copy=$(open_copy "$BERTH_ROOT/berth.db-wal")
  run as_nobody "grep -ca '$SECRET' '$copy'"
  [ "$status" -eq 0 ]
  rm -rf "$BERTH_ROOT/open"
}

@test "a root an earlier berth left readable is tightened when opened" {
  berth create --name old -e "TOKEN=$SECRET" bb true >/dev/null
  id=$(berth inspect -f '{{.Id}}' old)
  berth volume create oldvol >/dev/null
  # As earlier versions left them.
  chmod 644 "$BERTH_ROOT"/berth.db*
  chmod 711 "$BERTH_ROOT/containers" "$BERTH_ROOT/containers/$id" \
    "$BERTH_ROOT/volumes"
  chmod 710 "$BERTH_ROOT/volumes/oldvol"
  run as_nobody "cat '$BERTH_ROOT/berth.db' >/dev/null"
  [ "$status" -eq 0 ]
  berth ps -a >/dev/null
  for f in berth.db berth.db-wal berth.db-shm; do
    [ "$(stat -c %a "$BERTH_ROOT/$f")" = 600 ]
  done
  for d in containers "containers/$id" volumes volumes/oldvol; do
    [ "$(stat -c %a "$BERTH_ROOT/$d")" = 700 ]
  done
  # The root is the user's: its mode stays.
  [ "$(stat -c %a "$BERTH_ROOT")" = 755 ]
}

@test "a container's directory, log, config and writable layer are out of other users' reach" {
  berth run -d --name c1 -e "TOKEN=$SECRET" bb \
    sh -c 'echo log-line; echo layer > /written; sleep 1000' >/dev/null
  id=$(berth inspect -f '{{.Id}}' c1)
  dir=$BERTH_ROOT/containers/$id
  wait_until grep -q log-line "$dir/ctr.log"
  [ "$(stat -c %a "$BERTH_ROOT/containers")" = 700 ]
  [ "$(stat -c %a "$dir")" = 700 ]
  for cmd in "ls '$BERTH_ROOT/containers'" "ls '$dir'" "cat '$dir/ctr.log'" \
             "cat '$dir/config.json'" "cat '$dir/upper/written'" \
             "cat '$dir/rootfs/written'" "cd '$dir'"; do
    run as_nobody "$cmd"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]] || [[ "$output" == *"can't cd"* ]]
  done
  # Controls: the data is there for root, and nobody reads the same files
  # once they are out of berth's directories; the root itself is open.
  grep -q log-line "$dir/ctr.log"
  grep -q "$SECRET" "$dir/config.json"
  [ "$(cat "$dir/upper/written")" = layer ]
  run as_nobody "ls '$BERTH_ROOT'"
  [ "$status" -eq 0 ]
  copy=$(open_copy "$dir/ctr.log")
  run as_nobody "grep -c log-line '$copy'"
  [ "$status" -eq 0 ]
  rm -rf "$BERTH_ROOT/open"
}

@test "a volume's data is out of other users' reach" {
  berth run --rm -v pv:/data bb sh -c 'echo vol-data > /data/f'
  [ "$(stat -c %a "$BERTH_ROOT/volumes")" = 700 ]
  [ "$(stat -c %a "$BERTH_ROOT/volumes/pv")" = 700 ]
  for cmd in "ls '$BERTH_ROOT/volumes'" "cat '$BERTH_ROOT/volumes/pv/_data/f'"; do
    run as_nobody "$cmd"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
  done
  # Control: _data itself and the file let others in.
  [ "$(stat -c %a "$BERTH_ROOT/volumes/pv/_data")" = 755 ]
  copy=$(open_copy "$BERTH_ROOT/volumes/pv/_data/f")
  run as_nobody "cat '$copy'"
  [ "$output" = vol-data ]
  rm -rf "$BERTH_ROOT/open"
}
