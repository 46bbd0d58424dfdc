/* Attaching to a container's stdio: `berth attach`, and what `run`,
 * `start -a` and `exec -it` share with it (detach keys, resizes, the
 * attached client's side of the monitor's protocol, the signals a client
 * forwards).
 *
 * The container's monitor holds its stdio (the pty master with -t); a
 * client hands the monitor its own fds through the attach socket in the
 * container's directory and then talks to it over that connection:
 * "resize ROWS COLS" from the client; "detached", "exited CODE" (which
 * the client records and answers) or "exit CODE" from the monitor. */
#ifndef BERTH_ENGINE_ATTACH_H
#define BERTH_ENGINE_ATTACH_H

#include <signal.h>
#include <stdbool.h>

#include "engine.h"

/* Docker's default detach keys. */
#define BERTH_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
/* Room for berth_detach_keys_parse's output. */
#define BERTH_DETACH_KEYS_LEN 80

/* Docker's --detach-keys: comma-separated keys, each a single character,
 * ctrl-<a-z, @, [, \, ], ^, _> or DEL.  out gets the byte values as the
 * monitor takes them ("16,17").  NULL or "" means the default. */
int berth_detach_keys_parse(const char *spec, char out[BERTH_DETACH_KEYS_LEN],
                            berth_error **err);

/* run -a/--attach: which streams (STDIN, STDOUT, STDERR, any case) a
 * foreground client attaches; none named means stdout and stderr (and
 * stdin with -i).  With detach (-d), naming any is an error. */
struct berth_streams {
  bool in, out, err;
};
int berth_attach_streams(const char *const *names, size_t n, bool interactive,
                         bool detach, struct berth_streams *out,
                         berth_error **err);

/* The container's attach socket (in its directory). */
void berth_ctr_attach_path(const struct berth_engine *e, const char *id,
                           char *buf, size_t len);

struct berth_attach_opts {
  int in, out, err;        /* the client's fds; -1: that stream is not
                              attached */
  const char *detach_keys; /* from berth_detach_keys_parse */
};

struct berth_attached {
  char id[65];
  bool tty;       /* the container has a terminal (the client goes raw) */
  int status_fd;  /* the connection to the monitor; the caller closes it */
};

/* Attaches to a running container (ref: name, id or prefix).  A stopped
 * or paused container is a STATE error worded as Docker's.  stdin is
 * attached only if the container was created with -i (OpenStdin). */
int berth_ctr_attach(struct berth_engine *e, const char *ref,
                     const struct berth_attach_opts *o,
                     struct berth_attached *out, berth_error **err);

/* Tells the monitor the client's terminal size.  Returns 0 or -1. */
int berth_attach_resize(int status_fd, unsigned rows, unsigned cols);

enum berth_attach_event {
  BERTH_ATTACH_RUNNING,  /* nothing final (a restart): keep waiting */
  BERTH_ATTACH_EXITED,   /* *code is the container's exit status */
  BERTH_ATTACH_DETACHED, /* the detach keys were typed */
};

/* Handles one message from the monitor (call when status_fd is
 * readable).  On "exited" the exit is recorded here (the client has the
 * engine open, which saves the monitor starting a helper).  Returns the
 * event or -1 when the monitor is gone. */
int berth_attach_event(struct berth_engine *e, const char *id, int status_fd,
                       int *code, berth_error **err);

/* The signals an attached client forwards to the container (Docker's
 * --sig-proxy): all it can catch but SIGCHLD, SIGPIPE, SIGWINCH (a
 * resize), SIGURG and the ones a fault raises. */
void berth_sig_proxy_set(sigset_t *set);

#endif
