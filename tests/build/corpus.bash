# Shared by tests/integration/build/corpus.bats and bench/build.sh: the
# build corpus (tests/build/corpus/NN-name/), its base images, and podman
# and berth set up to build it side by side.
#
# An entry is a directory: the build context, with its Dockerfile, any
# .dockerignore, and the harness's files:
#   check          line 1: the argv (a JSON array; [] = the image's own
#                  command) run in the built image; the other lines: the
#                  exact standard output expected
#   build-args     optional, K=V a line: passed to both builders
#   podman         optional, "skip: REASON" when podman cannot build it,
#                  "nocheck: REASON" when podman's image is known not to
#                  pass the check (Docker's behaviour) for REASON
#   bench-change   optional: a context file that only a COPY near the end
#                  of the final stage reads; bench/build.sh changes it to
#                  time a rebuild after a one-file change (and times the
#                  entries that have one)
#   imgdiff.expect optional: the differences imgdiff reports between the
#                  two builders' images that are known and explained
#                  (see tests/build/imgdiff.py --expect)
#
# corpus_podman_setup/corpus_podman (bench/build.sh; corpus.bats defines
# corpus_podman with tests/integration/podman.bash instead): podman gets
# roots of its own under a short directory (it refuses long run roots),
# the overlay driver, cgroupfs under CORPUS_CGROUP, low default
# ulimits (root here lacks CAP_SYS_RESOURCE; podman lowers its own
# RLIMIT_NPROC), RUN steps without a network (--network none: nothing in
# the corpus needs one, and no bridge or firewall rule of podman's is
# made), and crun through tests/lib/crun-hybrid unless the caller already
# hid /sys/fs/cgroup/unified/cgroup.controllers (crun 1.8 refuses this
# host's hybrid cgroup layout otherwise).

CORPUS_REPO=${CORPUS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CORPUS_DIR=${CORPUS_DIR:-$CORPUS_REPO/tests/build/corpus}
CORPUS_CGROUP=${CORPUS_CGROUP:-/berth-test/corpus}

corpus_entries() { # the entries' names, in order
  local d
  for d in "$CORPUS_DIR"/[0-9]*/; do
    d=${d%/}
    echo "${d##*/}"
  done
}

# corpus_podman_setup DIR: podman's roots and configuration under DIR
# (short: podman refuses run roots longer than 50 characters).
corpus_podman_setup() {
  CORPUS_PDIR=$1
  mkdir -p "$CORPUS_PDIR"
  cat >"$CORPUS_PDIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  CORPUS_RUNTIME=crun
  local f=/sys/fs/cgroup/unified/cgroup.controllers
  # (cgroup files report a size of 0: read it)
  if [ -e "$f" ] && [ -n "$(cat "$f")" ]; then
    CORPUS_RUNTIME=$CORPUS_REPO/tests/lib/crun-hybrid
  fi
  export CORPUS_PDIR CORPUS_RUNTIME
}

corpus_podman() {
  CONTAINERS_CONF=$CORPUS_PDIR/containers.conf podman \
    --root "$CORPUS_PDIR/root" --runroot "$CORPUS_PDIR/run" \
    --tmpdir "$CORPUS_PDIR/tmp" --storage-driver overlay \
    --cgroup-manager cgroupfs --runtime "$CORPUS_RUNTIME" "$@"
}

corpus_podman_teardown() {
  [ -n "${CORPUS_PDIR:-}" ] && [ -d "$CORPUS_PDIR" ] || return 0
  corpus_podman rm -af -t 0 >/dev/null 2>&1
  corpus_podman system reset -f >/dev/null 2>&1
  rm -rf --one-file-system "$CORPUS_PDIR"
}

# corpus_bases: makes (or finds) the base images; sets CORPUS_BASES to
# their archives, one a line.
corpus_bases() {
  CORPUS_BASES=$("$CORPUS_REPO/tests/build/bases.sh" | cut -d' ' -f2)
}

corpus_load_podman() {
  local a
  for a in $CORPUS_BASES; do corpus_podman load -q -i "$a" >/dev/null || return; done
}

# corpus_load_berth BERTH...: loads the bases with the berth command given
# (e.g. berth --root DIR).
corpus_load_berth() {
  local a
  for a in $CORPUS_BASES; do "$@" load -q -i "$a" >/dev/null || return; done
}

# corpus_build_args ENTRY: --build-arg K=V for each line of build-args.
corpus_build_args() {
  local f=$CORPUS_DIR/$1/build-args line
  [ -f "$f" ] || return 0
  while IFS= read -r line; do
    [ -n "$line" ] && printf '%s\n' --build-arg "$line"
  done <"$f"
}

# corpus_podman_skip ENTRY: the reason podman cannot build ENTRY, if any.
corpus_podman_skip() {
  local f=$CORPUS_DIR/$1/podman
  [ ! -f "$f" ] || sed -n 's/^skip: //p' "$f"
}

# corpus_podman_nocheck ENTRY: why podman's image fails the check, if known.
corpus_podman_nocheck() {
  local f=$CORPUS_DIR/$1/podman
  [ ! -f "$f" ] || sed -n 's/^nocheck: //p' "$f"
}

# corpus_podman_build ENTRY TAG [OPTION...]: podman build --layers, by
# default keeping every Docker config field (--format docker: the OCI
# format drops HEALTHCHECK, SHELL, ONBUILD).  podman 4.3 never reuses a
# cached step when it builds in the docker format (here, a second
# identical build runs every step again; in the OCI format it runs none):
# CORPUS_PODMAN_FORMAT=oci where the cache matters.
corpus_podman_build() {
  local e=$1 tag=$2 args
  shift 2
  mapfile -t args < <(corpus_build_args "$e")
  corpus_podman build --runtime "$CORPUS_RUNTIME" --layers \
    --format "${CORPUS_PODMAN_FORMAT:-docker}" \
    --pull=never --network none \
    --cgroup-parent "$CORPUS_CGROUP/podman" -t "$tag" "${args[@]}" "$@" \
    "$CORPUS_DIR/$e"
}

# corpus_berth_build ENTRY TAG BERTH... -- [OPTION...]
corpus_berth_build() {
  local e=$1 tag=$2 args b=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do b+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  mapfile -t args < <(corpus_build_args "$e")
  "${b[@]}" build --network none -t "$tag" "${args[@]}" "$@" "$CORPUS_DIR/$e"
}

# corpus_check_argv ENTRY: the check's argv, one a line.
corpus_check_argv() {
  head -n 1 "$CORPUS_DIR/$1/check" | jq -r '.[]'
}

# corpus_check_expected ENTRY: the check's expected output.
corpus_check_expected() {
  tail -n +2 "$CORPUS_DIR/$1/check"
}
