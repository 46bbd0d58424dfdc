#!/usr/bin/env bats
# berth diff (a container's writable layer as A/C/D lines) and berth
# history (the image config's history with the layers' sizes).

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

@test "diff: added, changed and deleted paths, whiteouts and opaque dirs" {
  berth run --name changer bb sh -c '
    echo new >/newfile
    rm /etc/group
    echo x >>/etc/passwd
    mkdir -p /tmp/made/deep && echo y >/tmp/made/deep/f
    rm -rf /bin && mkdir /bin && echo z >/bin/only'
  run berth diff changer
  [ "$status" -eq 0 ]
  echo "$output"
  grep -qx 'A /newfile' <<<"$output"
  grep -qx 'C /etc' <<<"$output"
  grep -qx 'D /etc/group' <<<"$output"
  grep -qx 'C /etc/passwd' <<<"$output"
  grep -qx 'A /tmp/made' <<<"$output"
  grep -qx 'A /tmp/made/deep/f' <<<"$output"
  # /bin replaced by a new directory: overlay makes it opaque, Docker
  # reports the old one deleted and the new content added.
  grep -qx 'D /bin' <<<"$output"
  grep -qx 'A /bin/only' <<<"$output"
  # Nothing the container did not touch.
  ! grep -q ' /usr' <<<"$output"
  ! grep -q ' /etc/hostname$' <<<"$output"
  # Lines are exactly "X /path".
  ! grep -qvE '^[ACD] /' <<<"$output"
}

@test "diff: a fresh container has no changes; unknown containers fail" {
  berth create --name fresh bb true >/dev/null
  run berth diff fresh
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # Started: the engine's mount points for /etc/hosts and resolv.conf
  # are not the container's changes (control: they are in its layer).
  berth run --name ran bb true
  run berth diff ran
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  upper=$BERTH_ROOT/containers/$(berth inspect -f '{{.Id}}' ran)/upper
  [ -f "$upper/etc/hosts" ]
  run berth diff nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  run berth diff
  [ "$status" -eq 125 ]
}

@test "diff follows no symlink of the image out of its layers" {
  # /etc/mtab-like absolute links in the image must not make host files
  # count as the image's: /host-etc -> /etc on the host has a `shadow`,
  # the image has no /host-etc/shadow, so it is an addition.
  berth run --name linker bb sh -c 'ln -s /etc /host-etc'
  berth commit linker linked >/dev/null
  berth run --name linked1 linked sh -c 'rm /host-etc; mkdir /host-etc; echo 1 >/host-etc/shadow'
  run berth diff linked1
  [ "$status" -eq 0 ]
  grep -qx 'A /host-etc/shadow' <<<"$output"
  # Control: the host does have the file the link would have reached.
  [ -e /etc/shadow ]
  berth rm linked1 linker >/dev/null
  berth rmi linked >/dev/null
}

@test "history: one row per config history entry, top row has the id" {
  id=$(berth image inspect bb | jq -r '.[0].Id')
  hlen=$(berth image inspect bb | jq '.[0].History | length')
  run berth history bb
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == IMAGE*CREATED*"CREATED BY"*SIZE*COMMENT ]]
  [ "$(( ${#lines[@]} - 1 ))" -eq "$hlen" ]
  [[ "${lines[1]}" == "${id:7:12}"* ]]
  run berth history -q bb
  [ "$(wc -l <<<"$output")" -eq "$hlen" ]
  [ "${lines[0]}" = "${id:7:12}" ]
  run berth history -q --no-trunc bb
  [ "${lines[0]}" = "$id" ]
}

@test "history: committed layers on top, <missing> below, sizes from layers" {
  berth run --name grow bb sh -c 'dd if=/dev/zero of=/blob bs=1k count=300 2>/dev/null'
  berth commit -m 'three hundred k' grow grown >/dev/null
  id=$(berth image inspect grown | jq -r '.[0].Id')
  hlen=$(berth image inspect grown | jq '.[0].History | length')
  top=$(berth image inspect grown | jq '.[0].Layers[-1].UnpackedSize')
  run berth history -H=false grown
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(( ${#lines[@]} - 1 ))" -eq "$hlen" ]
  [ "$hlen" -ge 2 ]
  [[ "${lines[1]}" == "${id:7:12} "* ]]
  [[ "${lines[1]}" == *" $top "*"three hundred k" ]]
  [ "$top" -gt 300000 ]
  [[ "${lines[1]}" =~ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
  [[ "${lines[2]}" == "<missing> "* ]]
  run berth history grown
  [[ "${lines[1]}" == *"ago"*"kB"* ]]
  run berth history nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such image: nosuch"* ]]
  berth rm grow >/dev/null
  berth rmi grown >/dev/null
}
