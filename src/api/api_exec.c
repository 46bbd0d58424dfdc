/* Exec instances: POST /containers/{id}/exec creates one, POST
 * /exec/{id}/start runs it (hijacked, or detached), GET /exec/{id}/json
 * inspects it, POST /exec/{id}/resize sizes its terminal.  Docker keeps
 * them in the daemon; here the service's memory is their only holder.
 * The process is berth exec's (berth_exec_prepare decides it for both),
 * started by berth_ctr_exec_spawn with the client's pipes or a pty. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_internal.h"
#include "api_io.h"
#include "attach.h"
#include "cleanup.h"
#include "conn.h" /* api_engine_get/put: the exec outlives its connection */
#include "containers.h"
#include "escape.h"
#include "events.h"
#include "exec.h"
#include "start.h"

/* Instances kept: beyond this many, the oldest finished ones go. */
#define EXECS_KEPT 256

struct api_exec {
  struct api_exec *next;
  char id[65];
  char ctr[65];
  json_t *cfg;          /* the create body, validated */
  bool started, running, exited;
  int exit_code;
  pid_t pid;
  int master;           /* tty while running: for resizes; else -1 */
  unsigned rows, cols;  /* a resize before start */
};

/* ---- the table ----------------------------------------------------------- */

static void exec_free(struct api_exec *x) {
  json_decref(x->cfg);
  free(x);
}

/* Called with io->mu held. */
static void evict(struct api_io *io) {
  if (io->n_execs < EXECS_KEPT)
    return;
  struct api_exec **last = NULL;
  for (struct api_exec **p = &io->execs; *p; p = &(*p)->next)
    if (!(*p)->running && ((*p)->exited || !(*p)->started))
      last = p;
  if (last) {
    struct api_exec *x = *last;
    *last = x->next;
    exec_free(x);
    io->n_execs--;
  }
}

static void exec_add(struct api_io *io, struct api_exec *x) {
  pthread_mutex_lock(&io->mu);
  evict(io);
  x->next = io->execs;
  io->execs = x;
  io->n_execs++;
  pthread_mutex_unlock(&io->mu);
}

/* Called with io->mu held. */
static struct api_exec *exec_find(struct api_io *io, const char *id) {
  for (struct api_exec *x = io->execs; x; x = x->next)
    if (strcmp(x->id, id) == 0)
      return x;
  return NULL;
}

/* ---- create -------------------------------------------------------------- */

static bool cfg_bool(const json_t *cfg, const char *key) {
  return json_is_true(json_object_get(cfg, key));
}

static const char *cfg_str(const json_t *cfg, const char *key) {
  const char *s = json_string_value(json_object_get(cfg, key));
  return s && *s ? s : NULL;
}

/* NULL-terminated copies of a string array's values (owned by cfg). */
static char **cfg_strv(const json_t *cfg, const char *key) {
  json_t *a = json_object_get(cfg, key);
  size_t n = json_array_size(a);
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; v && i < n; i++)
    v[i] = (char *)json_string_value(json_array_get(a, i));
  return v;
}

static int check_type(json_t *body, const char *key, int type,
                      berth_error **err) {
  json_t *v = json_object_get(body, key);
  if (!v || json_is_null(v))
    return 0;
  bool ok = type == JSON_TRUE ? json_is_boolean(v) : (int)json_typeof(v) == type;
  if (ok && type == JSON_ARRAY) {
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) if (!json_is_string(s)) ok = false;
  }
  if (ok)
    return 0;
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "json: cannot unmarshal field %s: wrong type", key);
}

static int check_body(json_t *body, berth_error **err) {
  static const struct {
    const char *key;
    int type;
  } fields[] = {{"Cmd", JSON_ARRAY},         {"Env", JSON_ARRAY},
                {"User", JSON_STRING},       {"WorkingDir", JSON_STRING},
                {"DetachKeys", JSON_STRING}, {"Tty", JSON_TRUE},
                {"AttachStdin", JSON_TRUE},  {"AttachStdout", JSON_TRUE},
                {"AttachStderr", JSON_TRUE}, {"Privileged", JSON_TRUE}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (check_type(body, fields[i].key, fields[i].type, err) < 0)
      return -1;
  if (json_array_size(json_object_get(body, "Cmd")) == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "No exec command specified");
  const char *wd = json_string_value(json_object_get(body, "WorkingDir"));
  if (wd && *wd && wd[0] != '/')
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "the working directory '%s' is invalid, it "
                           "needs to be an absolute path", wd);
  char keys[BERTH_DETACH_KEYS_LEN];
  return berth_detach_keys_parse(
      json_string_value(json_object_get(body, "DetachKeys")), keys, err);
}

static int h_create(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL;
  struct berth_engine *e = api_engine(r, &err);
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (!e || api_body_json(r, &body, &err) < 0 ||
      check_body(body, &err) < 0 ||
      berth_ctr_find(e->db, r->params[0], &c, &err) < 0 ||
      berth_ctr_refresh(e, c, &err) < 0) {
    json_decref(body);
    return api_reply_error(r, err);
  }
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0) {
    json_decref(body);
    return api_reply_errorf(r, 409, "Container %s is not running", c->id);
  }
  struct api_io *io = api_io_state(r->srv);
  struct api_exec *x = io ? calloc(1, sizeof *x) : NULL;
  if (!x) {
    json_decref(body);
    return api_reply_errorf(r, 500, "out of memory");
  }
  berth_exec_new_id(x->id);
  memcpy(x->ctr, c->id, sizeof x->ctr);
  x->cfg = body;
  x->master = -1;
  _cleanup_free_ char **argv = cfg_strv(body, "Cmd");
  /* Recorded before the instance is visible: a start cannot record its
   * exec_start first. */
  if (argv)
    berth_exec_event(e->db, "exec_create", c->id, x->id, argv, NULL);
  exec_add(io, x);
  return api_reply_json(r, 201, json_pack("{s:s}", "Id", x->id));
}

/* ---- start --------------------------------------------------------------- */

/* A started exec: the pipes whose other ends the process has, the
 * write ends held until its exit is recorded so that the client's stream
 * ends only after that (the docker CLI inspects the exit code once, when
 * the stream ends).  Shared by the relay (the connection's thread) and
 * the waiter (the exec's own thread): the last one frees it. */
struct exec_run {
  struct api_server *srv;
  struct api_io *io;
  struct berth_engine *e; /* the start request's connection's: it lasts
                             as long as the hijacked stream */
  struct api_exec *x;     /* evictable once it is not running */
  bool settled;           /* x's end is recorded, or the waiter's job */
  char ctr[65], exec_id[65];
  atomic_int refs;
  struct berth_exec_proc proc;
  bool tty, detach;
  int in_w, out_r, err_r; /* the client's side (the relay's) */
  int hold[2];            /* the process's output ends, held */
  int tty_in;             /* with a terminal: the client's input */
  struct berth_escape keys; /* with a terminal: the detach keys */
};

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void run_unref(struct exec_run *u) {
  if (atomic_fetch_sub(&u->refs, 1) != 1)
    return;
  int *fds[] = {&u->in_w,    &u->out_r,   &u->err_r,
                &u->hold[0], &u->hold[1], &u->tty_in};
  for (size_t i = 0; i < 6; i++)
    close_fd(fds[i]);
  free(u);
}

static int write_all(int fd, const char *buf, size_t n) {
  for (size_t off = 0; off < n;) {
    ssize_t w = write(fd, buf + off, n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    off += (size_t)w;
  }
  return 0;
}

/* The client's input, from the relay's pipe to the master, with the
 * detach keys looked for (as docker exec does): on them the client's
 * stream ends (its output pipe closes) and the process goes on, its
 * output read and dropped.  False once the input has ended. */
static bool tty_input(struct exec_run *u, int *out) {
  char buf[4096], pass[sizeof buf + BERTH_ESCAPE_MAX];
  ssize_t n = read(u->tty_in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  size_t np;
  bool detach = berth_escape_feed(&u->keys, buf, (size_t)n, pass, &np);
  if (np)
    (void)write_all(u->proc.master, pass, np);
  if (!detach)
    return true;
  close_fd(&u->hold[0]);
  *out = -1;
  return false;
}

/* A terminal exec's relay: the master's output to the client (none once
 * detached), its input to the master.  Returns when the terminal is
 * gone (EIO once the process and its children closed it) or the client
 * is (the master then closes: the process gets SIGHUP, as under
 * docker). */
static void tty_loop(struct exec_run *u) {
  int out = u->detach ? -1 : u->hold[0];
  char buf[16384];
  for (;;) {
    struct pollfd p[2] = {{.fd = u->proc.master, .events = POLLIN},
                          {.fd = u->tty_in, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (p[1].revents && !tty_input(u, &out))
      close_fd(&u->tty_in);
    if (!p[0].revents)
      continue;
    ssize_t n = read(u->proc.master, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0 || (out >= 0 && write_all(out, buf, (size_t)n) < 0))
      return;
  }
}

/* exec_die, as berth exec records it.  The exec may outlive the
 * connection that started it, so the waiter takes an engine of the
 * server's pool (after the client's stream has ended: it costs the
 * client nothing). */
static void die_event(struct exec_run *u, int status) {
  struct berth_engine *e = api_engine_get(u->srv, NULL);
  if (!e)
    return;
  berth_exec_event_die(e->db, u->ctr, u->exec_id, status, NULL);
  api_engine_put(u->srv, e);
}

/* The exec's own thread: the terminal's output (a detached one's is
 * read and dropped, so the process never blocks on it), then the exit,
 * recorded before the held ends close. */
static void *waiter_main(void *arg) {
  struct exec_run *u = arg;
  if (u->proc.master >= 0) {
    tty_loop(u);
    pthread_mutex_lock(&u->io->mu);
    close_fd(&u->proc.master);
    u->x->master = -1;
    pthread_mutex_unlock(&u->io->mu);
  }
  int status = 0;
  bool ok = berth_exec_proc_wait(&u->proc, &status, NULL) == 0;
  pthread_mutex_lock(&u->io->mu);
  u->x->running = false;
  u->x->exited = true;
  u->x->exit_code = ok ? status : 126;
  pthread_mutex_unlock(&u->io->mu);
  close_fd(&u->hold[0]);
  close_fd(&u->hold[1]);
  if (ok)
    die_event(u, status);
  run_unref(u);
  return NULL;
}

/* The client's pipes: stdin (with a terminal, the waiter reads it into
 * the pty master), the output (with a terminal, the waiter fills it from
 * the master), stderr without a terminal. */
static int make_pipes(struct exec_run *u, const json_t *cfg, int pin[2],
                      int pout[2], int perr[2]) {
  bool att = !u->detach;
  if ((att && cfg_bool(cfg, "AttachStdin") && pipe2(pin, O_CLOEXEC) < 0) ||
      (att && (u->tty || cfg_bool(cfg, "AttachStdout")) &&
       pipe2(pout, O_CLOEXEC) < 0) ||
      (att && !u->tty && cfg_bool(cfg, "AttachStderr") &&
       pipe2(perr, O_CLOEXEC) < 0))
    return -1;
  u->in_w = pin[1];
  u->out_r = pout[0];
  u->err_r = perr[0];
  u->hold[0] = pout[1];
  u->hold[1] = perr[1];
  return 0;
}

static int spawn(struct exec_run *u, int *failure, berth_error **err) {
  struct api_exec *x = u->x;
  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
  _cleanup_free_ char **argv = cfg_strv(x->cfg, "Cmd");
  _cleanup_free_ char **env = cfg_strv(x->cfg, "Env");
  char keys[BERTH_DETACH_KEYS_LEN];
  if (berth_detach_keys_parse(cfg_str(x->cfg, "DetachKeys"), keys, err) < 0)
    return -1;
  berth_escape_from_list(&u->keys, keys);
  if (!argv || !env || make_pipes(u, x->cfg, pin, pout, perr) < 0) {
    close_fd(&pin[0]);
    return berth_error_sys(err, "exec: pipes");
  }
  bool in = !u->detach && cfg_bool(x->cfg, "AttachStdin");
  struct berth_exec_req q = {
      .argv = argv, .env = env, .user = cfg_str(x->cfg, "User"),
      .workdir = cfg_str(x->cfg, "WorkingDir"), .tty = u->tty,
      .interactive = in, .privileged = cfg_bool(x->cfg, "Privileged"),
      .in = u->tty ? -1 : pin[0], .out = u->tty ? -1 : pout[1],
      .err = perr[1],
      .rows = x->rows, .cols = x->cols, .resize_fd = -1,
      .exec_id = x->id};
  int rc = berth_ctr_exec_spawn(u->e, x->ctr, &q, &u->proc, failure, err);
  /* The process has its copy (or failed); the waiter reads a terminal's
   * input. */
  if (u->tty)
    u->tty_in = pin[0];
  else
    close_fd(&pin[0]);
  return rc;
}

/* x ended without a process (exit code as docker's: the failure's
 * 126 or 127, else 126).  x may be evicted from then on. */
static void settle(struct exec_run *u, int failure) {
  pthread_mutex_lock(&u->io->mu);
  u->x->running = false;
  u->x->exited = true;
  u->x->exit_code = failure ? failure : 126;
  pthread_mutex_unlock(&u->io->mu);
  u->settled = true;
}

/* The process and its waiter, which records its end: x gets its pid and
 * terminal.  Failures as berth_ctr_exec_spawn's; x is then settled
 * (also when the process started but no thread could wait for it). */
static int launch(struct exec_run *u, int *failure, berth_error **err) {
  if (spawn(u, failure, err) < 0) {
    settle(u, *failure);
    return -1;
  }
  pthread_mutex_lock(&u->io->mu);
  u->x->pid = u->proc.pid;
  u->x->master = u->proc.master;
  /* A resize that came while the process was starting (the docker CLI
   * resizes as soon as it has the 101) found no terminal yet. */
  struct winsize ws = {.ws_row = (unsigned short)u->x->rows,
                       .ws_col = (unsigned short)u->x->cols};
  if (u->x->master >= 0 && (ws.ws_row || ws.ws_col))
    ioctl(u->x->master, TIOCSWINSZ, &ws);
  pthread_mutex_unlock(&u->io->mu);
  u->settled = true;
  atomic_fetch_add(&u->refs, 1);
  pthread_t th;
  if (pthread_create(&th, NULL, waiter_main, u) != 0) {
    /* Out of threads: nobody would record the exit nor end the stream. */
    kill(u->proc.pid, SIGKILL);
    waiter_main(u);
    return berth_error_set(err, BERTH_ERR_SYSTEM, EAGAIN,
                           "exec: cannot start a thread");
  }
  pthread_detach(th);
  return 0;
}

/* A start that failed after the 101 (a command that cannot run: 126,
 * 127): as docker, the message goes down the promised stream, and the
 * exit code, which the client inspects at the end, says it. */
static void stream_error(int sock, bool tty, const berth_error *err) {
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "%s\r\n",
                   err ? err->msg : "exec: out of memory");
  size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
  if (tty)
    (void)!send(sock, msg, len, MSG_NOSIGNAL);
  else
    api_frame_write(sock, 2, msg, len);
}

/* The process starts here, once the client has read the 101 head (see
 * api_reply_hijack): its first output cannot reach the client with the
 * head, where a buffered client (docker-py) would lose it. */
static void run_attached(int sock, const char *early, size_t early_len,
                         void *data) {
  struct exec_run *u = data;
  int failure = 0;
  berth_error *err = NULL;
  if (launch(u, &failure, &err) < 0) {
    stream_error(sock, u->tty, err);
    berth_error_free(err);
    return;
  }
  int in = u->in_w;
  u->in_w = -1; /* api_relay closes it */
  api_relay(sock, early, early_len, in, u->out_r, u->err_r, u->tty);
}

/* The relay is over (output ended, or the client went mid-stream): our
 * ends close, so a process still running meets EOF on stdin and EPIPE or
 * SIGPIPE on output (SIGHUP with a terminal, whose master closes), as
 * under docker.  A stream that never ran (the client went before the
 * 101) started nothing: x is as if never started. */
static void attached_free(void *data) {
  struct exec_run *u = data;
  if (!u->settled) {
    pthread_mutex_lock(&u->io->mu);
    u->x->started = u->x->running = false;
    pthread_mutex_unlock(&u->io->mu);
  }
  close_fd(&u->out_r);
  close_fd(&u->err_r);
  run_unref(u);
}

static struct api_exec *claim(struct api_req *r, struct api_io *io,
                              unsigned *status) {
  pthread_mutex_lock(&io->mu);
  struct api_exec *x = exec_find(io, r->params[0]);
  *status = !x ? 404 : x->started ? 409 : 0;
  if (x && !x->started)
    x->started = x->running = true;
  pthread_mutex_unlock(&io->mu);
  return x;
}

/* Before the 101, as docker: the instance's container must still run
 * (409 otherwise, a clear error rather than one down the stream). */
static int check_running(struct berth_engine *e, const char *id,
                         berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, id, &c, err) < 0 ||
      berth_ctr_refresh(e, c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "Container %s is not running", c->id);
  return 0;
}

static struct exec_run *run_new(struct api_req *r, struct berth_engine *e,
                                struct api_io *io, struct api_exec *x,
                                bool detach) {
  struct exec_run *u = calloc(1, sizeof *u);
  if (!u)
    return NULL;
  *u = (struct exec_run){.srv = r->srv, .io = io, .e = e, .x = x,
                         .detach = detach, .tty = cfg_bool(x->cfg, "Tty"),
                         .in_w = -1, .out_r = -1, .err_r = -1,
                         .hold = {-1, -1}, .tty_in = -1};
  memcpy(u->ctr, x->ctr, sizeof u->ctr);
  memcpy(u->exec_id, x->id, sizeof u->exec_id);
  /* The starter's reference (the handler's, or the hijacked stream's);
   * launch adds the waiter's. */
  atomic_init(&u->refs, 1);
  return u;
}

static int h_start(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL;
  if (api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  bool detach = json_is_true(json_object_get(body, "Detach"));
  json_decref(body);
  struct api_io *io = api_io_state(r->srv);
  unsigned st = 404;
  struct api_exec *x = io ? claim(r, io, &st) : NULL;
  if (st == 404)
    return api_reply_errorf(r, 404, "No such exec instance: %s",
                            r->params[0]);
  if (st == 409)
    return api_reply_errorf(r, 409, "Exec instance %s has already been "
                                    "started", r->params[0]);
  struct berth_engine *e = api_engine(r, &err);
  struct exec_run *u = e && check_running(e, x->ctr, &err) == 0
                           ? run_new(r, e, io, x, detach)
                           : NULL;
  if (!u) {
    pthread_mutex_lock(&io->mu);
    x->started = x->running = false; /* nothing ran: startable again */
    pthread_mutex_unlock(&io->mu);
    return err ? api_reply_error(r, err)
               : api_reply_errorf(r, 500, "exec: out of memory");
  }
  if (!detach)
    return api_reply_hijack(r, run_attached, u, attached_free);
  int failure = 0;
  int rc = launch(u, &failure, &err);
  run_unref(u);
  return rc < 0 ? api_reply_error(r, err) : api_reply_empty(r, 200);
}

/* ---- inspect, resize ----------------------------------------------------- */

static json_t *inspect_doc(const struct api_exec *x) {
  json_t *cmd = json_object_get(x->cfg, "Cmd");
  json_t *args = json_array();
  for (size_t i = 1; i < json_array_size(cmd); i++)
    json_array_append(args, json_array_get(cmd, i));
  const char *user = json_string_value(json_object_get(x->cfg, "User"));
  const char *keys = json_string_value(json_object_get(x->cfg, "DetachKeys"));
  return json_pack(
      "{s:s,s:b,s:o,s:b,s:b,s:b,s:b,s:s,s:s,s:b,s:i,s:{s:s,s:o,s:b,s:s,s:b}}",
      "ID", x->id, "Running", x->running, "ExitCode",
      x->exited ? json_integer(x->exit_code) : json_null(), "OpenStdin",
      cfg_bool(x->cfg, "AttachStdin"), "OpenStderr",
      cfg_bool(x->cfg, "AttachStderr"), "OpenStdout",
      cfg_bool(x->cfg, "AttachStdout"), "CanRemove", false, "ContainerID",
      x->ctr, "DetachKeys", keys ? keys : "", "Privileged",
      cfg_bool(x->cfg, "Privileged"), "Pid", (int)x->pid, "ProcessConfig",
      "entrypoint", json_string_value(json_array_get(cmd, 0)), "arguments",
      args, "tty", cfg_bool(x->cfg, "Tty"), "user", user ? user : "",
      "privileged", cfg_bool(x->cfg, "Privileged"));
}

static int h_inspect(struct api_req *r) {
  struct api_io *io = api_io_state(r->srv);
  json_t *doc = NULL;
  if (io) {
    pthread_mutex_lock(&io->mu);
    struct api_exec *x = exec_find(io, r->params[0]);
    if (x)
      doc = inspect_doc(x);
    pthread_mutex_unlock(&io->mu);
  }
  if (!doc)
    return api_reply_errorf(r, 404, "No such exec instance: %s",
                            r->params[0]);
  return api_reply_json(r, 200, doc);
}

static int h_resize(struct api_req *r) {
  berth_error *err = NULL;
  int64_t h, w;
  if (api_query_int(r, "h", 0, 0, 65535, &h, &err) < 0 ||
      api_query_int(r, "w", 0, 0, 65535, &w, &err) < 0)
    return api_reply_error(r, err);
  struct api_io *io = api_io_state(r->srv);
  bool found = false;
  if (io) {
    pthread_mutex_lock(&io->mu);
    struct api_exec *x = exec_find(io, r->params[0]);
    if (x) {
      found = true;
      x->rows = (unsigned)h;
      x->cols = (unsigned)w;
      struct winsize ws = {.ws_row = (unsigned short)h,
                           .ws_col = (unsigned short)w};
      /* The kernel sends SIGWINCH to the terminal's foreground group. */
      if (x->master >= 0)
        ioctl(x->master, TIOCSWINSZ, &ws);
    }
    pthread_mutex_unlock(&io->mu);
  }
  if (!found)
    return api_reply_errorf(r, 404, "No such exec instance: %s",
                            r->params[0]);
  return api_reply_empty(r, 200);
}

const struct api_route api_routes_exec[] = {
    {"POST", "/containers/{id}/exec", h_create, 0},
    {"POST", "/exec/{id}/start", h_start, 0},
    {"GET", "/exec/{id}/json", h_inspect, 0},
    {"POST", "/exec/{id}/resize", h_resize, 0},
    {NULL, NULL, NULL, 0},
};
