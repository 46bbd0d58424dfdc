/* The container's init sequence, run in the child the runtime cloned into
 * the new namespaces.  It never returns on success: it execs the user
 * process.  Every failure is reported to the runtime over the sync socket
 * (or over the start connection once `create` has exited). */
#ifndef BERTH_OCI_INIT_H
#define BERTH_OCI_INIT_H

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
  int stub_fd;    /* sealed exec stub, -1 when none */
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
/* Makes execve's error messages and statuses as runc's (127 not found,
 * 126 not executable), sends the error on report_fd, returns the status. */
int berth_exec_process(const char *file, char *const *args, char *const *env,
                       int report_fd, int stub_fd);

#endif
