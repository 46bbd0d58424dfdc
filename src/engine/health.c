/* One health check run: the test command through exec, with a timeout,
 * its output kept (bounded), the result recorded. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "exit_status.h"
#include "create.h"
#include "exec.h"
#include "fs.h"
#include "start.h"

#define OUTPUT_MAX 4096
#define LOG_KEEP 5

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t dur(json_t *h, const char *key, int64_t def) {
  json_int_t v = json_integer_value(json_object_get(h, key));
  return v > 0 ? v : def;
}

bool berth_health_cfg(const struct berth_ctr *c, struct berth_health_cfg *h) {
  json_t *hc = json_object_get(c->config, "Healthcheck");
  json_t *test = json_object_get(hc, "Test");
  const char *kind = json_string_value(json_array_get(test, 0));
  if (!kind || strcmp(kind, "NONE") == 0 || json_array_size(test) < 2)
    return false;
  h->test = test;
  h->interval_ns = dur(hc, "Interval", 30000000000LL);
  h->timeout_ns = dur(hc, "Timeout", 30000000000LL);
  h->start_period_ns = dur(hc, "StartPeriod", 0);
  h->retries = (int)dur(hc, "Retries", 3);
  return true;
}

/* The exec'd command's argv. */
static char **test_argv(json_t *test) {
  const char *kind = json_string_value(json_array_get(test, 0));
  size_t n = json_array_size(test);
  char **v = calloc(n + 3, sizeof(char *));
  if (!v)
    return NULL;
  size_t k = 0;
  if (strcmp(kind, "CMD-SHELL") == 0) {
    v[k++] = strdup("/bin/sh");
    v[k++] = strdup("-c");
  }
  for (size_t i = 1; i < n; i++)
    v[k++] = strdup(json_string_value(json_array_get(test, i)) ?: "");
  return v;
}

/* Runs argv in the container (detached, so we can time it out); its
 * stdout and stderr go to out_fd.  Returns the exit code, or -1 with
 * *timed_out when it had to be killed. */
static int run_test(struct berth_engine *e, const struct berth_ctr *c,
                    char **argv, int64_t timeout_ns, int out_fd,
                    bool *timed_out, berth_error **err) {
  json_t *p = berth_ctr_runtime_process(e, c, err);
  if (!p)
    return -1;
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  json_t *args = json_array();
  for (char **a = argv; *a; a++)
    json_array_append_new(args, json_string(*a));
  json_object_set_new(p, "args", args);
  json_object_set_new(p, "terminal", json_false());
  char pidfile[4096];
  berth_ctr_dir(e, c->id, pidfile, sizeof pidfile);
  strncat(pidfile, "/health.pid", sizeof pidfile - strlen(pidfile) - 1);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  dup2(null, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  close(null);
  struct berth_exec_opts o = {.process = p, .detach = true,
                              .pid_file = pidfile};
  int rc = berth_container_exec(&ctx, c->id, &o, NULL, err);
  json_decref(p);
  _cleanup_free_ char *text = NULL;
  if (rc < 0 ||
      berth_read_file(AT_FDCWD, pidfile, 64, &text, NULL, err) < 0) {
    /* A command that cannot run is a failed check (Docker: exit 126/127
     * shows in the log). */
    unlink(pidfile);
    int s = rc < 0 ? berth_exit_status_of_start(*err) : 0;
    return s ? s : BERTH_EXIT_CANNOT_RUN;
  }
  unlink(pidfile);
  pid_t pid = (pid_t)atoi(text);
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  struct pollfd pf = {.fd = pfd, .events = POLLIN};
  int ms = (int)(timeout_ns / 1000000);
  *timed_out = pfd >= 0 && poll(&pf, 1, ms) == 0;
  if (*timed_out)
    kill(pid, SIGKILL);
  if (pfd >= 0)
    close(pfd);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (*timed_out)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* health.json: the last LOG_KEEP results, as Docker's State.Health.Log. */
static void append_log(struct berth_engine *e, const char *id,
                       int64_t start, int64_t end, int code,
                       const char *output) {
  char path[4096];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/health.json", sizeof path - strlen(path) - 1);
  json_t *log = json_load_file(path, 0, NULL);
  if (!json_is_array(log)) {
    json_decref(log);
    log = json_array();
  }
  json_array_append_new(log, json_pack("{s:I,s:I,s:i,s:s}", "Start",
                                       (json_int_t)start, "End",
                                       (json_int_t)end, "ExitCode", code,
                                       "Output", output));
  while (json_array_size(log) > LOG_KEEP)
    json_array_remove(log, 0);
  char *text = json_dumps(log, JSON_COMPACT);
  if (text)
    berth_write_file_replace(path, text, strlen(text), 0600, NULL);
  free(text);
  json_decref(log);
}

static int record(struct berth_engine *e, const char *id, int code,
                  const struct berth_health_cfg *h, berth_error **err) {
  _cleanup_close_ int lock = berth_ctr_lock(e, id, err);
  if (lock < 0)
    return -1;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return 0;
  const char *before = c->health ? c->health : "starting";
  const char *now = before;
  bool in_start = now_ns() - c->started_at < h->start_period_ns;
  if (code == 0) {
    c->health_failures = 0;
    now = "healthy";
  } else if (!in_start || strcmp(before, "healthy") == 0) {
    if (++c->health_failures >= h->retries)
      now = "unhealthy";
  }
  /* Docker logs "health_status: STATUS" only on a change of status.
   * Compared before c->health (which `before` may point to) is freed. */
  bool changed = strcmp(before, now) != 0;
  char *next = strdup(now);
  if (!next)
    return berth_error_sys(err, "allocate");
  free(c->health);
  c->health = next;
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  char action[64];
  snprintf(action, sizeof action, "health_status: %s", next);
  if (berth_ctr_save_state(e->db, c, err) < 0 ||
      (changed &&
       berth_event_add(e->db, "container", action, c->id, NULL, err) < 0)) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

int berth_ctr_health_run(struct berth_engine *e, const char *id,
                         berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  struct berth_health_cfg h;
  if (!berth_health_cfg(c, &h) || strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return 0;
  _cleanup_strv_ char **argv = test_argv(h.test);
  if (!argv)
    return berth_error_sys(err, "allocate");
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return berth_error_sys(err, "pipe");
  /* Output beyond the pipe's buffer blocks the check, which then times
   * out: it is bounded either way. */
  int64_t start = now_ns();
  bool timed_out = false;
  berth_error *run_err = NULL;
  int code = run_test(e, c, argv, h.timeout_ns, pfd[1], &timed_out, &run_err);
  close(pfd[1]);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  dup2(null, 1);
  dup2(null, 2);
  close(null);
  char out[OUTPUT_MAX + 1];
  int flags = fcntl(pfd[0], F_GETFL);
  fcntl(pfd[0], F_SETFL, flags | O_NONBLOCK);
  ssize_t n = read(pfd[0], out, OUTPUT_MAX);
  close(pfd[0]);
  out[n > 0 ? n : 0] = '\0';
  if (timed_out) {
    snprintf(out, sizeof out, "health check exceeded timeout (%lld ms)",
             (long long)(h.timeout_ns / 1000000));
    code = -1;
  } else if (run_err) {
    snprintf(out, sizeof out, "%s", run_err->msg);
  }
  berth_error_free(run_err);
  append_log(e, id, start, now_ns(), code, out);
  return record(e, id, code, &h, err);
}
