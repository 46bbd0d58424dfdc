/* What api_attach.c and api_exec.c share: the server-wide state of the
 * hijacked streams (attaches parked before start, live attaches that a
 * resize reaches, exec instances), and serving one attached client. */
#ifndef BERTH_API_IO_H
#define BERTH_API_IO_H

#include <pthread.h>
#include <stdbool.h>

#include "api_internal.h"

/* server.c's hook: one pointer of the server's for this state, NULL
 * until api_io_state creates it (the server lives as long as the
 * process, so it is never freed). */
void **api_server_io_slot(struct api_server *srv);

struct api_parked;
struct api_session;
struct api_exec;

struct api_io {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct api_parked *parked;   /* attach before start */
  struct api_session *live;    /* attached clients (for resize) */
  struct api_exec *execs;      /* exec instances, newest first */
  unsigned n_execs;
};

struct api_io *api_io_state(struct api_server *srv);

/* A container's resize through the attached client's monitor connection
 * when one of ours is attached; false when none is. */
bool api_io_resize_live(struct api_io *io, const char *id, unsigned rows,
                        unsigned cols);

#endif
