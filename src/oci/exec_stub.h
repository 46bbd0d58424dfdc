/* The sealed exec stub (src/stub/exec_stub.c): a memfd holding a tiny
 * program that execs the user's process, so the runtime binary is never
 * what /proc/self/exe names while a container program is being loaded. */
#ifndef BERTH_OCI_EXEC_STUB_H
#define BERTH_OCI_EXEC_STUB_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* A sealed, close-on-exec memfd with the stub, or -1 when this build has
 * no stub (then the caller must rely on a sealed runtime copy). */
int berth_exec_stub_fd(berth_error **err);
/* Execs path via the stub fd (when >= 0), falling back to a direct execve
 * if the container's seccomp profile forbids execveat.  Returns -errno. */
int berth_exec_via_stub(int stub_fd, const char *path, char *const *args,
                        char *const *env);
/* Whether the stub alone is not enough: processes in the container could
 * hold CAP_SYS_PTRACE over host-owned processes (no user namespace) and
 * open the runtime's /proc/PID/exe before the stub runs.  Then the whole
 * runtime must run from a sealed copy. */
bool berth_needs_sealed_runtime(const struct berth_spec *s,
                                const struct berth_process *p);

#endif
