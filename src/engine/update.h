/* `update`: new cgroup limits and restart policy for a container. */
#ifndef BERTH_ENGINE_UPDATE_H
#define BERTH_ENGINE_UPDATE_H

#include <jansson.h>

#include "engine.h"

/* Applies `changes` (Docker Engine API ContainerUpdate body: Memory,
 * MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpuPeriod,
 * CpuQuota, CpusetCpus, CpusetMems, PidsLimit, BlkioWeight,
 * RestartPolicy; keys absent are left as they are) to the container
 * `ref`: the new HostConfig is validated whole first (Docker's rules:
 * memory at least 6MB, swap at least memory, reservation at most memory,
 * NanoCpus or a CFS period/quota, not both, ...), then written to the
 * running container's cgroup, then to its record, so `inspect` shows it
 * and a restart keeps it.  Anything refused changes nothing: INVALID with
 * one line naming the setting.  Records an "update" event. */
int berth_ctr_update(struct berth_engine *e, const char *ref, json_t *changes,
                     berth_error **err);

/* The changes of a Docker Engine API ContainerUpdate body, which carries
 * every Resources field, a zero value meaning "leave it" (as Docker's
 * daemon reads it): the fields that are set, PidsLimit when not null,
 * RestartPolicy when it names a policy.  A field that cannot be updated
 * but is set stays, so that berth_ctr_update refuses it.  INVALID for a
 * wrongly typed field (berth_update_types_check). */
int berth_update_changes_of(json_t *body, json_t **changes,
                            berth_error **err);

#endif
