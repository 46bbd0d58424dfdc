/* A network's name server: when one runs (ensure), what it serves on, and
 * when it stops.  The lock file serialises "start one" against "decide to
 * exit", so a concurrent ensure either finds the server alive (and it
 * stays BERTH_NETDNS_GRACE_S more) or finds it gone and starts another. */
#include "netdns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "dns_server.h"
#include "netdns_names.h"
#include "state.h"

struct netdns {
  struct berth_engine *e;
  char id[65];
  char lock_path[4200], pid_path[4200];
  int lock_fd;
  bool locked; /* by us: run by hand, or deciding to exit */
  int ready_fd;
  int db_failures; /* consecutive checks the database could not answer */
  struct berth_netdns_names names;
};
/* A database that cannot answer for this long (its root removed, say)
 * ends the server rather than keeping it forever. */
#define MAX_DB_FAILURES 30

/* A network id names files: hex only, so it cannot climb out of the dir. */
static int check_id(const char *id, berth_error **err) {
  size_t n = strspn(id, "0123456789abcdef");
  if (n == 0 || n > 64 || id[n])
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network id `%s`: expected up to 64 hex digits", id);
  return 0;
}

static int paths(struct netdns *d, struct berth_engine *e, const char *id,
                 berth_error **err) {
  if (check_id(id, err) < 0)
    return -1;
  d->e = e;
  d->lock_fd = -1;
  snprintf(d->id, sizeof d->id, "%s", id);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/netdns", e->root);
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return berth_error_sys(err, "create `%s`", dir);
  snprintf(d->lock_path, sizeof d->lock_path, "%s/%s.lock", dir, id);
  snprintf(d->pid_path, sizeof d->pid_path, "%s/%s.pid", dir, id);
  d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (d->lock_fd < 0)
    return berth_error_sys(err, "open `%s`", d->lock_path);
  return 0;
}

static int lock(struct netdns *d, berth_error **err) {
  while (flock(d->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return berth_error_sys(err, "lock `%s`", d->lock_path);
  d->locked = true;
  return 0;
}

static void unlock(struct netdns *d) {
  if (d->locked)
    flock(d->lock_fd, LOCK_UN);
  d->locked = false;
}

/* The server the pid file names, when it is alive: its pid (and start
 * time, which tells it from a later process given the same pid), else 0. */
static pid_t recorded_server_at(const struct netdns *d,
                                unsigned long long *start) {
  _cleanup_fclose_ FILE *f = fopen(d->pid_path, "re");
  int pid = 0;
  if (!f || fscanf(f, "%d %llu", &pid, start) != 2 || pid <= 0 ||
      !berth_proc_alive(pid, *start))
    return 0;
  return pid;
}

static pid_t recorded_server(const struct netdns *d) {
  unsigned long long start;
  return recorded_server_at(d, &start);
}

static int write_pid(const struct netdns *d, berth_error **err) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", d->pid_path);
  _cleanup_fclose_ FILE *f = fopen(tmp, "we");
  if (!f ||
      fprintf(f, "%d %llu\n", getpid(), berth_proc_start_time(getpid())) < 0 ||
      fflush(f) != 0 || rename(tmp, d->pid_path) < 0)
    return berth_error_sys(err, "write `%s`", d->pid_path);
  return 0;
}

/* ---- the server ---- */

struct netrow {
  bool bridge, internal;
  char gw[64], gw6[64];
};

static int read_network(struct berth_engine *e, const char *id,
                        struct netrow *r, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT driver, gateway, gateway6, internal"
                       " FROM networks WHERE id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "network %s not found",
                           id);
  const char *drv = (const char *)sqlite3_column_text(st, 0);
  const char *gw = (const char *)sqlite3_column_text(st, 1);
  const char *gw6 = (const char *)sqlite3_column_text(st, 2);
  r->bridge = drv && strcmp(drv, "bridge") == 0;
  snprintf(r->gw, sizeof r->gw, "%s", gw ? gw : "");
  snprintf(r->gw6, sizeof r->gw6, "%s", gw6 ? gw6 : "");
  r->internal = sqlite3_column_int(st, 3) != 0;
  return 0;
}

static void add_listen(struct berth_dns_server_config *c, const char *ip) {
  struct sockaddr_storage *a = &c->listen[c->nlisten];
  memset(a, 0, sizeof *a);
  struct sockaddr_in *v4 = (struct sockaddr_in *)a;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(53);
    c->nlisten++;
  } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(53);
    c->nlisten++;
  }
}

static const char *resolv_conf(const struct berth_engine *e) {
  for (char *const *v = e->envp; v && *v; v++)
    if (strncmp(*v, "BERTH_RESOLV_CONF=", 18) == 0 && (*v)[18])
      return *v + 18;
  return "/etc/resolv.conf";
}

static enum berth_dns_lookup_result
lookup(void *ctx, const struct sockaddr *src, const struct berth_dns_query *q,
       struct berth_dns_rr *rrs, size_t max, size_t *n) {
  struct netdns *d = ctx;
  return berth_netdns_lookup(&d->names, src, q, rrs, max, n);
}

static void ready(void *ctx) {
  struct netdns *d = ctx;
  berth_error *err = NULL;
  if (write_pid(d, &err) < 0) {
    berth_error_free(err); /* ensure sees the server alive by its reply */
  }
  unlock(d);
  if (d->ready_fd >= 0) {
    ssize_t w = write(d->ready_fd, "ok\n", 3);
    (void)w; /* the starter may have given up; serving goes on */
    close(d->ready_fd);
    d->ready_fd = -1;
  }
}

/* Whether the newest ensure is older than the grace period. */
static bool grace_over(const struct netdns *d) {
  struct stat st;
  if (stat(d->pid_path, &st) < 0)
    return true;
  return time(NULL) - st.st_mtime >= BERTH_NETDNS_GRACE_S;
}

/* Keeps running while a container of the network runs.  Deciding to stop
 * takes the lock and keeps it until the process exits (after every
 * socket is closed), so an ensure waiting on it starts a successor that
 * can bind. */
static bool keep_running(void *ctx) {
  struct netdns *d = ctx;
  bool live = true;
  if (!berth_netdns_live(&d->names, &live))
    return ++d->db_failures < MAX_DB_FAILURES;
  d->db_failures = 0;
  if (live)
    return true;
  if (lock(d, NULL) < 0)
    return true;
  if (!berth_netdns_live(&d->names, &live) || live || !grace_over(d)) {
    unlock(d);
    return true;
  }
  if (recorded_server(d) == getpid())
    unlink(d->pid_path);
  return false;
}

static void report_failure(struct netdns *d, const berth_error *err) {
  if (d->ready_fd < 0)
    return;
  char msg[512];
  if (berth_error_encode(err, msg, sizeof msg) < 0)
    snprintf(msg, sizeof msg, "the name server failed");
  ssize_t w = write(d->ready_fd, msg, strlen(msg));
  (void)w;
}

static int serve(struct netdns *d, const struct netrow *r, int stop_fd,
                 berth_error **err) {
  struct berth_dns_server_config c = {.resolv_conf = resolv_conf(d->e),
                                      .lookup = lookup,
                                      .keep_running = keep_running,
                                      .ready = ready,
                                      .ctx = d,
                                      .stop_fd = stop_fd};
  add_listen(&c, r->gw);
  add_listen(&c, r->gw6);
  if (c.nlisten == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network %s has no gateway address to serve on",
                           d->id);
  return berth_dns_server_run(&c, err);
}

int berth_netdns_serve(struct berth_engine *e, const char *network_id,
                       int stop_fd, int ready_fd, berth_error **err) {
  struct netdns d = {.lock_fd = -1};
  struct netrow r;
  int rc = -1;
  d.ready_fd = ready_fd;
  if (paths(&d, e, network_id, err) < 0 || read_network(e, d.id, &r, err) < 0)
    goto out;
  d.names = (struct berth_netdns_names){
      .db = e->db, .network_id = d.id, .internal = r.internal};
  /* Run by hand, nobody holds the lock for us. */
  if (ready_fd < 0 && lock(&d, err) < 0)
    goto out;
  pid_t other = recorded_server(&d);
  if (other > 0 && other != getpid()) {
    berth_error_set(err, BERTH_ERR_EXISTS, 0,
                    "a name server (pid %d) already serves network %s", other,
                    d.id);
    goto out;
  }
  rc = serve(&d, &r, stop_fd, err);
out:
  if (rc < 0 && err)
    report_failure(&d, *err);
  if (!d.locked && d.lock_fd >= 0 && rc == 0)
    lock(&d, NULL);
  if (d.locked && recorded_server(&d) == getpid())
    unlink(d.pid_path);
  if (d.ready_fd >= 0)
    close(d.ready_fd);
  if (d.lock_fd >= 0)
    close(d.lock_fd);
  return rc;
}

/* ---- ensure ---- */

/* The grandchild: `berth --root ROOT __dns ID 3`, detached (own session,
 * stdio on /dev/null, only the readiness pipe inherited), reparented to
 * init when the middle child exits so no caller has to reap it. */
static void spawn_server(struct berth_engine *e, const char *id, int ready_w) {
  if (setsid() < 0 || fork() != 0)
    _exit(0);
  /* Out of the way first: the pipe may sit on 0-3 in a caller that
   * closed its stdio, and dup2 onto itself would keep close-on-exec. */
  int r = fcntl(ready_w, F_DUPFD_CLOEXEC, 10);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (r < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
      dup2(null, 2) < 0 || dup2(r, 3) < 0)
    _exit(127);
  closefrom(4);
  char *argv[] = {e->self_exe, "--root", e->root, "__dns",
                  (char *)id,  "3",      NULL};
  execve(e->self_exe, argv, e->envp);
  _exit(127);
}

/* Waits for "ok\n" or the server's error (its encoded berth_error). */
static int await_ready(const char *id, int fd, berth_error **err) {
  char buf[512];
  size_t have = 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int64_t left = BERTH_NETDNS_START_MS;
  while (have < sizeof buf - 1 && left > 0) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n <= 0)
      break;
    have += (size_t)n;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    left -=
        (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  }
  buf[have] = '\0';
  if (strcmp(buf, "ok\n") == 0)
    return 0;
  if (have) {
    berth_error_decode(buf, err);
    return berth_error_prefix(err, "start the name server of network %.12s",
                              id);
  }
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "start the name server of network %.12s: it exited "
                         "or did not answer in %d ms",
                         id, BERTH_NETDNS_START_MS);
}

static int start_server(struct netdns *d, berth_error **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berth_error_sys(err, "pipe");
  pid_t child = fork();
  if (child < 0) {
    close(p[0]);
    close(p[1]);
    return berth_error_sys(err, "fork");
  }
  if (child == 0)
    spawn_server(d->e, d->id, p[1]);
  close(p[1]);
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
    ;
  int rc = await_ready(d->id, p[0], err);
  close(p[0]);
  return rc;
}

int berth_netdns_ensure_id(struct berth_engine *e, const char *network_id,
                           berth_error **err) {
  struct netdns d = {.lock_fd = -1};
  struct netrow r;
  int rc = -1;
  /* An unknown network leaves no files behind. */
  if (check_id(network_id, err) < 0 ||
      read_network(e, network_id, &r, err) < 0 ||
      paths(&d, e, network_id, err) < 0 || lock(&d, err) < 0)
    goto out;
  if (recorded_server(&d) > 0) {
    /* Alive: the newest ensure starts the grace period again. */
    utimensat(AT_FDCWD, d.pid_path, NULL, 0);
    rc = 0;
  } else {
    rc = start_server(&d, err);
  }
out:
  if (d.lock_fd >= 0)
    close(d.lock_fd);
  return rc;
}

int berth_netdns_ensure(struct berth_engine *e, const struct berth_network *net,
                        berth_error **err) {
  if (!net->driver || strcmp(net->driver, "bridge") != 0 ||
      (!net->gateway && !net->gateway6))
    return 0;
  return berth_netdns_ensure_id(e, net->id, err);
}

/* How long stop waits for the server to exit on SIGTERM. */
#define STOP_WAIT_MS 2000

/* Signals the server (pid, start) and waits until it has exited.  The
 * server is not our child: once it exits it stays a zombie until the
 * host's init reaps it, which can take seconds, and kill(pid, 0) succeeds
 * on a zombie, so exit is observed through a pidfd (readable once the
 * process has exited, reaped or not), or where pidfd_open is missing
 * (before Linux 5.3) through berth_proc_alive, which reads the process's
 * state in /proc/PID/stat and counts a zombie as gone.  True when it has
 * exited within STOP_WAIT_MS. */
static bool stop_server(pid_t pid, unsigned long long start) {
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  /* Checked after the pidfd is open, so the pidfd is the server's, not a
   * later process's that got its pid: signalling through it cannot reach
   * another process. */
  if (!berth_proc_alive(pid, start))
    return true;
  if (pfd >= 0) {
    if (syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) < 0)
      return errno == ESRCH;
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, STOP_WAIT_MS)) < 0 && errno == EINTR)
      ;
    return r > 0;
  }
  if (kill(pid, SIGTERM) < 0)
    return errno == ESRCH;
  for (int i = 0; i < STOP_WAIT_MS / 10 && berth_proc_alive(pid, start);
       i++) {
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  return !berth_proc_alive(pid, start);
}

int berth_netdns_stop(struct berth_engine *e, const char *network_id,
                      berth_error **err) {
  struct netdns d = {.lock_fd = -1};
  if (paths(&d, e, network_id, err) < 0) {
    if (d.lock_fd >= 0)
      close(d.lock_fd);
    return -1;
  }
  close(d.lock_fd);
  unsigned long long start = 0;
  pid_t pid = recorded_server_at(&d, &start);
  /* Not under the lock: the server takes it on its way out. */
  if (pid > 0 && !stop_server(pid, start))
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "the name server of network %.12s (pid %d) did "
                           "not stop",
                           network_id, (int)pid);
  unlink(d.pid_path);
  unlink(d.lock_path);
  return 0;
}
