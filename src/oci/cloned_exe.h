/* CVE-2019-5736: a container process that gets hold of the runtime's
 * /proc/PID/exe could overwrite the runtime binary on the host.  The
 * runtime therefore runs from a sealed, read-only memfd copy of itself:
 * what the container can reach is that copy, which cannot be written. */
#ifndef BERTH_OCI_CLONED_EXE_H
#define BERTH_OCI_CLONED_EXE_H

#include "error.h"

/* True when the running executable is already a sealed memfd. */
int berth_exe_is_sealed(void);
/* Copies /proc/self/exe into a sealed memfd and re-executes it with the
 * same argv and environment.  Returns only on failure. */
int berth_reexec_sealed(char *const argv[], char *const envp[],
                        berth_error **err);

#endif
