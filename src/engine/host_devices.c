/* The host's device nodes, for --privileged. */
#include "host_devices.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"

/* Docker's list (GetDevices) leaves out the same directories and
 * /dev/console; the runtime makes the standard nodes and the ptmx link. */
static bool skipped(const char *rel) {
  static const char *const names[] = {
      "console", "ptmx", "tty",  "null", "zero", "full",
      "random",  "urandom", "pts", "shm",  "mqueue", "fd"};
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (strcmp(rel, names[i]) == 0)
      return true;
  return rel[0] == '.';
}

static bool listed(json_t *list, const char *path) {
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    const char *p = json_string_value(json_object_get(d, "path"));
    if (p && strcmp(p, path) == 0)
      return true;
  }
  return false;
}

static void add_node(json_t *list, const char *path, const struct stat *st) {
  if (listed(list, path))
    return;
  json_array_append_new(
      list, json_pack("{s:s,s:s,s:I,s:I,s:i,s:I,s:I}", "path", path, "type",
                      S_ISCHR(st->st_mode) ? "c" : "b", "major",
                      (json_int_t)major(st->st_rdev), "minor",
                      (json_int_t)minor(st->st_rdev), "fileMode",
                      (int)(st->st_mode & 07777), "uid",
                      (json_int_t)st->st_uid, "gid", (json_int_t)st->st_gid));
}

/* depth bounds the walk: /dev is shallow (/dev/net/tun, /dev/dri/card0,
 * /dev/bus/usb/001/001). */
static void walk(const char *dir, const char *rel, json_t *list, int depth) {
  _cleanup_close_ int fd =
      open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d)
    return;
  fd = -1; /* owned by d now */
  struct dirent *e;
  while ((e = readdir(d))) {
    char path[4096], sub[4096];
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    if (!*rel && skipped(e->d_name))
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < 4)
      walk(path, sub, list, depth + 1);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      char ctr[4200];
      snprintf(ctr, sizeof ctr, "/dev/%s", sub);
      add_node(list, ctr, &st);
    }
  }
  closedir(d);
}

void berth_host_devices(const char *dev_dir, json_t *list) {
  walk(dev_dir, "", list, 0);
}
