/* Terminals: the init opens a pty from the container's own devpts and hands
 * the master to the caller through --console-socket (SCM_RIGHTS), as runc
 * does, then makes the slave its controlling terminal and stdio. */
#ifndef BERTH_OCI_TERMINAL_H
#define BERTH_OCI_TERMINAL_H

#include "error.h"

/* In the init, after pivot_root (so /dev/ptmx is the container's). */
int berth_terminal_setup(int console_sock, unsigned rows, unsigned cols,
                         berth_error **err);
/* The same without taking the terminal: the slave only becomes stdio
 * (exec: the process born later in the container takes it). */
int berth_terminal_open(int console_sock, unsigned rows, unsigned cols,
                        berth_error **err);
/* Connects to the unix socket at path (runtime side, before clone). */
int berth_console_socket_connect(const char *path, berth_error **err);
/* Receives one fd sent with SCM_RIGHTS (used by tests and `run -t`). */
int berth_recv_fd(int sock, berth_error **err);

#endif
