/* Opening the engine: stores, database, helper programs. */
#include "engine.h"

#include "containers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

/* berth-monitor is installed next to berth. */
static int find_programs(struct berth_engine *e, berth_error **err) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return berth_error_sys(err, "readlink /proc/self/exe");
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  /* The API server (berth-api) opens engines too; the helpers its
   * monitors run (`berth _exited ...`) are berth's, next to it. */
  if (slash && strcmp(slash + 1, "berth-api") == 0)
    memcpy(slash + 1, "berth", sizeof "berth");
  e->self_exe = strdup(self);
  if (slash)
    *slash = '\0';
  if (asprintf(&e->monitor_exe, "%s/berth-monitor", self) < 0)
    e->monitor_exe = NULL;
  if (asprintf(&e->init_exe, "%s/berth-init", self) < 0)
    e->init_exe = NULL;
  if (asprintf(&e->runtime_exe, "%s/berth-runtime", self) < 0)
    e->runtime_exe = NULL;
  if (!e->self_exe || !e->monitor_exe || !e->init_exe || !e->runtime_exe)
    return berth_error_sys(err, "allocate");
  return 0;
}

/* Tightens dir/name to 0700 when it is a directory (never through a
 * symlink). */
static int tighten_at(int dir, const char *name, berth_error **err) {
  _cleanup_close_ int fd =
      openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR || errno == ELOOP
               ? 0
               : berth_error_sys(err, "open `%s`", name);
  if (fchmod(fd, 0700) < 0)
    return berth_error_sys(err, "chmod `%s`", name);
  return 0;
}

/* containers/ and volumes/ hold what no other local user may read or
 * reach: containers' config (their env carries secrets), logs and
 * writable layers, and volume files, which keep the ids containers see
 * (a setuid file a container's root made there is setuid root on the
 * host).  New ones are made 0700; earlier versions made them (and their
 * entries) searchable by others, which is undone once, entries first so
 * that an interrupted pass is redone. */
static int private_dir(const char *root, const char *name, bool create,
                       berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, name);
  if (create && berth_mkdir_p(path, 0700, err) < 0)
    return -1;
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "stat `%s`", path);
  if ((st.st_mode & 07777) == 0700)
    return 0;
  _cleanup_close_ int fd =
      open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int dfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (d == NULL) {
    berth_error_sys(err, "open `%s`", path);
    if (dfd >= 0)
      close(dfd);
    return -1;
  }
  int rc = 0;
  for (struct dirent *de; rc == 0 && (de = readdir(d)) != NULL;)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      rc = tighten_at(fd, de->d_name, err);
  closedir(d);
  if (rc == 0 && fchmod(fd, 0700) < 0)
    rc = berth_error_sys(err, "chmod `%s`", path);
  return rc;
}

/* Image events go where container events go: the engine's event log
 * (best effort, as every event: the operation itself has succeeded). */
static void image_event(void *arg, const char *action, const char *actor,
                        const char *name) {
  struct berth_engine *e = arg;
  json_t *attrs = name ? json_pack("{s:s}", "name", name) : json_object();
  (void)berth_event_add(e->db, "image", action, actor, attrs, NULL);
  json_decref(attrs);
}

int berth_engine_open(const char *root, char *const *envp,
                      struct berth_engine **out, berth_error **err) {
  struct berth_engine *e = calloc(1, sizeof *e);
  if (!e)
    return berth_error_sys(err, "allocate");
  e->envp = envp;
  for (char *const *v = envp; v && *v; v++)
    if (strncmp(*v, "BERTH_CGROUP_PARENT=", 20) == 0 && (*v)[20] &&
        !(e->cgroup_parent = strdup(*v + 20))) {
      berth_engine_free(e);
      return berth_error_sys(err, "allocate");
    }
  if (!(e->root = strdup(root)) ||
      asprintf(&e->run_root, "%s/run", root) < 0) {
    e->run_root = NULL;
    berth_engine_free(e);
    return berth_error_sys(err, "allocate");
  }
  /* The root itself may be the user's directory: its mode is theirs.
   * Nothing needs it searchable: the runtime opens each container's
   * rootfs and mounts' sources before entering its user namespace. */
  if (berth_imgstore_open(root, &e->is, err) < 0 ||
      private_dir(root, "containers", true, err) < 0 ||
      private_dir(root, "volumes", false, err) < 0 ||
      berth_mkdir_p(e->run_root, 0700, err) < 0 ||
      find_programs(e, err) < 0) {
    berth_engine_free(e);
    return -1;
  }
  e->db = e->is->db;
  if (berth_engine_migrate(e->db, err) < 0) {
    berth_engine_free(e);
    return -1;
  }
  e->is->on_event = image_event;
  e->is->event_arg = e;
  *out = e;
  return 0;
}

void berth_engine_runtime_ctx(const struct berth_engine *e,
                              struct berth_ctx *ctx, berth_log *log) {
  *log = (berth_log){.fd = -1};
  *ctx = (struct berth_ctx){.state_root = e->run_root, .log = log};
}

void berth_engine_free(struct berth_engine *e) {
  if (!e)
    return;
  berth_imgstore_free(e->is);
  free(e->root);
  free(e->run_root);
  free(e->self_exe);
  free(e->monitor_exe);
  free(e->init_exe);
  free(e->runtime_exe);
  free(e->cgroup_parent);
  free(e);
}
