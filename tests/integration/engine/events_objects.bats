#!/usr/bin/env bats
# Image and volume events in the event log, next to container events:
# tag, untag, delete, import, load, save; volume create, mount, unmount,
# destroy; and `events --filter type=image|volume`.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# Events of the last minute, already recorded (bounded: no follow).
events() { berth events --since 1m --until 0s "$@"; }

@test "image events: import, tag, save, load, untag, delete" {
  id=$(berth import "$BATS_FILE_TMPDIR/bb.tar" evimg)
  berth tag evimg evimg:2
  berth save -o "$BATS_TEST_TMPDIR/ev.tar" evimg:2
  berth rmi evimg:2 >/dev/null
  berth load -i "$BATS_TEST_TMPDIR/ev.tar" >/dev/null
  run events --filter type=image
  [ "$status" -eq 0 ]
  echo "$output"
  grep -q " image import $id (name=docker.io/library/evimg:latest)$" <<<"$output"
  grep -q " image tag $id (name=docker.io/library/evimg:2)$" <<<"$output"
  grep -q " image save $id (name=docker.io/library/evimg:2)$" <<<"$output"
  grep -q " image untag $id (name=docker.io/library/evimg:2)$" <<<"$output"
  grep -q " image load $id (name=docker.io/library/evimg:2)$" <<<"$output"
  # In the order they happened.
  [ "$(grep evimg <<<"$output" | awk '{print $3}' | tr '\n' ' ')" = "import tag save untag load " ]
  # type=image shows no container or volume events.
  ! grep -qv ' image ' <<<"$output"
  berth rmi -f "$id" >/dev/null
  run events --filter type=image --filter event=delete
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *" image delete $id" ]]
  # --filter image= matches an image event by id or name.
  run events --filter image="$id" --filter event=tag
  [ "${#lines[@]}" -eq 1 ]
  # evimg:2 was untagged twice: by rmi, and by rmi -f after load.
  run events --filter image=evimg:2 --filter event=untag
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" == *" image untag $id (name=docker.io/library/evimg:2)" ]]
}

@test "volume events: create, mount, unmount, destroy" {
  berth volume create evvol >/dev/null
  berth run --name evctr -v evvol:/data bb true
  berth rm evctr >/dev/null
  berth volume rm evvol >/dev/null
  run events --filter type=volume
  [ "$status" -eq 0 ]
  echo "$output"
  cid=$(events --filter type=container --filter event=create | awk '/evctr/ {print $4}' | tail -1)
  [ -n "$cid" ]
  [ "$(awk '{print $3}' <<<"$output" | tr '\n' ' ')" = "create mount unmount destroy " ]
  grep -q " volume create evvol (driver=local)$" <<<"$output"
  grep -q " volume mount evvol (container=$cid, destination=/data, driver=local)$" <<<"$output"
  grep -q " volume unmount evvol (container=$cid, destination=/data, driver=local)$" <<<"$output"
  grep -q " volume destroy evvol (driver=local)$" <<<"$output"
  # volume=NAME picks one volume's events.
  berth volume create other-vol >/dev/null
  run events --filter volume=evvol
  [ "${#lines[@]}" -eq 4 ]
  berth volume rm other-vol >/dev/null
}

@test "anonymous volumes of run --rm are created and destroyed with events" {
  berth run --rm -v /anon bb true
  name=$(events --filter type=volume --filter event=mount | tail -1 | awk '{print $4}')
  [[ "$name" =~ ^[0-9a-f]{64}$ ]]
  wait_until eval "events --filter volume=$name | grep -q ' destroy '"
  run events --filter volume="$name"
  [ "$(awk '{print $3}' <<<"$output" | tr '\n' ' ')" = "create mount unmount destroy " ]
  [ ! -e "$BERTH_ROOT/volumes/$name" ]
}
