/* The digest of COPY sources: what the copy would produce, never how the
 * directory happens to be stored.
 *
 * Every entry under each source is fed to one SHA-256, in sorted name
 * order, as length-prefixed fields: its path, mode (type included),
 * owner, then per type the content digest and size (regular file), the
 * first path of the same inode (further hard links), the link text
 * (symlink, never followed) or the device number, then its xattrs
 * sorted by name.  mtimes, atimes, directory sizes and link counts are
 * left out; ignored entries are left out, and an ignored directory
 * appears only as the parent of an entry a `!` pattern brings back
 * (as Docker sends it).  A source that is itself a symlink is followed
 * (inside the context only), as COPY follows it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "context_internal.h"
#include "fs.h"

#define READ_CHUNK (128u << 10)

/* An entry: by name in an open directory, or by its own fd (a source). */
struct ent {
  int dir_fd;
  const char *name;
  int fd;
  const char *rel; /* inside the context */
  struct stat st;
};

struct link {
  dev_t dev;
  ino_t ino;
  char *rel;
};

struct dg {
  const struct berth_context *ctx;
  struct berth_tree t;
  struct berth_hasher *h;
  struct berth_hash_cache *cache;
  size_t np;
  const struct ent **pending; /* ignored parents not yet fed */
  size_t npending, nfed;      /* nfed: how many of them are fed */
  struct link *links;
  size_t nlinks;
};

static int feed(struct dg *d, const void *p, size_t n, berth_error **err) {
  return berth_hasher_update(d->h, p, n, err);
}

static int feed_u64(struct dg *d, uint64_t v, berth_error **err) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return feed(d, b, sizeof b, err);
}

static int feed_str(struct dg *d, const void *s, size_t n, berth_error **err) {
  return feed_u64(d, n, err) < 0 ? -1 : feed(d, s, n, err);
}

static void proc_path(const struct ent *e, char *buf, size_t len) {
  if (e->fd >= 0)
    snprintf(buf, len, "/proc/self/fd/%d", e->fd);
  else
    snprintf(buf, len, "/proc/self/fd/%d/%s", e->dir_fd, e->name);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry's xattr names; a source's own fd is reached through its
 * /proc magic link (followed), an entry by name is never followed. */
static ssize_t list_xattrs(const struct ent *e, const char *path, char **out) {
  ssize_t n = e->fd >= 0 ? listxattr(path, NULL, 0) : llistxattr(path, NULL, 0);
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    n = 0;
  if (n <= 0)
    return n;
  *out = malloc((size_t)n);
  if (!*out)
    return -1;
  return e->fd >= 0 ? listxattr(path, *out, (size_t)n)
                    : llistxattr(path, *out, (size_t)n);
}

static int feed_value(struct dg *d, const struct ent *e, const char *path,
                      const char *name, berth_error **err) {
  bool follow = e->fd >= 0;
  ssize_t n =
      follow ? getxattr(path, name, NULL, 0) : lgetxattr(path, name, NULL, 0);
  _cleanup_free_ char *v = n > 0 ? malloc((size_t)n) : NULL;
  if (n > 0 && v)
    n = follow ? getxattr(path, name, v, (size_t)n)
               : lgetxattr(path, name, v, (size_t)n);
  if (n < 0 || (n > 0 && !v))
    return berth_error_sys(err, "read xattr %s of `%s`", name, e->rel);
  return feed_str(d, name, strlen(name), err) < 0
             ? -1
             : feed_str(d, v, (size_t)n, err);
}

static int feed_xattrs(struct dg *d, const struct ent *e, berth_error **err) {
  char path[PATH_MAX + 64];
  proc_path(e, path, sizeof path);
  _cleanup_free_ char *list = NULL;
  ssize_t n = list_xattrs(e, path, &list);
  if (n < 0)
    return berth_error_sys(err, "list xattrs of `%s`", e->rel);
  size_t count = 0;
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
    count++;
  _cleanup_free_ char **names = calloc(count + 1, sizeof *names);
  if (!names)
    return berth_error_sys(err, "allocate");
  count = 0;
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
    names[count++] = list + i;
  qsort(names, count, sizeof *names, cmp_str);
  if (feed_u64(d, count, err) < 0)
    return -1;
  for (size_t i = 0; i < count; i++)
    if (feed_value(d, e, path, names[i], err) < 0)
      return -1;
  return 0;
}

/* Opens a regular file for reading without following a name: by name
 * through lib/fs's check, or a source's own fd through /proc. */
static int open_content(const struct ent *e, berth_error **err) {
  if (e->fd < 0)
    return berth_open_regular(e->dir_fd, e->name, 0, err);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", e->fd);
  int fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  return fd < 0 ? berth_error_sys(err, "open `%s`", e->rel) : fd;
}

static bool same_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
         a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int hash_content(const struct ent *e, char out[BERTH_DIGEST_SIZE],
                        bool *stable, berth_error **err) {
  _cleanup_close_ int fd = open_content(e, err);
  struct berth_hasher *h = NULL;
  _cleanup_free_ char *buf = malloc(READ_CHUNK);
  if (fd < 0 || !buf || berth_hasher_new(&h, err) < 0)
    return fd < 0 || buf ? -1 : berth_error_sys(err, "allocate");
  int rc = 0;
  ssize_t n;
  while (rc == 0 && (n = read(fd, buf, READ_CHUNK)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    rc = n < 0 ? berth_error_sys(err, "read `%s`", e->rel)
               : berth_hasher_update(h, buf, (size_t)n, err);
  }
  struct stat after;
  *stable = rc == 0 && fstat(fd, &after) == 0 && same_state(&e->st, &after);
  if (rc == 0)
    rc = berth_hasher_final(h, out, err);
  berth_hasher_free(h);
  return rc;
}

static int content_digest(struct dg *d, const struct ent *e,
                          char out[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_free_ char *abs =
      d->cache ? berth_path_join(d->ctx->dir, e->rel) : NULL;
  if (d->cache && !abs)
    return berth_error_sys(err, "allocate");
  if (abs && berth_hash_cache_get(d->cache, abs, &e->st, out))
    return 0;
  bool stable = false;
  if (hash_content(e, out, &stable, err) < 0)
    return -1;
  if (abs && stable)
    berth_hash_cache_put(d->cache, abs, &e->st, out);
  return 0;
}

/* A further name of an inode already fed in this source: its first rel
 * (COPY keeps hard links within a source). */
static const char *first_link(struct dg *d, const struct ent *e,
                              berth_error **err) {
  if (e->st.st_nlink < 2)
    return NULL;
  for (size_t i = 0; i < d->nlinks; i++)
    if (d->links[i].ino == e->st.st_ino && d->links[i].dev == e->st.st_dev)
      return d->links[i].rel;
  /* A linear search: only files with several names are listed. */
  struct link *nl = realloc(d->links, (d->nlinks + 1) * sizeof *nl);
  char *copy = nl ? strdup(e->rel) : NULL;
  if (nl)
    d->links = nl;
  if (!copy) {
    berth_error_sys(err, "allocate");
    return NULL;
  }
  nl[d->nlinks++] = (struct link){e->st.st_dev, e->st.st_ino, copy};
  return NULL;
}

static int feed_file(struct dg *d, const struct ent *e, berth_error **err) {
  const char *first = first_link(d, e, err);
  if (err && *err)
    return -1;
  if (first)
    return feed(d, "H", 1, err) < 0 ? -1
                                    : feed_str(d, first, strlen(first), err);
  char digest[BERTH_DIGEST_SIZE];
  if (content_digest(d, e, digest, err) < 0 || feed(d, "F", 1, err) < 0 ||
      feed_u64(d, (uint64_t)e->st.st_size, err) < 0)
    return -1;
  return feed_str(d, digest, BERTH_DIGEST_LEN, err);
}

static int feed_type(struct dg *d, const struct ent *e, berth_error **err) {
  char target[PATH_MAX + 1];
  ssize_t n;
  switch (e->st.st_mode & S_IFMT) {
  case S_IFREG:
    return feed_file(d, e, err);
  case S_IFLNK:
    n = e->fd >= 0 ? -1 : readlinkat(e->dir_fd, e->name, target, sizeof target);
    if (n < 0)
      return berth_error_sys(err, "read link `%s`", e->rel);
    return feed(d, "L", 1, err) < 0 ? -1 : feed_str(d, target, (size_t)n, err);
  case S_IFCHR:
  case S_IFBLK:
    return feed(d, "D", 1, err) < 0 ? -1 : feed_u64(d, e->st.st_rdev, err);
  default:
    return 0; /* directory, FIFO, socket: the mode says it all */
  }
}

static int feed_entry(struct dg *d, const struct ent *e, berth_error **err) {
  if (feed(d, "E", 1, err) < 0 ||
      feed_str(d, e->rel, strlen(e->rel), err) < 0 ||
      feed_u64(d, e->st.st_mode, err) < 0 ||
      feed_u64(d, e->st.st_uid, err) < 0 ||
      feed_u64(d, e->st.st_gid, err) < 0 || feed_type(d, e, err) < 0)
    return -1;
  return feed_xattrs(d, e, err);
}

/* Feeds e, after the ignored parents it is the first visible entry of. */
static int visible_entry(struct dg *d, const struct ent *e, berth_error **err) {
  for (; d->nfed < d->npending; d->nfed++)
    if (feed_entry(d, d->pending[d->nfed], err) < 0)
      return -1;
  return feed_entry(d, e, err);
}

static int push_pending(struct dg *d, const struct ent *e, berth_error **err) {
  const struct ent **np = realloc(d->pending, (d->npending + 1) * sizeof *np);
  if (!np)
    return berth_error_sys(err, "allocate");
  d->pending = np;
  np[d->npending++] = e;
  return 0;
}

static void pop_pending(struct dg *d) {
  d->npending--;
  if (d->nfed > d->npending)
    d->nfed = d->npending;
}

static int walk_dir(struct dg *d, int dir_fd, const char *rel, const bool *hits,
                    berth_error **err);

/* One entry found in a directory (or a source), then what is under it. */
static int visit(struct dg *d, const struct ent *e, bool ignored,
                 const bool *hits, berth_error **err) {
  if (!ignored && visible_entry(d, e, err) < 0)
    return -1;
  if (!S_ISDIR(e->st.st_mode) ||
      (ignored && !berth_ignore_may_reinclude_below(d->t.ignore, e->rel)))
    return 0;
  if (ignored && push_pending(d, e, err) < 0)
    return -1;
  _cleanup_close_ int fd =
      e->fd >= 0 ? fcntl(e->fd, F_DUPFD_CLOEXEC, 3)
                 : openat(e->dir_fd, e->name,
                          O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int rc = fd < 0 ? berth_error_sys(err, "open `%s`", e->rel)
                  : walk_dir(d, fd, e->rel, hits, err);
  if (ignored)
    pop_pending(d);
  return rc;
}

static int walk_dir(struct dg *d, int dir_fd, const char *rel, const bool *hits,
                    berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  size_t n;
  _cleanup_free_ bool *mine = calloc(d->np ? d->np : 1, sizeof *mine);
  if (!mine)
    return berth_error_sys(err, "allocate");
  if (berth_dir_names(dir_fd, &names, &n, err) < 0)
    return berth_error_prefix(err, "`%s`", rel);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *crel = berth_path_join(rel, names[i]);
    struct ent c = {dir_fd, names[i], -1, crel, {0}};
    if (!crel)
      return berth_error_sys(err, "allocate");
    if (fstatat(dir_fd, names[i], &c.st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue; /* removed while we read */
      return berth_error_sys(err, "stat `%s`", crel);
    }
    bool ignored =
        berth_ignore_step(d->t.ignore, hits, crel, strlen(crel), mine);
    if (visit(d, &c, ignored, mine, err) < 0)
      return -1;
  }
  return 0;
}

static int source_error(const char *rel, berth_error **err) {
  if (errno == EXDEV || errno == ELOOP)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` points outside the build context", rel);
  if (errno == ENOENT || errno == ENOTDIR)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "\"%s\": not found in the build context", rel);
  return berth_error_sys(err, "open `%s`", rel);
}

static int digest_source(struct dg *d, const char *rel, berth_error **err) {
  _cleanup_close_ int fd = berth_tree_open(&d->t, rel, O_PATH);
  _cleanup_free_ char *real = NULL;
  _cleanup_free_ bool *hits = calloc(d->np ? d->np : 1, sizeof *hits);
  if (fd < 0)
    return source_error(rel, err);
  if (!hits || berth_tree_real_rel(&d->t, fd, &real, err) < 0)
    return hits ? -1 : berth_error_sys(err, "allocate");
  struct ent e = {-1, NULL, fd, real, {0}};
  if (fstat(fd, &e.st) < 0)
    return berth_error_sys(err, "stat `%s`", rel);
  for (size_t i = 0; i < d->nlinks; i++)
    free(d->links[i].rel);
  d->nlinks = 0; /* hard links are kept within one source */
  bool ignored = berth_ignore_hits(d->t.ignore, real, hits);
  if (feed(d, "S", 1, err) < 0 || feed_str(d, rel, strlen(rel), err) < 0)
    return -1;
  return visit(d, &e, ignored, hits, err);
}

static int digest_all(struct dg *d, char *const *rels, size_t n,
                      char digest[BERTH_DIGEST_SIZE], berth_error **err) {
  static const char version[] = "berth context digest 1";
  if (feed_str(d, version, sizeof version - 1, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (digest_source(d, rels[i], err) < 0)
      return -1;
  return berth_hasher_final(d->h, digest, err);
}

int berth_context_digest(const struct berth_context *ctx, struct berth_db *db,
                         char *const *rels, size_t n,
                         char digest[BERTH_DIGEST_SIZE], berth_error **err) {
  struct dg d = {.ctx = ctx,
                 .t = {.root_fd = ctx->dir_fd,
                       .root_path = ctx->dir,
                       .resolve = RESOLVE_BENEATH,
                       .ignore = ctx->ignore},
                 .np = berth_ignore_count(ctx->ignore)};
  /* A stream's context is unpacked afresh under a new name each build:
   * its rows could never be hit again. */
  if (db && !ctx->tmp_dir && berth_hash_cache_open(db, &d.cache, err) < 0)
    return -1;
  int rc = berth_hasher_new(&d.h, err);
  if (rc == 0)
    rc = digest_all(&d, rels, n, digest, err);
  berth_hash_cache_close(d.cache);
  berth_hasher_free(d.h);
  for (size_t i = 0; i < d.nlinks; i++)
    free(d.links[i].rel);
  free(d.links);
  free(d.pending);
  return rc;
}
