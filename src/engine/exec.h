/* berth exec: a new process in a running container. */
#ifndef BERTH_ENGINE_EXEC_H
#define BERTH_ENGINE_EXEC_H

#include <stdbool.h>

#include "engine.h"

struct berth_exec_req {
  char *const *argv;     /* the command */
  char *const *env;      /* extra KEY=VALUE, override the container's */
  const char *user;      /* NULL: the container's user */
  const char *workdir;   /* NULL: the container's */
  bool tty, interactive, detach, privileged;
  int in, out, err;      /* the client's stdio (tty relaying) */
  /* tty: the terminal's initial size (0: the kernel's 0x0), struct
   * winsize records for later resizes (-1: none), and detach keys as
   * berth_detach_keys_parse gives them (NULL: the default). */
  unsigned rows, cols;
  int resize_fd;
  const char *detach_keys;
};

/* A copy of the running container's OCI process (from the runtime's copy
 * of its config.json): the base of an exec'd process. */
json_t *berth_ctr_runtime_process(struct berth_engine *e,
                                  const struct berth_ctr *c,
                                  berth_error **err);
/* Runs the command; *status gets its exit status (not with detach).
 * A command that cannot run, or a workdir that cannot be entered, fails
 * with *exec_failure 126 or 127 (exit_status.h's table).  With a
 * terminal, the detach keys end the relay with BERTH_EXEC_DETACHED: the
 * process goes on, its output read (and dropped) by a process left
 * behind until it exits. */
#define BERTH_EXEC_DETACHED 1
int berth_ctr_exec(struct berth_engine *e, const char *ref,
                   const struct berth_exec_req *r, int *status,
                   int *exec_failure, berth_error **err);

#endif
