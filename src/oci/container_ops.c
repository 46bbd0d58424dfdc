/* The verbs that act on an existing container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "container_internal.h"
#include "fs.h"
#include "json.h"
#include "mntns_shared.h"
#include "spec.h"
#include "sync.h"

#define CONFIG_MAX_BYTES (4u << 20)

static void state_freep(struct berth_state **st) { berth_state_free(*st); }
#define _cleanup_state_ _cleanup_(state_freep)
static void cgroup_freep(struct berth_cgroup **cg) { berth_cgroup_free(*cg); }
#define _cleanup_cgroup_ _cleanup_(cgroup_freep)

static int open_cgroup(const struct berth_state *st, struct berth_cgroup **cg,
                       berth_error **err) {
  if (st->cgroup_path == NULL || st->cgroup_path[0] == '\0')
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` has no cgroup", st->id);
  return berth_cgroup_open(st->cgroup_path, cg, err);
}

/* Marks the container started and removes exec.sock so `state` reports
 * running from here on, then releases the init. */
int berth_container_start(const struct berth_ctx *ctx, const char *id,
                          berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_state_lock(ctx->state_root, id, err);
  if (lock < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  if (strcmp(status, "created") != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "cannot start container `%s`: it is %s", id,
                           status);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  _cleanup_close_ int dfd = open(ctx->state_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys(err, "open `%s`", ctx->state_root);
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s/exec.sock",
           dfd, id);
  _cleanup_close_ int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (conn < 0 || connect(conn, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return berth_error_sys(err, "connect to container `%s`", id);
  st->started = true;
  if (berth_state_write(ctx->state_root, st, err) < 0)
    return -1;
  char sock[PATH_MAX];
  snprintf(sock, sizeof(sock), "%s/%s/exec.sock", ctx->state_root, id);
  unlink(sock);
  if (berth_sync_send(conn, BERTH_SYNC_START, 0, NULL) < 0)
    return berth_error_sys(err, "start container `%s`", id);
  if (berth_wait_exec(conn, err) < 0)
    return berth_error_prefix(err, "start container `%s`", id);
  json_t *cfg = NULL;
  if (berth_container_config(ctx, id, &cfg, NULL) == 0) {
    json_t *hooks = json_object_get(cfg, "hooks");
    struct berth_hooks h = {0};
    /* runtime.md, Lifecycle step 9: "If any poststart hook fails, the
     * runtime MUST log a warning, but the remaining hooks and lifecycle
     * continue as if the hook had succeeded": `start` succeeds. */
    if (hooks && berth_hooks_parse(hooks, "hooks", &h, NULL) == 0) {
      berth_run_state_hooks_warn(ctx, &h, BERTH_HOOK_POSTSTART, st,
                                 "running");
      berth_hooks_free(&h);
    }
    json_decref(cfg);
  }
  return 0;
}

int berth_container_config(const struct berth_ctx *ctx, const char *id,
                           json_t **out, berth_error **err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s/config.json", ctx->state_root, id);
  return berth_json_load_file(path, CONFIG_MAX_BYTES, out, NULL, err);
}

static int signal_init(const struct berth_state *st, int sig,
                       berth_error **err) {
  _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0)
    return berth_error_sys(err, "open process %d", (int)st->pid);
  /* The pid may have been reused between reading the state and opening
   * the pidfd; the start time pins it to our init. */
  if (!berth_proc_alive(st->pid, st->start_time))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", st->id);
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return berth_error_sys(err, "signal container `%s`", st->id);
  return 0;
}

int berth_container_kill(const struct berth_ctx *ctx, const char *id, int sig,
                         bool all, berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  if (strcmp(status, "stopped") == 0 || strcmp(status, "creating") == 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", id);
  if (!all)
    return signal_init(st, sig, err);
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (open_cgroup(st, &cg, err) < 0)
    return -1;
  return berth_cgroup_kill_all(cg, sig, err);
}

/* Waits (bounded) for a process that is not our child to exit. */
static void wait_gone(const struct berth_state *st) {
  int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0)
    return;
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  poll(&p, 1, 5000);
  close(pidfd);
}

static void run_poststop(const struct berth_ctx *ctx,
                         const struct berth_state *st) {
  /* Parsing the whole config (with its seccomp profile) only to find no
   * hooks cost `run --rm` ~0.4 ms. */
  if (st->no_poststop)
    return;
  json_t *cfg = NULL;
  if (berth_container_config(ctx, st->id, &cfg, NULL) < 0)
    return;
  json_t *hooks = json_object_get(cfg, "hooks");
  struct berth_hooks h = {0};
  /* poststop failures are warnings by the spec: deletion goes on. */
  if (hooks && berth_hooks_parse(hooks, "hooks", &h, NULL) == 0) {
    berth_run_state_hooks_warn(ctx, &h, BERTH_HOOK_POSTSTOP, st, "stopped");
    berth_hooks_free(&h);
  }
  json_decref(cfg);
}

int berth_container_delete(const struct berth_ctx *ctx, const char *id,
                           bool force, berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  berth_error *rerr = NULL;
  if (berth_state_read(ctx->state_root, id, &st, &rerr) < 0) {
    /* runc: deleting a missing container with --force succeeds. */
    if (force && rerr->kind == BERTH_ERR_NOT_FOUND) {
      berth_error_free(rerr);
      return 0;
    }
    if (err && *err == NULL)
      *err = rerr;
    else
      berth_error_free(rerr);
    return -1;
  }
  _cleanup_close_ int lock = berth_state_lock(ctx->state_root, id, err);
  if (lock < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  bool live = strcmp(status, "stopped") != 0;
  if (live && !force && strcmp(status, "created") != 0 &&
      strcmp(status, "creating") != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "cannot delete container `%s` that is not "
                           "stopped: %s", id, status);
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (st->cgroup_path && st->cgroup_path[0])
    berth_cgroup_open(st->cgroup_path, &cg, NULL);
  if (live) {
    if (cg) {
      berth_cgroup_freeze(cg, false, NULL);
      berth_cgroup_kill_all(cg, SIGKILL, NULL);
    }
    if (st->pid > 0 && berth_proc_alive(st->pid, st->start_time)) {
      signal_init(st, SIGKILL, NULL);
      wait_gone(st);
    }
  }
  /* runtime.md: "The container MUST be destroyed by undoing the steps
   * performed during create phase", including mounts made in our
   * namespace when it had none of its own. */
  if (st->rootfs_base_mnt)
    berth_detach_stacked(st->rootfs, st->rootfs_base_mnt);
  run_poststop(ctx, st);
  if (cg && berth_cgroup_destroy(cg, err) < 0)
    return -1;
  char *dir = berth_state_dir(ctx->state_root, id);
  int rc = dir ? berth_rm_rf(dir, err) : -1;
  free(dir);
  return rc;
}

int berth_container_state(const struct berth_ctx *ctx, const char *id,
                          json_t **out, berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  *out = berth_state_to_json(st, berth_state_status(ctx->state_root, st));
  return *out ? 0 : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "state");
}

int berth_container_list(const struct berth_ctx *ctx, json_t **out,
                         berth_error **err) {
  json_t *arr = json_array();
  DIR *d = opendir(ctx->state_root);
  if (d == NULL) {
    if (errno == ENOENT) {
      *out = arr;
      return 0;
    }
    json_decref(arr);
    return berth_error_sys(err, "open `%s`", ctx->state_root);
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    json_t *o = NULL;
    if (berth_container_state(ctx, de->d_name, &o, NULL) == 0)
      json_array_append_new(arr, o);
  }
  closedir(d);
  *out = arr;
  return 0;
}

int berth_container_pids(const struct berth_ctx *ctx, const char *id,
                         pid_t **pids, size_t *n, berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (open_cgroup(st, &cg, err) < 0)
    return -1;
  return berth_cgroup_pids(cg, pids, n, err);
}

int berth_container_pause(const struct berth_ctx *ctx, const char *id,
                          bool pause, berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_state_lock(ctx->state_root, id, err);
  if (lock < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  const char *want = pause ? "running" : "paused";
  if (strcmp(status, want) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is %s, not %s", id, status, want);
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (open_cgroup(st, &cg, err) < 0)
    return -1;
  return berth_cgroup_freeze(cg, pause, err);
}

int berth_container_update(const struct berth_ctx *ctx, const char *id,
                           const struct berth_cgroup_resources *r,
                           berth_error **err) {
  _cleanup_state_ struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  if (strcmp(status, "stopped") == 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is stopped", id);
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (open_cgroup(st, &cg, err) < 0)
    return -1;
  return berth_cgroup_update(cg, r, err);
}
