#!/usr/bin/env bats
# ps --filter, decided by the engine (ancestor, before/since, volume, id,
# name, label, status, exited, health), and rm -f of a missing container.

bats_require_minimum_version 1.5.0
load engine

setup_file() {
  engine_setup_file
  # An image built on bb (one more layer), and one that is not.
  berth run --name base1 bb sh -c 'echo child >/child'
  berth commit base1 child:1 >/dev/null
  berth rm base1 >/dev/null
  berth import -c 'CMD ["/bin/sh", "-c", "other"]' "$BATS_FILE_TMPDIR/bb.tar" other >/dev/null
  berth run --name other-img other sh -c 'echo x >/x' # same files, other
}
teardown_file() { engine_teardown_file; }

names() { berth ps -a "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }

@test "ancestor: by name, name:tag, id, id prefix, and images built on it" {
  berth create --name of-bb bb true >/dev/null
  berth create --name of-child child:1 true >/dev/null
  id=$(berth image inspect bb | jq -r '.[0].Id')
  cid=$(berth image inspect child:1 | jq -r '.[0].Id')
  # bb's containers and those of child:1, which is bb plus a layer.
  [ "$(names --filter ancestor=bb)" = "of-bb of-child " ]
  [ "$(names --filter ancestor=bb:latest)" = "of-bb of-child " ]
  [ "$(names --filter ancestor="$id")" = "of-bb of-child " ]
  [ "$(names --filter ancestor="${id:7:12}")" = "of-bb of-child " ]
  # child:1 is not an ancestor of bb.
  [ "$(names --filter ancestor=child:1)" = "of-child " ]
  [ "$(names --filter ancestor="${cid:7:10}")" = "of-child " ]
  # other has the same files but not bb's layers: not a descendant.
  [ "$(names --filter ancestor=other)" = "other-img " ]
  # Several values: either; a name that is no image matches nothing.
  [ "$(names --filter ancestor=child:1 --filter ancestor=other)" = "of-child other-img " ]
  [ -z "$(names --filter ancestor=nosuch)" ]
  berth rm of-bb of-child >/dev/null
}

@test "before, since, id, name regexp, label, status, exited" {
  berth create --name first bb true >/dev/null
  berth create --name middle --label tier=web --label solo=1 bb true >/dev/null
  berth run --name last bb sh -c 'exit 3' || true
  [ "$(names --filter before=middle)" = "first other-img " ]
  [ "$(names --filter since=middle)" = "last " ]
  [ "$(names --filter since=first --filter before=last)" = "middle " ]
  mid=$(berth inspect -f '{{.Id}}' middle)
  [ "$(names --filter id="${mid:0:10}")" = "middle " ]
  [ "$(names --filter 'name=^mid')" = "middle " ]
  [ "$(names --filter 'name=^(first|last)$')" = "first last " ]
  [ "$(names --filter label=tier=web --filter label=solo)" = "middle " ]
  [ -z "$(names --filter label=tier=web --filter label=nosuch)" ]
  [ "$(names --filter exited=3)" = "last " ]
  # status implies -a, as Docker.
  [ "$(berth ps --filter status=created --format '{{.Names}}' | sort | tr '\n' ' ')" = "first middle " ]
  run berth ps --filter status=bogus
  [ "$status" -eq 125 ]
  [[ "$output" == *"status=bogus"* ]]
  run berth ps --filter 'name=('
  [ "$status" -eq 125 ]
  run berth ps --filter before=nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  berth rm first middle last >/dev/null
}

@test "volume filter: by volume name and by mount point" {
  berth create --name withvol -v fvol:/data bb true >/dev/null
  berth create --name novol bb true >/dev/null
  [ "$(names --filter volume=fvol)" = "withvol " ]
  [ "$(names --filter volume=/data)" = "withvol " ]
  [ -z "$(names --filter volume=nosuch)" ]
  berth rm -v withvol novol >/dev/null
  berth volume rm fvol >/dev/null
}

@test "rm -f of a missing container exits 0; without -f it fails" {
  berth create --name here bb true >/dev/null
  run berth rm -f nosuch here
  [ "$status" -eq 0 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  [[ "${lines[-1]}" == here ]]
  [ -z "$(names --filter name=^here$)" ]
  run berth rm nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  # -f does not hide other failures.
  run berth rm -f
  [ "$status" -eq 125 ]
}
