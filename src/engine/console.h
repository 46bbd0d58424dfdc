/* Console sockets and terminal relaying (see console.c). */
#ifndef BERTH_ENGINE_CONSOLE_H
#define BERTH_ENGINE_CONSOLE_H

#include <stddef.h>

#include "error.h"
#include "escape.h"

/* Listens on a new unix socket whose path (short enough for sun_path) is
 * written to path.  Returns the listening fd. */
int berth_console_listen(char *path, size_t len, berth_error **err);
/* Accepts one connection and receives the pty master sent on it. */
int berth_console_accept(int listen_fd, berth_error **err);
struct berth_relay {
  int master, in, out; /* in may be -1 */
  int stop_fd;         /* readable (or closed) once the process is gone */
  /* struct winsize records (a pipe: each write is atomic), applied to
   * the master; -1: none. */
  int resize_fd;
  struct berth_escape keys; /* detach keys looked for on in */
};
/* Copies master -> out and in -> master until stop_fd becomes readable,
 * then drains the master (returns 0), or until the detach keys are read
 * from in (returns 1; the process goes on). */
int berth_console_relay(struct berth_relay *r);

#endif
