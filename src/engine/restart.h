/* Restarts: the restart policy (--restart no|always|unless-stopped|
 * on-failure[:N]) applied when a container exits, and `berth restart`. */
#ifndef BERTH_ENGINE_RESTART_H
#define BERTH_ENGINE_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* Whether the container's policy restarts it after it exited with code
 * (never after `stop`; on-failure only for a non-zero code, at most
 * MaximumRetryCount times when that is > 0). */
bool berth_restart_policy_wants(const struct berth_ctr *c, int code);
/* Docker's back-off before the next restart: 100 ms doubling per
 * restart, at most a minute, from the first restart again after a run of
 * 10 s or more (finished_ns: when the last run ended). */
int64_t berth_restart_delay_ms(const struct berth_ctr *c, int64_t finished_ns);

/* The file whose presence tells a container's monitor to keep the
 * rootfs mounted after the container exits (a restart will need it):
 * made or removed to match the policy at start and at `berth update
 * --restart`, which changes the policy under a running monitor. */
int berth_restart_marker_sync(struct berth_engine *e, const char *id,
                              json_t *hostconfig, berth_error **err);
void berth_restart_marker_path(struct berth_engine *e, const char *id,
                               char *buf, size_t len);

/* `berth _restart ID` (the monitor's helper): creates the container
 * again after its policy said so and reports the new init's pid on
 * report_fd.  console_socket: where the runtime sends the new pty master
 * of a container with a terminal (the monitor listens there). */
int berth_ctr_restart_child(struct berth_engine *e, const char *id,
                            int report_fd, const char *console_socket,
                            berth_error **err);

/* `berth restart`: stop (sig > 0 overrides the stop signal, timeout_s < 0
 * the container's StopTimeout) then start.  The container is kept even
 * with --rm (AutoRemove), as Docker's restart. */
int berth_ctr_restart(struct berth_engine *e, const char *ref, int sig,
                      int timeout_s, berth_error **err);
/* True while `berth restart` is restarting the container: its exit is
 * then no reason to auto-remove it. */
bool berth_ctr_restart_requested(struct berth_engine *e, const char *id);

#endif
