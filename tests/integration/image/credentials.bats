#!/usr/bin/env bats
# Registry credentials go to the registry and to the token realm it names,
# nowhere else: not to a host a redirect leads to (even when that host
# answers 401 with a challenge of its own), not in clear to an http realm
# of an https registry, and not over plain HTTP to a name that merely looks
# like a loopback address.
#
# tests/lib/fakereg.py plays the registry (127.0.0.1) and "another host"
# (127.0.0.2, TLS and plain listeners) and logs every request it receives
# with its Authorization header: what reached each host is checked on the
# wire.  The controls show the same listeners do log credentials when a
# client sends them there.

load image

BASIC="Basic $(printf alice:s3cret | base64)"
BEARER="Bearer fake-token-for-alice"

setup_file() {
  mkdir -p "$IMGDIR"
  busybox_layout "$IMGDIR/oci" busybox
}

setup() {
  BERTH_ROOT=$BATS_TEST_TMPDIR/root
  AUTHFILE=$BATS_TEST_TMPDIR/auth.json
  export BERTH_ROOT AUTHFILE
  export BERTH_REGISTRY_TIMEOUT=5 BERTH_REGISTRY_RETRIES=1
}

teardown() {
  servers_stop
}

# The credentials alice:s3cret for REGISTRY in $AUTHFILE.
login_as_alice() {
  jq -n --arg r "$1" --arg a "$(printf alice:s3cret | base64)" \
    '{auths: {($r): {auth: $a}}}' >"$AUTHFILE"
}

# What listener L of fake registry F received: "METHOD PATH AUTH" lines.
received() { # F L
  [ -f "$IMGDIR/$1/requests" ] || return 0
  jq -r --arg l "$2" 'select(.listener == $l) |
    "\(.method) \(.path) \(.authorization // "-")"' "$IMGDIR/$1/requests"
}

pull() { # F [flags...] : pulls test/img:busybox from fake registry F
  local f=$1 addr
  shift
  addr=${f}_ADDR
  run timeout 60 "$BERTH" --root "$BERTH_ROOT" pull -q --authfile "$AUTHFILE" \
    "$@" "${!addr}/test/img:busybox"
  echo "$output"
}

@test "control: a realm on the registry itself gets the credentials" {
  fakereg_start F "$IMGDIR/oci" auth-same-realm tls
  login_as_alice "$F_ADDR"
  pull F --cert-dir "$IMGDIR/F"
  [ "$status" -eq 0 ]
  received F registry | grep -q "^GET /token?.* $BASIC$"
  received F registry | grep -q "^GET /v2/test/img/blobs/.* $BEARER$"
}

@test "a realm the registry names on another host is honoured (Docker Hub's layout)" {
  fakereg_start F "$IMGDIR/oci" auth-other-realm tls
  login_as_alice "$F_ADDR"
  pull F --cert-dir "$IMGDIR/F"
  [ "$status" -eq 0 ]
  # The other host's token endpoint got the password: the listener that
  # the next test's hostile challenge names does see credentials sent there.
  received F other | grep -q "^GET /token?.*service=fakereg.* $BASIC$"
  # The token itself stays with the registry.
  ! received F other | grep -q "Bearer"
}

@test "a redirect target answering 401 with its own realm never gets the credentials" {
  fakereg_start F "$IMGDIR/oci" redirect-401 tls
  login_as_alice "$F_ADDR"
  pull F --cert-dir "$IMGDIR/F"
  # The redirected request reached the other host, without any credential,
  # and its realm was never asked for a token.
  received F other
  received F other | grep -q "^GET /blobs/sha256:"
  [ -z "$(received F other | grep -v ' -$')" ]
  ! received F other | grep -q "/token"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"401 from \`https://127.0.0.2:"*"credentials for $F_ADDR are not sent there"* ]]
  # Nothing half-done in the store.
  [ -z "$(berth images -q)" ]
  # Control: that realm logs the credentials when a client does send them.
  curl -s --cacert "$IMGDIR/F/ca.crt" -u alice:s3cret \
    "https://$F_OTHER/token?service=evil" >/dev/null
  received F other | grep -q "^GET /token?service=evil $BASIC$"
}

@test "redirected blobs are fetched without sending the registry's token along" {
  fakereg_start F "$IMGDIR/oci" redirect-ok tls
  login_as_alice "$F_ADDR"
  pull F --cert-dir "$IMGDIR/F"
  [ "$status" -eq 0 ]
  verify_store
  received F other | grep -q "^GET /blobs/sha256:.* -$"
  [ -z "$(received F other | grep -v ' -$')" ]
  # Control: the same blob requests at the registry carried the token.
  received F registry | grep -q "^GET /v2/test/img/blobs/.* $BEARER$"
}

@test "an https registry's plain-http realm is refused; a plain-http registry's is used" {
  fakereg_start F "$IMGDIR/oci" auth-http-realm tls
  login_as_alice "$F_ADDR"
  pull F --cert-dir "$IMGDIR/F"
  received F plain
  [ -z "$(received F plain)" ]
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"realm \`http://$F_PLAIN/token\` is plain HTTP"* ]]
  [ -z "$(berth images -q)" ]
  servers_stop
  # Control: for a registry itself on plain HTTP (loopback) the same realm
  # is honoured and the plain listener does receive the password.
  fakereg_start F "$IMGDIR/oci" auth-http-realm
  login_as_alice "$F_ADDR"
  pull F
  [ "$status" -eq 0 ]
  received F plain | grep -q "^GET /token?.* $BASIC$"
}

# Names that only look like loopback addresses, pointed at 127.0.0.1 by an
# /etc/hosts bind-mounted in a private mount namespace.
pull_as() { # NAME [flags...]
  local name=$1
  shift
  run timeout 60 unshare -m --propagation private sh -c '
    mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$HOSTS" \
    "$BERTH" --root "$BERTH_ROOT" pull -q --authfile "$AUTHFILE" "$@" \
    "$name/test/img:busybox"
  echo "$output"
}

@test "plain HTTP (and so credentials in clear) only for real loopback names" {
  fakereg_start F "$IMGDIR/oci" auth-same-realm
  port=${F_ADDR##*:}
  HOSTS=$BATS_TEST_TMPDIR/hosts
  printf '127.0.0.1 localhost 127.example.com 127.0.0.1.evil.test\n' >"$HOSTS"
  for name in 127.example.com 127.0.0.1.evil.test; do
    login_as_alice "$name:$port"
    pull_as "$name:$port"
    received F registry
    [ -z "$(received F registry)" ] # not one HTTP request, so no password
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
    [[ "$output" == *"no TLS there"*"loopback"* ]]
    [ -z "$(berth images -q)" ]
  done
  # Control: the names do lead to the registry, which then gets the
  # password over plain HTTP, once the user allows plain HTTP.
  login_as_alice "127.example.com:$port"
  pull_as "127.example.com:$port" --tls-verify=false
  [ "$status" -eq 0 ]
  received F registry | grep -q "^GET /token?.* $BASIC$"
  # And real loopback names need no flag.
  for name in 127.0.0.1 localhost; do
    rm -rf "$BERTH_ROOT"
    login_as_alice "$name:$port"
    pull_as "$name:$port"
    [ "$status" -eq 0 ]
  done
}
