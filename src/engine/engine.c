/* Opening the engine: stores, database, helper programs. */
#include "engine.h"

#include <errno.h>
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
  e->self_exe = strdup(self);
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = '\0';
  if (asprintf(&e->monitor_exe, "%s/berth-monitor", self) < 0)
    e->monitor_exe = NULL;
  if (asprintf(&e->init_exe, "%s/berth-init", self) < 0)
    e->init_exe = NULL;
  if (!e->self_exe || !e->monitor_exe || !e->init_exe)
    return berth_error_sys(err, "allocate");
  return 0;
}

int berth_engine_open(const char *root, char *const *envp,
                      struct berth_engine **out, berth_error **err) {
  struct berth_engine *e = calloc(1, sizeof *e);
  if (!e)
    return berth_error_sys(err, "allocate");
  e->envp = envp;
  char path[4096];
  if (!(e->root = strdup(root)) ||
      asprintf(&e->run_root, "%s/run", root) < 0) {
    e->run_root = NULL;
    berth_engine_free(e);
    return berth_error_sys(err, "allocate");
  }
  snprintf(path, sizeof path, "%s/containers", root);
  if (berth_imgstore_open(root, &e->is, err) < 0 ||
      berth_mkdir_p(path, 0711, err) < 0 ||
      berth_mkdir_p(e->run_root, 0700, err) < 0 ||
      find_programs(e, err) < 0) {
    berth_engine_free(e);
    return -1;
  }
  /* Containers in user namespaces must reach their rootfs mount points:
   * others may traverse (not list) the root and containers/. */
  snprintf(path, sizeof path, "%s/containers", root);
  if (chmod(root, 0711) < 0 || chmod(path, 0711) < 0) {
    berth_error_sys(err, "chmod `%s`", root);
    berth_engine_free(e);
    return -1;
  }
  e->db = e->is->db;
  if (berth_engine_migrate(e->db, err) < 0) {
    berth_engine_free(e);
    return -1;
  }
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
  free(e);
}
