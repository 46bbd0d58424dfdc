/* The monitor's attach socket: where `berth attach` (the engine's
 * berth_ctr_attach) hands the monitor a client's stdio.  libc only. */
#ifndef BERTH_MONITOR_ATTACH_SOCK_H
#define BERTH_MONITOR_ATTACH_SOCK_H

#include <stddef.h>

/* Binds a SOCK_SEQPACKET socket at path (any length: bound through the
 * directory's /proc/self/fd link) with mode 0600.  Returns the listening
 * fd or -1. */
int mon_attach_listen(const char *path);
/* Accepts one client and its request: the text (NUL-terminated) into req
 * and up to 3 fds into fds[] (-1 for those not sent).  Returns the
 * connection fd or -1. */
int mon_attach_accept(int listen_fd, char *req, size_t len, int fds[3]);

#endif
