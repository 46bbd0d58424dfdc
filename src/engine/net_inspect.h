/* A container's NetworkSettings (inspect), in Docker's shape. */
#ifndef BERTH_ENGINE_NET_INSPECT_H
#define BERTH_ENGINE_NET_INSPECT_H

#include <jansson.h>

#include "engine.h"

json_t *berth_ctr_network_settings(struct berth_engine *e,
                                   const struct berth_ctr *c);

#endif
