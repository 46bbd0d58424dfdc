/* Entries, trees and tar streams copied into an untrusted directory (see
 * copy_tree.h for the safety argument). */
#include "copy_tree.h"

#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

/* Deeper trees would exhaust the stack or the fds before the kernel's
 * own limits; no real tree comes near. */
#define MAX_DEPTH 1000

/* A file of the current tree with more than one link, and where its
 * first copy went (relative to the destination of the tree). */
struct berth_copy_link {
  dev_t dev;
  ino_t ino;
  char *path;
};

uint32_t berth_copy_host_id(uint32_t base, uint32_t count, uint32_t id) {
  if (count == 0)
    return id;
  return base + (id < count ? id : 0);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *berth_copy_path_base(const char *p) {
  char *s = strdup(p);
  if (!s)
    return NULL;
  for (;;) {
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '/')
      s[n - 1] = 0;
    else if (n > 2 && ends_with(s, "/."))
      s[n - 2] = 0;
    else
      break;
  }
  char *slash = strrchr(s, '/');
  char *b = strdup(slash ? slash + 1 : s);
  free(s);
  if (b && (strcmp(b, ".") == 0 || strcmp(b, "..") == 0))
    *b = 0;
  return b;
}

char *berth_copy_path_dir(const char *p) {
  char *s = strdup(p);
  if (!s)
    return NULL;
  size_t n = strlen(s);
  while (n > 1 && s[n - 1] == '/')
    s[--n] = 0;
  char *slash = strrchr(s, '/');
  if (!slash)
    *s = 0;
  else if (slash == s)
    s[1] = 0;
  else
    *slash = 0;
  return s;
}

/* ---- single entries ---- */

/* Makes room for `name` in dirfd: a non-directory is replaced, a
 * directory kept for a directory and refused otherwise. */
static int make_room(int dirfd, const char *name, bool want_dir,
                     bool *existing_dir, berth_error **err) {
  struct stat st;
  *existing_dir = false;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "stat `%s`", name);
  if (S_ISDIR(st.st_mode)) {
    if (want_dir) {
      *existing_dir = true;
      return 0;
    }
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot overwrite directory `%s` with a "
                           "non-directory", name);
  }
  if (unlinkat(dirfd, name, 0) < 0)
    return berth_error_sys(err, "replace `%s`", name);
  return 0;
}

int berth_copy_set_meta(int fd, const struct stat *st, uid_t u, gid_t g,
                        mode_t mode, const char *name, berth_error **err) {
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (fd < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EBADF, "`%s`", name);
  if (fchownat(fd, "", u, g, AT_EMPTY_PATH) < 0 ||
      /* Symlinks have no mode of their own on Linux. */
      (!S_ISLNK(st->st_mode) && berth_fchmod_any(fd, mode) < 0) ||
      utimensat(fd, "", ts, AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "set the owner and mode of `%s`", name);
  return 0;
}

static int apply_meta(const struct berth_copy_tree *t, int fd,
                      const struct stat *st, const char *name,
                      berth_error **err) {
  uid_t u;
  gid_t g;
  mode_t m;
  t->meta(t->meta_arg, st, &u, &g, &m);
  return berth_copy_set_meta(fd, st, u, g, m, name, err);
}

/* An O_PATH fd of what `name` holds now, which must still be of the kind
 * just created there: otherwise the tree's owner replaced it. */
static int open_created(int dirfd, const char *name, mode_t type,
                        berth_error **err) {
  _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW |
                                                   O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return berth_error_sys(err, "open `%s`", name);
  if ((st.st_mode & S_IFMT) != type)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "`%s` was replaced while being copied", name);
  return steal_fd(&fd);
}

/* Makes the entry itself: a writable fd for a file, 0 for the other
 * kinds, -1 with errno. */
static int make_entry(int dirfd, const char *name, const struct stat *st,
                      const char *link) {
  if (S_ISDIR(st->st_mode))
    return mkdirat(dirfd, name, 0700);
  if (S_ISREG(st->st_mode))
    return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                   O_CLOEXEC, 0600);
  if (S_ISLNK(st->st_mode))
    return symlinkat(link, dirfd, name);
  return mkfifoat(dirfd, name, 0600);
}

/* Creating through an idmapped mount (a volume or bind mount of a
 * running container with a user namespace) needs a creator whose fsuid
 * and fsgid the mount maps: host root is not mapped there (EOVERFLOW).
 * The retry creates as the parent directory's owner, which the mount
 * maps (it shows it); the entry's owner is then set through its fd as
 * always.  fsuid is per thread, and the file capabilities dropped with a
 * non-zero fsuid come back with the old one. */
static int make_entry_mapped(int dirfd, const char *name,
                             const struct stat *st, const char *link) {
  int rc = make_entry(dirfd, name, st, link);
  struct stat d;
  if (rc >= 0 || errno != EOVERFLOW || fstat(dirfd, &d) < 0)
    return rc;
  uid_t old_u = (uid_t)setfsuid((uid_t)-1);
  gid_t old_g = (gid_t)setfsgid((gid_t)-1);
  setfsgid(d.st_gid);
  setfsuid(d.st_uid);
  rc = make_entry(dirfd, name, st, link);
  int saved = errno;
  setfsuid(old_u);
  setfsgid(old_g);
  errno = saved;
  return rc;
}

int berth_copy_create(int dirfd, const char *name, const struct stat *st,
                      const char *link, int *out, bool *created,
                      berth_error **err) {
  bool existing_dir;
  *out = -1;
  *created = true;
  if (make_room(dirfd, name, S_ISDIR(st->st_mode), &existing_dir, err) < 0)
    return -1;
  mode_t kind = st->st_mode & S_IFMT;
  if (kind != S_IFDIR && kind != S_IFREG && kind != S_IFLNK &&
      kind != S_IFIFO) {
    *created = false;
    return 0;
  }
  int rc = kind == S_IFDIR && existing_dir
               ? 0
               : make_entry_mapped(dirfd, name, st, link);
  if (rc < 0)
    return berth_error_sys(err, "create `%s`", name);
  if (kind == S_IFREG) {
    *out = rc;
    return 0;
  }
  if (kind == S_IFDIR) {
    *created = !existing_dir;
    *out = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                   O_CLOEXEC);
    return *out < 0 ? berth_error_sys(err, "open `%s`", name) : 0;
  }
  *out = open_created(dirfd, name, kind, err);
  return *out < 0 ? -1 : 0;
}

int berth_copy_write(int fd, const char *p, size_t n, const char *name,
                     berth_error **err) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return berth_error_sys(err, "write `%s`", name);
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int copy_data(struct berth_copy_tree *t, int src_pfd, int out,
                     const char *name, berth_error **err) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", src_pfd);
  /* Reopening our own O_PATH fd gives exactly the file it names. */
  _cleanup_close_ int in = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (in < 0)
    return berth_error_sys(err, "open `%s`", name);
  for (;;) {
    ssize_t n = read(in, t->buf, sizeof t->buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berth_error_sys(err, "read `%s`", name);
    if (n == 0)
      return 0;
    if (berth_copy_write(out, t->buf, (size_t)n, name, err) < 0)
      return -1;
  }
}

/* ---- hard links ---- */

static void links_reset(struct berth_copy_tree *t) {
  for (size_t i = 0; i < t->n_links; i++)
    free(t->links[i].path);
  free(t->links);
  t->links = NULL;
  t->n_links = 0;
}

static struct berth_copy_link *link_find(const struct berth_copy_tree *t,
                                         const struct stat *st) {
  for (size_t i = 0; i < t->n_links; i++)
    if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
      return &t->links[i];
  return NULL;
}

/* Remembers where the first copy of a multiply linked file went (a
 * failure only loses the link). */
static void link_remember(struct berth_copy_tree *t, const struct stat *st) {
  struct berth_copy_link *n = realloc(t->links, (t->n_links + 1) * sizeof *n);
  if (!n)
    return;
  t->links = n;
  n[t->n_links] = (struct berth_copy_link){st->st_dev, st->st_ino,
                                           strdup(t->drel)};
  if (n[t->n_links].path)
    t->n_links++;
}

/* 1: dirfd/name is now a link to the earlier copy; 0: copy the data
 * (no earlier copy, or it is gone or on another file system). */
static int link_earlier(struct berth_copy_tree *t, int top_fd,
                        const struct stat *st, int dirfd, const char *name,
                        berth_error **err) {
  struct berth_copy_link *l = link_find(t, st);
  if (!l)
    return 0;
  /* Nothing of the destination is followed on the way to it. */
  struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                    RESOLVE_NO_MAGICLINKS};
  _cleanup_close_ int fd = (int)syscall(SYS_openat2, top_fd, l->path, &how,
                                        sizeof how);
  struct stat cur;
  bool dir;
  if (fd < 0 || fstat(fd, &cur) < 0 || !S_ISREG(cur.st_mode))
    return 0;
  if (make_room(dirfd, name, false, &dir, err) < 0)
    return -1;
  if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
    return 1;
  return errno == EXDEV ? 0 : berth_error_sys(err, "link `%s`", t->drel);
}

/* ---- trees ---- */

/* A destination directory; fd -1 while it is not made (a skipped
 * directory, made when something below it is copied). */
struct dest {
  struct dest *parent;
  int fd;
  int top_fd; /* the destination of the whole tree */
  const char *name;
  const struct stat *st;
  bool created;
};

static int dest_fd(struct dest *d, berth_error **err) {
  if (d->fd >= 0)
    return d->fd;
  int pfd = dest_fd(d->parent, err);
  if (pfd < 0)
    return -1;
  if (berth_copy_create(pfd, d->name, d->st, NULL, &d->fd, &d->created,
                        err) < 0)
    return -1;
  return d->fd;
}

static size_t push(char *buf, size_t *len, const char *name) {
  size_t old = *len, n = strlen(name);
  if (old + n + 2 > 4096)
    return (size_t)-1;
  if (old)
    buf[(*len)++] = '/';
  memcpy(buf + *len, name, n + 1);
  *len += n;
  return old;
}

static void pop(char *buf, size_t *len, size_t old) {
  *len = old;
  buf[old] = 0;
}

static int copy_node(struct berth_copy_tree *t, int src_pfd,
                     const struct stat *st, struct dest *parent,
                     const char *name, int depth, berth_error **err);

/* Devices and sockets are never made. */
static bool copied_kind(mode_t m) {
  return S_ISDIR(m) || S_ISREG(m) || S_ISLNK(m) || S_ISFIFO(m);
}

static bool pseudo_fs(int fd) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0)
    return false;
  return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
         sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int walk_dir(struct berth_copy_tree *t, int src, struct dest *d,
                    int depth, berth_error **err) {
  _cleanup_close_ int sdir = openat(src, ".", O_RDONLY | O_DIRECTORY |
                                                  O_CLOEXEC);
  if (sdir < 0)
    return berth_error_sys(err, "open directory `%s`", t->rel);
  /* /proc and /sys of a running container: endless or host-wide. */
  if (pseudo_fs(sdir))
    return 0;
  int dup_fd = dup(sdir);
  DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!dir) {
    if (dup_fd >= 0)
      close(dup_fd);
    return berth_error_sys(err, "read directory `%s`", t->rel);
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(dir))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    _cleanup_close_ int pfd = openat(sdir, de->d_name,
                                     O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (pfd < 0 && errno == ENOENT)
      continue;
    if (pfd < 0 || fstat(pfd, &st) < 0)
      rc = berth_error_sys(err, "open `%s/%s`", t->rel, de->d_name);
    else
      rc = copy_node(t, pfd, &st, d, de->d_name, depth, err);
  }
  if (rc == 0 && errno)
    rc = berth_error_sys(err, "read directory `%s`", t->rel);
  closedir(dir);
  return rc;
}

static int copy_dir(struct berth_copy_tree *t, int src_pfd,
                    const struct stat *st, struct dest *parent,
                    const char *name, bool skipped, int depth,
                    berth_error **err) {
  struct dest self = {.parent = parent, .fd = -1, .top_fd = parent->top_fd,
                      .name = name, .st = st};
  int rc = skipped ? 0 : (dest_fd(&self, err) < 0 ? -1 : 0);
  if (rc == 0)
    rc = walk_dir(t, src_pfd, &self, depth + 1, err);
  /* Times last: the copies below changed them. */
  if (rc == 0 && self.created)
    rc = apply_meta(t, self.fd, st, t->drel, err);
  if (self.fd >= 0)
    close(self.fd);
  return rc;
}

static int copy_file(struct berth_copy_tree *t, int src_pfd,
                     const struct stat *st, struct dest *parent,
                     const char *name, berth_error **err) {
  int pfd = dest_fd(parent, err);
  if (pfd < 0)
    return -1;
  bool multi = S_ISREG(st->st_mode) && st->st_nlink > 1;
  int linked = multi ? link_earlier(t, parent->top_fd, st, pfd, name, err)
                     : 0;
  if (linked != 0)
    return linked < 0 ? -1 : 0;
  _cleanup_free_ char *link = NULL;
  if (S_ISLNK(st->st_mode)) {
    link = malloc(4097);
    ssize_t n = link ? readlinkat(src_pfd, "", link, 4096) : -1;
    if (n < 0)
      return berth_error_sys(err, "readlink `%s`", t->drel);
    link[n] = 0;
  }
  _cleanup_close_ int fd = -1;
  bool created;
  if (berth_copy_create(pfd, name, st, link, &fd, &created, err) < 0)
    return berth_error_prefix(err, "`%s`", t->drel);
  if (S_ISREG(st->st_mode) && copy_data(t, src_pfd, fd, t->drel, err) < 0)
    return -1;
  if (multi)
    link_remember(t, st);
  return apply_meta(t, fd, st, t->drel, err);
}

static int copy_node(struct berth_copy_tree *t, int src_pfd,
                     const struct stat *st, struct dest *parent,
                     const char *name, int depth, berth_error **err) {
  if (!copied_kind(st->st_mode))
    return 0;
  if (depth > MAX_DEPTH)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s`: more than %d levels of directories",
                           t->rel, MAX_DEPTH);
  size_t r = push(t->rel, &t->rel_len, name);
  size_t d = r == (size_t)-1 ? r : push(t->drel, &t->drel_len, name);
  if (d == (size_t)-1) {
    if (r != (size_t)-1)
      pop(t->rel, &t->rel_len, r);
    return berth_error_set(err, BERTH_ERR_INVALID, ENAMETOOLONG,
                           "`%s/%s`: path too long", t->rel, name);
  }
  bool skipped = t->skip && t->skip(t->skip_arg, t->rel);
  int rc = 0;
  if (S_ISDIR(st->st_mode))
    rc = copy_dir(t, src_pfd, st, parent, name, skipped, depth, err);
  else if (!skipped)
    rc = copy_file(t, src_pfd, st, parent, name, err);
  pop(t->rel, &t->rel_len, r);
  pop(t->drel, &t->drel_len, d);
  return rc;
}

static void tree_start(struct berth_copy_tree *t, const char *rel) {
  links_reset(t);
  bool top = !rel || !*rel || strcmp(rel, ".") == 0;
  snprintf(t->rel, sizeof t->rel, "%s", top ? "" : rel);
  t->rel_len = strlen(t->rel);
  t->drel[0] = 0;
  t->drel_len = 0;
}

int berth_copy_entry(struct berth_copy_tree *t, int src_pfd,
                     const struct stat *st, int dirfd, const char *name,
                     berth_error **err) {
  if (!copied_kind(st->st_mode))
    return 0;
  tree_start(t, "");
  size_t d = push(t->drel, &t->drel_len, name);
  if (d == (size_t)-1)
    return berth_error_set(err, BERTH_ERR_INVALID, ENAMETOOLONG,
                           "`%s`: name too long", name);
  struct dest top = {.fd = dirfd, .top_fd = dirfd};
  /* The entry itself was chosen by the caller: only what is below it
   * may be skipped. */
  int rc = S_ISDIR(st->st_mode)
               ? copy_dir(t, src_pfd, st, &top, name, false, 0, err)
               : copy_file(t, src_pfd, st, &top, name, err);
  pop(t->drel, &t->drel_len, d);
  links_reset(t);
  return rc;
}

int berth_copy_children(struct berth_copy_tree *t, int src_dfd, int dst_dfd,
                        const char *rel, berth_error **err) {
  tree_start(t, rel);
  struct dest top = {.fd = dst_dfd, .top_fd = dst_dfd};
  int rc = walk_dir(t, src_dfd, &top, 0, err);
  links_reset(t);
  return rc;
}

/* ---- directories inside a root ---- */

int berth_copy_mkdirs(int root_fd, const char *path, uid_t uid, gid_t gid,
                      berth_error **err) {
  struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, root_fd, *path ? path : "/", &how,
                        sizeof how);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : berth_error_sys(err, "open directory `%s`", path);
  _cleanup_free_ char *dir = berth_copy_path_dir(path);
  _cleanup_free_ char *base = berth_copy_path_base(path);
  if (!dir || !base)
    return berth_error_sys(err, "allocate");
  if (!*base)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid directory `%s`", path);
  _cleanup_close_ int pfd = berth_copy_mkdirs(root_fd, dir, uid, gid, err);
  if (pfd < 0)
    return -1;
  struct stat st = {.st_mode = S_IFDIR | 0755};
  clock_gettime(CLOCK_REALTIME, &st.st_mtim);
  st.st_atim = st.st_mtim;
  int dfd = -1;
  bool created;
  int rc = berth_copy_create(pfd, base, &st, NULL, &dfd, &created, err);
  if (rc == 0 && created)
    rc = berth_copy_set_meta(dfd, &st, uid, gid, 0755, path, err);
  if (rc < 0 && dfd >= 0)
    close(dfd);
  return rc < 0 ? -1 : dfd;
}

/* ---- tar streams ---- */

/* A tar entry's name, relative and without "." components; NULL for one
 * with "..". */
static char *clean_name(const char *name) {
  char *out = malloc(strlen(name) + 1);
  if (!out)
    return NULL;
  size_t n = 0;
  const char *p = name;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 0)
      break;
    if (len == 2 && strncmp(p, "..", 2) == 0) {
      free(out);
      return NULL;
    }
    if (!(len == 1 && *p == '.')) {
      if (n)
        out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  out[n] = 0;
  return out;
}

/* The parent directory of entry `rel` inside root_fd, missing ones made
 * owned as a copied 0:0 directory would be. */
static int entry_parent(const struct berth_copy_tree *t, int root_fd,
                        const char *rel, berth_error **err) {
  _cleanup_free_ char *dir = berth_copy_path_dir(rel);
  if (!dir)
    return berth_error_sys(err, "allocate");
  struct stat root_dir = {.st_mode = S_IFDIR | 0755};
  uid_t u;
  gid_t g;
  mode_t m;
  t->meta(t->meta_arg, &root_dir, &u, &g, &m);
  return berth_copy_mkdirs(root_fd, dir, u, g, err);
}

static int untar_link(int root_fd, int pfd, const char *rel,
                      const char *base, const char *hard, berth_error **err) {
  _cleanup_free_ char *target = clean_name(hard);
  struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  _cleanup_close_ int tfd =
      target && *target
          ? (int)syscall(SYS_openat2, root_fd, target, &how, sizeof how)
          : -1;
  bool dir;
  if (tfd < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, errno,
                           "tar entry `%s`: hard link target `%s`", rel,
                           hard);
  if (make_room(pfd, base, false, &dir, err) < 0 ||
      linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "tar entry `%s`: link", rel);
  return 0;
}

static int untar_entry(struct berth_copy_tree *t, struct archive *a,
                       struct archive_entry *ae, int root_fd,
                       berth_error **err) {
  const char *path = archive_entry_pathname(ae);
  if (!path)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "tar entry without a name");
  _cleanup_free_ char *rel = clean_name(path);
  if (!rel)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "tar entry `%s`: `..` is not allowed", path);
  if (!*rel)
    return 0; /* "./": the destination itself */
  _cleanup_close_ int pfd = entry_parent(t, root_fd, rel, err);
  if (pfd < 0)
    return berth_error_prefix(err, "tar entry `%s`", rel);
  _cleanup_free_ char *base = berth_copy_path_base(rel);
  if (!base)
    return berth_error_sys(err, "allocate");
  const char *hard = archive_entry_hardlink(ae);
  if (hard)
    return untar_link(root_fd, pfd, rel, base, hard, err);
  const struct stat *st = archive_entry_stat(ae);
  if (!copied_kind(st->st_mode))
    return 0;
  struct stat old;
  if (t->keep_nondir && S_ISDIR(st->st_mode) &&
      fstatat(pfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(old.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot overwrite non-directory `%s` with a "
                           "directory", rel);
  _cleanup_close_ int fd = -1;
  bool created;
  const char *link = archive_entry_symlink(ae);
  if (berth_copy_create(pfd, base, st, link ? link : "", &fd, &created,
                        err) < 0)
    return berth_error_prefix(err, "tar entry `%s`", rel);
  if (S_ISREG(st->st_mode) && archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
    return berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                           "tar entry `%s`: %s", rel,
                           archive_error_string(a));
  if (S_ISDIR(st->st_mode) && !created)
    return 0;
  return apply_meta(t, fd, st, rel, err);
}

int berth_copy_untar(struct berth_copy_tree *t, struct archive *a,
                     int dir_fd, berth_error **err) {
  struct archive_entry *ae;
  int r, rc = 0;
  while (rc == 0 && (r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
    if (r < ARCHIVE_WARN)
      rc = berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                           "read the tar stream: %s",
                           archive_error_string(a));
    else
      rc = untar_entry(t, a, ae, dir_fd, err);
  }
  return rc;
}
