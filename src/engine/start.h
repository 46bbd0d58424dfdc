/* Starting a container: its rootfs, its bundle, the runtime, its monitor.
 *
 * berth forks a child that enters a private mount namespace, mounts the
 * overlay there, writes config.json, creates the container through the
 * runtime library (the init is its child) and then becomes the monitor by
 * exec'ing berth-monitor.  The overlay lives only in that namespace: when
 * the monitor and the container are gone, so is the mount, whatever
 * killed them. */
#ifndef BERTH_ENGINE_START_H
#define BERTH_ENGINE_START_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine.h"

struct berth_start_opts {
  bool attach;      /* a foreground client: stdio below is forwarded */
  bool interactive; /* -i: the client's stdin goes to the container */
  int in, out, err; /* client's fds (attach only) */
  bool skip_stdout, skip_stderr; /* run -a: streams not attached */
  const char *detach_keys; /* berth_detach_keys_parse's; NULL: default */
  /* attach for a client other than the caller (the API server's attach
   * parked before start, served by another thread): the status
   * connection (out->status_fd's) is stored in *status_to instead, and
   * out->status_fd stays -1.  NULL: the caller gets it. */
  int *status_to;
};

struct berth_started {
  pid_t pid;           /* the container's init */
  int status_fd;       /* attach: "exit N\n" arrives here; else -1 */
  int exec_failure;    /* 126 or 127 when the command could not run
                          (exit_status.h), else 0 */
};

/* Starts a created or exited container (ref: name, id or prefix).  A
 * running one is left alone (not an error, as docker start).  The caller
 * closes out->status_fd. */
int berth_ctr_start(struct berth_engine *e, const char *ref,
                          const struct berth_start_opts *o,
                          struct berth_started *out, berth_error **err);

/* Monitor helpers (hidden commands `berth _exited ID CODE` and
 * `berth _restart ID`).  exited returns BERTH_EXITED_RESTART when the
 * container is to be restarted, 0 when done.  With leave_trash, a --rm
 * container's directory is only moved to berth_ctr_trash_dir() and
 * BERTH_EXITED_TRASHED returned: the caller tells the monitor to delete
 * it (the attached client, which is waiting to return to the user). */
#define BERTH_EXITED_RESTART 10
#define BERTH_EXITED_TRASHED 11
int berth_ctr_exited(struct berth_engine *e, const char *id, int code,
                     bool leave_trash, berth_error **err);
/* berth_ctr_restart_child: restart.h. */
#include "restart.h"

/* Takes the container's lock (containers/<id>/lock), serialising start,
 * stop, exit handling and removal of one container.  Returns the fd. */
int berth_ctr_lock(struct berth_engine *e, const char *id, berth_error **err);

/* Brings the record in line with reality: a "running" container whose
 * init is gone is recorded as exited (from the monitor's exit file when
 * there is one, else code 255 with an error), and its runtime state and
 * cgroup removed.  Call with the container's lock held or not at all
 * (it takes it). */
int berth_ctr_refresh(struct berth_engine *e, struct berth_ctr *c,
                      berth_error **err);

#endif
