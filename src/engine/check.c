/* berth system check: leftovers of crashes, found and removed. */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "create.h"
#include "fs.h"
#include "net_check.h"
#include "start.h"
#include "state.h"

struct checker {
  struct berth_engine *e;
  bool repair;
  berth_check_report_fn report;
  void *data;
  int problems;
  struct berth_ctr *ctrs;
  size_t n;
  const char *cgroup_parent;
};

static void found(struct checker *k, bool repaired, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void found(struct checker *k, bool repaired, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  k->problems++;
  if (k->report)
    k->report(msg, repaired, k->data);
}

static const struct berth_ctr *record_of(struct checker *k, const char *id) {
  for (size_t i = 0; i < k->n; i++)
    if (strcmp(k->ctrs[i].id, id) == 0)
      return &k->ctrs[i];
  return NULL;
}

static bool is_active(const struct berth_ctr *c) {
  return c && (strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
               strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
               strcmp(c->state, BERTH_ST_RESTARTING) == 0);
}

static bool is_container_id(const char *s) {
  if (strlen(s) != 64)
    return false;
  for (; *s; s++)
    if (!strchr("0123456789abcdef", *s))
      return false;
  return true;
}

static void check_records(struct checker *k) {
  for (size_t i = 0; i < k->n; i++) {
    struct berth_ctr *c = &k->ctrs[i];
    char state[16];
    snprintf(state, sizeof state, "%s", c->state);
    pid_t pid = c->pid;
    if (is_active(c) && berth_ctr_refresh(k->e, c, NULL) == 0 &&
        !is_active(c))
      found(k, true, "container %.12s: recorded %s but its process %d is "
                     "gone: now exited",
            c->id, state, pid);
    char dir[4096];
    struct stat st;
    berth_ctr_dir(k->e, c->id, dir, sizeof dir);
    if (stat(dir, &st) < 0 && errno == ENOENT && !is_active(c)) {
      bool ok = k->repair && berth_ctr_destroy(k->e, c->id, false, NULL) == 0;
      found(k, ok, "container %.12s: record without a directory%s", c->id,
            ok ? ": removed" : "");
    }
  }
}

static void check_dirs(struct checker *k, const char *parent,
                       const char *what, bool (*fix)(struct checker *,
                                                     const char *path,
                                                     const char *id)) {
  DIR *d = opendir(parent);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!is_container_id(de->d_name))
      continue;
    const struct berth_ctr *c = record_of(k, de->d_name);
    if (c && (strcmp(what, "directory") == 0 || is_active(c)))
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
    bool ok = k->repair && fix(k, path, de->d_name);
    found(k, ok, "%s %s of %s container %.12s%s", what, path,
          c ? "a stopped" : "no", de->d_name, ok ? ": removed" : "");
  }
  closedir(d);
}

static bool remove_dir(struct checker *k, const char *path, const char *id) {
  (void)k;
  (void)id;
  return berth_rm_rf(path, NULL) == 0;
}

static bool delete_runtime(struct checker *k, const char *path,
                           const char *id) {
  (void)path;
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(k->e, &ctx, &log);
  return berth_container_delete(&ctx, id, true, NULL) == 0;
}

static bool remove_cgroup(struct checker *k, const char *path,
                          const char *id) {
  (void)k;
  (void)id;
  return rmdir(path) == 0;
}

/* containers/.rm-ID: the directory of a --rm container whose monitor was
 * to delete it (see berth_ctr_destroy_to_trash) and died first.  A
 * monitor deleting one holds a lock on it: those are left alone. */
static void check_trash(struct checker *k) {
  char parent[4096];
  snprintf(parent, sizeof parent, "%s/containers", k->e->root);
  DIR *d = opendir(parent);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, ".rm-", 4) != 0 ||
        !is_container_id(de->d_name + 4))
      continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
    _cleanup_close_ int fd =
        open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
      continue;
    bool ok = k->repair && berth_rm_rf(path, NULL) == 0;
    found(k, ok, "directory %s of a removed container%s", path,
          ok ? ": removed" : "");
  }
  closedir(d);
}

/* Cgroups under /berth and the parents recorded by containers. */
static void check_cgroups(struct checker *k) {
  const char *parents[64];
  size_t np = 0;
  parents[np++] = "/berth";
  if (k->cgroup_parent && strcmp(k->cgroup_parent, "/berth") != 0)
    parents[np++] = k->cgroup_parent;
  for (size_t i = 0; i < k->n && np < 64; i++) {
    const char *p = json_string_value(json_object_get(
        json_object_get(k->ctrs[i].config, "HostConfig"), "CgroupParent"));
    bool seen = false;
    for (size_t j = 0; p && j < np; j++)
      seen |= strcmp(parents[j], p) == 0;
    if (p && !seen)
      parents[np++] = p;
  }
  DIR *root = opendir("/sys/fs/cgroup");
  if (!root)
    return;
  struct dirent *de;
  while ((de = readdir(root))) {
    if (de->d_name[0] == '.')
      continue;
    for (size_t i = 0; i < np; i++) {
      char dir[4096];
      snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", de->d_name,
               parents[i]);
      check_dirs(k, dir, "cgroup", remove_cgroup);
    }
  }
  closedir(root);
}

int berth_system_check(struct berth_engine *e, bool repair,
                       const char *cgroup_parent,
                       berth_check_report_fn report, void *data,
                       int *problems, berth_error **err) {
  struct checker k = {.e = e, .repair = repair, .report = report,
                      .data = data, .cgroup_parent = cgroup_parent};
  if (berth_ctr_list(e->db, &k.ctrs, &k.n, err) < 0)
    return -1;
  check_records(&k);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/containers", e->root);
  check_dirs(&k, dir, "directory", remove_dir);
  check_trash(&k);
  check_dirs(&k, e->run_root, "runtime state", delete_runtime);
  check_cgroups(&k);
  berth_net_check(e, repair, report, data, &k.problems);
  berth_ctrs_free(k.ctrs, k.n);
  *problems = k.problems;
  return 0;
}
