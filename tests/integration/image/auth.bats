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

teardown() {
  # Only this registry's directory (its port is ours); certs.d itself is
  # removed only when this file created it.
  local d
  for d in /etc/containers/certs.d /etc/docker/certs.d; do
    rm -rf "${d:?}/$AUTH_ADDR"
    [ -e "$BATS_FILE_TMPDIR/made-${d//\//_}" ] && rmdir "$d" 2>/dev/null
  done
  return 0
}

# Installs the registry's CA where docker or podman would look for it.
install_ca() {
  local d=$1
  [ -d "$d" ] || { mkdir "$d" && touch "$BATS_FILE_TMPDIR/made-${d//\//_}"; }
  mkdir -p "$d/$AUTH_ADDR"
  cp "$CERTS/ca.crt" "$d/$AUTH_ADDR/ca.crt"
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

@test "the registry's CA is found in /etc/docker/certs.d and /etc/containers/certs.d" {
  echo s3cret | berth login --cert-dir "$CERTS" --authfile "$AUTHFILE" -u alice --password-stdin "$AUTH_ADDR"
  # Control: without a CA anywhere, TLS fails.
  run berth pull -q --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  [ "$status" -ne 0 ]
  [[ "$output" == *certificate* ]]
  install_ca /etc/docker/certs.d
  run berth pull -q --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  [ "$status" -eq 0 ]
  rm -rf "/etc/docker/certs.d/$AUTH_ADDR"
  install_ca /etc/containers/certs.d
  berth rmi "$AUTH_ADDR/private/busybox" >/dev/null
  run berth pull -q --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  [ "$status" -eq 0 ]
  # --cert-dir replaces the search: a directory without the CA fails.
  mkdir -p "$BATS_TEST_TMPDIR/empty"
  berth rmi "$AUTH_ADDR/private/busybox" >/dev/null
  run berth pull -q --cert-dir "$BATS_TEST_TMPDIR/empty" --authfile "$AUTHFILE" "$AUTH_ADDR/private/busybox"
  [ "$status" -ne 0 ]
}

@test "credentials from \$XDG_RUNTIME_DIR/containers/auth.json and \$DOCKER_CONFIG" {
  for where in xdg docker; do
    rm -rf "$BATS_TEST_TMPDIR/xdg" "$BATS_TEST_TMPDIR/dc" "$BERTH_ROOT"
    mkdir -p "$BATS_TEST_TMPDIR/xdg/containers" "$BATS_TEST_TMPDIR/dc"
    case $where in
      xdg) file=$BATS_TEST_TMPDIR/xdg/containers/auth.json ;;
      docker) file=$BATS_TEST_TMPDIR/dc/config.json ;;
    esac
    echo s3cret | berth login --cert-dir "$CERTS" --authfile "$file" -u alice --password-stdin "$AUTH_ADDR"
    XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg DOCKER_CONFIG=$BATS_TEST_TMPDIR/dc \
      run berth pull -q --cert-dir "$CERTS" "$AUTH_ADDR/private/busybox"
    [ "$status" -eq 0 ]
    # Control: the same pull without that file fails.
    rm "$file" && rm -rf "$BERTH_ROOT"
    XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg DOCKER_CONFIG=$BATS_TEST_TMPDIR/dc \
      run berth pull -q --cert-dir "$CERTS" "$AUTH_ADDR/private/busybox"
    [ "$status" -ne 0 ]
    [[ "$output" == *"berth login"* ]]
  done
}
