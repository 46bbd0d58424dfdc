#!/bin/sh
# Puts Debian's docker.io 20.10 client at /var/cache/berth-test/docker-20.10/docker
# for the API tests, without installing docker.io: installing it would start
# dockerd, which must never run on a machine that tests berth.  The package
# is fetched with `apt-get download` and only /usr/bin/docker is taken out.
# Idempotent.
set -eu
dir=/var/cache/berth-test/docker-20.10
[ -x "$dir/docker" ] && { echo "docker-cli: $dir/docker present"; exit 0; }
tmp=$(mktemp -d /tmp/berth-dockerio.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# apt-get download drops privileges to _apt, which must be able to write here.
chmod 0755 "$tmp"
# Lists that were never fetched (or are stale) are refreshed once.
(cd "$tmp" && apt-get download -q docker.io >/dev/null 2>&1) || {
  apt-get update -q >/dev/null
  (cd "$tmp" && apt-get download -q docker.io >/dev/null)
}
dpkg-deb -x "$tmp"/docker.io_*.deb "$tmp/x"
mkdir -p "$dir"
install -m 0755 "$tmp/x/usr/bin/docker" "$dir/docker.new"
mv "$dir/docker.new" "$dir/docker"
echo "docker-cli: $("$dir/docker" --version)"
