/* Overlay mounts of snapshots, idmapped for user namespaces. */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "snapshot.h"

static int sys_open_tree(int dfd, const char *path, unsigned flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags,
                             struct mount_attr *attr) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr,
                      sizeof *attr);
}

static int sys_fsopen(const char *fs, unsigned flags) {
  return (int)syscall(SYS_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned cmd, const char *key,
                        const void *value, int aux) {
  return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned flags, unsigned attrs) {
  return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static int sys_move_mount(int from_dfd, const char *from, int to_dfd,
                          const char *to, unsigned flags) {
  return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

int berth_overlay_prepare(const struct berth_overlay *o, berth_error **err) {
  const char *sub[] = {"upper", "work", "rootfs", "empty"};
  /* "empty": the lower dir of an image without layers (FROM scratch). */
  for (size_t i = 0; i < (o->n_layers ? 3 : 4); i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->dir, sub[i]);
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
      return berth_error_sys(err, "mkdir `%s`", path);
    /* The upper dir's root is the container's "/": its root owns it. */
    if (i == 0 && o->id_count && chown(path, o->id_base, o->id_base) < 0)
      return berth_error_sys(err, "chown `%s`", path);
  }
  return 0;
}

/* A user namespace mapping 0..count to base..base+count, for idmapped
 * mounts: a child unshares it and waits while we write its maps. */
int berth_idmap_userns(uint32_t base, uint32_t count, berth_error **err) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return berth_error_sys(err, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return berth_error_sys(err, "fork");
  }
  if (pid == 0) {
    char c;
    close(pfd[1]);
    if (unshare(CLONE_NEWUSER) < 0)
      _exit(1);
    /* Tell the parent the namespace exists by... it polls; then wait for
     * the pipe to close. */
    (void)!read(pfd[0], &c, 1);
    _exit(0);
  }
  close(pfd[0]);
  int fd = -1;
  char path[64], map[64];
  snprintf(map, sizeof map, "0 %u %u\n", base, count);
  /* Wait until the child is in its own user namespace. */
  char self_ns[64] = "", child_ns[64] = "";
  if (readlink("/proc/self/ns/user", self_ns, sizeof self_ns - 1) < 0)
    goto out;
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  for (int i = 0; i < 5000; i++) {
    ssize_t n = readlink(path, child_ns, sizeof child_ns - 1);
    if (n < 0)
      goto out;
    child_ns[n] = '\0';
    if (strcmp(child_ns, self_ns) != 0)
      break;
    usleep(100);
  }
  const char *files[] = {"uid_map", "gid_map"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, files[i]);
    if (berth_write_file(AT_FDCWD, path, map, strlen(map), err) < 0)
      goto out;
  }
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    berth_error_sys(err, "open `%s`", path);
out:
  if (fd < 0 && err && !*err)
    berth_error_sys(err, "create a user namespace for idmapped mounts");
  close(pfd[1]);
  waitpid(pid, NULL, 0);
  return fd;
}

/* A detached, idmapped clone of a directory, with attrs (MOUNT_ATTR_*)
 * set too. */
static int idmapped_clone(const char *path, int userns_fd, unsigned attrs,
                          berth_error **err) {
  int fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open_tree `%s`", path);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | attrs,
                            .userns_fd = (uint64_t)userns_fd};
  if (sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return berth_error_set(err, e == EINVAL ? BERTH_ERR_UNSUPPORTED
                                            : BERTH_ERR_SYSTEM,
                           e, "idmapped mount of `%s`", path);
  }
  return fd;
}

static int layer_path(const struct berth_overlay *o, size_t i, char *out,
                      size_t len, berth_error **err) {
  char dir[4096];
  if (berth_snapshot_dir(o->snapshots_root, o->chain_ids[i], dir, sizeof dir,
                         err) < 0)
    return -1;
  snprintf(out, len, "%s/fs", dir);
  return 0;
}

/* fsconfig with "lowerdir+" (Linux 6.8) takes any number of layers,
 * where the classic option string stops at a page.  layer_fds may be
 * NULL (the snapshots as they are). */
static int add_lowers(int fs, const struct berth_overlay *o,
                      const int *layer_fds, berth_error **err) {
  char path[4096];
  /* overlayfs needs a lower dir: an image without layers (FROM scratch,
   * a build's first step) gets an empty one. */
  snprintf(path, sizeof path, "%s/empty", o->dir);
  if (o->n_layers == 0 &&
      sys_fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0)
    return berth_error_sys(err, "overlay lower dir `%s`", path);
  /* Top layer first, as in lowerdir=top:...:bottom. */
  for (size_t k = o->n_layers; k-- > 0;) {
    if (layer_fds && layer_fds[k] >= 0)
      snprintf(path, sizeof path, "/proc/self/fd/%d", layer_fds[k]);
    else if (layer_path(o, k, path, sizeof path, err) < 0)
      return -1;
    if (sys_fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0)
      return berth_error_sys(err, "overlay lower layer `%s`",
                             o->chain_ids[k]);
  }
  return 0;
}

static int mount_new_api(const struct berth_overlay *o, const int *layer_fds,
                         berth_error **err) {
  _cleanup_close_ int fs = sys_fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berth_error_sys(err, "fsopen overlay");
  if (add_lowers(fs, o, layer_fds, err) < 0)
    return -1;
  char upper[4096], work[4096], target[4096];
  snprintf(upper, sizeof upper, "%s/upper", o->dir);
  snprintf(work, sizeof work, "%s/work", o->dir);
  snprintf(target, sizeof target, "%s/rootfs", o->dir);
  if (sys_fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
      sys_fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
    return berth_error_sys(err, "overlay upper/work dirs");
  if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_error_sys(err, "create the overlay of `%s`", o->dir);
  _cleanup_close_ int mnt = sys_fsmount(fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return berth_error_sys(err, "fsmount overlay");
  if (sys_move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return berth_error_sys(err, "mount the overlay on `%s`", target);
  return 0;
}

int berth_overlay_mount(const struct berth_overlay *o, berth_error **err) {
  _cleanup_free_ int *fds = malloc((o->n_layers + 1) * sizeof(int));
  if (!fds)
    return berth_error_sys(err, "allocate");
  for (size_t i = 0; i < o->n_layers; i++)
    fds[i] = -1;
  int rc = 0;
  _cleanup_close_ int userns = -1;
  if (o->id_count) {
    userns = berth_idmap_userns(o->id_base, o->id_count, err);
    rc = userns < 0 ? -1 : 0;
  }
  for (size_t i = 0; rc == 0 && userns >= 0 && i < o->n_layers; i++) {
    char path[4096];
    if (layer_path(o, i, path, sizeof path, err) < 0 ||
        (fds[i] = idmapped_clone(path, userns, MOUNT_ATTR_RDONLY, err)) < 0)
      rc = -1;
  }
  if (rc == 0)
    rc = mount_new_api(o, fds, err);
  for (size_t i = 0; i < o->n_layers; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  return rc;
}

int berth_idmapped_bind(const char *src, const char *target, int userns_fd,
                        unsigned attrs, berth_error **err) {
  _cleanup_close_ int fd = idmapped_clone(src, userns_fd, attrs, err);
  if (fd < 0)
    return -1;
  if (sys_move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return berth_error_sys(err, "mount `%s` on `%s`", src, target);
  return 0;
}

/* A mount that no process can reach by a path: it lives as long as the
 * fd, and nothing is left to unmount however the caller ends. */
static int detached_fs(const char *type, const struct berth_overlay *o,
                       berth_error **err) {
  _cleanup_close_ int fs = sys_fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0)
    return berth_error_sys(err, "fsopen %s", type);
  if (o && add_lowers(fs, o, NULL, err) < 0)
    return -1;
  if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_error_sys(err, "create a read-only %s", type);
  int mnt = sys_fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY |
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                        MOUNT_ATTR_NOEXEC);
  return mnt < 0 ? berth_error_sys(err, "fsmount %s", type) : mnt;
}

int berth_overlay_open_ro(const char *snapshots_root, char *const *chain_ids,
                          size_t n, berth_error **err) {
  struct berth_overlay o = {.snapshots_root = snapshots_root,
                            .chain_ids = chain_ids, .n_layers = n};
  if (n == 0)
    return detached_fs("tmpfs", NULL, err);
  if (n > 1)
    return detached_fs("overlay", &o, err);
  /* One layer: overlayfs wants two lowers when it has no upper. */
  char path[4096];
  if (layer_path(&o, 0, path, sizeof path, err) < 0)
    return -1;
  _cleanup_close_ int fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE |
                                                             OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open_tree `%s`", path);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                        MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
  if (sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr) < 0)
    return berth_error_sys(err, "make `%s` read-only", path);
  return steal_fd(&fd);
}
