#!/usr/bin/env bats
# system df and system df -v: the engine's sizes, active counts and
# reclaimable space, against what the images and containers hold.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  engine_teardown
  berth volume prune -a -f >/dev/null 2>&1
  return 0
}

# Docker's df sizes: decimal units, four significant digits.
human() {
  python3 -c "import sys; b=float(sys.argv[1]); u=['B','kB','MB','GB']; i=0
while b >= 1000 and i < 3: b/=1000; i+=1
print(('%.0f' if i == 0 else '%.4g') % b + u[i])" "$1"
}

@test "system df: images share layers, active and reclaimable as Docker" {
  berth run --name grow bb sh -c 'dd if=/dev/zero of=/blob bs=1k count=200 2>/dev/null'
  berth commit grow grown >/dev/null
  berth rm grow >/dev/null
  base=$(berth image inspect bb | jq '.[0].Layers | map(.UnpackedSize) | add')
  top=$(berth image inspect grown | jq '.[0].Layers[-1].UnpackedSize')
  [ "$top" -gt 200000 ]
  # A running container of grown makes grown active: what only grown
  # has (its top layer) is not reclaimable, the shared base is.
  berth run -d --name user1 grown sleep 1000 >/dev/null
  run berth system df
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
  total=$((base + top))
  rec=$((total - top))
  pct=$((rec * 100 / total))
  [[ "${lines[1]}" =~ ^Images\ +2\ +1\ +$(human $total)\ +$(human $rec)\ \($pct%\)$ ]]
  [[ "${lines[4]}" =~ ^Build\ Cache\ +0\ +0\ +0B\ +0B$ ]]
  # Without the container nothing is active: all reclaimable.
  berth rm -f user1 >/dev/null
  run berth system df
  [[ "${lines[1]}" =~ ^Images\ +2\ +0\ +$(human $total)\ +$(human $total)\ \(100%\)$ ]]
  berth rmi grown >/dev/null
}

@test "system df: containers' writable layers and volumes" {
  berth run --name stopped1 bb sh -c 'dd if=/dev/zero of=/b bs=1k count=300 2>/dev/null'
  berth run -d --name running1 -v used:/u bb sh -c 'dd if=/dev/zero of=/b bs=1k count=100 2>/dev/null; sleep 1000' >/dev/null
  berth volume create spare >/dev/null
  dd if=/dev/zero of="$BERTH_ROOT/volumes/spare/_data/f" bs=1k count=50 2>/dev/null
  wait_until berth exec running1 test -f /b
  sleep 0.3
  # Bytes of files and symlinks, as Docker's SizeRw.
  s=$(find "$BERTH_ROOT/containers/$(berth inspect -f '{{.Id}}' stopped1)/upper" \
      \( -type f -o -type l \) -printf '%s\n' | awk '{n += $1} END {print n}')
  [ "$s" -ge 307200 ]
  run berth system df
  echo "$output"
  # Two containers, one running; the stopped one's layer is reclaimable.
  [[ "${lines[2]}" =~ ^Containers\ +2\ +1\ +[0-9.]+kB\ +$(human "$s")\ \([0-9]+%\)$ ]]
  # Two volumes, one in use; the spare one's 50 kB are reclaimable.
  [[ "${lines[3]}" =~ ^Local\ Volumes\ +2\ +1\ +51.2kB\ +51.2kB\ \(100%\)$ ]]
}

@test "system df -v: per-image, per-container and per-volume tables" {
  berth run --name c1 -v vv:/data bb sh -c 'echo hi >/data/f'
  run berth system df -v
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "$output" == *"Images space usage:"* ]]
  [[ "$output" == *"Containers space usage:"* ]]
  [[ "$output" == *"Local Volumes space usage:"* ]]
  [[ "$output" == *"Build cache usage: 0B"* ]]
  id=$(berth image inspect bb | jq -r '.[0].Id')
  size=$(berth image inspect bb | jq '.[0].Size')
  row=$(grep -E "^bb +latest +${id:7:12} " <<<"$output")
  # SIZE, SHARED SIZE, UNIQUE SIZE, CONTAINERS
  [[ "$row" =~ \ $(human "$size")\ +0B\ +$(human "$size")\ +1$ ]]
  cid=$(berth inspect -f '{{.Id}}' c1)
  row=$(grep -E "^${cid:0:12} " <<<"$output")
  [[ "$row" =~ \ +1\ +[0-9.]+k?B\ .*exited\ +c1$ ]]
  grep -qE '^vv +1 +3B$' <<<"$output"
  [[ "$(grep -n 'VOLUME NAME' <<<"$output")" ]]
}
