/* Stopping, killing, removing and waiting for containers. */
#ifndef BERTH_ENGINE_LIFECYCLE_H
#define BERTH_ENGINE_LIFECYCLE_H

#include <stdbool.h>

#include "engine.h"

/* Docker's stop: the stop signal (StopSignal, default SIGTERM; `sig` > 0
 * overrides), then SIGKILL after timeout_s (< 0: the container's
 * StopTimeout, default 10).  Returns once the exit is recorded.  A
 * stopped container is not an error, nor is one that exited and was
 * removed (--rm) before or while it was being stopped.  The restart
 * policy does not restart a container stopped this way. */
int berth_ctr_stop(struct berth_engine *e, const char *ref, int sig,
                         int timeout_s, berth_error **err);
/* Sends sig to the container's init; STATE error when it is not running. */
int berth_ctr_signal(struct berth_engine *e, const char *ref, int sig,
                           berth_error **err);
/* The Engine API's signal parameters (POST /containers/{id}/kill, stop
 * and restart ?signal=): a name ("KILL", "SIGKILL") or a number.  kill
 * without one sends SIGKILL; stop and restart without one use the
 * container's stop signal.  INVALID "invalid signal `x`" (ctr_signals.c). */
int berth_ctr_kill_request(struct berth_engine *e, const char *ref,
                           const char *signal, berth_error **err);
int berth_ctr_stop_request(struct berth_engine *e, const char *ref,
                           const char *signal, int timeout_s,
                           berth_error **err);
int berth_ctr_restart_request(struct berth_engine *e, const char *ref,
                              const char *signal, int timeout_s,
                              berth_error **err);
/* `rename`: a valid, different, unused name, with a "rename" event. */
int berth_ctr_set_name(struct berth_engine *e, const char *ref,
                       const char *name, berth_error **err);
/* Removes a container; a running one only with force (it is killed).
 * volumes: its anonymous volumes too (rm -v). */
int berth_ctr_remove(struct berth_engine *e, const char *ref,
                           bool force, bool volumes, berth_error **err);
/* Waits until the container is not running; *code gets its exit code.
 * A container removed after it exited (--rm), meanwhile or before the
 * call, gives the code its "die" event recorded (events.h). */
int berth_ctr_wait(struct berth_engine *e, const char *ref, int *code,
                         berth_error **err);
/* Saves c's run-time fields and records `event` (NULL: none; "die"
 * carries c->exit_code) in one transaction. */
int berth_ctr_save(struct berth_engine *e, const struct berth_ctr *c,
                   const char *event, berth_error **err);
/* After a start that failed: an AutoRemove (--rm) container is removed
 * with its anonymous volumes, as Docker's daemon does (its monitor, which
 * removes one that ran, never started).  id: the full id.  Whether it
 * was removed. */
bool berth_ctr_discard_failed_start(struct berth_engine *e, const char *id);
/* Pause / unpause through the runtime's freezer. */
int berth_ctr_set_paused(struct berth_engine *e, const char *ref,
                               bool pause, berth_error **err);

#endif
