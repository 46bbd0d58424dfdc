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
  /* Docker's exec events carry the exec instance's id: the API's,
   * which records exec_create at its create (the start records
   * exec_start once the container is known to run).  berth exec has no
   * create step: with exec_id NULL, berth_ctr_exec makes an id and
   * records exec_create too (exec_create true), then exec_die. */
  const char *exec_id;
  bool exec_create;
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

/* What both ways of running an exec decide, in one place: the running
 * container ref names (id[65] gets its id) and the process it would
 * run: the container's own OCI process with the request's command, env,
 * user, workdir, terminal and privileges.  The caller json_decref's
 * *process. */
int berth_exec_prepare(struct berth_engine *e, const char *ref,
                       const struct berth_exec_req *r, char id[65],
                       json_t **process, berth_error **err);

/* An exec whose stdio the caller provides and keeps (the API server,
 * where the client is a socket, not our terminal): without a terminal
 * the process gets r->in, r->out and r->err as its stdio as they are (-1:
 * /dev/null); with r->tty it gets a new pty whose master is handed back.
 * A helper process runs the exec and reaps the process, so that the
 * caller's threads and signal handling are left alone. */
struct berth_exec_proc {
  pid_t pid;     /* the process, on the host */
  int master;    /* r->tty: the pty master (the caller closes it); else -1 */
  int report_fd; /* readable once the process is gone (poll it, then
                    berth_exec_proc_wait) */
  pid_t helper;
};
/* Returns once the process runs the program (r->detach is ignored: the
 * caller decides whether it waits).  Failures as berth_ctr_exec's. */
int berth_ctr_exec_spawn(struct berth_engine *e, const char *ref,
                         const struct berth_exec_req *r,
                         struct berth_exec_proc *out, int *exec_failure,
                         berth_error **err);
/* Waits for the process to exit: *status as berth_ctr_exec's.  Reaps the
 * helper and closes report_fd (not master). */
int berth_exec_proc_wait(struct berth_exec_proc *p, int *status,
                         berth_error **err);

/* ---- Docker's exec events (exec_events.c) ---- */

/* A new exec instance id: 64 hex digits. */
void berth_exec_new_id(char out[65]);
/* "exec_create: CMD ARGS" or "exec_start: CMD ARGS" (what = "exec_create"
 * or "exec_start"; Docker's text: the command, a space, the arguments
 * joined by spaces) of container ctr_id, with attribute execID. */
int berth_exec_event(struct berth_db *db, const char *what,
                     const char *ctr_id, const char *exec_id,
                     char *const *argv, berth_error **err);
/* What a start records once the container is known to run: exec_create
 * (r->exec_create) and exec_start, when r->exec_id is set. */
void berth_exec_events_start(struct berth_db *db, const char *ctr_id,
                             const struct berth_exec_req *r);
/* "exec_die" with attributes execID and exitCode. */
int berth_exec_event_die(struct berth_db *db, const char *ctr_id,
                         const char *exec_id, int exit_code,
                         berth_error **err);

#endif
