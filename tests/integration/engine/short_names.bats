#!/usr/bin/env bats
# Short names after load/import (podman's rule): `berth run NAME` uses
# localhost/NAME when docker.io has no NAME here, and says so on stderr.

bats_require_minimum_version 1.5.0
load engine

setup_file() {
  engine_setup_file
  # localhost/bbshort: bb plus /marker, through save and load.
  berth run --name mk bb sh -c 'echo local >/marker'
  berth commit mk localhost/bbshort >/dev/null
  berth rm mk >/dev/null
  berth save -o "$BATS_FILE_TMPDIR/short.tar" localhost/bbshort
  berth rmi localhost/bbshort >/dev/null
  berth load -i "$BATS_FILE_TMPDIR/short.tar" >/dev/null
}
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "run SHORT finds localhost/SHORT and prints one notice" {
  [ "$(berth images --format '{{.Repository}}:{{.Tag}}' | grep bbshort)" = localhost/bbshort:latest ]
  run --separate-stderr berth run --rm --pull never bbshort cat /marker
  [ "$status" -eq 0 ]
  [ "$output" = local ]
  [ "$(wc -l <<<"$stderr")" -eq 1 ]
  [[ "$stderr" == *localhost/bbshort:latest* ]]
  # With a tag, too; and image commands resolve it the same way.
  run --separate-stderr berth run --rm --pull never bbshort:latest cat /marker
  [ "$output" = local ]
  id=$(berth image inspect localhost/bbshort | jq -r '.[0].Id')
  [ "$(berth image inspect bbshort | jq -r '.[0].Id')" = "$id" ]
}

@test "a docker.io image of the name wins; a full name never falls back" {
  # Control: once docker.io/library/bbshort exists, it is used, silently.
  berth tag bb bbshort
  run --separate-stderr berth run --rm --pull never bbshort sh -c 'test -e /marker || echo none'
  [ "$output" = none ]
  [ -z "$stderr" ]
  berth rmi bbshort >/dev/null
  # A name with a registry means that registry only.
  run berth run --rm --pull never docker.io/library/bbshort true
  [ "$status" -eq 125 ]
  [[ "$output" == *"No such image"* ]]
}
