/* The sealed exec stub (src/stub/exec_stub.c): the only image of ours a
 * container can ever see.  The runtime's own binary is never what a
 * container process finds behind /proc/PID/exe (CVE-2019-5736):
 *
 *  - `run`: the init, alone in its new pid namespace, execs the stub,
 *    which execs the user's program in place.
 *  - `exec`: the joining process stays outside the container's pid
 *    namespace; once it holds the final credentials it execs the stub,
 *    which clones the new process into the container.
 *
 * The stub's file is exec-only (mode 0111) and sealed: the process that
 * execs it cannot read it, so the kernel keeps that process non-dumpable
 * and out of reach of the container's own capabilities until the user's
 * program runs, and nobody can write it.  Every architecture berth builds
 * for has a stub; there is no path that execs a program without it. */
#ifndef BERTH_OCI_EXEC_STUB_H
#define BERTH_OCI_EXEC_STUB_H

#include <stdbool.h>

#include "error.h"
#include "container_init.h"
#include "spec.h"

/* A close-on-exec fd of the stub for execveat.  With read_only_mount the
 * file is on a private read-only tmpfs instead of a sealed memfd, so not
 * even CAP_DAC_OVERRIDE can open it for writing (costs ~0.25 ms: only
 * when berth_ptrace_reaches_host() or berth_pidns_shared()); a host whose
 * vm.memfd_noexec forbids executable memfds gets the tmpfs too. */
int berth_exec_stub_open(bool read_only_mount, berth_error **err);
/* Clears CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set,
 * so that the stub is unreadable to the exec that follows.  Harmless to
 * the process: execve recomputes the effective set from the permitted,
 * inheritable, ambient and bounding sets, never from the old effective
 * one.  Call it after the credentials are applied. */
int berth_exec_stub_hide(berth_error **err);
/* Execs path through the stub with no fallback.  Returns -errno when the
 * stub itself could not be executed. */
int berth_exec_via_stub(int stub_fd, const char *path, char *const *args,
                        char *const *env);
/* `run`: execs the target in place through the stub.  On failure reports
 * on report_fd (a lookup failure as berth_exec_target_run does, a stub
 * that cannot run with what to fix) and returns the exit status. */
int berth_stub_exec(const struct berth_exec_target *t, int stub_fd,
                    int report_fd);
/* `exec`: execs the stub in spawn mode; it clones the new process (a child
 * of our parent) and reports BERTH_SYNC_PID on report_fd, which must not
 * be close-on-exec (clear it before the seccomp filter is loaded: the
 * filter need not allow fcntl).  With tty, the terminal already on fd 0
 * becomes the new process's controlling terminal.  Returns only on
 * failure, after reporting. */
int berth_stub_spawn(const struct berth_exec_target *t, int stub_fd,
                     int report_fd, bool tty);
/* Whether a process of this container may hold CAP_SYS_PTRACE in the
 * host's user namespace: no user namespace of its own, and SYS_PTRACE in
 * the bounding set of the container's process or of p (the process being
 * started; NULL for none).  Such a process can open /proc/PID/exe and
 * ptrace any process in its pid namespace, dumpable or not. */
bool berth_ptrace_reaches_host(const struct berth_spec *s,
                               const struct berth_process *p);
/* Whether the pid namespace is joined by path (and is not the runtime's
 * own): other containers' processes see ours, and what they may do is
 * unknown. */
bool berth_pidns_shared(const struct berth_spec *s);

#endif
