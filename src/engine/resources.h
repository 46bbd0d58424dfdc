/* A container's cgroup limits (linux.resources of its config.json) from
 * its HostConfig: used at start and by `update`. */
#ifndef BERTH_ENGINE_RESOURCES_H
#define BERTH_ENGINE_RESOURCES_H

#include <jansson.h>

#include "error.h"

/* Podman's default: a fork bomb in one container cannot exhaust the
 * host's pids (Docker sets none). */
#define BERTH_DEFAULT_PIDS_LIMIT 2048

/* memory (Memory, MemorySwap, MemoryReservation), cpu (NanoCpus or
 * CpuPeriod/CpuQuota, CpuShares, CpusetCpus, CpusetMems), pids
 * (PidsLimit, default above), blockIO (BlkioWeight) and the device rules
 * (deny all but the standard devices, or allow all when Privileged, then
 * HostConfig.DeviceRules). */
json_t *berth_resources_of(json_t *hostconfig);

/* Docker's checks of a HostConfig's resource settings (at create and
 * update): memory at least 6MB, swap (memory plus swap) at least memory,
 * reservation at most memory, --cpus within the machine's CPUs and not
 * with a CFS period/quota, period 1ms..1s, quota at least 1ms, shares
 * 2..262144, cpusets within the CPUs, blkio weight 10..1000.  INVALID,
 * one line naming the flag. */
int berth_resources_check(json_t *hostconfig, berth_error **err);

#endif
