/* Docker's ContainerSummary: one entry of GET /containers/json. */
#ifndef BERTH_ENGINE_CTR_SUMMARY_H
#define BERTH_ENGINE_CTR_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>

#include "engine.h"

/* {Id, Names ["/name"], Image, ImageID, Command, Created (s), Ports
 * [{IP, PrivatePort, PublicPort, Type}] (PrivatePort and Type only for a
 * port exposed but not published), Labels, State, Status (as ps: "Up 3
 * seconds"), HostConfig{NetworkMode}, NetworkSettings{Networks}, Mounts}
 * for c (refreshed by the caller); with size, SizeRw and SizeRootFs.
 * NULL only when out of memory. */
json_t *berth_ctr_summary(struct berth_engine *e, const struct berth_ctr *c,
                          bool size);

#endif
