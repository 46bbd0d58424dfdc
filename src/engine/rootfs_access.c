/* A container's root filesystem opened from the host (cp, export,
 * commit). */
#include "rootfs_access.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "images.h"
#include "overlay.h"
#include "start.h"
#include "state.h"

int berth_ctr_image_chain(struct berth_engine *e, const struct berth_ctr *c,
                          char ***out, size_t *n, berth_error **err) {
  struct berth_image img = {0};
  if (berth_images_get(e->db, c->image_id, &img, err) < 0)
    return berth_error_prefix(err, "image of container `%s`", c->name);
  char **v = calloc(img.n_layers + 1, sizeof(char *));
  int rc = v ? 0 : berth_error_sys(err, "allocate");
  for (size_t i = 0; rc == 0 && i < img.n_layers; i++)
    if (!(v[i] = strdup(img.layers[i].chain_id)))
      rc = berth_error_sys(err, "allocate");
  *n = img.n_layers;
  berth_image_free(&img);
  if (rc < 0) {
    for (size_t i = 0; v && v[i]; i++)
      free(v[i]);
    free(v);
    return -1;
  }
  *out = v;
  return 0;
}

static void strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static int with_running(const struct berth_ctr *c, berth_rootfs_fn fn,
                        void *arg, berth_error **err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/root", (int)c->pid);
  _cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berth_error_sys(err, "open the root of container `%s`", c->name);
  /* The pid may have been reused between the check and the open: a
   * second check after the open proves the fd is the container's. */
  if (!berth_proc_alive(c->pid, c->pid_start))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` stopped meanwhile", c->name);
  return fn(root, arg, err);
}

/* The child's error goes back as kind, errno and message. */
struct child_report {
  int rc;
  int kind;
  int errno_value;
  char msg[4000];
};

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    p += n;
    len -= (size_t)n;
  }
}

static _Noreturn void child_main(struct berth_engine *e, struct berth_ctr *c,
                                 char **chain, size_t n, berth_rootfs_fn fn,
                                 void *arg, int report_fd) {
  berth_error *err = NULL;
  struct child_report r = {0};
  char dir[4096], rootfs[4096 + 8];
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  struct berth_overlay ov = {.snapshots_root = e->root,
                             .chain_ids = chain, .n_layers = n, .dir = dir,
                             .id_base = c->id_base, .id_count = c->id_count};
  int root = -1;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* Private namespace: the overlay is seen by this child only and goes
   * away with it; slave so that nothing we mount propagates back. */
  if (unshare(CLONE_NEWNS) < 0)
    r.rc = berth_error_sys(&err, "unshare the mount namespace");
  else if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    r.rc = berth_error_sys(&err, "make `/` a slave mount");
  else if (berth_overlay_prepare(&ov, &err) < 0 ||
           berth_overlay_mount(&ov, &err) < 0)
    r.rc = -1;
  else if ((root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    r.rc = berth_error_sys(&err, "open `%s`", rootfs);
  else
    r.rc = fn(root, arg, &err);
  if (r.rc < 0 && err) {
    r.kind = err->kind;
    r.errno_value = err->errno_value;
    snprintf(r.msg, sizeof r.msg, "%s", err->msg ? err->msg : "failed");
  } else if (r.rc < 0) {
    snprintf(r.msg, sizeof r.msg, "failed");
  }
  write_all(report_fd, &r, sizeof r);
  _exit(r.rc < 0 ? 1 : 0);
}

static int with_stopped(struct berth_engine *e, struct berth_ctr *c,
                        berth_rootfs_fn fn, void *arg, berth_error **err) {
  char **chain = NULL;
  size_t n = 0;
  if (berth_ctr_image_chain(e, c, &chain, &n, err) < 0)
    return -1;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    strv_free(chain);
    return berth_error_sys(err, "pipe");
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    strv_free(chain);
    return berth_error_sys(err, "fork");
  }
  if (pid == 0) {
    close(p[0]);
    child_main(e, c, chain, n, fn, arg, p[1]);
  }
  close(p[1]);
  strv_free(chain);
  struct child_report r = {0};
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t k = read(p[0], (char *)&r + got, sizeof r - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(p[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (got != sizeof r)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "the rootfs helper of `%s` died", c->name);
  if (r.rc < 0) {
    r.msg[sizeof r.msg - 1] = 0;
    /* errno is already part of the message; it is kept as a value for
     * callers that decide on it (EROFS). */
    bool fresh = err && !*err;
    berth_error_set(err, (berth_error_kind)r.kind, 0, "%s", r.msg);
    if (fresh)
      (*err)->errno_value = r.errno_value;
    return -1;
  }
  return r.rc;
}

int berth_ctr_with_rootfs(struct berth_engine *e, struct berth_ctr *c,
                          berth_rootfs_fn fn, void *arg, bool *running,
                          berth_error **err) {
  if (berth_ctr_refresh(e, c, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
  if (lock < 0)
    return -1;
  /* Re-read under the lock: a start may have finished meanwhile. */
  struct berth_ctr *now = NULL;
  if (berth_ctr_get(e->db, c->id, &now, err) < 0)
    return -1;
  bool live = now->pid > 0 &&
              (strcmp(now->state, BERTH_ST_RUNNING) == 0 ||
               strcmp(now->state, BERTH_ST_PAUSED) == 0 ||
               strcmp(now->state, BERTH_ST_RESTARTING) == 0) &&
              berth_proc_alive(now->pid, now->pid_start);
  if (running)
    *running = live;
  int rc;
  if (strcmp(now->state, BERTH_ST_REMOVING) == 0 ||
      strcmp(now->state, BERTH_ST_DEAD) == 0)
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "container `%s` is being removed", c->name);
  else if (live)
    rc = with_running(now, fn, arg, err);
  else
    rc = with_stopped(e, now, fn, arg, err);
  berth_ctr_free(now);
  return rc;
}
