/* WORKDIR: the working directory, made in the image when it is missing
 * (a step with a layer, as BuildKit's), in a container that is created
 * and never started. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_internal.h"
#include "cleanup.h"
#include "containers.h"
#include "fs.h"
#include "rootfs_access.h"
#include "userspec.h"

/* filepath.Clean of an absolute path. */
static char *clean_abs(const char *p) {
  char *out = malloc(strlen(p) + 2);
  if (!out)
    return NULL;
  size_t n = 0;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 1 && p[0] == '.') {
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/')
        n--;
      if (n > 0)
        n--;
    } else if (len) {
      out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* WORKDIR d: absolute, or relative to the current working directory. */
static char *workdir_of(json_t *config, const char *d) {
  if (d[0] == '/')
    return clean_abs(d);
  const char *cur = json_string_value(json_object_get(config, "WorkingDir"));
  _cleanup_free_ char *j = NULL;
  if (asprintf(&j, "%s/%s", cur && *cur ? cur : "/", d) < 0)
    return NULL;
  return clean_abs(j);
}

struct mkdir_arg {
  const char *path, *user;
  uint32_t id_base, id_count;
};

static int host_id(const struct mkdir_arg *a, uint32_t id, uint32_t *out,
                   berth_error **err) {
  if (a->id_count == 0) {
    *out = id;
    return 0;
  }
  if (id >= a->id_count)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "id %u is outside the container's user namespace",
                           id);
  *out = a->id_base + id;
  return 0;
}

/* One missing directory, made 0755 and owned by the stage's user (as
 * BuildKit makes WORKDIR), ids mapped to the container's range. */
static int make_dir(int parent, const char *name, uint32_t uid, uint32_t gid,
                    berth_error **err) {
  if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
    return berth_error_sys(err, "mkdir `%s`", name);
  _cleanup_close_ int fd =
      openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", name);
  if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0 ||
      berth_fchmod_any(fd, 0755) < 0)
    return berth_error_sys(err, "set the owner and mode of `%s`", name);
  return 0;
}

/* Runs in the rootfs helper: 1 when something was made, 0 when the
 * directory was there. */
static int mkdir_fn(int root_fd, void *arg, berth_error **err) {
  struct mkdir_arg *a = arg;
  uint32_t uid = 0, gid = 0;
  if (a->user && *a->user) {
    struct berth_userspec u = {0};
    if (berth_userspec_resolve(root_fd, a->user, NULL, &u, err) < 0)
      return -1;
    uid = u.uid;
    gid = u.gid;
    berth_userspec_clear(&u);
  }
  if (host_id(a, uid, &uid, err) < 0 || host_id(a, gid, &gid, err) < 0)
    return -1;
  int made = 0;
  _cleanup_close_ int cur = dup(root_fd);
  for (const char *p = a->path; *p;) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (!len)
      break;
    _cleanup_free_ char *prefix = strndup(a->path, (size_t)(p + len - a->path));
    _cleanup_free_ char *name = strndup(p, len);
    if (!prefix || !name)
      return berth_error_sys(err, "allocate");
    int fd = berth_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
    if (fd < 0) {
      if (make_dir(cur, name, uid, gid, err) < 0)
        return -1;
      made = 1;
      /* Resolved again in the root: `name` may not be a symlink now, but
       * the path is always taken the way the image's links lead. */
      fd = berth_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, err);
      if (fd < 0)
        return -1;
    }
    close(cur);
    cur = fd;
    p += len;
  }
  return made;
}

static int workdir_in(struct build *b, const char *id, void *arg,
                      berth_error **err) {
  struct mkdir_arg *a = arg;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(b->e->db, id, &c, err) < 0)
    return -1;
  a->id_base = c->id_base;
  a->id_count = c->id_count;
  return berth_ctr_with_rootfs(b->e, c, mkdir_fn, a, NULL, err);
}

struct workdir_ctx {
  struct mkdir_arg a;
  bool made;
};

static int workdir_fn(struct build *b, const char *id, void *arg,
                      berth_error **err) {
  struct workdir_ctx *w = arg;
  int rc = workdir_in(b, id, &w->a, err);
  w->made = rc > 0;
  return rc < 0 ? -1 : 0;
}

static int workdir_layer(struct stage_run *r, const char *wd, const char *key,
                         const char *hist, berth_error **err) {
  const char *user = json_string_value(json_object_get(r->config, "User"));
  struct workdir_ctx w = {.a = {.path = wd, .user = user}};
  json_t *req = build_idle_request();
  struct build_ctr_req q = {.req = req, .fn = workdir_fn, .arg = &w,
                            .keep_layer = &w.made};
  char layer[BERTH_DIGEST_SIZE];
  uint64_t size;
  if (!req)
    return berth_error_sys(err, "allocate");
  int rc = stage_in_container(r, &q, layer, &size, err);
  json_decref(req);
  if (rc < 0)
    return -1;
  return stage_commit(r, key, w.made ? layer : NULL, size, hist, err);
}

int stage_workdir_instr(struct stage_run *r, const struct berth_df_instr *in,
                        berth_error **err) {
  _cleanup_free_ char *d = NULL, *wd = NULL, *hist = NULL;
  if (stage_expand(r, in->args[0], &d, err) < 0)
    return -1;
  if (!(wd = workdir_of(r->config, d)) ||
      asprintf(&hist, "WORKDIR %s", wd) < 0)
    return berth_error_sys(err, "allocate");
  json_object_set_new(r->config, "WorkingDir", json_string(wd));
  const char *user = json_string_value(json_object_get(r->config, "User"));
  struct slist m = {0};
  char key[BERTH_DIGEST_SIZE];
  int rc = slist_add(&m, hist, err);
  if (rc == 0)
    rc = slist_addf(&m, err, "user %s", user ? user : "");
  if (rc == 0)
    rc = build_key(r, "WORKDIR", &m, key, err);
  slist_free(&m);
  if (rc < 0)
    return -1;
  double t0 = build_now();
  /* "/" always exists: BuildKit shows no step for it. */
  int n = strcmp(wd, "/") ? stage_step_begin(r, in, NULL) : 0;
  int hit = stage_cached(r, key, err);
  if (hit == 0)
    rc = strcmp(wd, "/") ? workdir_layer(r, wd, key, hist, err)
                         : stage_commit(r, key, NULL, 0, hist, err);
  else
    rc = hit;
  if (rc < 0 && n)
    stage_step_error(r, n, *err);
  else if (n)
    stage_step_end(r, n, t0, hit > 0);
  return rc < 0 ? -1 : 0;
}
