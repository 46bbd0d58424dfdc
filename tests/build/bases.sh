#!/bin/bash
# bases.sh [NAME...]: the base images of the build corpus, made offline and
# cached; prints "NAME ARCHIVE" per image (default: busybox debian), where
# ARCHIVE is an oci-archive (an OCI image layout in a tar, one uncompressed
# layer, the index naming it NAME's tag) that `berth load` and
# `podman load` both read, so both engines build on the same layer.
#
#   busybox  Debian's static busybox as /bin/busybox, every applet a
#            symlink to it where `busybox --list-full` puts it, /etc/passwd
#            and /etc/group with root, a few system users and `user` (1000),
#            /tmp 1777, empty /proc /sys /dev.  Tag busybox:latest.
#   debian   `debootstrap --variant=minbase bookworm` from the apt mirror
#            this machine uses (found in /etc/apt/sources.list*), then
#            cleaned of what is the build host's or the moment's (device
#            nodes, apt lists and caches, logs, resolv.conf, hostname,
#            *-old files, ldconfig's aux cache), shadow's last-change days
#            fixed to EPOCH.  Tag debian:bookworm.  debootstrap takes
#            28-80 s here (2 cores, depending on the load).
#
# Reproducible: the layer tar is sorted, owners numeric, no atime/ctime,
# mtimes clamped to EPOCH (2025-05-20, the date of the mirror's snapshot);
# the config and layout carry fixed dates.  A busybox base is the same
# bytes on every machine with the same busybox-static; two debootstraps
# of the same mirror here gave byte-identical Debian archives.
#
# Cache: ${BERTH_TEST_CACHE:-/var/cache/berth-test}/bases/NAME-KEY.oci.tar,
# KEY a hash of everything the image is made from (this script's code,
# ociimg.py, the busybox binary; for Debian the mirror, suite,
# debootstrap's version and the mirror's InRelease as apt last fetched
# it), so a change to any of them makes a new archive and a re-run finds
# the old one in no time.
# Older archives of a NAME are removed when a new one is made.  A lock
# keeps two runs from making the same image at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../lib
cache=${BERTH_TEST_CACHE:-/var/cache/berth-test}/bases
EPOCH=1747699200 # 2025-05-20T00:00:00Z
CREATED=2025-05-20T00:00:00Z
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SUITE=bookworm
BUSYBOX=${BUSYBOX:-/bin/busybox}

# The Debian mirror of the apt sources (one-line or deb822) serving
# $SUITE's main component, e.g. http://deb.debian.org/debian.
mirror() {
  python3 - "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/* <<'PY'
import re, sys
suite, found = sys.argv[1], []
for path in sys.argv[2:]:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            f = dict((k.strip().lower(), v.split()) for k, _, v in
                     (l.partition(":") for l in stanza.splitlines()
                      if l and not l.startswith(("#", " "))))
            if "deb" in f.get("types", []) and suite in f.get("suites", []) \
                    and "main" in f.get("components", []):
                found += f.get("uris", [])
    else:
        for l in text.splitlines():
            w = re.sub(r"\[[^]]*\]", "", l).split()
            if len(w) >= 4 and w[0] == "deb" and w[2] == suite and "main" in w[3:]:
                found.append(w[1])
if not found:
    sys.exit("bases: no apt source serves %s main" % suite)
print(found[0].rstrip("/"))
PY
}

key() { # NAME: the hash of what NAME's image is made from
  {
    echo "$1"
    # This script without its comments: rewording them remakes nothing.
    sed '/^[[:space:]]*#/d' "$here/bases.sh" | sha256sum | cut -d' ' -f1
    sha256sum "$lib/ociimg.py" | cut -d' ' -f1
    case $1 in
    busybox) sha256sum "$BUSYBOX" | cut -d' ' -f1 ;;
    debian)
      local m
      m=$(mirror)
      echo "$m $SUITE"
      dpkg-query -W -f='${Version}\n' debootstrap
      # The mirror's state as apt saw it: the same file names apt uses.
      local list
      list=/var/lib/apt/lists/$(echo "${m#*://}" | tr / _)_dists_${SUITE}_InRelease
      if [ -f "$list" ]; then sha256sum "$list" | cut -d' ' -f1; else echo no-list; fi
      ;;
    esac
  } | sha256sum | cut -c1-16
}

busybox_rootfs() { # DIR
  local r=$1 p
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var/www}
  chmod 1777 "$r/tmp"
  chmod 700 "$r/root"
  install -m 755 "$BUSYBOX" "$r/bin/busybox"
  for p in $("$BUSYBOX" --list-full); do
    case $p in */) continue ;; esac # linuxrc/
    [ -e "$r/$p" ] || [ -L "$r/$p" ] || ln -s /bin/busybox "$r/$p"
  done
  cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
P
  cat >"$r/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
www-data:x:33:
users:x:100:user
user:x:1000:
nogroup:x:65534:
G
  chown 1000:1000 "$r/home/user"
  chown 33:33 "$r/var/www"
}

debian_rootfs() { # DIR
  local r=$1 m start log=$1.debootstrap.log
  m=$(mirror)
  start=$(date +%s.%N)
  debootstrap --variant=minbase "$SUITE" "$r" "$m" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    echo "bases: debootstrap $SUITE from $m failed" >&2
    return 1
  }
  echo "bases: debootstrap took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s" >&2
  # What belongs to this build host or this moment, not to the image.
  find "$r/dev" -mindepth 1 -delete
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin \
    "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/ldconfig/aux-cache \
    "$r"/var/lib/dpkg/*-old "$r"/var/cache/debconf/*-old \
    "$r"/etc/resolv.conf "$r"/etc/hostname "$r"/debootstrap
  mkdir -p "$r/var/lib/apt/lists/partial"
  find "$r/var/log" -type f -delete
  local days=$((EPOCH / 86400))
  sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$days:/" "$r/etc/shadow"
}

layer_tar() { # DIR OUT: the reproducible tar of DIR's contents
  (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort |
    tar --sort=name --format=posix --numeric-owner \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      --mtime="@$EPOCH" --clamp-mtime --xattrs -cf "$2" -T -)
}

make_image() { # NAME OUT
  local name=$1 out=$2 tag cmd
  tmp=$(mktemp -d "$cache/.make-$name.XXXXXX")
  case $name in
  busybox) busybox_rootfs "$tmp/rootfs"; tag=busybox:latest cmd=sh ;;
  debian) debian_rootfs "$tmp/rootfs"; tag=debian:$SUITE cmd=bash ;;
  *) echo "bases: unknown base image $name (busybox, debian)" >&2; return 1 ;;
  esac
  layer_tar "$tmp/rootfs" "$tmp/layer.tar"
  python3 "$lib/ociimg.py" layout "$tmp/oci" --ref "$tag" --compress none \
    --created "$CREATED" --cmd "$cmd" --env "$PATH_ENV" --no-label \
    "$tmp/layer.tar" >/dev/null
  (cd "$tmp/oci" && tar --sort=name --numeric-owner --owner=0 --group=0 \
    --mtime="@$EPOCH" -cf "$tmp/image.tar" oci-layout index.json blobs)
  mv "$tmp/image.tar" "$out"
  rm -rf --one-file-system "$tmp"
  tmp=
}

tmp=
trap '[ -z "$tmp" ] || rm -rf --one-file-system "$tmp"' EXIT

[ "$(id -u)" = 0 ] || { echo "bases: run as root (debootstrap, owners)" >&2; exit 1; }
mkdir -p "$cache"
[ $# -gt 0 ] || set -- busybox debian
for name in "$@"; do
  case $name in busybox | debian) ;; *)
    echo "bases: unknown base image $name (busybox, debian)" >&2; exit 1 ;;
  esac
  out=$cache/$name-$(key "$name").oci.tar
  if [ ! -f "$out" ]; then
    exec 9>"$cache/.$name.lock"
    flock 9
    if [ ! -f "$out" ]; then
      echo "bases: making $name (once per machine)" >&2
      make_image "$name" "$out"
      for old in "$cache/$name"-*.oci.tar; do
        [ "$old" = "$out" ] || rm -f "$old"
      done
    fi
    exec 9>&-
  fi
  echo "$name $out"
done
