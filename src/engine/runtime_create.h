/* A container's init created and started (detached) by the runtime. */
#ifndef BERTH_ENGINE_RUNTIME_CREATE_H
#define BERTH_ENGINE_RUNTIME_CREATE_H

#include "container.h"
#include "engine.h"

/* berth_container_create(BERTH_RUN_DETACHED) on co->bundle, in-process,
 * or, for a container joining another's pid namespace (--pid
 * container:), by a berth-runtime process: the caller becomes a child
 * subreaper, so that the init, orphaned when that process exits, is its
 * child.  Errors carry the runtime's message. */
int berth_runtime_create(struct berth_engine *e, const struct berth_ctr *c,
                         const struct berth_create_opts *co,
                         berth_error **err);

#endif
