/* Unpacking untrusted tar layers into a snapshot directory.
 *
 * Nothing here trusts a path from the archive.  Each entry's parent
 * directory is opened with openat2(RESOLVE_IN_ROOT) relative to the
 * snapshot, so ".." and symlinks planted by the layer resolve inside it,
 * and the entry itself is created with *at() calls that never follow its
 * final component.  libarchive only parses; it never touches the disk. */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "layer_stream.h"

#define DEFAULT_MAX_BYTES (64ull << 30)
#define DEFAULT_MAX_ENTRIES 10000000ull
#define EARLY_WRITEBACK_BYTES (1 << 20)
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

struct dir_time {
  char *path;
  struct timespec times[2];
};

struct unpack {
  int root;               /* the snapshot, O_RDONLY|O_DIRECTORY */
  struct archive *a;
  uint64_t max_bytes, max_entries;
  struct berth_layer_stats *stats;
  /* The parent directory of the previous entry: tar lists a directory's
   * files together, so most entries reuse it. */
  char *parent_path;
  int parent_fd;
  struct dir_time *dirs; /* times set last: creating files changes them */
  size_t n_dirs;
};

int berth_layer_compression_from_media_type(const char *mt) {
  static const struct {
    const char *type;
    enum berth_layer_compression comp;
  } types[] = {
      {"application/vnd.oci.image.layer.v1.tar", BERTH_LAYER_PLAIN},
      {"application/vnd.oci.image.layer.v1.tar+gzip", BERTH_LAYER_GZIP},
      {"application/vnd.oci.image.layer.v1.tar+zstd", BERTH_LAYER_ZSTD},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar",
       BERTH_LAYER_PLAIN},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
       BERTH_LAYER_GZIP},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
       BERTH_LAYER_ZSTD},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", BERTH_LAYER_GZIP},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
       BERTH_LAYER_GZIP},
      {"application/vnd.docker.image.rootfs.diff.tar", BERTH_LAYER_PLAIN},
  };
  for (size_t i = 0; mt && i < ARRAY_SIZE(types); i++)
    if (strcmp(mt, types[i].type) == 0)
      return (int)types[i].comp;
  return -1;
}

/* "./a//b/" -> "a/b"; "" for the root; NULL when a component is "..". */
static char *clean_path(const char *raw) {
  char *out = malloc(strlen(raw) + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (const char *p = raw; *p;) {
    while (*p == '/')
      p++;
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      free(out);
      return NULL;
    }
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (o)
        out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p += n;
  }
  out[o] = '\0';
  return out;
}

static void drop_parent(struct unpack *u) {
  if (u->parent_fd >= 0)
    close(u->parent_fd);
  u->parent_fd = -1;
  free(u->parent_path);
  u->parent_path = NULL;
}

/* The directory an entry goes in, created (0755) when missing, resolved
 * inside the snapshot. */
static int parent_dir(struct unpack *u, const char *parent, berth_error **err) {
  if (u->parent_path && strcmp(u->parent_path, parent) == 0)
    return u->parent_fd;
  drop_parent(u);
  int fd = *parent ? berth_mkdir_in_root(u->root, parent, 0755, 0, err)
                   : fcntl(u->root, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return *parent ? -1 : berth_error_sys(err, "dup");
  u->parent_path = strdup(parent);
  if (!u->parent_path) {
    close(fd);
    return berth_error_sys(err, "allocate");
  }
  u->parent_fd = fd;
  return fd;
}

/* Removes whatever is at dirfd/name (a whole tree for a directory). */
static int remove_at(struct unpack *u, int dirfd, const char *name,
                     berth_error **err) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "stat `%s`", name);
  if (!S_ISDIR(st.st_mode))
    return unlinkat(dirfd, name, 0) < 0 ? berth_error_sys(err, "remove `%s`",
                                                          name)
                                        : 0;
  /* The cached parent is dirfd itself, never inside the tree going
   * away, so it stays valid. */
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
  _cleanup_free_ char *dir = realpath(path, NULL), *full = NULL;
  if (!dir || asprintf(&full, "%s/%s", dir, name) < 0)
    return berth_error_sys(err, "resolve `%s`", name);
  return berth_rm_rf(full, err);
}

/* Which xattrs of a layer land on the snapshot.  user.* is the image's
 * own data and security.capability its file capabilities.  Everything
 * else is dropped: trusted.overlay.* on a snapshot would be read by
 * overlayfs as its own metadata (opaque dirs, redirects, metacopy) and
 * let a layer rearrange what the layers below it show, and other
 * trusted.* and security.* names (selinux, ima, evm) are the host's to
 * set, not an image's. */
static bool layer_xattr_allowed(const char *key) {
  return strncmp(key, "user.", 5) == 0 ||
         strcmp(key, "security.capability") == 0;
}

static int set_xattrs(struct unpack *u, struct archive_entry *e, int fd,
                      int dirfd, const char *name, berth_error **err) {
  const char *key;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    if (!layer_xattr_allowed(key))
      continue;
    int r;
    if (fd >= 0) {
      r = fsetxattr(fd, key, value, size, 0);
    } else {
      char path[4200]; /* the pinned parent, then the name unfollowed */
      snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
      r = lsetxattr(path, key, value, size, 0);
    }
    /* A filesystem without user xattrs loses only those; capabilities
     * and the like must land or the unpack fails. */
    if (r < 0 && !(errno == EOPNOTSUPP && strncmp(key, "user.", 5) == 0))
      return berth_error_sys(err, "set xattr %s on `%s`", key,
                             archive_entry_pathname(e));
  }
  (void)u;
  return 0;
}

/* Owner, mode, xattrs and times of an entry just created. */
static int set_meta(struct unpack *u, struct archive_entry *e, int fd,
                    int dirfd, const char *name, const char *path,
                    berth_error **err) {
  mode_t type = archive_entry_filetype(e);
  bool link = type == AE_IFLNK;
  int r = fd >= 0 ? fchown(fd, (uid_t)archive_entry_uid(e),
                           (gid_t)archive_entry_gid(e))
                  : fchownat(dirfd, name, (uid_t)archive_entry_uid(e),
                             (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    return berth_error_sys(err, "chown `%s`", archive_entry_pathname(e));
  /* After chown, which clears setuid and setgid. */
  mode_t mode = archive_entry_perm(e) & 07777;
  if (!link && (fd >= 0 ? fchmod(fd, mode) : fchmodat(dirfd, name, mode, 0)) <
                   0)
    return berth_error_sys(err, "chmod `%s`", archive_entry_pathname(e));
  if (set_xattrs(u, e, fd, dirfd, name, err) < 0)
    return -1;
  struct timespec t[2] = {
      {archive_entry_atime(e), archive_entry_atime_nsec(e)},
      {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  if (!archive_entry_atime_is_set(e))
    t[0] = t[1];
  if (type == AE_IFDIR) {
    struct dir_time *nd = realloc(u->dirs, (u->n_dirs + 1) * sizeof *nd);
    if (!nd)
      return berth_error_sys(err, "allocate");
    u->dirs = nd;
    nd[u->n_dirs].path = strdup(path);
    memcpy(nd[u->n_dirs++].times, t, sizeof t);
    return 0;
  }
  r = fd >= 0 ? futimens(fd, t)
              : utimensat(dirfd, name, t, AT_SYMLINK_NOFOLLOW);
  return r < 0 ? berth_error_sys(err, "set times of `%s`",
                                 archive_entry_pathname(e))
               : 0;
}

static int write_data(struct unpack *u, int fd, const char *path,
                      berth_error **err) {
  const void *buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(u->a, &buf, &len, &off)) == ARCHIVE_OK) {
    const char *p = buf;
    while (len > 0) {
      ssize_t n = pwrite(fd, p, len, (off_t)off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error_sys(err, "write `%s`", path);
      p += n, off += n, len -= (size_t)n;
    }
  }
  if (r != ARCHIVE_EOF)
    return -2; /* the stream's error: the caller reports it */
  return 0;
}

static int make_file(struct unpack *u, struct archive_entry *e, int dirfd,
                     const char *name, const char *path, berth_error **err) {
  int64_t size = archive_entry_size(e);
  if (size < 0 || (uint64_t)size > u->max_bytes - u->stats->bytes)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: %lld bytes is over the layer's "
                           "limit of %llu bytes (huge file)",
                           path, (long long)size,
                           (unsigned long long)u->max_bytes);
  u->stats->bytes += (uint64_t)size;
  /* Creating first and removing only on EEXIST saves a stat per file in
   * the common case, a fresh name. */
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  _cleanup_close_ int fd = openat(dirfd, name, flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    if (remove_at(u, dirfd, name, err) < 0)
      return -1;
    fd = openat(dirfd, name, flags, 0600);
  }
  if (fd < 0)
    return berth_error_sys(err, "create `%s`", path);
  int r = write_data(u, fd, path, err);
  if (r < 0)
    return r;
  /* A sparse tail is a hole pwrite never reached. */
  if (archive_entry_sparse_count(e) > 0 && ftruncate(fd, (off_t)size) < 0)
    return berth_error_sys(err, "size `%s`", path);
  /* Start writing a big file to disk now, while the rest unpacks: the
   * syncfs before publishing then has less to wait for.  Only a start:
   * durability still comes from that syncfs. */
  if (size >= EARLY_WRITEBACK_BYTES)
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  return set_meta(u, e, fd, dirfd, name, path, err);
}

static int make_dir(struct unpack *u, struct archive_entry *e, int dirfd,
                    const char *name, const char *path, berth_error **err) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(st.st_mode) && remove_at(u, dirfd, name, err) < 0)
    return -1;
  if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
    return berth_error_sys(err, "create directory `%s`", path);
  _cleanup_close_ int fd =
      openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open directory `%s`", path);
  return set_meta(u, e, fd, dirfd, name, path, err);
}

static int make_link(struct unpack *u, struct archive_entry *e, int dirfd,
                     const char *name, const char *path, berth_error **err) {
  const char *target = archive_entry_hardlink(e);
  _cleanup_free_ char *clean = clean_path(target);
  if (!clean || !*clean)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: hard link to `%s` leaves the "
                           "layer",
                           path, target);
  _cleanup_close_ int tfd = berth_open_in_root(
      u->root, clean, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, err);
  struct stat st;
  if (tfd < 0)
    return berth_error_prefix(err, "layer entry `%s`: hard link target", path);
  if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: hard link to a directory", path);
  struct stat cur;
  if (fstatat(dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
      cur.st_ino == st.st_ino && cur.st_dev == st.st_dev)
    return 0; /* already that file */
  if (remove_at(u, dirfd, name, err) < 0)
    return -1;
  if (linkat(tfd, "", dirfd, name, AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "hard link `%s` to `%s`", path, clean);
  return 0;
}

static int make_special(struct unpack *u, struct archive_entry *e, int dirfd,
                        const char *name, const char *path,
                        berth_error **err) {
  mode_t type = archive_entry_filetype(e);
  if (remove_at(u, dirfd, name, err) < 0)
    return -1;
  int r;
  const char *target = archive_entry_symlink(e);
  if (type == AE_IFLNK && (!target || !*target))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: symlink without a target", path);
  if (type == AE_IFLNK)
    r = symlinkat(target, dirfd, name);
  else
    r = mknodat(dirfd, name, type | 0600, archive_entry_rdev(e));
  if (r < 0)
    return berth_error_sys(err, "create `%s`", path);
  return set_meta(u, e, -1, dirfd, name, path, err);
}

/* ".wh.NAME" hides NAME of lower layers: overlayfs wants a 0:0 character
 * device; ".wh..wh..opq" hides the whole lower directory. */
static int whiteout(struct unpack *u, int dirfd, const char *name,
                    const char *path, berth_error **err) {
  if (strcmp(name, OPAQUE) == 0) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
    if (setxattr(proc, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return berth_error_sys(err, "mark `%s` opaque", path);
    return 0;
  }
  const char *hidden = name + strlen(WHITEOUT);
  if (!*hidden || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: invalid whiteout", path);
  if (remove_at(u, dirfd, hidden, err) < 0)
    return -1;
  if (mknodat(dirfd, hidden, S_IFCHR | 0000, makedev(0, 0)) < 0)
    return berth_error_sys(err, "create whiteout for `%s`", path);
  return 0;
}

static int unpack_entry(struct unpack *u, struct archive_entry *e,
                        berth_error **err) {
  const char *raw = archive_entry_pathname(e);
  _cleanup_free_ char *path = raw ? clean_path(raw) : NULL;
  if (!path)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer entry `%s`: path with `..` refused",
                           raw ? raw : "(none)");
  if (++u->stats->entries > u->max_entries)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer has more than %llu entries",
                           (unsigned long long)u->max_entries);
  mode_t type = archive_entry_filetype(e);
  if (!*path) /* "./": the snapshot's own metadata */
    return type == AE_IFDIR ? set_meta(u, e, u->root, -1, "", "", err) : 0;
  char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (slash)
    *slash = '\0';
  int dirfd = parent_dir(u, slash ? path : "", err);
  if (slash)
    *slash = '/';
  if (dirfd < 0)
    return berth_error_prefix(err, "layer entry `%s`", path);
  if (strncmp(name, WHITEOUT, strlen(WHITEOUT)) == 0)
    return whiteout(u, dirfd, name, path, err);
  if (archive_entry_hardlink(e))
    return make_link(u, e, dirfd, name, path, err);
  switch (type) {
  case AE_IFREG:
    return make_file(u, e, dirfd, name, path, err);
  case AE_IFDIR:
    return make_dir(u, e, dirfd, name, path, err);
  case AE_IFLNK:
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    return make_special(u, e, dirfd, name, path, err);
  default:
    return 0; /* sockets and the like have no place in an image */
  }
}

static int set_dir_times(struct unpack *u, berth_error **err) {
  for (size_t i = u->n_dirs; i-- > 0;) {
    int fd = berth_open_in_root(u->root, u->dirs[i].path,
                                O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, NULL);
    if (fd < 0)
      continue; /* replaced by a later entry */
    int r = utimensat(fd, "", u->dirs[i].times, AT_EMPTY_PATH);
    close(fd);
    if (r < 0)
      return berth_error_sys(err, "set times of `%s`", u->dirs[i].path);
  }
  return 0;
}

static int unpack_all(struct unpack *u, struct layer_stream *ls,
                      berth_error **err) {
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(u->a, &e)) == ARCHIVE_OK ||
         r == ARCHIVE_WARN) {
    berth_error *ee = NULL;
    int rc = unpack_entry(u, e, &ee);
    if (rc == -2) {
      berth_error_free(ee);
      break; /* the stream failed under the entry */
    }
    if (rc < 0) {
      if (err && !*err)
        *err = ee;
      else
        berth_error_free(ee);
      return -1;
    }
  }
  if (r == ARCHIVE_EOF)
    return set_dir_times(u, err);
  berth_error *se = layer_stream_take_error(ls);
  if (se) {
    if (err && !*err)
      *err = se;
    else
      berth_error_free(se);
    return -1;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "layer: not a valid tar: %s",
                         archive_error_string(u->a)
                             ? archive_error_string(u->a)
                             : "unreadable");
}

int berth_layer_unpack(int fd, enum berth_layer_compression comp,
                       const char *snapshot_dir,
                       const struct berth_layer_limits *limits,
                       struct berth_layer_stats *stats, berth_error **err) {
  memset(stats, 0, sizeof *stats);
  struct unpack u = {.parent_fd = -1, .stats = stats};
  u.max_bytes = limits && limits->max_bytes ? limits->max_bytes
                                            : DEFAULT_MAX_BYTES;
  u.max_entries = limits && limits->max_entries ? limits->max_entries
                                                : DEFAULT_MAX_ENTRIES;
  u.root = open(snapshot_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u.root < 0)
    return berth_error_sys(err, "open `%s`", snapshot_dir);
  struct layer_stream *ls = NULL;
  int rc = layer_stream_open(fd, comp, &ls, err);
  if (rc == 0) {
    u.a = archive_read_new();
    archive_read_support_format_tar(u.a);
    if (archive_read_open(u.a, ls, NULL, layer_stream_read, NULL) !=
        ARCHIVE_OK) {
      berth_error *se = layer_stream_take_error(ls);
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "layer: %s",
                           se ? se->msg : archive_error_string(u.a));
      berth_error_free(se);
    }
  }
  if (rc == 0)
    rc = unpack_all(&u, ls, err);
  if (rc == 0)
    rc = layer_stream_finish(ls, stats->diff_id, err);
  if (u.a)
    archive_read_free(u.a);
  layer_stream_free(ls);
  drop_parent(&u);
  for (size_t i = 0; i < u.n_dirs; i++)
    free(u.dirs[i].path);
  free(u.dirs);
  close(u.root);
  return rc;
}
