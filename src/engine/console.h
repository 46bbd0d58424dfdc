/* Console sockets and terminal relaying (see console.c). */
#ifndef BERTH_ENGINE_CONSOLE_H
#define BERTH_ENGINE_CONSOLE_H

#include <stddef.h>

#include "error.h"

/* Listens on a new unix socket whose path (short enough for sun_path) is
 * written to path.  Returns the listening fd. */
int berth_console_listen(char *path, size_t len, berth_error **err);
/* Accepts one connection and receives the pty master sent on it. */
int berth_console_accept(int listen_fd, berth_error **err);
/* Copies master -> out and in -> master (in may be -1) until stop_fd
 * becomes readable (or closes), then drains the master. */
void berth_console_relay(int master, int in, int out, int stop_fd);

#endif
