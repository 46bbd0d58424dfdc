/* Cgroups: layout detection, the container's directories in every
 * hierarchy, entering, listing, signalling, freezing and removal.  What a
 * limit means per version lives in cgroup_v1.c and cgroup_v2.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"
#include "fs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"

/* ---- small file helpers ------------------------------------------------ */

int cg_write(const char *dir, const char *file, const char *value,
             berth_error **err) {
  char path[640];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open cgroup file `%s`", path);
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)len)
    return berth_error_set(err, BERTH_ERR_SYSTEM, n < 0 ? e : EIO,
                           "write `%s` to `%s`", value, path);
  return 0;
}

int cg_read(const char *dir, const char *file, char *buf, size_t len,
            berth_error **err) {
  char path[640];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open cgroup file `%s`", path);
  ssize_t n = read(fd, buf, len - 1);
  int e = errno;
  close(fd);
  if (n < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, e, "read `%s`", path);
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return 0;
}

bool cg_exists(const char *dir, const char *file) {
  char path[640];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  return access(path, F_OK) == 0;
}

/* ---- layout ------------------------------------------------------------ */

static bool is_cgroup2(const char *path) {
  struct statfs st;
  return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* v1 super options minus the generic mount flags: "cpu,cpuacct". */
static void v1_controllers(const char *opts, char *out, size_t len) {
  out[0] = '\0';
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", opts);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "rw") || !strcmp(t, "ro") || !strncmp(t, "release_agent", 13) ||
        !strcmp(t, "clone_children") || !strcmp(t, "noprefix") ||
        !strcmp(t, "xattr") || !strcmp(t, "cpuset_v2_mode"))
      continue;
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%s%s", used ? "," : "", t);
  }
}

/* Fills the hierarchies from /proc/self/mountinfo: only mounts of a
 * hierarchy's root below /sys/fs/cgroup count, so bind mounts elsewhere
 * (or a container's view) do not. */
static int detect(struct berth_cgroup *cg, berth_error **err) {
  cg->n = 0;
  if (is_cgroup2(CG_ROOT)) {
    cg->layout = CG_V2;
    struct cg_hierarchy *h = &cg->h[cg->n++];
    snprintf(h->mount, sizeof(h->mount), "%s", CG_ROOT);
    h->v2 = true;
    return 0;
  }
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berth_error_sys(err, "read /proc/self/mountinfo");
  char line[1024];
  bool have_v2 = false;
  while (fgets(line, sizeof(line), f) && cg->n < CG_MAX_HIERARCHIES) {
    char root[256], mnt[256], fstype[32], opts[256];
    char *dash = strstr(line, " - ");
    if (dash == NULL ||
        sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
        sscanf(dash + 3, "%31s %*s %255s", fstype, opts) != 2)
      continue;
    if (strcmp(root, "/") || strncmp(mnt, CG_ROOT "/", sizeof(CG_ROOT)))
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup"))
      continue;
    if (v2 && have_v2)
      continue;
    struct cg_hierarchy *h = &cg->h[cg->n];
    *h = (struct cg_hierarchy){.v2 = v2};
    snprintf(h->mount, sizeof(h->mount), "%s", mnt);
    if (v2) {
      have_v2 = true;
    } else {
      v1_controllers(opts, h->controllers, sizeof(h->controllers));
      /* A named hierarchy without controllers (name=systemd) limits
       * nothing; systemd's bookkeeping is not berth's to join. */
      if (strncmp(h->controllers, "name=", 5) == 0 &&
          strchr(h->controllers, ',') == NULL)
        continue;
    }
    cg->n++;
  }
  if (cg->n == 0)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "no cgroup hierarchy is mounted at " CG_ROOT);
  cg->layout = have_v2 && cg->n > 1 ? CG_HYBRID : have_v2 ? CG_V2 : CG_V1;
  return 0;
}

const char *berth_cgroup_layout(void) {
  struct berth_cgroup cg;
  if (detect(&cg, NULL) < 0)
    return "none";
  return cg.layout == CG_V2 ? "v2" : cg.layout == CG_HYBRID ? "hybrid" : "v1";
}

struct cg_hierarchy *cg_v1_find(const struct berth_cgroup *cg,
                                const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < cg->n; i++) {
    const char *c = cg->h[i].controllers;
    if (cg->h[i].v2)
      continue;
    while (*c) {
      size_t l = strcspn(c, ",");
      if (l == len && strncmp(c, name, len) == 0)
        return (struct cg_hierarchy *)&cg->h[i];
      c += l + (c[l] == ',');
    }
  }
  return NULL;
}

struct cg_hierarchy *cg_v2(const struct berth_cgroup *cg) {
  for (size_t i = 0; i < cg->n; i++)
    if (cg->h[i].v2)
      return (struct cg_hierarchy *)&cg->h[i];
  return NULL;
}

/* The hierarchy whose cgroup.procs lists every container process. */
static const struct cg_hierarchy *primary(const struct berth_cgroup *cg) {
  const struct cg_hierarchy *h = cg_v2(cg);
  if (h == NULL)
    h = cg_v1_find(cg, "freezer");
  if (h == NULL)
    h = cg_v1_find(cg, "pids");
  return h ? h : &cg->h[0];
}

/* ---- paths --------------------------------------------------------------- */

static int normalise(const char *cgroups_path, const char *id, char *out,
                     size_t len, berth_error **err) {
  if (cgroups_path == NULL || cgroups_path[0] == '\0') {
    snprintf(out, len, "/berth/%s", id);
  } else {
    if (strchr(cgroups_path, ':'))
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "linux.cgroupsPath `%s`: systemd cgroup paths "
                             "(slice:prefix:name) are not supported; use a "
                             "path like /berth/<id>",
                             cgroups_path);
    int n = snprintf(out, len, "%s%s", cgroups_path[0] == '/' ? "" : "/berth/",
                     cgroups_path);
    if (n < 0 || (size_t)n >= len)
      return berth_error_set(err, BERTH_ERR_INVALID, ENAMETOOLONG,
                             "linux.cgroupsPath `%s` is too long",
                             cgroups_path);
  }
  /* Each component must be a plain name: ".." would leave the hierarchy,
   * and "/" alone would make the container's cgroup the host's root. */
  size_t n = strlen(out);
  while (n > 1 && out[n - 1] == '/')
    out[--n] = '\0';
  const char *c = out + 1;
  if (*c == '\0')
    return berth_error_set(err, BERTH_ERR_INVALID, EINVAL,
                           "linux.cgroupsPath must not be the root cgroup");
  while (*c) {
    size_t l = strcspn(c, "/");
    if (l == 0 || (l == 1 && c[0] == '.') ||
        (l == 2 && c[0] == '.' && c[1] == '.'))
      return berth_error_set(err, BERTH_ERR_INVALID, EINVAL,
                             "linux.cgroupsPath `%s` has an empty, `.` or "
                             "`..` component",
                             out);
    c += l + (c[l] == '/');
  }
  return 0;
}

static void set_dirs(struct berth_cgroup *cg) {
  for (size_t i = 0; i < cg->n; i++)
    snprintf(cg->h[i].dir, sizeof(cg->h[i].dir), "%s%s", cg->h[i].mount,
             cg->path);
}

const char *berth_cgroup_path(const struct berth_cgroup *cg) {
  return cg->path;
}

/* ---- create, open ------------------------------------------------------ */

/* Makes every missing component of cg->path under h.  The parent
 * (/berth) usually exists, so the leaf is tried first. */
static int make_dirs(struct berth_cgroup *cg, struct cg_hierarchy *h,
                     berth_error **err) {
  bool cpuset = !h->v2 && cg_v1_find(cg, "cpuset") == h;
  if (mkdir(h->dir, 0755) == 0) {
    h->created = true;
    /* v1 cpuset refuses tasks until cpus and mems are set. */
    return cpuset ? cg_v1_prepare_cpuset(h->dir, err) : 0;
  }
  if (errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return berth_error_sys(err, "create cgroup `%s`", h->dir);
  char dir[640];
  size_t mlen = strlen(h->mount);
  memcpy(dir, h->mount, mlen + 1);
  const char *c = cg->path;
  while (*c) {
    size_t l = strcspn(c + 1, "/") + 1;
    if (h->v2 && cg->layout == CG_V2 &&
        cg_v2_enable_controllers(dir, err) < 0)
      return -1;
    memcpy(dir + strlen(dir), c, l);
    dir[mlen + (size_t)(c - cg->path) + l] = '\0';
    if (mkdir(dir, 0755) == 0) {
      if (c[l] == '\0')
        h->created = true;
      if (cpuset && cg_v1_prepare_cpuset(dir, err) < 0)
        return -1;
    } else if (errno != EEXIST) {
      return berth_error_sys(err, "create cgroup `%s`", dir);
    }
    c += l;
  }
  return 0;
}

static int rmdir_tree(const char *dir) {
  /* Usually there is nothing below the container's own directory. */
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -1;
  struct dirent *e;
  char sub[1024];
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") ||
        !strcmp(e->d_name, ".."))
      continue;
    snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
    rmdir_tree(sub);
  }
  closedir(d);
  /* A cgroup whose last task just died can stay busy for a moment. */
  for (int i = 0; i < 200; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY && errno != ENOTEMPTY)
      return -1;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
  return -1;
}

static void undo_create(struct berth_cgroup *cg) {
  for (size_t i = 0; i < cg->n; i++)
    if (cg->h[i].created)
      rmdir_tree(cg->h[i].dir);
}

static int apply(const struct berth_cgroup *cg,
                 const struct berth_cgroup_resources *r, berth_error **err) {
  if (r == NULL)
    return 0;
  if (cg->layout != CG_V2 && cg_v1_apply(cg, r, err) < 0)
    return -1;
  const struct cg_hierarchy *v2 = cg_v2(cg);
  if (v2 && cg_v2_apply(v2, r, cg->layout == CG_V2, err) < 0)
    return -1;
  if (cg->layout == CG_V2 && r->has_devices &&
      cg_bpf_set_devices(v2->dir, r->devices, r->n_devices, err) < 0)
    return -1;
  return 0;
}

int berth_cgroup_create(const char *cgroups_path, const char *id,
                        const struct berth_cgroup_resources *r,
                        struct berth_cgroup **out, berth_error **err) {
  *out = NULL;
  struct berth_cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "cgroup");
  if (normalise(cgroups_path, id, cg->path, sizeof(cg->path), err) < 0 ||
      detect(cg, err) < 0)
    goto fail;
  set_dirs(cg);
  for (size_t i = 0; i < cg->n; i++)
    if (make_dirs(cg, &cg->h[i], err) < 0)
      goto undo;
  if (apply(cg, r, err) < 0)
    goto undo;
  *out = cg;
  return 0;
undo:
  undo_create(cg);
fail:
  free(cg);
  return -1;
}

int berth_cgroup_open(const char *path, struct berth_cgroup **out,
                      berth_error **err) {
  *out = NULL;
  struct berth_cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "cgroup");
  if (path == NULL || path[0] != '/' ||
      normalise(path, "", cg->path, sizeof(cg->path), err) < 0 ||
      detect(cg, err) < 0) {
    if (err && *err == NULL)
      berth_error_set(err, BERTH_ERR_INVALID, EINVAL, "bad cgroup path");
    free(cg);
    return -1;
  }
  set_dirs(cg);
  *out = cg;
  return 0;
}

void berth_cgroup_free(struct berth_cgroup *cg) { free(cg); }

/* ---- processes ----------------------------------------------------------- */

int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid,
                       berth_error **err) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  for (size_t i = 0; i < cg->n; i++)
    if (cg_write(cg->h[i].dir, "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap,
                        berth_error **err) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : berth_error_sys(err, "read `%s`", path);
  long v;
  while (fscanf(f, "%ld", &v) == 1) {
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 32;
      pid_t *np = realloc(*pids, nc * sizeof(pid_t));
      if (np == NULL)
        return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "cgroup pids");
      *pids = np;
      *cap = nc;
    }
    (*pids)[(*n)++] = (pid_t)v;
  }
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") ||
        !strcmp(e->d_name, ".."))
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    rc = collect_pids(path, pids, n, cap, err);
  }
  closedir(d);
  return rc;
}

int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **pids, size_t *n,
                      berth_error **err) {
  size_t cap = 0;
  *pids = NULL;
  *n = 0;
  if (collect_pids(primary(cg)->dir, pids, n, &cap, err) < 0) {
    free(*pids);
    *pids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

int berth_cgroup_freeze(const struct berth_cgroup *cg, bool freeze,
                        berth_error **err) {
  /* With v1 controllers the container's processes are frozen through the
   * v1 freezer, the hierarchy its other limits live in; the unified
   * tree of a hybrid host is only used for cgroup.kill and listing. */
  if (cg->layout == CG_V2)
    return cg_v2_freeze(cg_v2(cg), freeze, err);
  return cg_v1_freeze(cg, freeze, err);
}

int berth_cgroup_is_frozen(const struct berth_cgroup *cg, bool *frozen,
                           berth_error **err) {
  if (cg->layout == CG_V2)
    return cg_v2_is_frozen(cg_v2(cg), frozen, err);
  return cg_v1_is_frozen(cg, frozen, err);
}

int berth_cgroup_kill_all(const struct berth_cgroup *cg, int sig,
                          berth_error **err) {
  const struct cg_hierarchy *v2 = cg_v2(cg);
  /* cgroup.kill kills every process atomically, also ones forking. */
  if (sig == SIGKILL && v2 && cg_exists(v2->dir, "cgroup.kill"))
    return cg_write(v2->dir, "cgroup.kill", "1", err);
  /* Otherwise freeze so that nothing forks between listing and signalling;
   * a cgroup without a freezer is signalled as it is. */
  bool frozen = berth_cgroup_freeze(cg, true, NULL) == 0;
  pid_t *pids = NULL;
  size_t n = 0;
  int rc = berth_cgroup_pids(cg, &pids, &n, err);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      rc = berth_error_sys(err, "signal %d to pid %d", sig, (int)pids[i]);
  free(pids);
  if (frozen)
    berth_cgroup_freeze(cg, false, NULL);
  return rc;
}

int berth_cgroup_update(const struct berth_cgroup *cg,
                        const struct berth_cgroup_resources *r,
                        berth_error **err) {
  for (size_t i = 0; i < cg->n; i++)
    if (access(cg->h[i].dir, F_OK) < 0)
      return berth_error_sys(err, "cgroup `%s`", cg->h[i].dir);
  return apply(cg, r, err);
}

static bool is_empty(const struct berth_cgroup *cg) {
  pid_t *pids = NULL;
  size_t n = 0;
  if (berth_cgroup_pids(cg, &pids, &n, NULL) < 0)
    return true;
  free(pids);
  return n == 0;
}

int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error **err) {
  if (!is_empty(cg)) {
    /* Frozen tasks do not die until thawed. */
    berth_cgroup_freeze(cg, false, NULL);
    berth_cgroup_kill_all(cg, SIGKILL, NULL);
    for (int i = 0; i < 400 && !is_empty(cg); i++)
      nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
  int rc = 0;
  for (size_t i = 0; i < cg->n; i++)
    if (rmdir_tree(cg->h[i].dir) < 0 && rc == 0)
      rc = berth_error_sys(err, "remove cgroup `%s`", cg->h[i].dir);
  return rc;
}
