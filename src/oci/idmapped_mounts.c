/* Idmapped bind mounts, made by the runtime for the init. */
#include "idmapped_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "mountinfo.h"

#ifndef PIDFD_GET_USER_NAMESPACE
#define PIDFD_GET_USER_NAMESPACE _IO(0xFF, 9) /* Linux 6.11 */
#endif

static int write_map(pid_t pid, const char *file, const struct berth_id_map *m,
                     size_t n, berth_error **err) {
  char buf[340 * 36], path[64];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof buf - 40; i++)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n",
                            m[i].container_id, m[i].host_id, m[i].size);
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  return berth_write_file(AT_FDCWD, path, buf, len, err);
}

/* A user namespace with the mount's own mappings: a child unshares one
 * and waits (on a pipe) while its maps are written and it is opened. */
static int userns_with_maps(const struct berth_mount *m, berth_error **err) {
  int go[2], ready[2];
  if (pipe2(go, O_CLOEXEC) < 0)
    return berth_error_sys(err, "pipe");
  if (pipe2(ready, O_CLOEXEC) < 0) {
    close(go[0]);
    close(go[1]);
    return berth_error_sys(err, "pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    close(go[1]);
    (void)!write(ready[1], &c, 1);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  close(ready[1]);
  char c = 'n';
  int fd = -1;
  if (pid > 0 && read(ready[0], &c, 1) == 1 && c == 'y' &&
      write_map(pid, "uid_map", m->uid_maps, m->n_uid_maps, err) == 0 &&
      write_map(pid, "gid_map", m->gid_maps, m->n_gid_maps, err) == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0 && err && !*err)
    berth_error_sys(err, "a user namespace for an idmapped mount");
  close(go[1]);
  close(ready[0]);
  if (pid > 0)
    waitpid(pid, NULL, 0);
  return fd;
}

static int container_userns(const struct berth_spec *s, int init_pidfd,
                            size_t i, berth_error **err) {
  if (!s->ns.present[BERTH_NS_USER])
    return berth_error_spec(err, "mounts", "mounts[%zu] `%s`: idmap without "
                            "uidMappings needs a user namespace", i,
                            s->mounts[i].destination);
  int fd = ioctl(init_pidfd, PIDFD_GET_USER_NAMESPACE, 0);
  if (fd < 0)
    return berth_error_sys(err, "open the container's user namespace");
  return fd;
}

/* EINVAL from mount_setattr(MOUNT_ATTR_IDMAP) is the answer for a
 * filesystem without FS_ALLOW_IDMAP: say which. */
static int idmap_failed(int src_fd, const struct berth_mount *m, size_t i,
                        berth_error **err) {
  int e = errno;
  if (e != EINVAL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "mounts[%zu] `%s`: bind `%s`: idmapped mount", i,
                           m->destination, m->source);
  char type[64];
  berth_mount_fstype(src_fd, type, sizeof type);
  return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                         "mounts[%zu] `%s`: bind `%s`: filesystem %s does "
                         "not support idmapped mounts",
                         i, m->destination, m->source, type);
}

static int idmapped_clone(int src_fd, const struct berth_mount *m, size_t i,
                          int userns_fd, berth_error **err) {
  _cleanup_close_ int tree =
      open_tree(src_fd, "",
                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                    (m->recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return berth_error_sys(err, "mounts[%zu] `%s`: bind `%s`", i,
                           m->destination, m->source);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                            .userns_fd = (uint64_t)userns_fd};
  if (mount_setattr(tree, "",
                    AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
                    &attr, sizeof attr) < 0)
    return idmap_failed(src_fd, m, i, err);
  return steal_fd(&tree);
}

int berth_idmapped_sources(const struct berth_spec *s, int init_pidfd,
                           struct berth_rootfs_fds *f, berth_error **err) {
  _cleanup_close_ int ctr_ns = -1;
  for (size_t i = 0; i < s->n_mounts && i < f->n; i++) {
    const struct berth_mount *m = &s->mounts[i];
    if (!m->idmap || f->sources[i] < 0)
      continue;
    _cleanup_close_ int own_ns = -1;
    if (m->n_uid_maps && (own_ns = userns_with_maps(m, err)) < 0)
      return -1;
    if (!m->n_uid_maps && ctr_ns < 0 &&
        (ctr_ns = container_userns(s, init_pidfd, i, err)) < 0)
      return -1;
    int tree = idmapped_clone(f->sources[i], m, i,
                              own_ns >= 0 ? own_ns : ctr_ns, err);
    if (tree < 0)
      return -1;
    close(f->sources[i]);
    f->sources[i] = tree;
  }
  return 0;
}
