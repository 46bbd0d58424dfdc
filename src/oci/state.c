#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fs.h"
#include "json.h"

#define STATE_MAX_BYTES (1u << 20)

int berth_id_validate(const char *id, berth_error **err) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid container id `%s`", id);
  for (const char *c = id; *c; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
        (*c >= '0' && *c <= '9') || strchr("_+.-", *c))
      continue;
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid container id `%s`: only letters, digits "
                           "and _+.- are allowed", id);
  }
  return 0;
}

char *berth_state_dir(const char *root, const char *id) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", root, id) < 0)
    return NULL;
  return p;
}

int berth_state_write(const char *root, const struct berth_state *st,
                      berth_error **err) {
  json_t *o = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:b}", "id", st->id,
                        "pid", (json_int_t)st->pid, "start_time",
                        (json_int_t)st->start_time, "bundle", st->bundle,
                        "rootfs", st->rootfs, "created", st->created,
                        "cgroup_path", st->cgroup_path ? st->cgroup_path : "",
                        "owner", st->owner ? st->owner : "", "started",
                        st->started);
  if (o == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "state");
  if (st->annotations)
    json_object_set(o, "annotations", st->annotations);
  if (st->no_poststop)
    json_object_set_new(o, "no_poststop", json_true());
  if (st->rootfs_base_mnt)
    json_object_set_new(o, "rootfs_base_mnt",
                        json_integer((json_int_t)st->rootfs_base_mnt));
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (s == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "state");
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s/state.json", root, st->id);
  int rc = berth_write_file_replace(path, s, strlen(s), 0600, err);
  free(s);
  return rc;
}

static char *dup_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return strdup(s ? s : "");
}

int berth_state_read(const char *root, const char *id,
                     struct berth_state **out, berth_error **err) {
  char path[PATH_MAX];
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (berth_id_validate(id, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s/state.json", root, id);
  if (access(path, F_OK) < 0)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "container `%s` does not exist", id);
  if (berth_read_file(AT_FDCWD, path, STATE_MAX_BYTES, &text, &len, err) < 0)
    return -1;
  json_t *o = json_loadb(text, len, 0, NULL);
  if (o == NULL || !json_is_object(o)) {
    json_decref(o);
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "state of container `%s` is corrupt", id);
  }
  struct berth_state *st = calloc(1, sizeof(*st));
  if (st == NULL) {
    json_decref(o);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "state");
  }
  st->id = dup_str(o, "id");
  st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
  st->start_time =
      (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
  st->bundle = dup_str(o, "bundle");
  st->rootfs = dup_str(o, "rootfs");
  st->created = dup_str(o, "created");
  st->cgroup_path = dup_str(o, "cgroup_path");
  st->owner = dup_str(o, "owner");
  st->started = json_is_true(json_object_get(o, "started"));
  st->no_poststop = json_is_true(json_object_get(o, "no_poststop"));
  st->rootfs_base_mnt = (unsigned long long)json_integer_value(
      json_object_get(o, "rootfs_base_mnt"));
  json_t *a = json_object_get(o, "annotations");
  st->annotations = a ? json_incref(a) : NULL;
  json_decref(o);
  *out = st;
  return 0;
}

void berth_state_free(struct berth_state *st) {
  if (st == NULL)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup_path);
  free(st->owner);
  json_decref(st->annotations);
  free(st);
}

unsigned long long berth_proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* The command name may contain spaces and parentheses: skip to the last
   * ')' before counting fields. */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0' || p[2] == '\0')
    return 0;
  char state = p[2];
  if (state == 'Z' || state == 'X')
    return 0;
  int field = 2;
  for (p++; *p && field < 22; p++)
    if (*p == ' ')
      field++;
  return strtoull(p, NULL, 10);
}

bool berth_proc_alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0)
    return false;
  unsigned long long t = berth_proc_start_time(pid);
  return t != 0 && t == start_time;
}

const char *berth_state_status(const char *root, const struct berth_state *st) {
  if (st->pid == 0)
    return "creating";
  if (!berth_proc_alive(st->pid, st->start_time))
    return "stopped";
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s/exec.sock", root, st->id);
  if (!st->started && access(path, F_OK) == 0)
    return "created";
  struct berth_cgroup *cg = NULL;
  bool frozen = false;
  if (st->cgroup_path && st->cgroup_path[0] &&
      berth_cgroup_open(st->cgroup_path, &cg, NULL) == 0) {
    berth_cgroup_is_frozen(cg, &frozen, NULL);
    berth_cgroup_free(cg);
  }
  return frozen ? "paused" : "running";
}

json_t *berth_state_to_json(const struct berth_state *st, const char *status) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "ociVersion",
                        "1.2.0", "id", st->id, "status", status, "pid",
                        (json_int_t)(strcmp(status, "stopped") == 0 ? 0 : st->pid),
                        "bundle", st->bundle, "rootfs", st->rootfs, "created",
                        st->created, "owner", st->owner ? st->owner : "");
  if (o && st->annotations)
    json_object_set(o, "annotations", st->annotations);
  return o;
}

int berth_state_lock(const char *root, const char *id, berth_error **err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", root, id);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                             "container `%s` does not exist", id);
    return berth_error_sys(err, "open `%s`", path);
  }
  if (flock(fd, LOCK_EX) < 0) {
    berth_error_sys(err, "lock `%s`", path);
    close(fd);
    return -1;
  }
  return fd;
}
