#!/bin/bash
# Runs the OCI runtime-tools validation suite (the 58 programs under
# validation/ in Debian's golang-github-opencontainers-runtime-tools source,
# plus the runtimetest binary they copy into each bundle) against one runtime.
#
#   RUNTIME=berth|runc|crun|/path/to/runtime tests/oci-validation/run.sh [PROGRAM...]
#
# RUNTIME      berth (default: $BUILD/src/cli/berth-runtime), runc, crun (run
#              through tests/lib/crun-hybrid), or the path of a runtime with
#              runc's command line.
# OCI_VALIDATION_SRC      a runtime-tools source tree to use instead of
#                         fetching Debian's (validation/, cmd/runtimetest/,
#                         rootfs-amd64.tar.gz).
# OCI_VALIDATION_CACHE    where the fetched source and Go's build cache are
#                         kept between runs (default /var/cache/berth-oci-validation).
# OCI_VALIDATION_TIMEOUT  seconds per program (default 120).
# OCI_VALIDATION_LOG      keep each program's output here (default: dropped).
# OCI_VALIDATION_EXPECT   a file naming one program per line ('#' comments):
#                         the run fails if any of them fails. Without it the
#                         run fails if any program fails.
#
# Prints one line per program and closes with the totals: programs passed of
# those run, TAP assertions ok / not ok (expected failures marked TODO by the
# suite are counted apart).  A program passes when it exits 0, prints no
# "not ok" (other than TODO) and no failure diagnostic outside a test point
# (hooks, poststart_fail, poststop_fail, prestart_fail and state report
# their findings only that way).
#
# Everything the suite creates is kept where it can be removed: bundles under
# a private TMPDIR, the runtime's state under a private --root, cgroups under
# the names the suite uses (/cgrouptest, testdir/cgrouptest/container) or the
# container ids it used; all are removed afterwards, even on failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/lib/cgroups.sh
. "$repo/tests/lib/cgroups.sh"

RUNTIME=${RUNTIME:-berth}
CACHE=${OCI_VALIDATION_CACHE:-/var/cache/berth-oci-validation}
TIMEOUT=${OCI_VALIDATION_TIMEOUT:-120}
# Debian 12 (bookworm) packages the library part only and its source
# tarball is not served here; trixie's source of the same package is.
SRC_SUITE=${OCI_VALIDATION_SUITE:-trixie}
SRC_PKG=golang-github-opencontainers-runtime-tools
SRC_VERSION=${OCI_VALIDATION_VERSION:-0.9.0.109.ge931285-1}
# Debian packages of the Go libraries the programs import (GOPATH mode).
GO_DEBS="golang-go golang-github-opencontainers-runtime-tools-dev
  golang-github-google-uuid-dev jq util-linux"

die() { echo "oci-validation: $*" >&2; exit 2; }

install_deps() {
  local missing="" p
  for p in $GO_DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "run as root to install:$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $missing >/dev/null ||
    die "apt-get install failed:$missing"
}

# Fetches Debian's source package with apt-get through a private sources
# list (deb-src is not configured on the host, and must not be changed).
# apt verifies each file against the Sources index before keeping it; the
# .dsc may be missing on the mirror, so only the orig tarball is required.
fetch_source() {
  local dir=$CACHE/src/$SRC_VERSION apt=$CACHE/apt
  if [ -d "$dir/validation" ]; then echo "$dir"; return 0; fi
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/dl" || return 1
  echo "deb-src http://deb.debian.org/debian $SRC_SUITE main" > "$apt/sources.list"
  local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
    -o Dir::Etc::SourceParts=/nonexistent -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt")
  echo "oci-validation: fetching $SRC_PKG $SRC_VERSION ($SRC_SUITE) with apt-get" >&2
  apt-get "${opts[@]}" update > "$apt/log" 2>&1 || { cat "$apt/log" >&2; return 1; }
  # The mirror may lack the .dsc (apt-get then fails): what matters is
  # the orig tarball, checked below.
  (cd "$apt/dl" && apt-get "${opts[@]}" source --download-only \
    "$SRC_PKG=$SRC_VERSION" >> "$apt/log" 2>&1)
  local orig
  orig=$(find "$apt/dl" -maxdepth 1 -name "${SRC_PKG}_${SRC_VERSION%-*}.orig.tar.*" | head -1)
  [ -n "$orig" ] || { cat "$apt/log" >&2; return 1; }
  mkdir -p "$dir.tmp" && tar -xf "$orig" -C "$dir.tmp" --strip-components=1 &&
    mv "$dir.tmp" "$dir" && echo "$dir"
}

# Builds runtimetest and every program into $W/bin in GOPATH mode: the
# source tree first, then Debian's /usr/share/gocode, then the tap-go
# stand-in (Debian does not package github.com/mndrix/tap-go).
build_suite() {
  local gp=$W/gopath
  mkdir -p "$gp/src/github.com/opencontainers" "$gp/src/github.com/mndrix/tap-go" "$W/bin"
  cp -r "$SRC" "$gp/src/github.com/opencontainers/runtime-tools"
  cp "$here/tap-go/tap.go" "$gp/src/github.com/mndrix/tap-go/"
  export GOPATH=$gp:/usr/share/gocode GO111MODULE=off CGO_ENABLED=0 \
    GOFLAGS='' GOCACHE=$CACHE/gocache
  local pkg=github.com/opencontainers/runtime-tools p
  (cd "$W" && go build -o bin/runtimetest "$pkg/cmd/runtimetest") || return 1
  for p in "${PROGRAMS[@]}"; do
    (cd "$W" && go build -o "bin/$p.t" "$pkg/validation/$p") || return 1
  done
  cp "$SRC/rootfs-$(go env GOARCH).tar.gz" "$W/bin/" || return 1
}

# The RUNTIME the programs call: the real runtime with a private --root,
# recording each container id so its cgroups can be removed afterwards.
write_wrapper() {
  local real kind=$1
  case $kind in
    berth) real=${BERTH_RUNTIME:-$repo/${BUILD:-build}/src/cli/berth-runtime} ;;
    runc) real=runc ;;
    crun) real=$repo/tests/lib/crun-hybrid ;;
    *) real=$RUNTIME ;;
  esac
  REAL=$real
  cat > "$W/rt" <<EOF
#!/bin/sh
# Generated by tests/oci-validation/run.sh for one run.
set -u
verb= bundle=. id=
prev=
for a in "\$@"; do
  case \$prev in --bundle|-b) bundle=\$a ;; esac
  case \$a in --bundle=*) bundle=\${a#--bundle=} ;; esac
  [ -z "\$verb" ] && case \$a in -*) ;; *) verb=\$a ;; esac
  prev=\$a id=\$a
done
if [ "\$verb" = create ] || [ "\$verb" = run ]; then
  printf '%s\n' "\$id" >> "$W/ids"
  $( [ "$kind" = runc ] && echo "'$here/anchor-cgroup' \"\$bundle/config.json\" \"\$id\" /berth-test/ocival-runc" )
fi
exec "$real" --root "$W/state" "\$@"
EOF
  chmod 755 "$W/rt"
}

cleanup_containers() {
  local id
  for id in $("$REAL" --root "$W/state" list -q 2>/dev/null); do
    "$REAL" --root "$W/state" delete -f "$id" >/dev/null 2>&1
  done
  findmnt -rn -o TARGET | awk -v p="$W/" 'index($0, p) == 1' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "${W:?}/tmp" && mkdir -m 0711 "$W/tmp"
}

cleanup() {
  [ -n "${W:-}" ] && [ -d "$W" ] || return 0
  cleanup_containers
  local paths=(/cgrouptest/container /cgrouptest /testdir/cgrouptest/container
    /testdir/cgrouptest /testdir /berth/testdir/cgrouptest/container
    /berth/testdir/cgrouptest /berth/testdir /berth-test/ocival-runc) id
  if [ -f "$W/ids" ]; then
    while read -r id; do
      case $id in ''|*/*|.|..) continue ;; esac
      paths+=("/$id" "/berth/$id")
    done < <(sort -u "$W/ids")
  fi
  # berth-runtime puts relative cgroupsPaths under /berth: that parent
  # goes too when this run made it (empty cgroups only: rmdir).
  [ -n "$BERTH_PARENT_BEFORE" ] || paths+=(/berth)
  remove_cgroups "${paths[@]}"
  rm -rf "$W"
}

# tap_counts FILE: prints "ok notok todo orphan_errors".  A YAML block that
# follows no test point and carries an "error" key is a failure the program
# reported without a test point.
tap_counts() {
  awk '
    /^ok /            { ok++; last = "test"; next }
    /^not ok .*# TODO/ { todo++; last = "test"; next }
    /^not ok /        { bad++; last = "test"; next }
    /^  ---/          { inyaml = 1; orphan = (last != "test"); next }
    /^  \.\.\./       { inyaml = 0; last = "yaml"; next }
    inyaml && orphan && /"error":/ { orphanerr++; orphan = 0; next }
    inyaml            { next }
    /^TAP version|^1\.\./ { last = "plan"; next }
    END { printf "%d %d %d %d\n", ok, bad, todo, orphanerr }' "$1"
}

run_program() {
  local p=$1 start end rc
  local out=$W/out/$p.tap
  start=$(date +%s.%N)
  (cd "$W/bin" && TMPDIR=$W/tmp RUNTIME=$W/rt timeout -k 10 "$TIMEOUT" "./$p.t") \
    > "$out" 2> "$W/out/$p.err" < /dev/null
  rc=$?
  end=$(date +%s.%N)
  cleanup_containers
  read -r ok bad todo orph < <(tap_counts "$out")
  local verdict=PASS
  if [ "$rc" != 0 ] || [ "$bad" != 0 ] || [ "$orph" != 0 ]; then verdict=FAIL; fi
  [ "$verdict" = PASS ] && PASSED+=("$p") || FAILED+=("$p")
  T_OK=$((T_OK + ok)); T_BAD=$((T_BAD + bad)); T_TODO=$((T_TODO + todo))
  printf '%-4s %-34s ok %3d  not ok %3d  todo %2d  diag %d  exit %3d  %5.1fs\n' \
    "$verdict" "$p" "$ok" "$bad" "$todo" "$orph" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
  if [ -n "${OCI_VALIDATION_LOG:-}" ]; then
    mkdir -p "$OCI_VALIDATION_LOG" && cp "$out" "$W/out/$p.err" "$OCI_VALIDATION_LOG/"
  fi
}

main() {
  [ "$(id -u)" = 0 ] || die "the suite needs root"
  install_deps
  local kind
  case $RUNTIME in berth|runc|crun) kind=$RUNTIME ;; *) kind=other ;; esac
  if [ -n "${OCI_VALIDATION_SRC:-}" ]; then
    SRC=$OCI_VALIDATION_SRC
  else
    SRC=$(fetch_source) || die "cannot fetch the $SRC_PKG $SRC_VERSION source with apt-get; set OCI_VALIDATION_SRC"
  fi
  [ -d "$SRC/validation" ] || die "$SRC has no validation/ directory"
  if [ $# -gt 0 ]; then
    PROGRAMS=("$@")
  else
    mapfile -t PROGRAMS < <(find "$SRC/validation" -mindepth 1 -maxdepth 1 -type d \
      ! -name util -printf '%f\n' | sort)
  fi
  BERTH_PARENT_BEFORE=$(ls -d /sys/fs/cgroup/*/berth 2>/dev/null)
  W=$(mktemp -d /tmp/oci-validation.XXXXXX) || die "mktemp failed"
  chmod 0711 "$W"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$W/out" "$W/state" && mkdir -m 0711 "$W/tmp"
  build_suite || die "building the validation programs failed"
  write_wrapper "$kind"
  PASSED=() FAILED=() T_OK=0 T_BAD=0 T_TODO=0
  local t0=$SECONDS p
  for p in "${PROGRAMS[@]}"; do run_program "$p"; done
  echo "oci-validation $RUNTIME: ${#PASSED[@]} of ${#PROGRAMS[@]} programs passed;" \
    "assertions: $T_OK ok, $T_BAD not ok ($T_TODO todo); $((SECONDS - t0)) s"
  local status=0 want
  if [ -n "${OCI_VALIDATION_EXPECT:-}" ]; then
    while read -r want; do
      want=${want%%#*}; want=${want//[[:space:]]/}
      [ -z "$want" ] && continue
      # Run by name: only the programs run are checked.
      [ $# -gt 0 ] && ! printf '%s\n' "${PROGRAMS[@]}" | grep -qx "$want" &&
        continue
      if ! printf '%s\n' "${PASSED[@]}" | grep -qx "$want"; then
        echo "oci-validation: expected to pass but did not: $want" >&2; status=1
      fi
    done < "$OCI_VALIDATION_EXPECT"
  elif [ ${#FAILED[@]} -gt 0 ]; then
    status=1
  fi
  return $status
}

main "$@"
