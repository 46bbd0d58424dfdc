#!/usr/bin/env bats
# A built image is an ordinary image: pushed by berth to a real registry
# (docker-registry on 127.0.0.1), it is pulled and run by podman and by
# another berth root, with the files, owners and config the Dockerfile
# gave it.

load ../engine/engine
load ../image/image
load ../podman

setup_file() {
  engine_setup_file
  registry_start REG
  podman_start bpush
}

teardown_file() {
  podman_stop
  servers_stop
  engine_teardown_file
}

teardown() { engine_teardown; }

@test "a built image pushed to the registry is pulled and run by podman" {
  local ctx=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$ctx"
  echo "built by berth" >"$ctx/msg"
  cat >"$ctx/Dockerfile" <<'DF'
FROM bb
COPY --chown=1000:1000 msg /srv/msg
RUN chmod 0640 /srv/msg && rm /etc/motd 2>/dev/null; echo ran >/srv/ran
ENV GREETING=hello
WORKDIR /srv
CMD ["sh", "-c", "cat msg ran; echo $GREETING; stat -c '%u:%g %a' msg; pwd"]
DF
  run berth build -q -t "$REG_ADDR/built/app:1" "$ctx"
  [ "$status" -eq 0 ]
  run berth push -q "$REG_ADDR/built/app:1"
  [ "$status" -eq 0 ]
  run podman pull -q --tls-verify=false "$REG_ADDR/built/app:1"
  [ "$status" -eq 0 ]
  run podman run --rm --network none "$REG_ADDR/built/app:1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "built by berth" ]
  [ "${lines[1]}" = ran ]
  [ "${lines[2]}" = hello ]
  [ "${lines[3]}" = "1000:1000 640" ]
  [ "${lines[4]}" = /srv ]
  # The same through a fresh berth root.
  local other=$BATS_TEST_TMPDIR/other
  "$BERTH" --root "$other" pull -q "$REG_ADDR/built/app:1" >/dev/null
  run "$BERTH" --root "$other" run --rm "$REG_ADDR/built/app:1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "built by berth" ]
  [ "${lines[3]}" = "1000:1000 640" ]
  "$BERTH" --root "$other" system reset -f >/dev/null 2>&1
  rm -rf "$other"
}
