#include "rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

/* Every mount below is built detached (fsmount / open_tree) and attached
 * with move_mount onto an O_PATH fd that was resolved inside the rootfs.
 * Nothing is ever mounted by a path string under the rootfs, so a symlink
 * swapped in after resolution (CVE-2021-30465) cannot redirect it. */

struct attrs {
  unsigned set, clr;
};

static struct attrs ms_to_attrs(unsigned long flags, unsigned long clear) {
  static const struct {
    unsigned long ms;
    unsigned attr;
  } map[] = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY},     {MS_NOSUID, MOUNT_ATTR_NOSUID},
      {MS_NODEV, MOUNT_ATTR_NODEV},       {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
      {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
      {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
  };
  struct attrs a = {0, 0};
  for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
    if (flags & map[i].ms)
      a.set |= map[i].attr;
    if (clear & map[i].ms)
      a.clr |= map[i].attr;
  }
  /* atime is a 3-valued field: changing it needs the whole mask cleared. */
  if (flags & MS_NOATIME)
    a.set |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    a.set |= MOUNT_ATTR_STRICTATIME;
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME) ||
      clear & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    a.clr |= MOUNT_ATTR__ATIME;
  return a;
}

static int setattr_fd(int fd, unsigned set, unsigned clr, unsigned long prop,
                      bool recursive, const char *what, berth_error **err) {
  struct mount_attr ma = {.attr_set = set, .attr_clr = clr,
                          .propagation = prop};
  if (set == 0 && clr == 0 && prop == 0)
    return 0;
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                    &ma, sizeof(ma)) < 0)
    return berth_error_sys(err, "set mount attributes of `%s`", what);
  return 0;
}

static int attach(int mnt_fd, int target_fd, const char *what,
                  berth_error **err) {
  if (move_mount(mnt_fd, "", target_fd, "",
                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_error_sys(err, "mount on `%s`", what);
  return 0;
}

/* Superblock flags travel through fsconfig, mount flags through fsmount. */
static int config_sb_flags(int fsfd, unsigned long flags, berth_error **err) {
  static const struct {
    unsigned long ms;
    const char *key;
  } sb[] = {{MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"},
            {MS_LAZYTIME, "lazytime"}, {MS_MANDLOCK, "mand"}};
  for (size_t i = 0; i < ARRAY_SIZE(sb); i++)
    if ((flags & sb[i].ms) &&
        fsconfig(fsfd, FSCONFIG_SET_FLAG, sb[i].key, NULL, 0) < 0)
      return berth_error_sys(err, "option `%s`", sb[i].key);
  return 0;
}

static int config_data(int fsfd, const char *data, berth_error **err) {
  if (data == NULL)
    return 0;
  _cleanup_free_ char *copy = strdup(data);
  if (copy == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "mount data");
  char *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(o, '=');
    int rc;
    if (eq) {
      *eq = '\0';
      rc = fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
    } else {
      rc = fsconfig(fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
    }
    if (rc < 0)
      return berth_error_sys(err, "option `%s`", o);
  }
  return 0;
}

/* Returns a detached mount of a new filesystem instance. */
static int new_fs(const char *type, const char *source, const char *data,
                  unsigned long sb_flags, unsigned attrs, berth_error **err) {
  _cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return berth_error_sys(err, "open filesystem `%s`", type);
  if (source && source[0] &&
      fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return berth_error_sys(err, "`%s` source `%s`", type, source);
  if (config_data(fsfd, data, err) < 0 ||
      config_sb_flags(fsfd, sb_flags, err) < 0)
    return berth_error_prefix(err, "filesystem `%s`", type);
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_error_sys(err, "create filesystem `%s`", type);
  int mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
  if (mnt < 0)
    return berth_error_sys(err, "mount filesystem `%s`", type);
  return mnt;
}

/* A detached clone of dfd/path (path "": of dfd itself), with the
 * mount's flags applied; `source` names it in errors. */
static int clone_tree_at(int dfd, const char *path, const char *source,
                         bool recursive, struct attrs a, struct attrs rec,
                         berth_error **err) {
  _cleanup_close_ int tree = open_tree(
      dfd, path,
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
          (path[0] == '\0' ? AT_EMPTY_PATH : 0));
  if (tree < 0)
    return berth_error_sys(err, "bind `%s`", source);
  if (setattr_fd(tree, a.set, a.clr, 0, false, source, err) < 0)
    return -1;
  if (setattr_fd(tree, rec.set, rec.clr, 0, true, source, err) < 0)
    return -1;
  return steal_fd(&tree);
}

/* A detached clone of a host path. */
static int clone_tree(const char *source, bool recursive, struct attrs a,
                      struct attrs rec, berth_error **err) {
  return clone_tree_at(AT_FDCWD, source, source, recursive, a, rec, err);
}

static int propagate(int mnt_fd, const struct berth_mount *m,
                     berth_error **err) {
  if (m->propagation == 0)
    return 0;
  return setattr_fd(mnt_fd, 0, 0, m->propagation & ~(unsigned long)MS_REC,
                    m->propagation & MS_REC, m->destination, err);
}

/* The common case is an existing destination: one openat2 instead of the
 * component-by-component walk that creating it needs.  Both resolve in
 * the root, so the result is the same. */
static int open_target(int root_fd, const char *dest, bool is_file,
                       berth_error **err) {
  int fd = berth_open_in_root(root_fd, dest, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  return berth_mkdir_in_root(root_fd, dest, 0755, is_file, err);
}

/* An idmapped mount's source is already a detached, idmapped clone made
 * by the runtime (idmapped_mounts.h): it is attached as it is, with the
 * mount's flags. */
static int own_idmapped(int source_fd, const struct berth_mount *m,
                        struct attrs a, berth_error **err) {
  _cleanup_close_ int tree = fcntl(source_fd, F_DUPFD_CLOEXEC, 3);
  if (tree < 0)
    return berth_error_sys(err, "bind `%s`", m->source);
  if (setattr_fd(tree, a.set, a.clr, 0, false, m->source, err) < 0 ||
      setattr_fd(tree, ms_to_attrs(m->rec_flags, m->rec_clear).set,
                 ms_to_attrs(m->rec_flags, m->rec_clear).clr, 0, true,
                 m->source, err) < 0)
    return -1;
  return steal_fd(&tree);
}

/* The source comes as an fd the runtime opened (rootfs_fds.h): the
 * caller may be a user namespace's root that cannot search its parents. */
static int mount_bind(int root_fd, int source_fd, const struct berth_mount *m,
                      berth_error **err) {
  struct attrs a = ms_to_attrs(m->flags, m->clear);
  if (source_fd < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EBADF,
                           "bind `%s`: source not opened", m->source);
  _cleanup_close_ int tree =
      m->idmap ? own_idmapped(source_fd, m, a, err)
               : clone_tree_at(source_fd, "", m->source, m->recursive, a,
                               ms_to_attrs(m->rec_flags, m->rec_clear), err);
  if (tree < 0)
    return -1;
  struct stat st;
  if (fstat(tree, &st) < 0)
    return berth_error_sys(err, "stat `%s`", m->source);
  _cleanup_close_ int target =
      open_target(root_fd, m->destination, !S_ISDIR(st.st_mode), err);
  if (target < 0 || attach(tree, target, m->destination, err) < 0)
    return -1;
  return propagate(tree, m, err);
}

static int copy_tree(int src, int dst, int depth, berth_error **err);

static int copy_data(int src_dir, int dst_dir, const char *name,
                     const struct stat *st, berth_error **err) {
  _cleanup_close_ int in =
      openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int out = openat(
      dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
      st->st_mode & 07777);
  if (in < 0 || out < 0)
    return berth_error_sys(err, "copy `%s`", name);
  for (;;) {
    /* sendfile, unlike copy_file_range, works across filesystems. */
    ssize_t n = sendfile(out, in, NULL, 1 << 30);
    if (n < 0)
      return berth_error_sys(err, "copy `%s`", name);
    if (n == 0)
      return 0;
  }
}

/* One directory entry of a tmpcopyup.  Device nodes the caller may not
 * create (user namespace) are left out rather than failing the start. */
static int copy_entry(int src, int dst, const char *name, int depth,
                      berth_error **err) {
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error_sys(err, "stat `%s`", name);
  int rc = 0;
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(dst, name, st.st_mode & 07777) < 0)
      return berth_error_sys(err, "mkdir `%s`", name);
    _cleanup_close_ int s2 =
        openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d2 =
        openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s2 < 0 || d2 < 0)
      return berth_error_sys(err, "open `%s`", name);
    rc = copy_tree(s2, d2, depth + 1, err);
  } else if (S_ISREG(st.st_mode)) {
    rc = copy_data(src, dst, name, &st, err);
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
    if (n < 0)
      return berth_error_sys(err, "readlink `%s`", name);
    target[n] = '\0';
    if (symlinkat(target, dst, name) < 0)
      return berth_error_sys(err, "symlink `%s`", name);
  } else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
    return errno == EPERM ? 0 : berth_error_sys(err, "mknod `%s`", name);
  }
  if (rc < 0)
    return -1;
  if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
      errno != EINVAL && errno != EPERM)
    return berth_error_sys(err, "chown `%s`", name);
  /* mkdirat/openat obeyed the umask. */
  if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
    return berth_error_sys(err, "chmod `%s`", name);
  return 0;
}

static int copy_tree(int src, int dst, int depth, berth_error **err) {
  if (depth > 64)
    return berth_error_set(err, BERTH_ERR_INVALID, ELOOP, "tmpcopyup");
  int dfd = fcntl(src, F_DUPFD_CLOEXEC, 3);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (d == NULL) {
    if (dfd >= 0)
      close(dfd);
    return berth_error_sys(err, "read directory for tmpcopyup");
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      rc = copy_entry(src, dst, de->d_name, depth, err);
  closedir(d);
  return rc;
}

/* tmpcopyup: the new tmpfs starts with a copy of what the image has at the
 * destination (Podman asks for it on tmpfs mounts).  The copy goes into
 * the still detached tmpfs, reading the destination through its fd. */
static int tmpcopyup(int target, int mnt, const char *what,
                     berth_error **err) {
  _cleanup_close_ int src =
      openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return berth_error_sys(err, "open `%s`", what);
  if (copy_tree(src, mnt, 0, err) < 0)
    return berth_error_prefix(err, "tmpcopyup `%s`", what);
  return 0;
}

static int mount_fs_at(int target, const struct berth_mount *m,
                       const char *type, berth_error **err) {
  struct attrs a = ms_to_attrs(m->flags, 0);
  bool copyup = m->tmpcopyup && strcmp(type, "tmpfs") == 0;
  /* A read-only tmpfs is filled first and made read-only afterwards. */
  _cleanup_close_ int mnt =
      new_fs(type, m->source, m->data, m->flags,
             copyup ? a.set & ~MOUNT_ATTR_RDONLY : a.set, err);
  if (mnt < 0)
    return -1;
  if (copyup && (tmpcopyup(target, mnt, m->destination, err) < 0 ||
                 setattr_fd(mnt, a.set & MOUNT_ATTR_RDONLY, 0, 0, false,
                            m->destination, err) < 0))
    return -1;
  struct attrs rec = ms_to_attrs(m->rec_flags, m->rec_clear);
  if (setattr_fd(mnt, rec.set, rec.clr, 0, true, m->destination, err) < 0)
    return -1;
  if (attach(mnt, target, m->destination, err) < 0)
    return -1;
  return propagate(mnt, m, err);
}

/* sysfs may only be mounted by the owner of the network namespace; when the
 * container shares it (or is in a user namespace without its own netns)
 * fall back to a bind of the host's /sys.  The bind is read-only
 * recursively: host submounts (debugfs, cgroups...) come along with it. */
static int mount_sysfs(int target, const struct berth_mount *m,
                       berth_error **err) {
  berth_error *tmp = NULL;
  if (mount_fs_at(target, m, "sysfs", &tmp) == 0)
    return 0;
  bool eperm = tmp->errno_value == EPERM;
  if (!eperm && err && *err == NULL)
    *err = steal_pointer(&tmp);
  berth_error_free(tmp);
  if (!eperm)
    return -1;
  struct attrs a = ms_to_attrs(m->flags | MS_RDONLY, 0);
  _cleanup_close_ int tree =
      clone_tree("/sys", true, a, (struct attrs){MOUNT_ATTR_RDONLY, 0}, err);
  if (tree < 0 || attach(tree, target, m->destination, err) < 0)
    return -1;
  return 0;
}

struct cg_line {
  char *ctrls, *path;
};

/* One v1 hierarchy under the /sys/fs/cgroup tmpfs.  In a new cgroup
 * namespace a fresh mount shows only the namespace's subtree; otherwise
 * bind the container's own cgroup directory so the host tree stays
 * hidden. */
static int cgroup_v1_one(int tmp_fd, const struct cg_line *l, unsigned attrs,
                         bool new_ns, berth_error **err) {
  bool v2 = l->ctrls[0] == '\0';
  const char *dir = v2 ? "unified"
                       : strncmp(l->ctrls, "name=", 5) == 0 ? l->ctrls + 5
                                                            : l->ctrls;
  if (dir[0] == '\0' || strchr(dir, '/') || strcmp(dir, "..") == 0 ||
      strcmp(dir, ".") == 0)
    return 0;
  if (mkdirat(tmp_fd, dir, 0755) < 0 && errno != EEXIST)
    return berth_error_sys(err, "mkdir cgroup `%s`", dir);
  _cleanup_close_ int mnt = -1;
  if (new_ns) {
    _cleanup_free_ char *data = NULL;
    if (!v2 && asprintf(&data, "%s%s", l->ctrls,
                        strncmp(l->ctrls, "name=", 5) == 0 ? ",none" : "") < 0)
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "cgroup");
    mnt = new_fs(v2 ? "cgroup2" : "cgroup", "cgroup", data, 0, attrs, err);
  } else {
    _cleanup_free_ char *src = NULL;
    if (asprintf(&src, "/sys/fs/cgroup/%s%s", dir, l->path) < 0)
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "cgroup");
    berth_error *tmp = NULL;
    mnt = clone_tree(src, false, (struct attrs){attrs, 0},
                     (struct attrs){0, 0}, &tmp);
    /* A hierarchy the host does not mount at the usual place (often
     * "unified" on v1 hosts) is left out rather than failing the start. */
    if (mnt < 0 && tmp->errno_value == ENOENT) {
      berth_error_free(tmp);
      unlinkat(tmp_fd, dir, AT_REMOVEDIR);
      return 0;
    }
    if (mnt < 0 && err && *err == NULL)
      *err = steal_pointer(&tmp);
    berth_error_free(tmp);
  }
  if (mnt < 0)
    return -1;
  if (move_mount(mnt, "", tmp_fd, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return berth_error_sys(err, "mount cgroup `%s`", dir);
  if (!v2 && strchr(dir, ',')) {
    _cleanup_free_ char *names = strdup(dir);
    char *save = NULL;
    for (char *c = names ? strtok_r(names, ",", &save) : NULL; c;
         c = strtok_r(NULL, ",", &save))
      if (symlinkat(dir, tmp_fd, c) < 0 && errno != EEXIST)
        return berth_error_sys(err, "symlink cgroup `%s`", c);
  }
  return 0;
}

static int parse_cg_line(char *line, struct cg_line *l) {
  char *c1 = strchr(line, ':');
  char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 == NULL)
    return -1;
  *c2 = '\0';
  l->ctrls = c1 + 1;
  l->path = c2 + 1;
  if (strcmp(l->path, "/") == 0)
    l->path = "";
  return 0;
}

static int mount_cgroup_v1(int target, const struct berth_mount *m,
                           bool new_ns, berth_error **err) {
  struct attrs a = ms_to_attrs(m->flags & ~(unsigned long)MS_RDONLY, 0);
  _cleanup_close_ int tmp = new_fs("tmpfs", "tmpfs", "mode=755", 0, a.set, err);
  if (tmp < 0 || attach(tmp, target, m->destination, err) < 0)
    return -1;
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, NULL,
                      err) < 0)
    return -1;
  unsigned sub = a.set | ((m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0);
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    struct cg_line l;
    if (parse_cg_line(line, &l) == 0 &&
        cgroup_v1_one(tmp, &l, sub, new_ns, err) < 0)
      return berth_error_prefix(err, "mount cgroup on `%s`", m->destination);
  }
  if (m->flags & MS_RDONLY)
    return setattr_fd(tmp, MOUNT_ATTR_RDONLY, 0, 0, false, m->destination, err);
  return 0;
}

static int mount_cgroup(int target, const struct berth_mount *m,
                        bool new_ns, berth_error **err) {
  struct statfs sfs;
  if (strcmp(m->type, "cgroup2") == 0)
    return mount_fs_at(target, m, "cgroup2", err);
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return berth_error_sys(err, "statfs `/sys/fs/cgroup`");
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_fs_at(target, m, "cgroup2", err);
  return mount_cgroup_v1(target, m, new_ns, err);
}

static int mount_one(int root_fd, const struct berth_rootfs_plan *plan,
                     size_t i, berth_error **err) {
  const struct berth_mount *m = &plan->mounts[i];
  if (m->bind)
    return mount_bind(root_fd, i < plan->fds->n ? plan->fds->sources[i] : -1,
                      m, err);
  _cleanup_close_ int target = open_target(root_fd, m->destination, false, err);
  if (target < 0)
    return -1;
  if (strcmp(m->type, "sysfs") == 0)
    return mount_sysfs(target, m, err);
  if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
    return mount_cgroup(target, m, plan->new_cgroupns, err);
  return mount_fs_at(target, m, m->type, err);
}

/* The mount that ends up at dest (the last one listed), or NULL. */
static const struct berth_mount *last_mount(const struct berth_rootfs_plan *p,
                                            const char *dest) {
  for (size_t i = p->n_mounts; i-- > 0;)
    if (strcmp(p->mounts[i].destination, dest) == 0)
      return &p->mounts[i];
  return NULL;
}

static bool mounted_as(const struct berth_rootfs_plan *p, const char *dest,
                       const char *type) {
  const struct berth_mount *m = last_mount(p, dest);
  return m && !m->bind && m->type && strcmp(m->type, type) == 0;
}

/* The runtime-spec's default devices are supplied whatever /dev is: a
 * tmpfs of the container's, or the image's own directory (as runc and
 * crun do; the nodes are then made in the rootfs, like runc's).  Spec
 * devices first: they take precedence over the defaults, which skip
 * existing paths; an existing node of the image is kept (as runc does)
 * instead of failing.  A /dev bound from elsewhere is left alone: what
 * is made there would appear outside the container (runc skips it too). */
static int setup_dev(int root_fd, const struct berth_rootfs_plan *plan,
                     berth_error **err) {
  const struct berth_mount *dev = last_mount(plan, "/dev");
  if (dev && dev->bind)
    return 0;
  if (berth_devices_create(root_fd, plan->devices, plan->n_devices,
                           plan->in_userns, true, err) < 0)
    return -1;
  return berth_devices_setup_default(
      root_fd, plan->in_userns, mounted_as(plan, "/dev/pts", "devpts"),
      mounted_as(plan, "/proc", "proc"), err);
}

static unsigned long setup_propagation(const struct berth_rootfs_plan *plan) {
  unsigned long p = plan->rootfs_propagation;
  /* shared/unbindable on "/" would either leak mounts to the host or make
   * pivot_root fail; they are applied to the new root after the pivot. */
  if (p == 0 || (p & (MS_SHARED | MS_UNBINDABLE)))
    return MS_REC | MS_SLAVE;
  return p;
}

/* The rootfs is bound onto itself (pivot_root wants a mount point); the
 * bind is attached through the runtime's fd of the directory, and that fd
 * is swapped for the bind's, on which everything else is mounted. */
static int bind_rootfs(const struct berth_rootfs_plan *plan,
                       berth_error **err) {
  struct berth_rootfs_fds *f = plan->fds;
  if (f == NULL || f->rootfs < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EBADF,
                           "rootfs `%s` not opened", plan->rootfs);
  int tree = open_tree(f->rootfs, "",
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                           AT_EMPTY_PATH);
  if (tree < 0)
    return berth_error_sys(err, "bind rootfs `%s`", plan->rootfs);
  if (attach(tree, f->rootfs, plan->rootfs, err) < 0) {
    close(tree);
    return -1;
  }
  close(f->rootfs);
  f->rootfs = tree;
  return 0;
}

int berth_rootfs_prepare(const struct berth_rootfs_plan *plan,
                         berth_error **err) {
  /* In the runtime's own mount namespace "/" is the host's: its
   * propagation is not the container's to change. */
  if (!plan->shared_mntns &&
      mount(NULL, "/", NULL, setup_propagation(plan), NULL) < 0)
    return berth_error_sys(err, "make `/` private to the container");
  if (bind_rootfs(plan, err) < 0)
    return -1;
  /* There, the bind is the only fence between the container's mounts and
   * the host's peer groups: made private, nothing below it propagates
   * out, and the runtime can detach it whole on delete. */
  if (plan->shared_mntns &&
      mount(NULL, plan->rootfs, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return berth_error_sys(err, "make rootfs `%s` private", plan->rootfs);
  int root_fd = plan->fds->rootfs;
  bool entered = plan->enter_cgroup == NULL;
  for (size_t i = 0; i < plan->n_mounts; i++) {
    const struct berth_mount *m = &plan->mounts[i];
    if (!entered && !m->bind && m->type &&
        (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)) {
      if (plan->enter_cgroup(plan->enter_cgroup_arg, err) < 0)
        return -1;
      entered = true;
    }
    if (mount_one(root_fd, plan, i, err) < 0)
      return berth_error_prefix(err, "mounts[%zu] `%s`", i, m->destination);
  }
  if (!entered && plan->enter_cgroup(plan->enter_cgroup_arg, err) < 0)
    return -1;
  return setup_dev(root_fd, plan, err);
}

static int set_root_propagation(const struct berth_rootfs_plan *plan,
                                berth_error **err) {
  unsigned long p = plan->rootfs_propagation;
  if ((p & (MS_SHARED | MS_UNBINDABLE)) && mount(NULL, "/", NULL, p, NULL) < 0)
    return berth_error_sys(err, "set rootfs propagation");
  return 0;
}

int berth_rootfs_pivot(const struct berth_rootfs_plan *plan,
                       berth_error **err) {
  if (fchdir(plan->fds->rootfs) < 0)
    return berth_error_sys(err, "chdir `%s`", plan->rootfs);
  /* The fds reach host directories: none may outlive the pivot. */
  berth_rootfs_fds_close(plan->fds);
  /* pivot_root changes the root of every process of the mount namespace
   * that was at the old one: in the runtime's namespace, the whole host.
   * chroot moves only us (runc does the same there). */
  if (plan->shared_mntns) {
    if (chroot(".") < 0 || chdir("/") < 0)
      return berth_error_sys(err, "chroot into `%s`", plan->rootfs);
    return set_root_propagation(plan, err);
  }
  /* pivot_root(".", ".") stacks the old root on top of the new one; the
   * old root is then made a slave (so detaching it cannot propagate an
   * unmount to the host) and detached, with no put_old directory needed
   * inside the container's filesystem. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return berth_error_sys(err, "pivot_root into `%s`", plan->rootfs);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_error_sys(err, "make old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return berth_error_sys(err, "detach old root");
  if (chdir("/") < 0)
    return berth_error_sys(err, "chdir `/`");
  return set_root_propagation(plan, err);
}

/* Opens a masked/readonly path without following a final symlink: if the
 * image replaced /proc/kcore by a link to /etc/passwd, the link itself is
 * returned (and then skipped), never its target.  Paths under /proc must
 * be on the container's procfs: anything else there was planted.
 * *out is -1 when the path is absent or a symlink (nothing to do). */
static int open_protected(int root_fd, const char *path, struct stat *st,
                          int *out, berth_error **err) {
  *out = -1;
  int fd = berth_open_in_root(root_fd, path, O_PATH | O_NOFOLLOW, 0, NULL);
  if (fd < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "open `%s`", path);
  if (fstat(fd, st) < 0) {
    berth_error_sys(err, "stat `%s`", path);
    close(fd);
    return -1;
  }
  if (S_ISLNK(st->st_mode)) {
    close(fd);
    return 0;
  }
  if (strncmp(path, "/proc/", 6) == 0) {
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
      close(fd);
      return berth_error_set(err, BERTH_ERR_STATE, 0,
                             "`%s` is not on procfs: refusing to touch it",
                             path);
    }
  }
  *out = fd;
  return 0;
}

static int make_readonly(int root_fd, const char *path, berth_error **err) {
  struct stat st;
  _cleanup_close_ int fd = -1;
  if (open_protected(root_fd, path, &st, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  /* mount_setattr only adds RDONLY, so flags such as nosuid that are
   * locked in a user namespace are kept instead of failing with EPERM. */
  _cleanup_close_ int tree = open_tree(
      fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0)
    return berth_error_sys(err, "bind `%s`", path);
  if (setattr_fd(tree, MOUNT_ATTR_RDONLY, 0, 0, true, path, err) < 0)
    return -1;
  return attach(tree, fd, path, err);
}

struct mask_ctx {
  int root_fd, null_fd, empty_fd;
};

/* The bind source must be the real null device, opened once and used by
 * fd: a /dev/null replaced by a symlink or hardlink to something else
 * would otherwise be mounted over the masked path (CVE-2025-31133). */
static int open_null(struct mask_ctx *c, berth_error **err) {
  struct stat st;
  c->null_fd = berth_open_in_root(c->root_fd, "/dev/null",
                                  O_PATH | O_NOFOLLOW, 0, err);
  if (c->null_fd < 0)
    return -1;
  if (fstat(c->null_fd, &st) < 0)
    return berth_error_sys(err, "stat `/dev/null`");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "`/dev/null` is not the null device");
  return 0;
}

static int mask_one(struct mask_ctx *c, const char *path, berth_error **err) {
  struct stat st;
  _cleanup_close_ int fd = -1;
  if (open_protected(c->root_fd, path, &st, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  int src;
  if (S_ISDIR(st.st_mode)) {
    if (c->empty_fd < 0 &&
        (c->empty_fd = new_fs("tmpfs", "tmpfs", NULL, 0,
                              MOUNT_ATTR_RDONLY, err)) < 0)
      return -1;
    src = c->empty_fd;
  } else {
    if (c->null_fd < 0 && open_null(c, err) < 0)
      return -1;
    src = c->null_fd;
  }
  _cleanup_close_ int tree =
      open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return berth_error_sys(err, "mask `%s`", path);
  return attach(tree, fd, path, err);
}

static int mask_paths(int root_fd, char *const *paths, berth_error **err) {
  struct mask_ctx c = {root_fd, -1, -1};
  int rc = 0;
  for (; paths && *paths && rc == 0; paths++)
    rc = mask_one(&c, *paths, err);
  if (c.null_fd >= 0)
    close(c.null_fd);
  if (c.empty_fd >= 0)
    close(c.empty_fd);
  return rc;
}

int berth_rootfs_finalize(const struct berth_rootfs_plan *plan,
                          berth_error **err) {
  _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_error_sys(err, "open `/`");
  for (char *const *p = plan->readonly_paths; p && *p; p++)
    if (make_readonly(root_fd, *p, err) < 0)
      return berth_error_prefix(err, "readonly path");
  if (mask_paths(root_fd, plan->masked_paths, err) < 0)
    return berth_error_prefix(err, "masked path");
  if (plan->readonly &&
      setattr_fd(root_fd, MOUNT_ATTR_RDONLY, 0, 0, false, "/", err) < 0)
    return -1;
  return 0;
}
