/* berth system reset: back to an empty store (podman's `system reset`). */
#ifndef BERTH_ENGINE_RESET_H
#define BERTH_ENGINE_RESET_H

#include "engine.h"

/* Removes every container (running ones killed), every network with its
 * bridge and firewall rules (the default ones are recorded afresh on
 * next use), every volume and every image.  Goes on past a failure and
 * returns the first one. */
int berth_system_reset(struct berth_engine *e, berth_error **err);

#endif
