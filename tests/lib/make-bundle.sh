#!/bin/sh
# make-bundle.sh DIR [PROBE]: builds an OCI bundle offline in DIR.
# DIR/rootfs gets Debian's static busybox (one symlink per applet), the
# static test helper /bin/probe, minimal /etc files and empty mount points;
# DIR/config.json comes from config.template.json next to this script.
# PROBE (argument or env) is the built probe binary; built here if absent.
# CID (env) replaces the "CID" placeholder in linux.cgroupsPath.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: make-bundle.sh DIR [PROBE]}
probe=${2:-${PROBE:-}}
busybox=${BUSYBOX:-/bin/busybox}

if [ -z "$probe" ]; then
  probe=$dir/.probe
  cc -static -O2 -Wall -Wextra -o "$probe" "$here/probe.c"
fi
[ -x "$probe" ] || { echo "make-bundle: probe not executable: $probe" >&2; exit 1; }

rootfs=$dir/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" \
  "$rootfs/dev" "$rootfs/tmp" "$rootfs/root" "$rootfs/home/tester"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
cp "$probe" "$rootfs/bin/probe"
for applet in $("$busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
# Absolute-path users (/usr/bin/env, /sbin/...) find busybox too.
mkdir -p "$rootfs/usr"
[ -e "$rootfs/usr/bin" ] || ln -s ../bin "$rootfs/usr/bin"
[ -e "$rootfs/sbin" ] || ln -s bin "$rootfs/sbin"
[ -e "$rootfs/usr/sbin" ] || ln -s ../bin "$rootfs/usr/sbin"

cat > "$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$rootfs/etc/group" <<'G'
root:x:0:
tester:x:1000:
testers:x:1001:tester
nogroup:x:65534:
G
echo berth > "$rootfs/etc/hostname"
chown 1000:1000 "$rootfs/home/tester"

sed "s|/berth-test/CID|/berth-test/${CID:-bundle}|" \
  "$here/config.template.json" > "$dir/config.json"
rm -f "$dir/.probe"
