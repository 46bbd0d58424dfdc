/* Exit handling (run by the monitor), state refresh, stop, kill, rm,
 * wait, pause.  The restart policy and `restart` are in restart.c. */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "ctr_net.h"
#include "runtime_create.h"
#include "volumes.h"
#include "create.h"
#include "fs.h"
#include "restart.h"
#include "signals.h"
#include "start.h"
#include "state.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_active(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

int berth_ctr_save(struct berth_engine *e, const struct berth_ctr *c,
                   const char *event, berth_error **err) {
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  bool die = event && strcmp(event, "die") == 0;
  if (berth_ctr_save_state(e->db, c, err) < 0 ||
      (die && (berth_event_add_die(e->db, c->id, c->exit_code, err) < 0 ||
               berth_volumes_event(e, c->id, "unmount", err) < 0)) ||
      (event && !die &&
       berth_event_add(e->db, "container", event, c->id, NULL, err) < 0)) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

/* The monitor's exit file: "CODE FINISHED_NS". */
static bool read_exit_file(struct berth_engine *e, const char *id, int *code,
                           int64_t *finished) {
  char path[4096];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/exit", sizeof path - strlen(path) - 1);
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 256, &text, NULL, NULL) < 0)
    return false;
  long long f = 0;
  if (sscanf(text, "%d %lld", code, &f) != 2)
    return false;
  *finished = f;
  return true;
}

static void runtime_delete(struct berth_engine *e, const char *id) {
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  berth_container_delete(&ctx, id, true, NULL);
}

static pid_t parent_of(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 4096, &text, NULL, NULL) < 0)
    return 0;
  const char *rp = strrchr(text, ')');
  int ppid = 0;
  if (rp && sscanf(rp + 1, " %*c %d", &ppid) == 1)
    return ppid;
  return 0;
}

/* A berth killed between creating the container and recording it leaves
 * a record that says created (or exited) while the runtime has a
 * container: the runtime's state is the truth, and the init's parent is
 * its monitor. */
static int adopt_unrecorded(struct berth_engine *e, struct berth_ctr *c,
                            berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", e->run_root, c->id);
  if (access(path, F_OK) < 0)
    return 0;
  struct berth_ctr *cur = NULL;
  if (berth_ctr_get(e->db, c->id, &cur, err) < 0)
    return -1;
  bool changed = strcmp(cur->state, c->state) != 0;
  berth_ctr_free(cur);
  if (changed)
    return 0; /* recorded meanwhile */
  /* No lock: a start in progress records the same pid and monitor, so
   * adopting concurrently with it is harmless (and a caller may hold the
   * container's lock already). */
  struct berth_state *st = NULL;
  if (berth_state_read(e->run_root, c->id, &st, NULL) < 0 || st->pid <= 0) {
    /* Being created right now (or unreadable): not ours to touch. */
    berth_state_free(st);
    return 0;
  }
  if (!berth_proc_alive(st->pid, st->start_time)) {
    berth_state_free(st);
    runtime_delete(e, c->id);
    return 0;
  }
  snprintf(c->state, sizeof c->state, "%s", BERTH_ST_RUNNING);
  c->pid = st->pid;
  c->pid_start = st->start_time;
  c->monitor_pid = parent_of(st->pid);
  c->monitor_start = berth_proc_start_time(c->monitor_pid);
  c->started_at = now_ns();
  berth_state_free(st);
  return berth_ctr_save(e, c, "start", err);
}

int berth_ctr_refresh(struct berth_engine *e, struct berth_ctr *c,
                      berth_error **err) {
  if (!is_active(c))
    return adopt_unrecorded(e, c, err);
  if (c->pid > 0 && berth_proc_alive(c->pid, c->pid_start))
    return 0;
  /* The monitor records the exit itself; only without one do we. */
  if (c->monitor_pid > 0 && berth_proc_alive(c->monitor_pid,
                                             c->monitor_start))
    return 0;
  int code = 255;
  int64_t finished = now_ns();
  bool known = read_exit_file(e, c->id, &code, &finished);
  runtime_delete(e, c->id);
  berth_ctr_net_down(e, c->id, true);
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  /* Someone else may have fixed it since we read it. */
  struct berth_ctr *cur = NULL;
  if (berth_ctr_get(e->db, c->id, &cur, err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  bool same = cur->pid == c->pid && strcmp(cur->state, c->state) == 0;
  berth_ctr_free(cur);
  if (!same) {
    berth_db_rollback(e->db);
    struct berth_ctr *fresh = NULL;
    if (berth_ctr_get(e->db, c->id, &fresh, err) < 0)
      return -1;
    snprintf(c->state, sizeof c->state, "%s", fresh->state);
    c->exit_code = fresh->exit_code;
    c->pid = fresh->pid;
    c->finished_at = fresh->finished_at;
    berth_ctr_free(fresh);
    return 0;
  }
  snprintf(c->state, sizeof c->state, "%s", BERTH_ST_EXITED);
  c->exit_code = code;
  c->finished_at = finished;
  c->pid = 0;
  c->monitor_pid = 0;
  if (!known) {
    free(c->error);
    c->error = strdup("the container's monitor was killed: exit status "
                      "unknown");
  }
  if (berth_ctr_save_state(e->db, c, err) < 0 ||
      berth_event_add_die(e->db, c->id, code, err) < 0 ||
      berth_volumes_event(e, c->id, "unmount", err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

static void unmount_rootfs(struct berth_engine *e, const char *id) {
  char path[4096];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/rootfs", sizeof path - strlen(path) - 1);
  /* Only in the monitor's namespace is it mounted; elsewhere EINVAL. */
  while (umount2(path, MNT_DETACH) == 0)
    ;
}

int berth_ctr_exited(struct berth_engine *e, const char *id, int code,
                     bool leave_trash, berth_error **err) {
  _cleanup_close_ int lock = berth_ctr_lock(e, id, err);
  if (lock < 0)
    return -1;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  int64_t finished = now_ns();
  int fcode;
  read_exit_file(e, id, &fcode, &finished);
  runtime_delete(e, id);
  bool restart = berth_restart_policy_wants(c, code);
  berth_ctr_net_down(e, id, !restart);
  c->exit_code = code;
  c->finished_at = finished;
  c->pid = 0;
  c->pid_start = 0;
  if (restart) {
    snprintf(c->state, sizeof c->state, "%s", BERTH_ST_RESTARTING);
    c->restart_count++;
  } else {
    snprintf(c->state, sizeof c->state, "%s", BERTH_ST_EXITED);
    c->monitor_pid = 0;
  }
  /* `restart` of a --rm container keeps it, as Docker's. */
  bool auto_remove = json_is_true(json_object_get(
                         json_object_get(c->config, "HostConfig"),
                         "AutoRemove")) &&
                     !berth_ctr_restart_requested(e, id);
  if (!restart && auto_remove && leave_trash) {
    /* --rm takes the anonymous volumes with it, as Docker's; one
     * transaction records the exit and the removal. */
    int rc = berth_ctr_destroy_to_trash(e, id, true, code, err);
    return rc == 1 ? BERTH_EXITED_TRASHED : rc;
  }
  if (berth_ctr_save(e, c, "die", err) < 0)
    return -1;
  if (!restart && auto_remove) {
    unmount_rootfs(e, id);
    return berth_ctr_destroy(e, id, true, err);
  }
  if (!restart)
    return 0;
  close(lock);
  lock = -1;
  int64_t delay_ms = berth_restart_delay_ms(c, finished);
  struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
  return BERTH_EXITED_RESTART;
}

/* Waits up to timeout_ms for pid (started at start) to be gone. */
static bool wait_gone(pid_t pid, uint64_t start, int timeout_ms) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0 && berth_proc_alive(pid, start)) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
      rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    close(fd);
    return rc > 0 || !berth_proc_alive(pid, start);
  }
  if (fd >= 0)
    close(fd);
  for (int t = 0; t < timeout_ms && berth_proc_alive(pid, start); t += 10)
    usleep(10000);
  return !berth_proc_alive(pid, start);
}

/* After the init is gone: until the monitor has recorded the exit (or
 * is found dead, when we record it). */
static int wait_recorded(struct berth_engine *e, const char *id,
                         struct berth_ctr **out, berth_error **err) {
  for (int i = 0;; i++) {
    struct berth_ctr *c = NULL;
    if (berth_ctr_get(e->db, id, &c, err) < 0)
      return -1; /* NOT_FOUND: removed (--rm) once it exited */
    if (berth_ctr_refresh(e, c, err) < 0) {
      berth_ctr_free(c);
      return -1;
    }
    if (!is_active(c) ||
        (strcmp(c->state, BERTH_ST_RESTARTING) == 0 && c->stopped_by_user)) {
      if (out)
        *out = c;
      else
        berth_ctr_free(c);
      return 0;
    }
    berth_ctr_free(c);
    usleep(i < 50 ? 2000 : 20000);
  }
}

static int stop_signal(const struct berth_ctr *c) {
  const char *s = json_string_value(json_object_get(c->config, "StopSignal"));
  int sig = s ? berth_signal_parse(s) : -1;
  return sig > 0 ? sig : SIGTERM;
}

/* The exit code of a container removed after it exited (--rm), from its
 * "die" event: the removal may win the race with `wait` by any margin. */
static int removed_exit(struct berth_engine *e, const char *ref, int *code,
                        berth_error **err) {
  char id[65];
  if (!err || !*err || (*err)->kind != BERTH_ERR_NOT_FOUND ||
      berth_event_last_exit(e->db, ref, id, code, NULL) != 1)
    return -1;
  berth_error_free(*err);
  *err = NULL;
  return 0;
}

/* A container that exited and was removed (--rm) meanwhile, or before
 * we looked, is stopped: not an error (a script's `stop` must not race
 * with the removal). */
static int gone_is_stopped(struct berth_engine *e, const char *ref,
                           berth_error **err) {
  int code;
  return removed_exit(e, ref, &code, err);
}

int berth_ctr_stop(struct berth_engine *e, const char *ref, int sig,
                         int timeout_s, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return gone_is_stopped(e, ref, err);
  {
    _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
    if (lock < 0)
      return gone_is_stopped(e, c->id, err);
    char id[65];
    memcpy(id, c->id, sizeof id);
    berth_ctr_free(c);
    c = NULL;
    if (berth_ctr_get(e->db, id, &c, err) < 0)
      return gone_is_stopped(e, id, err);
    if (berth_ctr_refresh(e, c, err) < 0)
      return -1;
    if (!is_active(c))
      return 0;
    c->stopped_by_user = true;
    if (strcmp(c->state, BERTH_ST_RESTARTING) == 0) {
      snprintf(c->state, sizeof c->state, "%s", BERTH_ST_EXITED);
      return berth_ctr_save(e, c, "stop", err);
    }
    if (berth_ctr_save(e, c, "stop", err) < 0)
      return -1;
  }
  /* The lock is released: the monitor's exit handling needs it. */
  if (timeout_s < 0) {
    json_t *t = json_object_get(c->config, "StopTimeout");
    timeout_s = json_is_integer(t) ? (int)json_integer_value(t) : 10;
  }
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  if (berth_container_kill(&ctx, c->id, sig > 0 ? sig : stop_signal(c), false,
                           NULL) == 0 &&
      strcmp(c->state, BERTH_ST_PAUSED) == 0)
    berth_container_pause(&ctx, c->id, false, NULL);
  if (!wait_gone(c->pid, c->pid_start, timeout_s * 1000)) {
    berth_container_kill(&ctx, c->id, SIGKILL, true, NULL);
    if (strcmp(c->state, BERTH_ST_PAUSED) == 0)
      berth_container_pause(&ctx, c->id, false, NULL);
    wait_gone(c->pid, c->pid_start, 10000);
  }
  if (wait_recorded(e, c->id, NULL, err) < 0)
    return gone_is_stopped(e, c->id, err);
  return 0;
}

int berth_ctr_signal(struct berth_engine *e, const char *ref, int sig,
                           berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0 ||
      berth_ctr_refresh(e, c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0 &&
      strcmp(c->state, BERTH_ST_PAUSED) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", c->name);
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  return berth_container_kill(&ctx, c->id, sig, false, err);
}

int berth_ctr_remove(struct berth_engine *e, const char *ref,
                           bool force, bool volumes, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  if (berth_ctr_refresh(e, c, err) < 0) {
    int code;
    return removed_exit(e, c->id, &code, err); /* removed meanwhile */
  }
  if (is_active(c)) {
    if (!force)
      return berth_error_set(err, BERTH_ERR_STATE, 0,
                             "You cannot remove a %s container %s. Stop the "
                             "container before attempting removal or force "
                             "remove",
                             c->state, c->id);
    if (berth_ctr_stop(e, c->id, SIGKILL, 0, err) < 0)
      return -1;
  }
  berth_error *gone = NULL;
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, &gone);
  if (lock < 0 && gone->kind == BERTH_ERR_NOT_FOUND) {
    berth_error_free(gone);
    return 0; /* removed meanwhile (--rm) */
  }
  if (lock < 0) {
    if (err && !*err)
      *err = gone;
    else
      berth_error_free(gone);
    return -1;
  }
  struct berth_ctr *cur = NULL;
  if (berth_ctr_get(e->db, c->id, &cur, NULL) < 0)
    return 0; /* removed meanwhile (--rm) */
  bool active = is_active(cur);
  berth_ctr_free(cur);
  if (active)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` was started again meanwhile",
                           c->name);
  runtime_delete(e, c->id);
  berth_ctr_net_down(e, c->id, true);
  return berth_ctr_destroy(e, c->id, volumes, err);
}

int berth_ctr_wait(struct berth_engine *e, const char *ref, int *code,
                         berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return removed_exit(e, ref, code, err);
  if (c->pid > 0)
    wait_gone(c->pid, c->pid_start, -1);
  struct berth_ctr *done = NULL;
  if (wait_recorded(e, c->id, &done, err) < 0)
    return removed_exit(e, c->id, code, err);
  *code = done->exit_code;
  berth_ctr_free(done);
  return 0;
}

int berth_ctr_set_paused(struct berth_engine *e, const char *ref,
                               bool pause, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
  if (lock < 0 || berth_ctr_refresh(e, c, err) < 0)
    return -1;
  const char *need = pause ? BERTH_ST_RUNNING : BERTH_ST_PAUSED;
  if (strcmp(c->state, need) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is %s, not %s", c->name, c->state,
                           need);
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  if (berth_container_pause(&ctx, c->id, pause, err) < 0)
    return -1;
  snprintf(c->state, sizeof c->state, "%s",
           pause ? BERTH_ST_PAUSED : BERTH_ST_RUNNING);
  return berth_ctr_save(e, c, pause ? "pause" : "unpause", err);
}

int berth_ctr_set_name(struct berth_engine *e, const char *ref,
                       const char *name, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  name += name[0] == '/'; /* Docker accepts "/name" as a name */
  if (berth_ctr_name_validate(name, err) < 0 ||
      berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  if (strcmp(c->name, name) == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "renaming a container with the same name as its "
                           "current name");
  char old[200];
  snprintf(old, sizeof old, "/%s", c->name);
  json_t *attrs = json_pack("{s:s,s:s,s:s}", "image", c->image_name, "name",
                            name, "oldName", old);
  int rc = -1;
  if (berth_db_begin(e->db, err) == 0) {
    if (berth_ctr_rename(e->db, c->id, name, err) == 0 &&
        berth_event_add(e->db, "container", "rename", c->id, attrs, err) == 0 &&
        berth_db_commit(e->db, err) == 0)
      rc = 0;
    else
      berth_db_rollback(e->db);
  }
  json_decref(attrs);
  return rc;
}

bool berth_ctr_discard_failed_start(struct berth_engine *e, const char *id) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(e->db, id, &c, NULL) < 0 ||
      !json_is_true(json_object_get(json_object_get(c->config, "HostConfig"),
                                    "AutoRemove")))
    return false;
  return berth_ctr_remove(e, id, true, true, NULL) == 0;
}
