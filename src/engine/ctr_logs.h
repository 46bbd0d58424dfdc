/* A container's log as a front end asks for it: `berth logs` and the
 * API's GET /containers/{id}/logs make the same request, so the choice of
 * container, the parsing of --tail/--since/--until, which streams are
 * shown and when a follow ends are decided here once. */
#ifndef BERTH_ENGINE_CTR_LOGS_H
#define BERTH_ENGINE_CTR_LOGS_H

#include <stdbool.h>

#include "engine.h"
#include "logs.h"

struct berth_ctr_logs_req {
  const char *tail;  /* "all", NULL or "" (all), or a count from the end */
  const char *since; /* berth_parse_log_time's forms; NULL, "" or "0": */
  const char *until; /*   no bound */
  bool stdout_, stderr_; /* which streams; at least one */
  bool follow;
};

/* A validated request on one container, ready to read. */
struct berth_ctr_logs {
  char id[65];
  bool tty; /* its output is one stream (a terminal's), all "stdout" */
  char path[4200];
  bool want_stdout, want_stderr;
  struct berth_logs_opts opts;
  /* With follow, polled about every 200 ms besides the container's
   * state: true ends the read (the reader went).  NULL: never. */
  bool (*cancelled)(void *data);
};

/* Finds container ref (NOT_FOUND "No such container: x") and checks the
 * request (INVALID naming the parameter, "You must choose at least one
 * stream" as Docker), relative times taken from now.  Fills *out. */
int berth_ctr_logs_open(struct berth_engine *e, const char *ref,
                        const struct berth_ctr_logs_req *q,
                        struct berth_ctr_logs *out, berth_error **err);

/* Delivers the entries of the wanted streams to cb (data is also given
 * to l->cancelled).  A follow ends once the container is no longer
 * running (and everything it wrote was delivered), past --until, or when
 * cancelled says so.  cb returning negative stops the read. */
int berth_ctr_logs_read(struct berth_engine *e, struct berth_ctr_logs *l,
                        int (*cb)(const struct berth_log_entry *en,
                                  void *data),
                        void *data, berth_error **err);

#endif
