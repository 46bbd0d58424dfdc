/* Restarts: the restart policy applied when a container exits (by
 * `berth _exited` and `berth _restart`, which its monitor runs), and
 * `berth restart`. */
#include "restart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "ctr_net.h"
#include "create.h"
#include "exit_status.h"
#include "lifecycle.h"
#include "runtime_create.h"
#include "start.h"
#include "state.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool berth_restart_policy_wants(const struct berth_ctr *c, int code) {
  if (c->stopped_by_user)
    return false;
  json_t *rp = json_object_get(json_object_get(c->config, "HostConfig"),
                               "RestartPolicy");
  const char *name = json_string_value(json_object_get(rp, "Name"));
  int max = (int)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
  if (!name)
    return false;
  if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
    return true;
  if (strcmp(name, "on-failure") == 0)
    return code != 0 && (max <= 0 || c->restart_count < max);
  return false;
}

int64_t berth_restart_delay_ms(const struct berth_ctr *c,
                               int64_t finished_ns) {
  int64_t ran = finished_ns - c->started_at;
  int shift = ran > 10000000000LL ? 0 : c->restart_count - 1;
  if (shift < 0)
    shift = 0;
  int64_t delay_ms = 100LL << (shift > 10 ? 10 : shift);
  return delay_ms > 60000 ? 60000 : delay_ms;
}

int berth_ctr_restart_child(struct berth_engine *e, const char *id,
                            int report_fd, const char *console_socket,
                            berth_error **err) {
  _cleanup_close_ int lock = berth_ctr_lock(e, id, err);
  if (lock < 0)
    return -1;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_RESTARTING) != 0 || c->stopped_by_user)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is no longer to be restarted",
                           c->name);
  bool tty = json_is_true(json_object_get(c->config, "Tty"));
  if (tty && !console_socket)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "restarting container `%s` (it has a terminal) "
                           "needs a console socket",
                           c->name);
  char dir[4096];
  berth_ctr_dir(e, id, dir, sizeof dir);
  /* The monitor still holds the published ports' reservations and the
   * mappings stay: the container keeps its addresses. */
  struct berth_net_plan plan = {0};
  struct berth_create_opts co = {.bundle = dir, .mode = BERTH_RUN_DETACHED,
                                 .console_socket = tty ? console_socket
                                                       : NULL,
                                 .prestart = berth_ctr_net_attach,
                                 .prestart_arg = &plan};
  struct berth_state *st = NULL;
  int rc = berth_ctr_net_prepare(e, c, &plan, err);
  if (rc == 0)
    rc = berth_runtime_create(e, c, &co, err);
  berth_net_plan_free(&plan);
  if (rc < 0 || berth_state_read(e->run_root, id, &st, err) < 0) {
    berth_ctr_net_down(e, id, true);
    snprintf(c->state, sizeof c->state, "%s", BERTH_ST_EXITED);
    free(c->error);
    c->error = strdup((*err)->msg);
    /* A program gone since the last run: Docker's 127/126, as `start`. */
    int failure = berth_exit_status_of_start(*err);
    if (failure)
      c->exit_code = failure;
    berth_ctr_save(e, c, NULL, NULL);
    return -1;
  }
  snprintf(c->state, sizeof c->state, "%s", BERTH_ST_RUNNING);
  c->pid = st->pid;
  c->pid_start = st->start_time;
  c->started_at = now_ns();
  berth_state_free(st);
  if (berth_ctr_save(e, c, "restart", err) < 0)
    return -1;
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%d\n", c->pid);
  if (write(report_fd, buf, (size_t)len) != len)
    return berth_error_sys(err, "report the restarted container's pid");
  return 0;
}

/* containers/<id>/restart-requested: a file, so the monitor's exit
 * handling (another process) sees it. */
static void marker_path(struct berth_engine *e, const char *id, char *buf,
                        size_t len) {
  berth_ctr_dir(e, id, buf, len);
  strncat(buf, "/restart-requested", len - strlen(buf) - 1);
}

bool berth_ctr_restart_requested(struct berth_engine *e, const char *id) {
  char path[4096];
  marker_path(e, id, path, sizeof path);
  return access(path, F_OK) == 0;
}

/* Under the lock, so an exit being handled right now either sees the
 * marker or has finished with the container before we look again. */
static int mark_restart(struct berth_engine *e, const char *id,
                        berth_error **err) {
  _cleanup_close_ int lock = berth_ctr_lock(e, id, err);
  if (lock < 0)
    return -1;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  char path[4096];
  marker_path(e, id, path, sizeof path);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error_sys(err, "create `%s`", path);
  close(fd);
  return 0;
}

int berth_ctr_restart(struct berth_engine *e, const char *ref, int sig,
                      int timeout_s, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0 ||
      mark_restart(e, c->id, err) < 0)
    return -1;
  struct berth_started st = {.status_fd = -1};
  int rc = berth_ctr_stop(e, c->id, sig, timeout_s, err);
  if (rc == 0)
    rc = berth_ctr_start(e, c->id, NULL, &st, err);
  char path[4096];
  marker_path(e, c->id, path, sizeof path);
  unlink(path);
  return rc;
}

void berth_restart_marker_path(struct berth_engine *e, const char *id,
                               char *buf, size_t len) {
  char dir[4096];
  berth_ctr_dir(e, id, dir, sizeof dir);
  snprintf(buf, len, "%s/restarts", dir);
}

int berth_restart_marker_sync(struct berth_engine *e, const char *id,
                              json_t *hostconfig, berth_error **err) {
  json_t *rp = json_object_get(hostconfig, "RestartPolicy");
  const char *policy = json_string_value(json_object_get(rp, "Name"));
  bool restarts = policy && *policy && strcmp(policy, "no") != 0;
  char path[4200];
  berth_restart_marker_path(e, id, path, sizeof path);
  if (!restarts) {
    if (unlink(path) < 0 && errno != ENOENT)
      return berth_error_sys(err, "remove `%s`", path);
    return 0;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_error_sys(err, "create `%s`", path);
  close(fd);
  return 0;
}
