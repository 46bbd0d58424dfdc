#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "tempname.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; 452 on x86_64, arm64 and the like */
#endif

int berth_read_file(int dirfd, const char *path, size_t max_bytes, char **out,
                    size_t *len_out, berth_error **err) {
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *buf = malloc(cap + 1);
  if (buf == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "read `%s`", path);
  for (;;) {
    if (len == cap) {
      if (cap >= max_bytes + 1)
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "read `%s`: larger than %zu bytes", path,
                               max_bytes);
      cap *= 2;
      char *nb = realloc(buf, cap + 1);
      if (nb == NULL)
        return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "read `%s`",
                               path);
      buf = nb;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return berth_error_sys(err, "read `%s`", path);
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  if (len > max_bytes)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "read `%s`: larger than %zu bytes", path,
                           max_bytes);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  *out = steal_pointer(&buf);
  return 0;
}

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

int berth_write_file(int dirfd, const char *path, const char *data,
                     size_t len, berth_error **err) {
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  if (write_all(fd, data, len) < 0)
    return berth_error_sys(err, "write `%s`", path);
  return 0;
}

/* The temporary file gets an unpredictable name and is created O_EXCL|
 * O_NOFOLLOW (lib/tempname.h): whoever can write the directory cannot make
 * us write through a symlink or block on a FIFO planted at a name we would
 * have used. */
static int write_replace(const char *path, const char *data, size_t len,
                         mode_t mode, bool durable, berth_error **err) {
  char tmp[PATH_MAX + 32];
  int fd = berth_temp_create(AT_FDCWD, path, 0, mode, tmp, sizeof tmp);
  if (fd < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, -fd,
                           "create a temporary file for `%s`", path);
  if (write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
    berth_error_sys(err, "write `%s`", tmp);
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    berth_error_sys(err, "rename `%s` to `%s`", tmp, path);
    unlink(tmp);
    return -1;
  }
  return 0;
}

int berth_write_file_atomic(const char *path, const char *data, size_t len,
                            mode_t mode, berth_error **err) {
  return write_replace(path, data, len, mode, true, err);
}

int berth_write_file_replace(const char *path, const char *data, size_t len,
                             mode_t mode, berth_error **err) {
  return write_replace(path, data, len, mode, false, err);
}

int berth_mkdir_p(const char *path, mode_t mode, berth_error **err) {
  _cleanup_free_ char *p = strdup(path);
  if (p == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "mkdir `%s`", path);
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == '\0') {
      char c = *s;
      *s = '\0';
      if (mkdir(p, mode) < 0 && errno != EEXIST)
        return berth_error_sys(err, "mkdir `%s`", p);
      *s = c;
      if (c == '\0')
        break;
    }
  }
  return 0;
}

int berth_open_in_root(int root_fd, const char *path, int flags, mode_t mode,
                       berth_error **err) {
  struct open_how how = {
      .flags = (unsigned long long)(flags | O_CLOEXEC),
      .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
  if (fd < 0)
    return berth_error_sys(err, "open `%s` in root", path);
  return fd;
}

static int open_at(int dirfd, const char *path, int flags,
                   unsigned long long resolve) {
  if (resolve == 0)
    return openat(dirfd, path, flags | O_CLOEXEC);
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = resolve};
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Opens for reading the inode the O_PATH fd `pfd` holds.  Through our own
 * /proc/self/fd the kernel reopens exactly that inode, whatever the name
 * now holds.  Without a /proc of our pid namespace (a process that joined
 * a container) the name is opened again, non-blocking and not followed,
 * and must still be the same inode. */
static int reopen_for_reading(int pfd, const struct stat *want, int dirfd,
                              const char *path, unsigned long long resolve) {
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
  int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  int fd = open(proc, flags | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    fd = open_at(dirfd, path, flags | O_NOFOLLOW, resolve);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_dev != want->st_dev ||
      st.st_ino != want->st_ino || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EAGAIN; /* replaced meanwhile */
    return -1;
  }
  /* O_NONBLOCK stays: regular files of disk file systems ignore it, and
   * a file of some special file system that would block fails instead. */
  return fd;
}

/* procfs, sysfs and their kind show "regular files" whose reads have
 * effects or block (/proc/kmsg, tracing pipes); a container can bind-mount
 * one over its /etc/passwd. */
static bool on_pseudo_fs(int fd) {
  static const unsigned long magics[] = {
      PROC_SUPER_MAGIC,  SYSFS_MAGIC,     DEBUGFS_MAGIC,
      TRACEFS_MAGIC,     SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC,
      CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,  EFIVARFS_MAGIC,
      PSTOREFS_MAGIC};
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0)
    return true;
  for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
    if ((unsigned long)sf.f_type == magics[i])
      return true;
  return false;
}

int berth_open_regular(int dirfd, const char *path, unsigned long long resolve,
                       berth_error **err) {
  _cleanup_close_ int pfd = open_at(dirfd, path, O_PATH | O_NOFOLLOW, resolve);
  struct stat st;
  if (pfd < 0 || fstat(pfd, &st) < 0)
    return berth_error_sys(err, "open `%s`", path);
  if (S_ISLNK(st.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, ELOOP,
                           "`%s` is a symbolic link, not followed", path);
  if (!S_ISREG(st.st_mode) || on_pseudo_fs(pfd))
    return berth_error_set(err, BERTH_ERR_INVALID, EINVAL,
                           "`%s` is not a regular file", path);
  int fd = reopen_for_reading(pfd, &st, dirfd, path, resolve);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  return fd;
}

int berth_fchmod_any(int fd, mode_t mode) {
  /* fchmod(2) refuses O_PATH fds; fchmodat2 (Linux 6.6) takes the fd
   * itself, older kernels reach the same inode through /proc/self/fd. */
  if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -1;
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  return chmod(proc, mode);
}

/* Walks `path` one component at a time, always reopening the resolved
 * prefix from root_fd with RESOLVE_IN_ROOT.  Symlinks are read and spliced
 * into the remaining path (an absolute target restarts at the root), so a
 * dangling link to "../../etc" creates root/etc, never the host's /etc. */
int berth_mkdir_in_root(int root_fd, const char *path, mode_t mode,
                        int last_is_file, berth_error **err) {
  char resolved[4096] = "", rem[8192];
  int links = 0;
  if (strlen(path) >= sizeof(rem))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "path too long");
  snprintf(rem, sizeof(rem), "%s", path);
  while (rem[0] != '\0') {
    char *slash = strchr(rem, '/');
    char comp[256];
    size_t clen = slash ? (size_t)(slash - rem) : strlen(rem);
    if (clen >= sizeof(comp))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "`%s`: component too long", path);
    memcpy(comp, rem, clen);
    comp[clen] = '\0';
    memmove(rem, slash ? slash + 1 : rem + clen, strlen(slash ? slash + 1 : rem + clen) + 1);
    bool is_last = rem[0] == '\0';
    if (clen == 0 || strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      char *cut = strrchr(resolved, '/');
      if (cut)
        *cut = '\0';
      continue;
    }
    char candidate[4096 + 256];
    snprintf(candidate, sizeof(candidate), "%s/%s", resolved, comp);
    if (strlen(candidate) >= sizeof(resolved))
      return berth_error_set(err, BERTH_ERR_INVALID, 0, "path too long");
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, root_fd, candidate, &how, sizeof(how));
    if (fd >= 0) {
      struct stat st;
      char target[4096];
      ssize_t tl = -1;
      if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode))
        tl = readlinkat(fd, "", target, sizeof(target) - 1);
      close(fd);
      if (tl < 0) {
        snprintf(resolved, sizeof(resolved), "%s", candidate);
        continue;
      }
      target[tl] = '\0';
      if (++links > 40)
        return berth_error_set(err, BERTH_ERR_INVALID, ELOOP, "resolve `%s`", path);
      char joined[8192 + 4096];
      snprintf(joined, sizeof(joined), "%s%s%s", target, rem[0] ? "/" : "", rem);
      if (strlen(joined) >= sizeof(rem))
        return berth_error_set(err, BERTH_ERR_INVALID, 0, "path too long");
      snprintf(rem, sizeof(rem), "%s", joined);
      if (target[0] == '/')
        resolved[0] = '\0';
      continue;
    }
    if (errno != ENOENT)
      return berth_error_sys(err, "open `%s` in root", candidate);
    int parent = berth_open_in_root(root_fd, resolved[0] ? resolved : "/",
                                    O_PATH | O_DIRECTORY, 0, err);
    if (parent < 0)
      return -1;
    int rc;
    if (is_last && last_is_file) {
      rc = mknodat(parent, comp, S_IFREG | 0644, 0);
    } else {
      rc = mkdirat(parent, comp, mode);
    }
    close(parent);
    if (rc < 0 && errno != EEXIST)
      return berth_error_sys(err, "create `%s` in root", candidate);
    snprintf(resolved, sizeof(resolved), "%s", candidate);
  }
  return berth_open_in_root(root_fd, resolved[0] ? resolved : "/", O_PATH, 0,
                            err);
}

static int rm_rf_at(int parent_fd, const char *name) {
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (de->d_type == DT_DIR)
      rm_rf_at(dirfd(d), de->d_name);
    else
      unlinkat(dirfd(d), de->d_name, 0);
  }
  closedir(d);
  return unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

int berth_rm_rf(const char *path, berth_error **err) {
  if (rm_rf_at(AT_FDCWD, path) < 0)
    return berth_error_sys(err, "remove `%s`", path);
  return 0;
}

void berth_close_fds_from(int first, const int *keep, size_t nkeep) {
  /* close_range cannot skip holes, so close the gaps between kept fds. */
  int lo = first;
  for (;;) {
    int next_keep = -1;
    for (size_t i = 0; i < nkeep; i++)
      if (keep[i] >= lo && (next_keep < 0 || keep[i] < next_keep))
        next_keep = keep[i];
    if (next_keep < 0) {
      syscall(SYS_close_range, lo, ~0U, 0);
      return;
    }
    if (next_keep > lo)
      syscall(SYS_close_range, lo, next_keep - 1, 0);
    lo = next_keep + 1;
  }
}
