# Helpers of the image tests: berth with a private store, real
# docker-registry instances on 127.0.0.1, the misbehaving fake registry,
# and test images built offline (tests/lib/ociimg.py).
#
#   berth ARGS...                 build/src/cli/berth --root $BERTH_ROOT
#   registry_start NAME [auth] [tls]
#                                 starts docker-registry; sets NAME_ADDR
#                                 (auth: htpasswd user alice / s3cret;
#                                 tls: self-signed cert in $DIR/NAME/ca.crt)
#   fakereg_start NAME LAYOUT FAULT [tls]
#                                 tests/lib/fakereg.py; sets NAME_ADDR, and
#                                 for its credential faults NAME_OTHER and
#                                 NAME_PLAIN (its listeners on 127.0.0.2);
#                                 tls: certificate for both addresses in
#                                 $IMGDIR/NAME/ca.crt; requests logged in
#                                 $IMGDIR/NAME/requests
#   servers_stop                  stops every server this file started
#   busybox_layout DIR TAG [ociimg args]  busybox rootfs (+ marker layer)
#   store_state                   a listing of the store to compare
#   verify_store                  every blob's content matches its name

load ../helpers

BERTH=${BERTH:-$REPO/build/src/cli/berth}
IMGDIR=${BATS_FILE_TMPDIR:-/tmp}/img

berth() { "$BERTH" --root "$BERTH_ROOT" "$@"; }

_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (bounded, ~10 s) until something answers on addr.
_wait_http() {
  local url=$1 i
  for i in $(seq 100); do
    curl -sk -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "server at $url did not start" >&2
  return 1
}

registry_start() {
  local name=$1 auth=${2:-} tls=${3:-} dir=$IMGDIR/$1 port scheme=http
  mkdir -p "$dir/data"
  port=$(_free_port)
  {
    echo "version: 0.1"
    echo "log: {level: error, accesslog: {disabled: true}}"
    echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: berth-test-$port"
  } >"$dir/config.yml"
  if [ "$tls" = tls ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
      -addext "subjectAltName=IP:127.0.0.1" \
      -keyout "$dir/key.pem" -out "$dir/ca.crt" 2>/dev/null
    printf '  tls: {certificate: %s, key: %s}\n' "$dir/ca.crt" "$dir/key.pem" >>"$dir/config.yml"
    scheme=https
  fi
  if [ "$auth" = auth ]; then
    python3 -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >"$dir/htpasswd"
    printf 'auth: {htpasswd: {realm: berth-test, path: %s}}\n' "$dir/htpasswd" >>"$dir/config.yml"
  fi
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$dir/pid" >>"$IMGDIR/servers"
  _wait_http "$scheme://127.0.0.1:$port/v2/"
  printf -v "${name}_ADDR" '%s' "127.0.0.1:$port"
  export "${name}_ADDR"
}

fakereg_start() {
  local name=$1 layout=$2 fault=$3 tls=${4:-} dir=$IMGDIR/$1 i
  local certs=()
  mkdir -p "$dir"
  rm -f "$dir/port" "$dir/port.other" "$dir/port.plain" "$dir/requests"
  if [ "$tls" = tls ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
      -addext "subjectAltName=IP:127.0.0.1,IP:127.0.0.2" \
      -keyout "$dir/key.pem" -out "$dir/ca.crt" 2>/dev/null
    certs=("$dir/ca.crt" "$dir/key.pem")
  fi
  python3 "$TESTLIB/fakereg.py" "$layout" "$dir/port" "$fault" "${certs[@]}" \
    >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$dir/pid" >>"$IMGDIR/servers"
  for i in $(seq 100); do
    [ -s "$dir/port" ] && break
    sleep 0.1
  done
  printf -v "${name}_ADDR" '%s' "127.0.0.1:$(cat "$dir/port")"
  export "${name}_ADDR"
  if [ -s "$dir/port.other" ]; then
    printf -v "${name}_OTHER" '%s' "127.0.0.2:$(cat "$dir/port.other")"
    printf -v "${name}_PLAIN" '%s' "127.0.0.2:$(cat "$dir/port.plain")"
    export "${name}_OTHER" "${name}_PLAIN"
  fi
}

servers_stop() {
  local p
  [ -f "$IMGDIR/servers" ] || return 0
  while read -r p; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
    rm -f "$p"
  done <"$IMGDIR/servers"
  rm -f "$IMGDIR/servers"
}

# A runnable busybox image in the OCI layout DIR under TAG: the busybox
# bundle's rootfs, and a second layer with /etc/berth-marker = TAG and a
# whiteout removing /etc/motd of the first.
busybox_layout() {
  local dir=$1 tag=$2
  shift 2
  _berth_base_bundle
  local base=$IMGDIR/layers
  if [ ! -d "$base/top" ]; then
    mkdir -p "$base/top/etc"
    cp -a "$BERTH_RUN_DIR/base/rootfs" "$base/rootfs"
    echo "hello from layer one" >"$base/rootfs/etc/motd"
    : >"$base/top/etc/.wh.motd"
  fi
  echo "$tag" >"$base/top/etc/berth-marker"
  python3 "$TESTLIB/ociimg.py" layout "$dir" --ref "$tag" "$@" \
    "$base/rootfs" "$base/top" >/dev/null
}

skopeo_push() { # LAYOUT TAG DEST
  skopeo copy -q --dest-tls-verify=false "oci:$1:$2" "docker://$3" >/dev/null
}

store_state() {
  (cd "$BERTH_ROOT" && find . -path ./berth.db -prune -o -path './berth.db-*' \
    -prune -o -name gc.lock -prune -o -path './run/:seccomp*' -prune -o -print |
    sort)
  berth images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}}' |
    sort
}

verify_store() {
  local f
  for f in "$BERTH_ROOT"/blobs/sha256/*; do
    [ -e "$f" ] || continue
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || {
      echo "blob $f does not match its digest" >&2
      return 1
    }
  done
}
