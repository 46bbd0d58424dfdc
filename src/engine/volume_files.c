/* The files of volumes: walks that shift owners between id blocks and
 * sum sizes, and the copy-in of image content from the layer snapshots
 * merged as overlayfs merges them.  Everything is opened relative to
 * directory fds with O_NOFOLLOW: volume contents are written by
 * containers and layers are untrusted image content, so a symlink in
 * them must never lead a walk or a copy out of them. */
#include "volume_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

#define BLOCK_SIZE 65536u
/* Each level holds one fd (per layer for copies): bound the depth to
 * stay far below the fd limit. */
#define MAX_DEPTH 256
#define MAX_COPY_DEPTH 64
#define MAX_LAYERS 128

typedef int (*walk_fn)(int dirfd, const char *name, const struct stat *st,
                       void *ctx, berth_error **err);

/* Calls fn for every entry below dirfd (not dirfd itself), parents
 * before children.  Every step is relative to an fd opened O_NOFOLLOW,
 * so a symlink swapped in meanwhile is never followed out of the tree. */
static int walk_tree(int dirfd, int depth, walk_fn fn, void *ctx,
                     berth_error **err) {
  if (depth > MAX_DEPTH)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "directory tree deeper than %d levels", MAX_DEPTH);
  int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (!d) {
    if (dup >= 0)
      close(dup);
    return berth_error_sys(err, "open directory");
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = berth_error_sys(err, "stat `%s`", de->d_name);
      break;
    }
    rc = fn(dirfd, de->d_name, &st, ctx, err);
    if (rc == 0 && S_ISDIR(st.st_mode)) {
      _cleanup_close_ int sub = openat(
          dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        rc = berth_error_sys(err, "open `%s`", de->d_name);
      else
        rc = walk_tree(sub, depth + 1, fn, ctx, err);
    }
  }
  if (rc == 0 && errno != 0)
    rc = berth_error_sys(err, "read directory");
  closedir(d);
  return rc;
}

struct shift {
  uint32_t from, to;
};

static uid_t shifted(uid_t id, const struct shift *s) {
  if (id >= s->from && id - s->from < BLOCK_SIZE)
    return id - s->from + s->to;
  return id;
}

/* Moves one entry's owner from block `from` to block `to`.  Ids outside
 * the block (a host file copied in) are left as they are. */
static int shift_one(int dirfd, const char *name, const struct stat *seen,
                     void *ctx, berth_error **err) {
  const struct shift *s = ctx;
  if (shifted(seen->st_uid, s) == seen->st_uid &&
      shifted(seen->st_gid, s) == seen->st_gid)
    return 0;
  /* Decide on what the fd holds, not on the name's earlier stat: the
   * entry may have been replaced meanwhile. */
  struct stat st;
  _cleanup_close_ int fd =
      openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0 ||
      fchownat(fd, "", shifted(st.st_uid, s), shifted(st.st_gid, s),
               AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "chown `%s`", name);
  /* chown clears setuid/setgid even for root; the bits belong to the
   * container's own ids, which they still are after the shift. */
  if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) &&
      berth_fchmod_any(fd, st.st_mode & 07777) < 0)
    return berth_error_sys(err, "chmod `%s`", name);
  return 0;
}

static int size_one(int dirfd, const char *name, const struct stat *st,
                    void *ctx, berth_error **err) {
  (void)dirfd, (void)name, (void)err;
  if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
    *(uint64_t *)ctx += (uint64_t)st->st_size;
  return 0;
}

uint64_t berth_volume_tree_size(const char *path) {
  uint64_t total = 0;
  _cleanup_close_ int fd =
      open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0)
    (void)walk_tree(fd, 0, size_one, &total, NULL);
  return total;
}

int berth_volume_tree_shift(int dirfd, uint32_t from, uint32_t to,
                            berth_error **err) {
  struct shift s = {from, to};
  return walk_tree(dirfd, 0, shift_one, &s, err);
}

bool berth_volume_dir_empty(int fd) {
  int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (!d) {
    if (dup >= 0)
      close(dup);
    return false;
  }
  struct dirent *de;
  bool empty = true;
  while (empty && (de = readdir(d)))
    empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
  closedir(d);
  return empty;
}

/* Snapshot files carry the container's ids as host ids 0..65535 (the
 * overlay maps them through an idmapped mount). */
static uid_t shift_id(uint32_t id, uint32_t base) {
  if (base == 0)
    return id;
  return id < BLOCK_SIZE ? base + id : base + 65534;
}

static bool is_opaque(int fd) {
  char v[2];
  ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

static int set_meta(int fd, const struct stat *st, uint32_t base,
                    const char *name, berth_error **err) {
  /* chmod after chown: chown drops setuid/setgid bits. */
  struct timespec t[2] = {st->st_atim, st->st_mtim};
  if (fchown(fd, shift_id(st->st_uid, base), shift_id(st->st_gid, base)) < 0 ||
      fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, t) < 0)
    return berth_error_sys(err, "copy attributes of `%s`", name);
  return 0;
}

static int copy_data(int in, int out, const char *name, berth_error **err) {
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n == 0)
      return 0;
    if (n > 0)
      continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
        errno != EOPNOTSUPP)
      return berth_error_sys(err, "copy `%s`", name);
    break;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0)
        return berth_error_sys(err, "write `%s`", name);
      off += w;
    }
  return n < 0 ? berth_error_sys(err, "read `%s`", name) : 0;
}

static int copy_file(int src_dir, int dst, const char *name,
                     const struct stat *st, uint32_t base, berth_error **err) {
  /* Image content: only ever open(2) a regular file, never a FIFO or
   * device that replaced the one seen by the caller's stat. */
  _cleanup_close_ int in = berth_open_regular(src_dir, name, 0, err);
  if (in < 0)
    return -1;
  _cleanup_close_ int out =
      openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             0600);
  if (out < 0)
    return berth_error_sys(err, "create `%s`", name);
  if (copy_data(in, out, name, err) < 0)
    return -1;
  return set_meta(out, st, base, name, err);
}

static int copy_symlink(int src_dir, int dst, const char *name,
                        const struct stat *st, uint32_t base,
                        berth_error **err) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(src_dir, name, target, sizeof target - 1);
  if (n < 0)
    return berth_error_sys(err, "read link `%s`", name);
  target[n] = '\0';
  struct timespec t[2] = {st->st_atim, st->st_mtim};
  if (symlinkat(target, dst, name) < 0)
    return berth_error_sys(err, "copy link `%s`", name);
  /* Owner and times through an fd of the link we made, not its name: a
   * container sharing the volume may replace the name meanwhile. */
  struct stat now;
  _cleanup_close_ int fd =
      openat(dst, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &now) < 0)
    return berth_error_sys(err, "copy link `%s`", name);
  if (!S_ISLNK(now.st_mode))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "`%s` was replaced while being copied", name);
  if (fchownat(fd, "", shift_id(st->st_uid, base),
               shift_id(st->st_gid, base), AT_EMPTY_PATH) < 0 ||
      utimensat(fd, "", t, AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "copy link `%s`", name);
  return 0;
}

static int copy_level(const int *dirs, size_t n, int dst, uint32_t base,
                      int depth, berth_error **err);

/* The directories of layers i.. at `name` that the merged view shows:
 * down to an opaque one, stopping at a whiteout or a non-directory. */
static size_t lower_dirs(const int *dirs, size_t n, size_t i,
                         const char *name, int *sub) {
  size_t m = 0;
  for (size_t j = i; j < n; j++) {
    struct stat st;
    if (fstatat(dirs[j], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (!S_ISDIR(st.st_mode))
      break;
    int fd = openat(dirs[j], name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      break;
    sub[m++] = fd;
    if (is_opaque(fd))
      break;
  }
  return m;
}

static int copy_dir(const int *dirs, size_t n, size_t i, int dst,
                    const char *name, const struct stat *st, uint32_t base,
                    int depth, berth_error **err) {
  if (mkdirat(dst, name, 0700) < 0)
    return berth_error_sys(err, "create `%s`", name);
  _cleanup_close_ int d =
      openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (d < 0)
    return berth_error_sys(err, "open `%s`", name);
  int sub[MAX_LAYERS];
  size_t m = lower_dirs(dirs, n, i, name, sub);
  int rc = copy_level(sub, m, d, base, depth + 1, err);
  for (size_t k = 0; k < m; k++)
    close(sub[k]);
  if (rc < 0)
    return berth_error_prefix(err, "%s", name);
  return set_meta(d, st, base, name, err);
}

/* Whether a layer above i has an entry `name`: it decided already
 * (copied it, or hid it with a whiteout). */
static bool shadowed(const int *dirs, size_t i, const char *name) {
  struct stat st;
  for (size_t j = 0; j < i; j++)
    if (fstatat(dirs[j], name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return true;
  return false;
}

static int copy_entry(const int *dirs, size_t n, size_t i, int dst,
                      const char *name, uint32_t base, int depth,
                      berth_error **err) {
  struct stat st;
  if (shadowed(dirs, i, name))
    return 0;
  if (fstatat(dirs[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error_sys(err, "stat `%s`", name);
  if (S_ISDIR(st.st_mode))
    return copy_dir(dirs, n, i, dst, name, &st, base, depth, err);
  if (S_ISREG(st.st_mode))
    return copy_file(dirs[i], dst, name, &st, base, err);
  if (S_ISLNK(st.st_mode))
    return copy_symlink(dirs[i], dst, name, &st, base, err);
  return 0; /* whiteouts, devices, fifos, sockets */
}

static int copy_level(const int *dirs, size_t n, int dst, uint32_t base,
                      int depth, berth_error **err) {
  if (depth > MAX_COPY_DEPTH)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "image directory deeper than %d levels",
                           MAX_COPY_DEPTH);
  for (size_t i = 0; i < n; i++) {
    int dup = openat(dirs[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
    if (!d) {
      if (dup >= 0)
        close(dup);
      return berth_error_sys(err, "open image directory");
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
        rc = copy_entry(dirs, n, i, dst, de->d_name, base, depth, err);
    closedir(d);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* Opens `target` in one layer: -1 when the layer does not have it; *stop
 * when the layer hides lower layers there (whiteout, non-directory,
 * opaque directory on the way). */
static int open_target(const char *layer, const char *target, bool *stop) {
  int fd = open(layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_free_ char *copy = strdup(target);
  char *save = NULL;
  if (!copy) {
    if (fd >= 0)
      close(fd);
    *stop = true;
    return -1;
  }
  for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c;
       c = strtok_r(NULL, "/", &save)) {
    struct stat st;
    int next = -1;
    if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode))
        next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      else
        *stop = true; /* a file, a whiteout or a symlink hides the rest */
    }
    close(fd);
    fd = next;
    if (fd >= 0 && is_opaque(fd))
      *stop = true;
  }
  return fd;
}

int berth_volume_copy_in(const char *const *layers, size_t n,
                         const char *target, int dst_fd, uint32_t base,
                         berth_error **err) {
  int dirs[MAX_LAYERS];
  size_t m = 0;
  bool stop = false;
  if (n > MAX_LAYERS)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "image with more than %d layers", MAX_LAYERS);
  for (size_t i = 0; i < n && !stop; i++) {
    int fd = open_target(layers[i], target, &stop);
    if (fd >= 0)
      dirs[m++] = fd;
  }
  int rc = 0;
  if (m > 0) {
    struct stat st;
    rc = copy_level(dirs, m, dst_fd, base, 0, err);
    if (rc == 0 && fstat(dirs[0], &st) == 0)
      rc = set_meta(dst_fd, &st, base, target, err);
  }
  for (size_t i = 0; i < m; i++)
    close(dirs[i]);
  if (rc < 0)
    return berth_error_prefix(err, "copy the image's `%s` into the volume",
                              target);
  return 0;
}
