# A docker-registry on 127.0.0.1:PORT for the image API tests (ports
# 19300-19349 are theirs), optionally with htpasswd authentication
# (alice / s3cret), and an image pushed into it by berth.
#
#   img_registry_start DIR PORT [auth]   serves from DIR; waits until up
#   img_registry_stop DIR
#   img_registries_stop [DIR]            every one the test started (DIR:
#                                        those listed in DIR, setup_file's in
#                                        $API_DIR); from teardown, so that a
#                                        failed test's go too
#   img_registry_authfile DIR PORT       a containers-auth.json for it

img_registry_start() {
  local dir=$1 port=$2 auth=${3:-}
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http:
  addr: 127.0.0.1:$port
  secret: berth-api-img-$port
YML
  if [ "$auth" = auth ]; then
    python3 -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >"$dir/htpasswd"
    printf 'auth: {htpasswd: {realm: berth-test, path: %s}}\n' "$dir/htpasswd" >>"$dir/config.yml"
  fi
  # fd 3 closed: bats waits for every holder of it before it ends.
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
  echo $! >"$dir/pid"
  # A test's registries are listed in its own directory, setup_file's in
  # the file's.
  echo "$dir" >>"${BATS_TEST_TMPDIR:-$API_DIR}/registries"
  local i
  for i in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && return 0
    sleep 0.1
  done
  echo "docker-registry on $port did not start" >&2
  return 1
}

img_registry_stop() {
  [ -f "$1/pid" ] && kill "$(cat "$1/pid")" 2>/dev/null
  rm -f "$1/pid"
  return 0
}

img_registries_stop() {
  local list=${1:-$BATS_TEST_TMPDIR}/registries d
  [ -f "$list" ] || return 0
  while read -r d; do img_registry_stop "$d"; done <"$list"
  rm -f "$list"
}

img_registry_authfile() {
  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$2" \
    "$(printf alice:s3cret | base64)" >"$1/auth.json"
  echo "$1/auth.json"
}
