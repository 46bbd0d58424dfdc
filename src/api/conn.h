/* The core's own view of the server (server.c, request.c, stream.c,
 * hijack.c): the server, its connections and a request's state.  Handler
 * files use api_internal.h only. */
#ifndef BERTH_API_CONN_H
#define BERTH_API_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api_internal.h"
#include "api_query.h"

#define API_ENGINE_POOL 8

struct api_server {
  struct berth_api_opts opts;
  bool debug;                 /* log each request to stderr */
  atomic_int conns;           /* open connections */
  atomic_llong last_close_ms; /* CLOCK_MONOTONIC of the last close */
  void *io;                   /* api_io.h: attach and exec state */
  /* Engines of closed connections, handed to the next ones: opening one
   * (database, migrations, stores) costs more than most requests. */
  pthread_mutex_t pool_lock;
  struct berth_engine *pool[API_ENGINE_POOL];
  int n_pool;
};

/* An engine from the pool or newly opened; back to the pool (or freed). */
struct berth_engine *api_engine_get(struct api_server *srv,
                                    berth_error **err);
void api_engine_put(struct api_server *srv, struct berth_engine *e);

/* One client connection: its socket and engine.  Referenced by the
 * connection itself and by each stream producer still running, so the
 * engine outlives a client that went away mid-stream. */
struct api_conn {
  struct api_server *srv;
  atomic_int refs;
  int fd;             /* the client socket (MHD's; never closed here) */
  pid_t peer_pid;     /* SO_PEERCRED, for the debug log */
  uid_t peer_uid;
  struct berth_engine *engine; /* api_engine: opened on first use */
};

void api_conn_unref(struct api_conn *c);
/* The attach and exec state's place in the server (api_io.h, h-io). */
void **api_server_io_slot(struct api_server *srv);

/* A query value decoded once and kept for the request. */
struct api_qval {
  struct api_qval *next;
  char *key, *value;
};

struct api_hijack;

/* A request's state (MHD's con_cls).  Referenced by the connection until
 * the request completes and by a stream's producer until it returns, so
 * that r->params, r->body, r->body_fd and decoded query values stay valid
 * in the producer even when the client has gone. */
struct api_rq {
  struct api_req req;
  atomic_int refs;
  const struct api_route *route;
  unsigned early_status;       /* answered without the handler */
  char *early_msg;
  char *path;                  /* decoded, without the /vX.Y prefix */
  char *body;                  /* memory bodies, NUL-terminated */
  size_t cap;
  uint64_t received;
  bool too_large;
  struct api_qval *qvals;
  struct api_hijack *hijack;   /* hijack.c: freed if it never ran */
  long long t0_us;             /* for the debug log */
};

static inline struct api_rq *api_rq_of(struct api_req *r) {
  return (struct api_rq *)((char *)r - offsetof(struct api_rq, req));
}
void api_rq_unref(struct api_rq *q);

/* Readable once the server stops: long waits of the core (streams,
 * relays) poll it.  Set once before the first connection. */
int api_stop_fd(void);

/* Request bodies (request.c): called by server.c as they arrive. */
int api_body_begin(struct api_rq *q);
void api_body_take(struct api_rq *q, const char *data, size_t len);
/* The common headers of every answer (respond.c). */
void api_add_headers(void *mhd_response);
/* The hijack state's cleanup when the upgrade never happened. */
void api_hijack_free(struct api_hijack *h);

#endif
