# The real podman beside berth, as the tests run it on this host: its own
# roots under a short private directory (podman refuses run roots longer
# than 50 characters), crun in a private mount namespace held by a
# sleeping process in which /sys/fs/cgroup/unified/cgroup.controllers is
# /dev/null (crun 1.8 refuses this host's hybrid layout otherwise), and
# ulimits podman can apply (root here lacks CAP_SYS_RESOURCE).
#
#   podman_start PREFIX   sets PTMP, writes $PTMP/containers.conf, starts
#                         the namespace (add sections to the conf after)
#   podman ARGS...        podman with those roots, in that namespace
#   podman_stop           removes podman's containers, images, roots

podman() {
  CONTAINERS_CONF=$PTMP/containers.conf nsenter -t "$(cat "$PTMP/ns.pid")" -m -r -w \
    podman --root "$PTMP/root" --runroot "$PTMP/run" --tmpdir "$PTMP/tmp" "$@"
}

_podman_mount_ns() {
  local f=/sys/fs/cgroup/unified/cgroup.controllers
  unshare -m --propagation private sh -c \
    "{ [ ! -e $f ] || mount --bind /dev/null $f; } && exec sleep 100000" \
    >/dev/null 2>&1 3>&- &
  echo $! > "$PTMP/ns.pid"
  wait_until nsenter -t "$!" -m -r sh -c "[ ! -e $f ] || [ ! -s $f ]"
}

podman_start() {
  command -v podman >/dev/null && command -v crun >/dev/null ||
    skip "podman and crun are needed (scripts/deps.sh)"
  PTMP=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 711 "$PTMP"
  export PTMP
  # podman lowers its RLIMIT_NPROC to 32768; root here cannot raise
  # limits (no CAP_SYS_RESOURCE), so the defaults are what it has.
  local hn
  hn=$(ulimit -Hn)
  cat >"$PTMP/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
CONF
  _podman_mount_ns
}

podman_stop() {
  [ -n "${PTMP:-}" ] && [ -d "$PTMP" ] || return 0
  if [ -f "$PTMP/ns.pid" ]; then
    podman rm -af -t 0 >/dev/null 2>&1
    podman system reset -f >/dev/null 2>&1
    kill "$(cat "$PTMP/ns.pid")" 2>/dev/null
  fi
  rm -rf --one-file-system "$PTMP"
}
