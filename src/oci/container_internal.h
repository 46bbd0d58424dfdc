/* Helpers shared by launch.c, container_ops.c and exec.c. */
#ifndef BERTH_OCI_CONTAINER_INTERNAL_H
#define BERTH_OCI_CONTAINER_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "hooks.h"
#include "state.h"

void berth_now_rfc3339(char *buf, size_t len);
int berth_write_pid_file(const char *path, pid_t pid, berth_error **err);
int berth_wait_exec(int fd, berth_error **err);
/* Moves *fd (close-on-exec) to a number >= min, so that it cannot be
 * taken for one of the fds the caller passes (--preserve-fds). */
int berth_move_fd_above(int *fd, int min, berth_error **err);
int berth_wait_forwarding(pid_t pid, int pidfd, int *status_out,
                          berth_error **err);
int berth_run_state_hooks(const struct berth_hooks *h, enum berth_hook_kind k,
                          const struct berth_state *st, const char *status,
                          berth_error **err);
/* The same for poststart and poststop hooks, whose failures are warnings
 * for ctx->warn: every hook runs and the lifecycle goes on. */
void berth_run_state_hooks_warn(const struct berth_ctx *ctx,
                                const struct berth_hooks *h,
                                enum berth_hook_kind k,
                                const struct berth_state *st,
                                const char *status);

#endif
