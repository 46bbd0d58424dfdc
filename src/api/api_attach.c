/* POST /containers/{id}/attach and /resize: a hijacked client relayed to
 * the container's monitor, attached now (a running container) or parked
 * until the container starts (docker run and start -a attach first, then
 * start: the start handler hands the parked client's pipes to
 * berth_ctr_start through api_attach_take, so the monitor relays from the
 * container's first byte). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "api_io.h"
#include "attach.h"
#include "conn.h" /* api_stop_fd: a parked client does not hold up a stop */
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "logs.h"
#include "start.h"

struct api_io *api_io_state(struct api_server *srv) {
  /* Created once, by whichever request needs it first. */
  static pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
  void **slot = api_server_io_slot(srv);
  pthread_mutex_lock(&init);
  if (*slot == NULL) {
    struct api_io *io = calloc(1, sizeof *io);
    if (io) {
      pthread_mutex_init(&io->mu, NULL);
      pthread_cond_init(&io->cv, NULL);
    }
    *slot = io;
  }
  pthread_mutex_unlock(&init);
  return *slot;
}

/* ---- the attached client ---------------------------------------------- */

/* One hijacked client and the container's side of it: pipes whose other
 * ends the monitor holds, and the monitor's status connection. */
struct api_session {
  struct api_session *next; /* api_io.live */
  struct api_io *io;
  struct berth_engine *e;   /* the attach connection's (its thread is
                               busy relaying, so the status thread may
                               use it) */
  char id[65];
  bool tty, logs, stream;
  int64_t logs_until;       /* logs=1 replays what was written before
                               the request: the stream has the rest */
  bool want_in, want_out, want_err; /* the live streams */
  bool log_out, log_err;    /* the streams asked for: logs=1 replays them */
  char keys[BERTH_DETACH_KEYS_LEN];
  int in[2], out[2], err[2]; /* [0] read, [1] write; -1 when closed */
  int status_fd;
  int sock;                 /* the client, while relayed */
  bool live;                /* in api_io.live */
};

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void session_free(struct api_session *s) {
  int *fds[] = {&s->in[0], &s->in[1], &s->out[0], &s->out[1], &s->err[0],
                &s->err[1], &s->status_fd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    close_fd(fds[i]);
  free(s);
}

/* The pipes of the streams asked for (none for stderr with a terminal:
 * a pty has one output). */
static int session_pipes(struct api_session *s) {
  if ((s->want_in && pipe2(s->in, O_CLOEXEC) < 0) ||
      (s->want_out && pipe2(s->out, O_CLOEXEC) < 0) ||
      (s->want_err && !s->tty && pipe2(s->err, O_CLOEXEC) < 0))
    return -1;
  return 0;
}

/* The monitor has its copies now. */
static void close_monitor_ends(struct api_session *s) {
  close_fd(&s->in[0]);
  close_fd(&s->out[1]);
  close_fd(&s->err[1]);
}

/* Called with io->mu held. */
static void live_add_locked(struct api_session *s) {
  if (s->live)
    return;
  s->next = s->io->live;
  s->io->live = s;
  s->live = true;
}

static void live_add(struct api_session *s) {
  pthread_mutex_lock(&s->io->mu);
  live_add_locked(s);
  pthread_mutex_unlock(&s->io->mu);
}

static void live_remove(struct api_session *s) {
  pthread_mutex_lock(&s->io->mu);
  for (struct api_session **p = &s->io->live; s->live && *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  s->live = false;
  pthread_mutex_unlock(&s->io->mu);
}

bool api_io_resize_live(struct api_io *io, const char *id, unsigned rows,
                        unsigned cols) {
  bool done = false;
  pthread_mutex_lock(&io->mu);
  for (struct api_session *s = io->live; s && !done; s = s->next)
    if (strcmp(s->id, id) == 0 && s->status_fd >= 0)
      done = berth_attach_resize(s->status_fd, rows, cols) == 0;
  pthread_mutex_unlock(&io->mu);
  return done;
}

/* A client that closed its socket altogether (not a half-close): the
 * relay would only notice at the container's next output, and until
 * then the monitor's one client slot would stay taken. */
static bool hung_up(short revents) { return revents & (POLLHUP | POLLERR); }

/* The monitor's messages: the container's exit is recorded here, as the
 * CLI's attached client does (the wait that docker run made before
 * start sees it before the stream ends).  A client that hangs up lets go
 * of the monitor, which then closes our pipes: the relay ends. */
static void *status_main(void *arg) {
  struct api_session *s = arg;
  bool watching = true;
  for (;;) {
    struct pollfd p[2] = {{.fd = s->status_fd, .events = POLLIN},
                          {.fd = watching ? s->sock : -1, .events = 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR)
      return NULL;
    if (hung_up(p[1].revents)) {
      shutdown(s->status_fd, SHUT_RDWR);
      watching = false;
    }
    if (!p[0].revents)
      continue;
    berth_error *err = NULL;
    int code = 0;
    int ev = berth_attach_event(s->e, s->id, s->status_fd, &code, &err);
    berth_error_free(err);
    if (ev != BERTH_ATTACH_RUNNING)
      return NULL;
  }
}

struct replay {
  int sock;
  bool tty, out, err;
};

static int replay_entry(const struct berth_log_entry *le, void *data) {
  struct replay *rp = data;
  if (le->is_stderr ? !rp->err : !rp->out)
    return 0;
  if (rp->tty)
    return send(rp->sock, le->line, le->len, MSG_NOSIGNAL) ==
                   (ssize_t)le->len
               ? 0
               : -1;
  return api_frame_write(rp->sock, le->is_stderr ? 2 : 1, le->line, le->len);
}

/* logs=1: what the container wrote so far, before the live stream. */
static void replay_logs(struct api_session *s, int sock) {
  char path[4200];
  berth_ctr_dir(s->e, s->id, path, sizeof path);
  strncat(path, "/ctr.log", sizeof path - strlen(path) - 1);
  struct berth_logs_opts lo = {.tail = -1, .until_ns = s->logs_until};
  struct replay rp = {sock, s->tty, s->log_out, s->log_err};
  berth_logs_read(path, &lo, replay_entry, &rp, NULL);
}

/* Relays until the container's output ends (its monitor is gone) or the
 * client goes; then lets go of the monitor (closing the status
 * connection detaches us if the container still runs). */
static void session_serve(struct api_session *s, int sock, const char *early,
                          size_t early_len) {
  if (s->logs)
    replay_logs(s, sock);
  if (!s->stream || s->status_fd < 0)
    return;
  live_add(s);
  s->sock = sock;
  pthread_t th;
  bool threaded = pthread_create(&th, NULL, status_main, s) == 0;
  /* api_relay closes the stdin pipe (at the client's half-close). */
  int in = s->in[1];
  s->in[1] = -1;
  api_relay(sock, early, early_len, in, s->out[0], s->err[0], s->tty);
  live_remove(s);
  shutdown(s->status_fd, SHUT_RDWR);
  if (threaded)
    pthread_join(th, NULL);
}

/* ---- attach before start --------------------------------------------- */

enum parked_state { PARKED_WAITING, PARKED_TAKEN, PARKED_STARTED,
                    PARKED_FAILED, PARKED_GONE };

struct api_parked {
  struct api_parked *next;  /* api_io.parked, while WAITING */
  struct api_session *s;
  char *name;
  enum parked_state state;
  bool listed;
};

static void parked_unlist(struct api_io *io, struct api_parked *p) {
  for (struct api_parked **q = &io->parked; *q; q = &(*q)->next)
    if (*q == p) {
      *q = p->next;
      break;
    }
  p->listed = false;
}

/* The start handler may hold p between take and started: free only
 * after it has let go. */
static void parked_free(void *data) {
  struct api_parked *p = data;
  struct api_io *io = p->s->io;
  pthread_mutex_lock(&io->mu);
  if (p->listed)
    parked_unlist(io, p);
  while (p->state == PARKED_TAKEN)
    pthread_cond_wait(&io->cv, &io->mu);
  pthread_mutex_unlock(&io->mu);
  live_remove(p->s);
  session_free(p->s);
  free(p->name);
  free(p);
}

static bool matches(const struct api_parked *p, const char *ref) {
  size_t n = strlen(ref);
  return strcmp(p->s->id, ref) == 0 || strcmp(p->name, ref) == 0 ||
         (ref[0] == '/' && strcmp(p->name, ref + 1) == 0) ||
         (n >= 1 && n < 64 && strncmp(p->s->id, ref, n) == 0);
}

int api_attach_take(struct api_server *srv, const char *id,
                    struct berth_start_opts *o, void **token) {
  struct api_io *io = api_io_state(srv);
  *token = NULL;
  if (!io)
    return 0;
  pthread_mutex_lock(&io->mu);
  struct api_parked *p = io->parked;
  while (p && !matches(p, id))
    p = p->next;
  if (p) {
    parked_unlist(io, p);
    p->state = PARKED_TAKEN;
  }
  pthread_mutex_unlock(&io->mu);
  if (!p)
    return 0;
  struct api_session *s = p->s;
  *o = (struct berth_start_opts){
      .attach = true, .interactive = s->want_in, .in = s->in[0],
      .out = s->out[1], .err = s->err[1], .skip_stdout = !s->want_out,
      .skip_stderr = !s->want_err || s->tty, .detach_keys = s->keys,
      .status_to = &s->status_fd};
  *token = p;
  return 1;
}

void api_attach_started(struct api_server *srv, void *token, bool ok) {
  struct api_io *io = api_io_state(srv);
  struct api_parked *p = token;
  if (!io || !p)
    return;
  pthread_mutex_lock(&io->mu);
  p->state = ok && p->s->status_fd >= 0 ? PARKED_STARTED : PARKED_FAILED;
  /* Resizable from now: docker run -t resizes as soon as start answers,
   * maybe before the parked thread wakes. */
  if (p->state == PARKED_STARTED)
    live_add_locked(p->s);
  pthread_cond_broadcast(&io->cv);
  pthread_mutex_unlock(&io->mu);
}

/* A client that hangs up while parked is not waited for, nor is it
 * when the service stops.  (A half-close is not hanging up: `echo x |
 * docker run -i` closes its side early.) */
static bool client_hung_up(int sock) {
  struct pollfd pf[2] = {{.fd = sock, .events = 0},
                         {.fd = api_stop_fd(), .events = POLLIN}};
  return poll(pf, 2, 0) > 0 &&
         ((pf[0].revents & (POLLHUP | POLLERR)) || pf[1].revents);
}

static enum parked_state await_start(struct api_parked *p, int sock) {
  struct api_io *io = p->s->io;
  pthread_mutex_lock(&io->mu);
  while (p->state == PARKED_WAITING || p->state == PARKED_TAKEN) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&io->cv, &io->mu, &ts);
    if (p->state == PARKED_WAITING && client_hung_up(sock)) {
      parked_unlist(io, p);
      p->state = PARKED_GONE;
    }
  }
  enum parked_state st = p->state;
  pthread_mutex_unlock(&io->mu);
  return st;
}

static void run_parked(int sock, const char *early, size_t early_len,
                       void *data) {
  struct api_parked *p = data;
  if (await_start(p, sock) != PARKED_STARTED)
    return;
  close_monitor_ends(p->s);
  session_serve(p->s, sock, early, early_len);
}

static void run_live(int sock, const char *early, size_t early_len,
                     void *data) {
  session_serve(data, sock, early, early_len);
}

static void session_free_v(void *data) { session_free(data); }

/* ---- the handlers ------------------------------------------------------ */

static int attach_query(struct api_req *r, struct api_session *s,
                        berth_error **err) {
  bool in, out, er;
  if (api_query_bool(r, "stream", false, &s->stream, err) < 0 ||
      api_query_bool(r, "logs", false, &s->logs, err) < 0 ||
      api_query_bool(r, "stdin", false, &in, err) < 0 ||
      api_query_bool(r, "stdout", false, &out, err) < 0 ||
      api_query_bool(r, "stderr", false, &er, err) < 0)
    return -1;
  s->want_in = in;
  s->want_out = out;
  s->want_err = er;
  return berth_detach_keys_parse(api_query(r, "detachKeys"), s->keys, err);
}

static struct api_session *session_new(struct api_req *r,
                                       const struct berth_ctr *c,
                                       berth_error **err) {
  struct api_session *s = calloc(1, sizeof *s);
  if (!s) {
    berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "out of memory");
    return NULL;
  }
  int *fds[] = {&s->in[0], &s->in[1], &s->out[0], &s->out[1], &s->err[0],
                &s->err[1], &s->status_fd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    *fds[i] = -1;
  s->io = api_io_state(r->srv);
  s->e = api_engine(r, err);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  s->logs_until = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  memcpy(s->id, c->id, sizeof s->id);
  s->tty = json_is_true(json_object_get(c->config, "Tty"));
  if (!s->io || !s->e || attach_query(r, s, err) < 0) {
    if (!s->io && err && !*err)
      berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "out of memory");
    session_free(s);
    return NULL;
  }
  s->log_out = s->want_out;
  s->log_err = s->want_err;
  /* stdin only reaches a container created with it open (-i). */
  s->want_in = s->want_in && s->stream &&
               json_is_true(json_object_get(c->config, "OpenStdin"));
  s->want_out = s->want_out && s->stream;
  s->want_err = s->want_err && s->stream;
  return s;
}

static int attach_now(struct api_req *r, struct api_session *s) {
  berth_error *err = NULL;
  if (s->stream) {
    struct berth_attach_opts ao = {.in = s->in[0], .out = s->out[1],
                                   .err = s->err[1], .detach_keys = s->keys};
    struct berth_attached at;
    if (session_pipes(s) < 0) {
      session_free(s);
      return api_reply_errorf(r, 500, "pipe: %s", strerror(errno));
    }
    ao.in = s->in[0];
    ao.out = s->out[1];
    ao.err = s->err[1];
    if (berth_ctr_attach(s->e, s->id, &ao, &at, &err) < 0) {
      session_free(s);
      return api_reply_error(r, err);
    }
    s->status_fd = at.status_fd;
    close_monitor_ends(s);
  }
  return api_reply_hijack(r, run_live, s, session_free_v);
}

static int park(struct api_req *r, struct api_session *s, const char *name) {
  struct api_parked *p = calloc(1, sizeof *p);
  if (!p || session_pipes(s) < 0 || !(p->name = strdup(name))) {
    free(p);
    session_free(s);
    return api_reply_errorf(r, 500, "cannot park the attach: %s",
                            strerror(errno));
  }
  p->s = s;
  pthread_mutex_lock(&s->io->mu);
  p->next = s->io->parked;
  s->io->parked = p;
  p->listed = true;
  pthread_mutex_unlock(&s->io->mu);
  return api_reply_hijack(r, run_parked, p, parked_free);
}

static int h_attach(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (!e || berth_ctr_find(e->db, r->params[0], &c, &err) < 0 ||
      berth_ctr_refresh(e, c, &err) < 0)
    return api_reply_error(r, err);
  struct api_session *s = session_new(r, c, &err);
  if (!s)
    return api_reply_error(r, err);
  if (strcmp(c->state, BERTH_ST_PAUSED) == 0 && s->stream) {
    session_free(s);
    return api_reply_errorf(r, 409, "You cannot attach to a paused "
                                    "container, unpause it first");
  }
  bool running = strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
                 strcmp(c->state, BERTH_ST_RESTARTING) == 0 ||
                 strcmp(c->state, BERTH_ST_PAUSED) == 0;
  /* Not running: docker run and start -a attach before they start it. */
  if (s->stream && !running)
    return park(r, s, c->name);
  return attach_now(r, s);
}

/* Through the attached client of ours if there is one (the monitor
 * takes one client), else through a connection of its own. */
static int h_resize(struct api_req *r) {
  berth_error *err = NULL;
  int64_t h, w;
  struct berth_engine *e = api_engine(r, &err);
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (!e || api_query_int(r, "h", 0, 0, 65535, &h, &err) < 0 ||
      api_query_int(r, "w", 0, 0, 65535, &w, &err) < 0 ||
      berth_ctr_find(e->db, r->params[0], &c, &err) < 0 ||
      berth_ctr_refresh(e, c, &err) < 0)
    return api_reply_error(r, err);
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return api_reply_errorf(r, 409, "Container %s is not running", c->id);
  struct api_io *io = api_io_state(r->srv);
  if (io && api_io_resize_live(io, c->id, (unsigned)h, (unsigned)w))
    return api_reply_empty(r, 200);
  struct berth_attach_opts ao = {.in = -1, .out = -1, .err = -1};
  struct berth_attached at;
  if (berth_ctr_attach(e, c->id, &ao, &at, &err) < 0)
    return api_reply_error(r, err);
  int rc = berth_attach_resize(at.status_fd, (unsigned)h, (unsigned)w);
  close(at.status_fd);
  if (rc < 0)
    return api_reply_errorf(r, 500, "resize: the container's monitor is "
                                    "gone");
  return api_reply_empty(r, 200);
}

const struct api_route api_routes_attach[] = {
    {"POST", "/containers/{id}/attach", h_attach, 0},
    {"POST", "/containers/{id}/resize", h_resize, 0},
    {NULL, NULL, NULL, 0},
};
