#!/bin/sh
# Installs every build and test dependency from Debian 12's repositories.
# Idempotent: packages already present are skipped without a download.
set -eu
# gcc-aarch64-linux-gnu and qemu-user-static: tests/stub runs the exec stub
# built for every other CPU berth builds for.  debootstrap: the Debian base
# image of the build corpus (tests/build/bases.sh), made from the apt mirror.
# libmicrohttpd: the API server; python3-docker, docker-compose: its clients.
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  libjansson-dev libseccomp-dev libcmocka-dev bats jq busybox-static
  libcurl4-openssl-dev libsqlite3-dev libarchive-dev libssl-dev libisal-dev libmnl-dev libnftables-dev nftables
  libmicrohttpd-dev python3-docker docker-compose
  docker-registry skopeo umoci python3 zstd openssl curl
  netavark aardvark-dns iperf3 wrk iputils-ping
  crun runc podman debootstrap hyperfine valgrind procps util-linux iproute2
  musl-tools gcc-aarch64-linux-gnu qemu-user-static"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: run as root to install:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the lists at most once per run of this script.
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
# The docker CLI the API tests drive (Debian's 20.10 client).
"$(dirname "$0")/docker-cli.sh"
echo "deps: all installed"
