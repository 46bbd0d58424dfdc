/* The container's init sequence, run in the child the runtime cloned into
 * the new namespaces.  It never returns on success: it execs the user
 * process.  Every failure is reported to the runtime over the sync socket
 * (or over the start connection once `create` has exited). */
#ifndef BERTH_OCI_CONTAINER_INIT_H
#define BERTH_OCI_CONTAINER_INIT_H

#include <limits.h>
#include <sys/types.h>

#include "seccomp_filter.h"
#include "spec.h"

struct berth_init_ctx {
  const struct berth_spec *spec;
  const char *id;
  const char *bundle;
  int sync_fd;    /* to the runtime that cloned us */
  int listen_fd;  /* create: accept `start` here; -1 for run */
  int console_fd; /* console socket, -1 when none */
  int preserve_fds;
  int stub_fd;    /* the sealed exec stub (exec_stub.h) */
  const struct berth_seccomp_prog *seccomp; /* NULL: no filter */
};

/* Runs the init; returns only on failure, with the exit status to use. */
int berth_init_run(const struct berth_init_ctx *ctx);

/* no_new_privs, seccomp and credentials in the order the kernel needs
 * (shared with exec). */
int berth_apply_process_security(const struct berth_process *p,
                                 const struct berth_seccomp_prog *seccomp,
                                 berth_error **err);
/* Finds `file` in PATH (from env, default PATH if unset) inside the
 * current root; writes the result to out.  Shared with exec. */
int berth_find_executable(const char *file, char *const *env, char *out,
                          size_t out_len);
/* The final exec, resolved before seccomp is loaded: a filter then need
 * not allow the lookups (access, stat, reading /etc/passwd). */
struct berth_exec_target {
  const char *file;
  char *const *args;
  char *const *env;   /* env_owned when HOME had to be added */
  char **env_owned;
  int lookup_rc;      /* 0, or -errno of the PATH lookup */
  char path[PATH_MAX];
};
/* Resolves p->args[0] in PATH and adds HOME (the home of uid in the
 * container's /etc/passwd, or "/") when p->env lacks it. */
void berth_exec_target_prepare(struct berth_exec_target *t,
                               const struct berth_process *p, uid_t uid);
/* The error for a target that cannot be executed (rc: -errno): kind
 * BERTH_ERR_EXEC, errno -rc, runc's wording.  Returns -1. */
int berth_exec_target_error(const struct berth_exec_target *t, int rc,
                            berth_error **err);
/* Execs the target; on failure sends the error (runc's statuses: 127 not
 * found, 126 not executable) on report_fd and returns the status. */
int berth_exec_target_run(const struct berth_exec_target *t, int report_fd,
                          int stub_fd);

#endif
