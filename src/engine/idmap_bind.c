/* Bind mounts of host paths, idmapped for a container's user namespace. */
#include "idmap_bind.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "mountinfo.h"
#include "overlay.h"

static int sys_open_tree(int dfd, const char *path, unsigned flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags,
                             struct mount_attr *attr) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr,
                      sizeof *attr);
}

static int sys_move_mount(int from_dfd, const char *from, int to_dfd,
                          const char *to, unsigned flags) {
  return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

/* Idmaps the detached mount tree_fd (its top mount only). */
static int idmap_one(int tree_fd, int userns_fd) {
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                            .userns_fd = (uint64_t)userns_fd};
  return sys_mount_setattr(tree_fd, "", AT_EMPTY_PATH, &attr);
}

/* The top of the tree must take the idmap: without it container root
 * could not write there and its files would land as nobody's.  EINVAL
 * is the kernel's answer for a filesystem without FS_ALLOW_IDMAP. */
static int idmap_top(int tree_fd, const char *src, int userns_fd,
                     berth_error **err) {
  if (idmap_one(tree_fd, userns_fd) == 0)
    return 0;
  int e = errno;
  if (e != EINVAL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "bind mount %s: idmapped mount", src);
  char type[64];
  _cleanup_close_ int fd = open(src, O_PATH | O_CLOEXEC);
  berth_mount_fstype(fd, type, sizeof type);
  return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                         "bind mount %s: filesystem %s does not support "
                         "idmapped mounts",
                         src, type);
}

static int openat2_path(int dirfd, const char *path, unsigned long long res) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = res};
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* A non-recursive clone of the mount at fd, idmapped if `required` or if
 * its filesystem allows it, with attrs set, attached on target_fd. */
static int attach_clone(int fd, const char *src, int target_fd, int userns_fd,
                        unsigned attrs, bool required, berth_error **err) {
  _cleanup_close_ int tree = sys_open_tree(
      fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return berth_error_sys(err, "bind mount %s", src);
  if (required && idmap_top(tree, src, userns_fd, err) < 0)
    return -1;
  if (!required)
    (void)idmap_one(tree, userns_fd);
  struct mount_attr attr = {.attr_set = attrs};
  if (attrs && sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
    return berth_error_sys(err, "set mount attributes of `%s`", src);
  if (sys_move_mount(tree, "", target_fd, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_error_sys(err, "mount `%s`", src);
  return 0;
}

/* The host's mount points strictly below `real`, each once, in
 * mountinfo order (mount order), as a NULL-terminated list (NULL when
 * there are none or on allocation failure). */
static char **submounts_of(const char *real) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  size_t n = strcmp(real, "/") == 0 ? 0 : strlen(real), k = 0, cap = 0;
  char **v = NULL;
  _cleanup_free_ char *line = NULL;
  size_t lcap = 0;
  struct berth_mountinfo m;
  while (f && getline(&line, &lcap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    if (!berth_mountinfo_parse(line, &m) || strncmp(m.point, real, n) != 0 ||
        m.point[n] != '/' || m.point[n + 1] == '\0')
      continue;
    if (k + 2 > cap) {
      cap = cap ? 2 * cap : 16;
      char **nv = realloc(v, cap * sizeof *v);
      if (!nv)
        break;
      v = nv;
    }
    /* Mounts stacked on one point: only the top one is reachable. */
    for (size_t j = 0; j < k; j++)
      if (v[j] && strcmp(v[j], m.point) == 0) {
        free(v[j]);
        memmove(v + j, v + j + 1, (k - j) * sizeof *v);
        k--;
        break;
      }
    if (!(v[k] = strdup(m.point)))
      break;
    v[++k] = NULL;
  }
  return v;
}

static size_t depth(const char *p) {
  size_t d = 0;
  for (; *p; p++)
    d += *p == '/';
  return d;
}

/* Each submount below src, cloned on its own and attached at the same
 * place below target_root: idmapped where its filesystem allows it (the
 * kernel idmaps a detached tree only as a whole, AT_RECURSIVE, which
 * fails if any filesystem in it cannot be idmapped); the others
 * (procfs, sysfs, devtmpfs...) keep the host's ids, shown as nobody in
 * the container as any unmapped id, so `-v /:/host` still works.  Paths
 * are resolved without symlinks on both sides. */
static int attach_submounts(const char *real, int target_root, int userns_fd,
                            unsigned attrs, berth_error **err) {
  _cleanup_strv_ char **subs = submounts_of(real);
  size_t n = strcmp(real, "/") == 0 ? 0 : strlen(real);
  for (size_t d = 1; subs && d < 4096; d++) {
    bool deeper = false;
    for (char **p = subs; *p; p++) {
      if (depth(*p) > d)
        deeper = true;
      if (depth(*p) != d)
        continue;
      _cleanup_close_ int from = openat2_path(AT_FDCWD, *p,
                                              RESOLVE_NO_SYMLINKS);
      _cleanup_close_ int to = openat2_path(
          target_root, *p + n + 1, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
      if (from < 0 || to < 0)
        continue; /* gone, or hidden by a symlink: not part of the tree */
      if (attach_clone(from, *p, to, userns_fd, attrs, false, err) < 0)
        return -1;
    }
    if (!deeper)
      break;
  }
  return 0;
}

int berth_idmap_rbind(const char *src, const char *target, int userns_fd,
                      unsigned attrs, berth_error **err) {
  _cleanup_free_ char *real = realpath(src, NULL);
  if (!real)
    return berth_error_sys(err, "bind mount %s", src);
  _cleanup_close_ int from = open(real, O_PATH | O_CLOEXEC);
  _cleanup_close_ int to = open(target, O_PATH | O_CLOEXEC);
  if (from < 0 || to < 0)
    return berth_error_sys(err, "bind mount %s", src);
  if (attach_clone(from, src, to, userns_fd, attrs, true, err) < 0)
    return -1;
  /* Reopened: `to` is the directory under the new mount. */
  _cleanup_close_ int root = open(target, O_PATH | O_CLOEXEC);
  if (root < 0)
    return berth_error_sys(err, "open `%s`", target);
  return attach_submounts(real, root, userns_fd, attrs, err);
}

/* A user namespace is needed for the trial: any mapping other than the
 * host's will do. */
#define TRIAL_BASE (1u << 30)
#define TRIAL_COUNT 65536u

int berth_idmap_check_binds(json_t *mounts, berth_error **err) {
  _cleanup_close_ int userns = -1;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *type = json_string_value(json_object_get(m, "Type"));
    const char *src = json_string_value(json_object_get(m, "Source"));
    if (!type || strcmp(type, "bind") != 0 || !src)
      continue;
    if (userns < 0 &&
        (userns = berth_idmap_userns(TRIAL_BASE, TRIAL_COUNT, err)) < 0)
      return -1;
    _cleanup_close_ int tree =
        sys_open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
      return berth_error_sys(err, "bind mount %s", src);
    if (idmap_top(tree, src, userns, err) < 0)
      return -1;
  }
  return 0;
}
