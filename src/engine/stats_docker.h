/* Docker's stats document (the Engine API's GET /containers/{id}/stats,
 * StatsJSON of v1.41) read from a container's cgroup: what the docker CLI
 * and the SDKs compute CPU %, memory use and I/O from.  The engine builds
 * it so that any front end shows the same numbers. */
#ifndef BERTH_ENGINE_STATS_DOCKER_H
#define BERTH_ENGINE_STATS_DOCKER_H

#include <jansson.h>

#include "engine.h"

/* Samples container c now: read, pids_stats, blkio_stats, num_procs,
 * storage_stats, cpu_stats (cpu_usage {total_usage, percpu_usage (v1),
 * usage_in_kernelmode, usage_in_usermode}, system_cpu_usage,
 * online_cpus, throttling_data), memory_stats (usage as the cgroup
 * counts it, max_usage (v1), stats: the cgroup's memory.stat, limit:
 * the host's memory when unlimited), name "/NAME", id, networks (each
 * interface of its network namespace but lo).  precpu_stats and preread
 * are prev's cpu_stats and read (prev: the stream's previous document;
 * NULL: zeros, Go's zero time).  A container that is not running gives
 * zero counters, as Docker's does.  *out is the caller's. */
int berth_ctr_stats_docker(struct berth_engine *e, const struct berth_ctr *c,
                           json_t *prev, json_t **out, berth_error **err);

#endif
