/* Docker Engine API documents of containers, built from the engine's
 * records: what GET /containers/{id}/json returns (ContainerJSON), used
 * as is by `berth inspect` and its --format templates. */
#ifndef BERTH_ENGINE_INSPECT_H
#define BERTH_ENGINE_INSPECT_H

#include <jansson.h>
#include <stdbool.h>

#include "engine.h"

/* Docker's ContainerJSON for c (refreshed by the caller): Id, Created,
 * Path, Args, State{Status Running Paused Restarting OOMKilled Dead Pid
 * ExitCode Error StartedAt FinishedAt [Health]}, Image, Name, HostConfig,
 * Config, Mounts[{Type Name Source Destination Driver Mode RW
 * Propagation}], NetworkSettings{...}, GraphDriver, and berth's IdMap.
 * Members Docker always has are present with its zero values; with
 * size, SizeRw and SizeRootFs (`inspect --size`).  NULL only when out of
 * memory. */
json_t *berth_ctr_inspect(struct berth_engine *e, const struct berth_ctr *c,
                          bool size);

/* "2026-12-07T01:05:44.405603449Z"; Go's zero time for ns <= 0. */
void berth_rfc3339_ns(int64_t ns, char *out, size_t len);

/* Docker's MountPoint list for c (as in ContainerJSON.Mounts). */
json_t *berth_ctr_mount_points(const struct berth_ctr *c);

#endif
