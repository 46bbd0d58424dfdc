#!/usr/bin/env bats
# Registries that require credentials (htpasswd Basic auth) and TLS.

load image

setup_file() {
  mkdir -p "$IMGDIR"
  registry_start AUTH auth tls
  busybox_layout "$IMGDIR/oci" busybox
  skopeo copy -q --dest-tls-verify=false --dest-creds alice:s3cret \
    "oci:$IMGDIR/oci:busybox" "docker://$AUTH_ADDR/private/busybox:latest"
}

teardown_file() {
  servers_stop
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  AUTHFILE=$BATS_TEST_TMPDIR/auth.json
  export BERTH_ROOT AUTHFILE
  CERTS=$IMGDIR/AUTH
}

@test "TLS: a certificate nobody vouches for is refused" {
  run berth pull -q "$AUTH_ADDR/private/busybox"
  [ "$status" -ne 0 ]
  [[ "$output" == *"certificate"* ]]
  [ ! -e "$BERTH_ROOT/snapshots" ] || [ -z "$(ls "$BERTH_ROOT/snapshots" | grep -v tmp)" ]
}

@test "without credentials the pull fails and says to log in" {
  run berth pull -q --cert-dir "$CERTS" --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  [ "$status" -ne 0 ]
  [[ "$output" == *"berth login"* ]]
}

@test "login with a wrong password fails and stores nothing" {
  run berth login --cert-dir "$CERTS" --authfile "$AUTHFILE" -u alice -p wrong "$AUTH_ADDR"
  [ "$status" -ne 0 ]
  [[ "$output" == *"wrong username or password"* ]]
  [ ! -e "$AUTHFILE" ]
}

@test "login, pull and push with credentials, then logout" {
  echo s3cret | berth login --cert-dir "$CERTS" --authfile "$AUTHFILE" -u alice --password-stdin "$AUTH_ADDR"
  [ "$(stat -c %a "$AUTHFILE")" = 600 ]
  [ "$(jq -r --arg r "$AUTH_ADDR" '.auths[$r].auth' "$AUTHFILE" | base64 -d)" = alice:s3cret ]
  berth pull -q --cert-dir "$CERTS" --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  berth tag "$AUTH_ADDR/private/busybox" "$AUTH_ADDR/private/again:1"
  berth push -q --cert-dir "$CERTS" --authfile "$AUTHFILE" "$AUTH_ADDR/private/again:1"
  skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$AUTH_ADDR/private/again:1" >/dev/null
  berth logout --authfile "$AUTHFILE" "$AUTH_ADDR"
  [ "$(jq -r '.auths | length' "$AUTHFILE")" = 0 ]
  run berth pull -q --cert-dir "$CERTS" --authfile "$AUTHFILE" "$AUTH_ADDR/private/again:1"
  [ "$status" -ne 0 ]
}

@test "credentials from REGISTRY_AUTH_FILE and --tls-verify=false" {
  echo s3cret | berth login --tls-verify=false --authfile "$AUTHFILE" -u alice --password-stdin "$AUTH_ADDR"
  REGISTRY_AUTH_FILE=$AUTHFILE run berth pull -q --tls-verify=false "$AUTH_ADDR/private/busybox"
  [ "$status" -eq 0 ]
  [ "$(berth images -q | wc -l)" -eq 1 ]
}
