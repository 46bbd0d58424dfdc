# The podman set-up the benchmarks share (sourced by network.sh and
# api.sh): a containers.conf at $CONTAINERS_CONF and a default network of
# its own in DIR/pnet, so podman's runs touch nothing of the host's.
#
#   podman_bench_conf DIR NAME IFNAME SUBNET ID_CHAR
#     NAME: the network (also podman's default), IFNAME its bridge,
#     SUBNET the first three octets of its /24 (gateway .1), ID_CHAR the
#     hex digit its 64-digit id repeats.
#
# Root here lacks CAP_SYS_RESOURCE: default_ulimits are set to the hard
# limits the benchmark runs under, and podman lowers its own RLIMIT_NPROC
# to 32768 before it starts conmon.  crun, cgroupfs and a file event log:
# no systemd on this machine.
podman_bench_conf() {
  local dir=$1 name=$2 ifname=$3 subnet=$4 idc=$5
  local hn
  hn=$(ulimit -Hn)
  mkdir -p "$dir/pnet"
  cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
[network]
network_backend = "netavark"
network_config_dir = "$dir/pnet"
default_network = "$name"
CONF
  cat >"$dir/pnet/$name.json" <<NET
{
  "name": "$name",
  "id": "$(printf "$idc%.0s" $(seq 64))",
  "driver": "bridge",
  "network_interface": "$ifname",
  "created": "2026-01-01T00:00:00Z",
  "subnets": [{ "subnet": "$subnet.0/24", "gateway": "$subnet.1" }],
  "ipv6_enabled": false,
  "internal": false,
  "dns_enabled": false,
  "ipam_options": { "driver": "host-local" }
}
NET
}
