/* Waiting for a container with Docker's conditions (POST /containers/{id}/
 * wait?condition=): not-running, next-exit, removed.  docker run sends
 * its wait (next-exit, or removed with --rm) BEFORE it starts the
 * container, and a short-lived container may exit before the client
 * reads the answer: so a wait is split into begin (which fixes what
 * "next" means, answered at once) and end (which blocks). */
#ifndef BERTH_ENGINE_WAIT_H
#define BERTH_ENGINE_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

enum berth_wait_cond {
  BERTH_WAIT_NOT_RUNNING, /* now, if it is not running; else its exit */
  BERTH_WAIT_NEXT_EXIT,   /* the first exit after begin */
  BERTH_WAIT_REMOVED,     /* its record is gone (rm, or AutoRemove) */
};

struct berth_wait {
  char id[65];
  enum berth_wait_cond cond;
  int64_t after_seq; /* the event log's newest seq at begin */
};

/* "not-running" (also NULL or ""), "next-exit", "removed"; INVALID
 * "invalid condition `x`" otherwise. */
int berth_wait_cond_parse(const char *s, enum berth_wait_cond *out,
                          berth_error **err);

/* Resolves ref (NOT_FOUND "No such container: x") and notes where the
 * event log stands, so that an exit after this call is "next". */
int berth_ctr_wait_begin(struct berth_engine *e, const char *ref,
                         enum berth_wait_cond cond, struct berth_wait *w,
                         berth_error **err);

/* Blocks until w's condition holds; *code gets the exit code (that of
 * the die event for a container that ran and is gone, as an AutoRemove
 * one; 0 for one removed without having run).  gone (may be NULL) is
 * polled: when it returns true the wait ends with a TIMEOUT error (the
 * client went away). */
int berth_ctr_wait_end(struct berth_engine *e, const struct berth_wait *w,
                       bool (*gone)(void *arg), void *arg, int *code,
                       berth_error **err);

#endif
