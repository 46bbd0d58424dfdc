#!/usr/bin/env bats
# docker-compose 1.29 (Debian) drives berth through the Engine API socket:
# the project in tests/api/compose/web (a health-checked web service, a
# writer started once web is healthy, a front service publishing the page
# the writer put in a named volume, a user network with its own subnet),
# scaling, logs, exec, and `down -v` leaving nothing behind; and a service
# whose image compose builds (tests/api/compose/build).

load api

COMPOSE_DIR=$REPO/tests/api/compose
export COMPOSE_PROJECT_NAME=bcomp
export COMPOSE_PORT=19410
export COMPOSE_SUBNET=10.218.21.0/24
GW=10.218.21.1

setup_file() {
  api_setup_file
  docker-compose version --short | grep -qx '1\.29\.[0-9]*' ||
    { echo "docker-compose 1.29 is needed (scripts/deps.sh)" >&2; return 1; }
}

teardown_file() {
  api_teardown_file
}

setup() {
  # What exists before: the project must leave the host as it found it.
  links_before=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort)
}

teardown() {
  (cd "$COMPOSE_DIR/web" && docker-compose down -v -t 1 >/dev/null 2>&1)
  (cd "$COMPOSE_DIR/build" && docker-compose down -v --rmi all -t 1 >/dev/null 2>&1)
  engine_teardown
}

compose() { docker-compose "$@"; }
# An RFC 3339 time (Go trims trailing zeros of the fraction: compared as
# numbers, not strings) in nanoseconds.
ns_of() { date -d "$1" +%s%N; }

# jq FILTER on container NAME's inspect document (from the API: the docker
# CLI's inspect is checked on its own below).
ctr_jq() {
  curl -sf --unix-socket "$SOCK" "http://d/v1.41/containers/$1/json" | jq -r "$2"
}
# The address of container NAME on the project's network.
addr_of() {
  ctr_jq "$1" ".NetworkSettings.Networks[\"${COMPOSE_PROJECT_NAME}_front\"].IPAddress"
}

# Nothing of the project left: containers, network (and its bridge),
# volume, firewall rules, cgroups, and the service still answers.
nothing_left() {
  run berth ps -aq
  [ -z "$output" ] || { echo "containers left: $output"; return 1; }
  run berth network ls --format '{{.Name}}'
  ! grep -q "^${COMPOSE_PROJECT_NAME}_" <<<"$output" || { echo "networks left: $output"; return 1; }
  run berth volume ls -q
  ! grep -q "^${COMPOSE_PROJECT_NAME}_" <<<"$output" || { echo "volumes left: $output"; return 1; }
  ! ip -o -4 addr show | grep -F " $GW/24 " || { echo "the bridge is still there"; return 1; }
  local links
  links=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort)
  # Only links of others (other helpers' tests) may have appeared: none
  # holding this project's subnet (checked above), and no veth of ours is
  # named after the project.  Compared loosely: report what is new.
  local new
  new=$(comm -13 <(echo "$links_before") <(echo "$links") | tr '\n' ' ')
  [ -z "$new" ] || echo "# links that appeared meanwhile (others' or ours): $new" >&3
  ! nft list table inet berth 2>/dev/null | grep -E "$COMPOSE_PORT|10\.218\.21\." ||
    { echo "nft rules left"; return 1; }
  local cg
  cg=$(find /sys/fs/cgroup/*"$BERTH_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null || true)
  [ -z "$cg" ] || { echo "cgroups left: $cg"; return 1; }
  run curl -sf --unix-socket "$SOCK" http://d/_ping
  [ "$output" = OK ]
}

@test "compose up -d: health-checked dependency, named volume, published port; ps, logs, exec; down -v leaves nothing" {
  cd "$COMPOSE_DIR/web"
  t0=$(date +%s)
  run compose up -d
  echo "$output"
  [ "$status" -eq 0 ]
  # The writer started only once web was healthy, and the page it wrote
  # into the volume is what front serves on the published port.
  [ "$(ctr_jq bcomp_web_1 .State.Health.Status)" = healthy ]
  wait_until curl -sf "http://127.0.0.1:$COMPOSE_PORT/index.html"
  run curl -sf "http://127.0.0.1:$COMPOSE_PORT/index.html"
  [ "$output" = "written by the writer for compose.bats" ]
  web_started=$(ns_of "$(ctr_jq bcomp_web_1 .State.StartedAt)")
  writer_started=$(ns_of "$(ctr_jq bcomp_writer_1 .State.StartedAt)")
  [ "$web_started" -lt "$writer_started" ]
  # the volume and the network are the project's
  run berth volume ls -q
  [ "$output" = bcomp_content ]
  run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bcomp_front
  [ "$output" = "$COMPOSE_SUBNET" ]

  run compose ps
  echo "$output"
  [ "$status" -eq 0 ]
  grep -E '^bcomp_web_1 .* Up \(healthy\)' <<<"$output"
  grep -E '^bcomp_writer_1 .* Up' <<<"$output"
  grep -E "^bcomp_front_1 .* Up .*127\.0\.0\.1:$COMPOSE_PORT->8080/tcp" <<<"$output"
  [ "$(grep -c '^bcomp_' <<<"$output")" -eq 3 ]
  run compose ps -q
  [ "${#lines[@]}" -eq 3 ]

  run compose logs --no-color writer
  echo "$output"
  grep -qx 'writer_1  | writer: index.html written' <<<"$output"

  run compose exec -T front cat /www/index.html
  [ "$status" -eq 0 ]
  [ "$output" = "written by the writer for compose.bats" ]

  # web was reported healthy before the writer started (the events of
  # the up, from the API)
  evs=$(curl -sf --unix-socket "$SOCK" -G --data-urlencode "since=$t0" \
    --data-urlencode "until=$(($(date +%s) + 1))" \
    --data-urlencode 'filters={"type":["container"]}' http://d/v1.41/events)
  healthy_at=$(jq -rs '[.[] | select(.Actor.Attributes.name == "bcomp_web_1" and
    .Action == "health_status: healthy")][0].timeNano' <<<"$evs")
  writer_at=$(jq -rs '[.[] | select(.Actor.Attributes.name == "bcomp_writer_1" and
    .Action == "start")][0].timeNano' <<<"$evs")
  echo "healthy at $healthy_at, writer started at $writer_at"
  [ "$healthy_at" -le "$writer_at" ]
  # the docker CLI reads the health-checked container's inspect document
  # (Docker's times are RFC 3339 strings)
  run dk inspect -f '{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}' bcomp_web_1
  echo "$output"
  [ "$output" = "healthy 0" ]
  # exec's status comes back (compose runs `docker exec`, which inspects
  # the container first)
  run compose exec -T web sh -c 'exit 5'
  [ "$status" -eq 5 ]

  run compose down -v
  echo "$output"
  [ "$status" -eq 0 ]
  nothing_left
  ! curl -sf -m 2 "http://127.0.0.1:$COMPOSE_PORT/index.html"
}

@test "compose up --scale web=3: three replicas, the name web resolves to all three" {
  cd "$COMPOSE_DIR/web"
  run compose up -d --scale web=3
  echo "$output"
  [ "$status" -eq 0 ]
  run compose ps -q web
  [ "${#lines[@]}" -eq 3 ]
  want=$(for i in 1 2 3; do addr_of "bcomp_web_$i"; done | sort)
  [ "$(wc -w <<<"$want")" -eq 3 ]
  # a fourth container (compose run of the client service) resolves web
  run compose run --rm client nslookup web
  echo "$output"
  [ "$status" -eq 0 ]
  got=$(awk '/^Name:/ { n = 1 } n && /^Address/ { print $NF }' <<<"$output" | sort)
  [ "$got" = "$want" ]
  # and reaches each replica at those addresses: three different hosts,
  # each the replica's own (its hostname is its short id)
  hosts=$(compose run --rm client sh -c "for a in $(echo $want); do wget -q -O- http://\$a/host; done" | sort)
  ids=$(for i in 1 2 3; do ctr_jq "bcomp_web_$i" .Config.Hostname; done | sort)
  [ "$hosts" = "$ids" ]
  [ "$(sort -u <<<"$hosts" | wc -l)" -eq 3 ]
  # compose run --rm removed its containers
  [ "$(berth ps -aq | wc -l)" -eq 5 ]
  # scaling down removes two
  run compose up -d --scale web=1
  [ "$status" -eq 0 ]
  run compose ps -q web
  [ "${#lines[@]}" -eq 1 ]
  run compose run --rm client nslookup web
  got=$(awk '/^Name:/ { n = 1 } n && /^Address/ { print $NF }' <<<"$output")
  [ "$got" = "$(addr_of bcomp_web_1)" ]

  run compose down -v
  [ "$status" -eq 0 ]
  nothing_left
}

@test "compose up of a service with a build: section builds and runs its image" {
  cd "$COMPOSE_DIR/build"
  run compose up -d
  echo "$output"
  [ "$status" -eq 0 ]
  run berth image inspect -f '{{.Id}}' bcompbuild/app:1
  [ "$status" -eq 0 ]
  wait_until sh -c 'docker-compose logs --no-color app | grep -q "built: hello"'
  run compose logs --no-color app
  grep -q 'app_1  | built: hello from the compose build context' <<<"$output"
  run compose down -v --rmi all
  [ "$status" -eq 0 ]
  # the image built for the project is removed with it
  run berth image inspect bcompbuild/app:1
  [ "$status" -ne 0 ]
  nothing_left
}
