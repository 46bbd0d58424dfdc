/* Health checks (Docker's HEALTHCHECK / --health-*): the monitor starts
 * `berth _health ID` every interval; it runs the test command in the
 * container with the timeout and records the result. */
#ifndef BERTH_ENGINE_HEALTH_H
#define BERTH_ENGINE_HEALTH_H

#include <stdint.h>

#include "engine.h"

struct berth_health_cfg {
  int64_t interval_ns, timeout_ns, start_period_ns;
  int retries;
  json_t *test; /* borrowed: ["CMD-SHELL", "..."] or ["CMD", ...] */
};

/* The container's health check settings with Docker's defaults (30 s,
 * 30 s, 0, 3); false when it has none (or "NONE"). */
bool berth_health_cfg(const struct berth_ctr *c, struct berth_health_cfg *h);
/* Runs one check and records it: status "healthy" after a success,
 * "unhealthy" after `retries` failures in a row (failures within the
 * start period do not count), the last 5 results in health.json. */
int berth_ctr_health_run(struct berth_engine *e, const char *id,
                         berth_error **err);

#endif
