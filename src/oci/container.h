/* The runtime's verbs as library calls: everything runc's command line
 * does, with the CLI only parsing flags and printing results. */
#ifndef BERTH_OCI_CONTAINER_H
#define BERTH_OCI_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "log.h"

struct berth_ctx {
  const char *state_root; /* --root, default /run/berth */
  const berth_log *log;
  /* The command line, to re-execute from a sealed copy when needed
   * (init_needs_sealed_runtime in launch.c); NULL: such a container
   * is refused. */
  char *const *argv, *const *envp;
  /* Receives what the spec says to log as a warning and go on past (a
   * failing poststart or poststop hook), and owns it; NULL drops it.  The
   * library never prints: the front end does. */
  void (*warn)(void *arg, berth_error *w);
  void *warn_arg;
};

enum berth_create_mode {
  BERTH_CREATE,        /* create: init waits for `start` */
  BERTH_RUN,           /* run: wait for exit, then delete */
  BERTH_RUN_DETACHED,  /* run --detach */
};

struct berth_create_opts {
  const char *bundle;          /* absolute path */
  const char *pid_file;        /* NULL: none */
  const char *console_socket;  /* NULL: none */
  int preserve_fds;
  enum berth_create_mode mode;
  /* In-process callers only: called with the init's pid once it exists
   * in its new namespaces, while it sets up its root and before it can
   * run anything of the container's; a failure fails the create.  The
   * engine puts the container on its networks here (the network
   * namespace is the init's, owned by its user namespace, so container
   * root keeps CAP_NET_BIND_SERVICE and friends inside it). */
  int (*prestart)(void *arg, pid_t init, berth_error **err);
  void *prestart_arg;
};

/* create / run.  For BERTH_RUN, *exit_status receives the container's exit
 * status (128+signal when killed). */
int berth_container_create(const struct berth_ctx *ctx, const char *id,
                           const struct berth_create_opts *opts,
                           int *exit_status, berth_error **err);
int berth_container_start(const struct berth_ctx *ctx, const char *id,
                          berth_error **err);
int berth_container_kill(const struct berth_ctx *ctx, const char *id, int sig,
                         bool all, berth_error **err);
int berth_container_delete(const struct berth_ctx *ctx, const char *id,
                           bool force, berth_error **err);
/* The OCI state JSON. */
int berth_container_state(const struct berth_ctx *ctx, const char *id,
                          json_t **out, berth_error **err);
/* Array of state objects of every container under the root. */
int berth_container_list(const struct berth_ctx *ctx, json_t **out,
                         berth_error **err);
int berth_container_pids(const struct berth_ctx *ctx, const char *id,
                         pid_t **pids, size_t *n, berth_error **err);
int berth_container_pause(const struct berth_ctx *ctx, const char *id,
                          bool pause, berth_error **err);
int berth_container_update(const struct berth_ctx *ctx, const char *id,
                           const struct berth_cgroup_resources *r,
                           berth_error **err);

struct berth_exec_opts {
  json_t *process;             /* a process object (owned by caller) */
  const char *pid_file;
  const char *console_socket;
  bool detach;
  int preserve_fds;
  pid_t *pid_out; /* when set: gets the new process's pid once it runs
                     (the engine's exec helper waits for it itself) */
};
/* Runs a process in the container.  Without detach, *exit_status gets its
 * status. */
int berth_container_exec(const struct berth_ctx *ctx, const char *id,
                         const struct berth_exec_opts *opts, int *exit_status,
                         berth_error **err);
/* Reads the config.json the container was created from (for exec defaults). */
int berth_container_config(const struct berth_ctx *ctx, const char *id,
                           json_t **out, berth_error **err);

#endif
