/* The server: the listening socket (made here, or handed over by systemd
 * socket activation), libmicrohttpd with a thread per connection, the
 * request life cycle (route, body, handler, answer), idle exit and
 * SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cleanup.h"
#include "conn.h"
#include "fs.h"

static int stop_efd = -1;
static int sig_pipe[2] = {-1, -1};

int api_stop_fd(void) { return stop_efd; }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const struct berth_api_opts *api_server_opts(const struct api_server *srv) {
  return &srv->opts;
}

void **api_server_io_slot(struct api_server *srv) { return &srv->io; }

/* ---- connections ---- */

struct berth_engine *api_engine_get(struct api_server *srv,
                                    berth_error **err) {
  struct berth_engine *e = NULL;
  pthread_mutex_lock(&srv->pool_lock);
  if (srv->n_pool > 0)
    e = srv->pool[--srv->n_pool];
  pthread_mutex_unlock(&srv->pool_lock);
  if (e)
    return e;
  if (berth_engine_open(srv->opts.root, srv->opts.envp, &e, err) < 0)
    return NULL;
  return e;
}

/* An engine goes back only as it was opened: one still holding the
 * store's lock (a handler that failed to release it) is closed, which
 * releases the lock. */
void api_engine_put(struct api_server *srv, struct berth_engine *e) {
  if (!e)
    return;
  pthread_mutex_lock(&srv->pool_lock);
  if (e->is->lock_depth == 0 && srv->n_pool < API_ENGINE_POOL) {
    srv->pool[srv->n_pool++] = e;
    e = NULL;
  }
  pthread_mutex_unlock(&srv->pool_lock);
  berth_engine_free(e);
}

void api_conn_unref(struct api_conn *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
    return;
  api_engine_put(c->srv, c->engine);
  free(c);
}

static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct api_server *srv = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    struct api_conn *c = calloc(1, sizeof *c);
    atomic_fetch_add(&srv->conns, 1);
    *socket_context = c;
    if (!c)
      return;
    c->srv = srv;
    atomic_init(&c->refs, 1);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = ci ? ci->connect_fd : -1;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (c->fd >= 0 &&
        getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      c->peer_pid = cred.pid;
      c->peer_uid = cred.uid;
    }
    return;
  }
  api_conn_unref(*socket_context);
  *socket_context = NULL;
  atomic_store(&srv->last_close_ms, now_ms());
  atomic_fetch_sub(&srv->conns, 1);
}

static struct api_conn *conn_of(struct MHD_Connection *mc) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* ---- requests ---- */

void api_rq_unref(struct api_rq *q) {
  if (!q || atomic_fetch_sub(&q->refs, 1) != 1)
    return;
  for (int i = 0; i < API_MAX_PARAMS; i++)
    free((char *)q->req.params[i]);
  while (q->qvals) {
    struct api_qval *v = q->qvals;
    q->qvals = v->next;
    free(v->key);
    free(v->value);
    free(v);
  }
  if (q->req.body_fd >= 0)
    close(q->req.body_fd);
  if (q->hijack)
    api_hijack_free(q->hijack);
  api_conn_unref(q->req.conn);
  free(q->early_msg);
  free(q->path);
  free(q->body);
  free(q);
}

static void set_early(struct api_rq *q, unsigned status, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));
static void set_early(struct api_rq *q, unsigned status, const char *fmt,
                      ...) {
  if (q->early_status)
    return;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&q->early_msg, fmt, ap) < 0)
    q->early_msg = NULL;
  va_end(ap);
  q->early_status = status;
}

/* Docker's words for a version prefix outside what is served (the
 * version as the client wrote it). */
static void version_refused(struct api_rq *q, const char *url) {
  const char *v = url + 2;
  int n = (int)strcspn(v, "/");
  if (q->req.version > 141)
    set_early(q, 400,
              "client version %.*s is too new. Maximum supported API "
              "version is " BERTH_API_MAX_VERSION,
              n, v);
  else
    set_early(q, 400,
              "client version %.*s is too old. Minimum supported API "
              "version is " BERTH_API_MIN_VERSION
              ", please upgrade your client to a newer version",
              n, v);
}

/* Declared sizes over the limit are answered before the body is read
 * (a client sending Expect: 100-continue then sends none of it). */
static void check_length(struct api_rq *q, struct MHD_Connection *mc) {
  const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (!cl || !q->route)
    return;
  unsigned long long n = strtoull(cl, NULL, 10);
  unsigned long long max = (q->route->flags & API_BODY_FILE)
                               ? API_BODY_FILE_MAX
                               : API_BODY_MAX;
  if (n > max)
    set_early(q, 413, "request body of %llu bytes is over the limit of %llu",
              n, max);
}

/* The path decoded and its version prefix checked, then the route. */
static void route(struct api_rq *q, const char *url) {
  char *path = strdup(url);
  if (!path || api_unescape(path, false) < 0) {
    free(path);
    set_early(q, 400, "invalid path");
    return;
  }
  const char *rest = api_strip_version(path, &q->req.version);
  if (!rest) {
    version_refused(q, path);
    free(path);
    return;
  }
  q->path = strdup(rest);
  free(path);
  if (!q->path) {
    set_early(q, 500, "out of memory");
    return;
  }
  q->req.path = q->path;
  unsigned status = 404;
  q->route = api_route_find(&q->req, &status);
  if (!q->route)
    set_early(q, status, status == 405 ? "method not allowed"
                                        : "page not found");
}

static struct api_rq *rq_begin(struct api_server *srv,
                               struct MHD_Connection *mc, const char *url,
                               const char *method) {
  struct api_rq *q = calloc(1, sizeof *q);
  if (!q)
    return NULL;
  atomic_init(&q->refs, 1);
  q->t0_us = srv->debug ? now_us() : 0;
  q->req.srv = srv;
  q->req.conn = conn_of(mc);
  if (q->req.conn)
    atomic_fetch_add(&q->req.conn->refs, 1);
  q->req.mhd_conn = mc;
  q->req.method = method;
  q->req.body_fd = -1;
  q->req.body = "";
  route(q, url);
  check_length(q, mc);
  if (!q->early_status && api_body_begin(q) < 0)
    set_early(q, 500, "cannot store the request body");
  return q;
}

static void log_request(struct api_rq *q) {
  struct api_conn *c = q->req.conn;
  fprintf(stderr, "berth-api: pid %d uid %u: %s %s -> %u (%lld us)\n",
          c ? (int)c->peer_pid : -1, c ? (unsigned)c->peer_uid : 0u,
          q->req.method, q->path ? q->path : "?", q->req.status,
          now_us() - q->t0_us);
}

static enum MHD_Result queue(struct api_rq *q, struct MHD_Connection *mc) {
  struct api_req *r = &q->req;
  if (!r->response)
    api_reply_errorf(r, 500, "the handler of %s %s answered nothing",
                     r->method, r->path);
  if (!r->response)
    return MHD_NO;
  enum MHD_Result ok = MHD_queue_response(mc, r->status, r->response);
  MHD_destroy_response(r->response);
  r->response = NULL;
  if (q->t0_us)
    log_request(q);
  return ok;
}

static enum MHD_Result rq_finish(struct api_rq *q, struct MHD_Connection *mc) {
  struct api_req *r = &q->req;
  if (!q->early_status && q->too_large)
    set_early(q, 413, "request body is over the limit of %llu bytes",
              (q->route->flags & API_BODY_FILE)
                  ? (unsigned long long)API_BODY_FILE_MAX
                  : (unsigned long long)API_BODY_MAX);
  if (q->early_status) {
    api_reply_errorf(r, q->early_status, "%s",
                     q->early_msg ? q->early_msg : "bad request");
    return queue(q, mc);
  }
  if (q->body) {
    r->body = q->body;
    r->body_len = (size_t)q->received;
  }
  if (r->body_fd >= 0)
    lseek(r->body_fd, 0, SEEK_SET);
  int rc = q->route->handler(r);
  if (rc < 0 && !r->response)
    api_reply_errorf(r, 500, "%s %s failed", r->method, r->path);
  return queue(q, mc);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)version;
  struct api_rq *q = *con_cls;
  if (!q) {
    if (!(q = rq_begin(cls, mc, url, method)))
      return MHD_NO;
    *con_cls = q;
    /* Refused before the body: answered now, the body never read. */
    if (q->early_status == 413)
      return rq_finish(q, mc);
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!q->early_status)
      api_body_take(q, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  return rq_finish(q, mc);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)mc, (void)toe;
  api_rq_unref(*con_cls);
  *con_cls = NULL;
}

/* Query values and the path are decoded by request.c and query.c (Go's
 * rules: '+' is a space in a query, not in a path), so MHD keeps them as
 * sent. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls, (void)c;
  return strlen(s);
}

/* ---- the socket ---- */

/* "unix:///p" or "/p" -> "/p".  Anything else is refused: a TCP socket
 * would hand root-equivalent access to the network. */
static int socket_path(const char *uri, char *out, size_t len,
                       berth_error **err) {
  const char *p = uri ? uri : BERTH_API_DEFAULT_SOCKET;
  if (strncmp(p, "unix://", 7) == 0)
    p += 7;
  if (p[0] != '/')
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: only unix sockets are served "
                           "(unix:///path or /path)",
                           uri);
  struct sockaddr_un sa;
  if (strlen(p) >= sizeof sa.sun_path || strlen(p) >= len)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: the socket path is longer than %zu bytes", p,
                           sizeof sa.sun_path - 1);
  snprintf(out, len, "%s", p);
  return 0;
}

static void fill_addr(struct sockaddr_un *sa, const char *path) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, strlen(path) + 1);
}

/* A socket file at path that something answers on is a live service and
 * is left alone; one that refuses connections is a stale one left by a
 * service that died, and is removed. */
static int clear_stale(const char *path, berth_error **err) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "stat `%s`", path);
  if (!S_ISSOCK(st.st_mode))
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "`%s` exists and is not a socket", path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  struct sockaddr_un sa;
  fill_addr(&sa, path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "`%s`: another service is already listening on "
                           "this socket",
                           path);
  if (errno != ECONNREFUSED)
    return berth_error_sys(err, "connect to `%s`", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return berth_error_sys(err, "remove the stale socket `%s`", path);
  return 0;
}

/* The socket's directory, made 0755 when missing (/run/berth): the
 * socket's own mode is what guards it. */
static int make_dir(const char *path, berth_error **err) {
  _cleanup_free_ char *dir = strdup(path);
  if (!dir)
    return berth_error_sys(err, "allocate");
  char *slash = strrchr(dir, '/');
  if (slash == dir)
    return 0;
  *slash = '\0';
  return berth_mkdir_p(dir, 0755, err);
}

static int bind_socket(const char *path, gid_t group, ino_t *ino,
                       berth_error **err) {
  if (make_dir(path, err) < 0 || clear_stale(path, err) < 0)
    return -1;
  _cleanup_close_ int fd =
      socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  struct sockaddr_un sa;
  fill_addr(&sa, path);
  /* The socket is root-equivalent: it is born 0660 through the umask (no
   * window in which another user could connect before a chmod), then
   * given to root and the group (when run as root; a user's own service
   * keeps the user's ids) with lchown, on what lstat saw to be a socket:
   * a path swapped for a symlink meanwhile gets nothing changed through
   * it. */
  mode_t old = umask(0117);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (rc < 0)
    return berth_error_sys(err, "bind `%s`", path);
  struct stat st;
  if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
      (geteuid() == 0 && lchown(path, 0, group) < 0) ||
      listen(fd, SOMAXCONN) < 0) {
    berth_error_sys(err, "set up `%s`", path);
    unlink(path);
    return -1;
  }
  *ino = st.st_ino;
  return steal_fd(&fd);
}

/* Removes the socket only when it is still ours (a service started after
 * a SIGTERM may already have replaced it). */
static void remove_socket(const char *path, ino_t ino) {
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino)
    unlink(path);
}

/* ---- signals, idle ---- */

static void on_signal(int sig) {
  int saved = errno;
  char c = (char)sig;
  if (write(sig_pipe[1], &c, 1) < 0) {
    /* nothing to do: the pipe is full, a stop is already pending */
  }
  errno = saved;
}

/* SIGTERM and SIGINT go through a pipe the main thread polls, rather than
 * a blocked mask and sigwait: a mask would be inherited by every process
 * a request starts (monitors, containers).  SIGPIPE is ignored: a client
 * that goes away is an EPIPE, never the end of the server. */
static int setup_signals(berth_error **err) {
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return berth_error_sys(err, "pipe");
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
    return berth_error_sys(err, "sigaction");
  signal(SIGPIPE, SIG_IGN);
  stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_efd < 0)
    return berth_error_sys(err, "eventfd");
  return 0;
}

/* Waits for a signal or the idle timeout: no connection for
 * idle_timeout_s seconds (a connection that stays open, such as an
 * events stream, keeps the service). */
static void wait_until_done(struct api_server *srv) {
  long long idle_ms = (long long)srv->opts.idle_timeout_s * 1000;
  for (;;) {
    int timeout = 1000;
    if (idle_ms > 0 && atomic_load(&srv->conns) == 0) {
      long long left =
          atomic_load(&srv->last_close_ms) + idle_ms - now_ms();
      if (left <= 0)
        return;
      timeout = left < 1000 ? (int)left : 1000;
    }
    struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
    if (poll(&p, 1, timeout) > 0)
      return;
  }
}

struct stopper {
  struct MHD_Daemon *d;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool done;
};

static void *stop_thread(void *arg) {
  struct stopper *s = arg;
  MHD_stop_daemon(s->d);
  pthread_mutex_lock(&s->lock);
  s->done = true;
  pthread_cond_signal(&s->cond);
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* Stops the daemon: no new connection, streams and relays told through
 * stop_efd; handlers blocked elsewhere (a pull, a wait) get a few
 * seconds, then the process exits without them (containers do not depend
 * on the service). */
static void stop_daemon(struct MHD_Daemon *d) {
  MHD_socket ls = MHD_quiesce_daemon(d);
  if (ls != MHD_INVALID_SOCKET)
    close(ls);
  uint64_t one = 1;
  if (write(stop_efd, &one, sizeof one) < 0) {
    /* cannot fail for an eventfd below its maximum */
  }
  static struct stopper s = {.lock = PTHREAD_MUTEX_INITIALIZER,
                             .cond = PTHREAD_COND_INITIALIZER};
  s.d = d;
  pthread_t t;
  if (pthread_create(&t, NULL, stop_thread, &s) != 0)
    return;
  pthread_detach(t);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  pthread_mutex_lock(&s.lock);
  while (!s.done &&
         pthread_cond_timedwait(&s.cond, &s.lock, &until) != ETIMEDOUT)
    ;
  pthread_mutex_unlock(&s.lock);
}

/* The memory of a connection: its read buffer (the request head, and the
 * body as it passes) and the parsed headers.  32 KiB is the largest pool
 * libmicrohttpd 0.9.75 takes from malloc: above it, every connection
 * mmaps a fresh pool, and the pool's reset after each answer zeroes all
 * of it, so each new connection paid a page fault and a page clear per
 * 4 KiB, then the munmap (256 KiB: 64 pages, ~130 us of a ~200 us
 * /_ping on a new connection; podman answers one in ~140 us).  A
 * malloc'd pool is reused warm.  It still holds a request head of about
 * 32 KB, which covers the credentials Docker's clients send in headers
 * (X-Registry-Auth: one registry; X-Registry-Config: every configured
 * registry, ~0.2-3 KB each); a larger head is answered 431. */
#define API_CONN_MEMORY (32 * 1024)

static struct MHD_Daemon *start_daemon(struct api_server *srv, int fd) {
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_UPGRADE |
                   MHD_USE_ITC;
  if (srv->debug)
    flags |= MHD_USE_ERROR_LOG;
  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
      MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
      MHD_OPTION_END);
}

int berth_api_serve(const struct berth_api_opts *o, berth_error **err) {
  static struct api_server srv = {.pool_lock = PTHREAD_MUTEX_INITIALIZER};
  srv.opts = *o;
  srv.debug = o->debug;
  atomic_store(&srv.last_close_ms, now_ms());
  if (setup_signals(err) < 0)
    return -1;
  char path[108] = "";
  ino_t ino = 0;
  int fd = o->listen_fd;
  if (fd < 0) {
    if (socket_path(o->socket_path, path, sizeof path, err) < 0 ||
        (fd = bind_socket(path, o->group, &ino, err)) < 0)
      return -1;
  } else if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    return berth_error_sys(err, "the activation socket (fd %d)", fd);
  }
  struct MHD_Daemon *d = start_daemon(&srv, fd);
  if (!d) {
    if (path[0])
      remove_socket(path, ino);
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "cannot start the HTTP server");
  }
  if (srv.debug)
    fprintf(stderr, "berth-api: serving API %s on %s\n",
            BERTH_API_MAX_VERSION, path[0] ? path : "the activation socket");
  wait_until_done(&srv);
  /* Gone first, so that new clients fail at once rather than queue on a
   * socket nobody accepts on. */
  if (path[0])
    remove_socket(path, ino);
  stop_daemon(d);
  return 0;
}
