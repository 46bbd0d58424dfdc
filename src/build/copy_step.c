/* COPY and ADD into a build container (copy_step.h has Docker's rules).
 *
 * All the work happens in the child berth_ctr_with_rootfs forks with the
 * container's overlay mounted in a private mount namespace: the sources
 * are read from the context's directory fd (RESOLVE_BENEATH) or from a
 * detached read-only mount of the --from image's layers (RESOLVE_IN_ROOT),
 * and written with engine/copy_tree.c, which resolves every destination
 * path inside the container's root and sets owners through fds. */
#include "copy_step.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "copy_tree.h"
#include "overlay.h"
#include "rootfs_access.h"
#include "userspec.h"

struct step {
  const struct berth_copy_req *req;
  const char *verb;           /* "COPY" or "ADD", for messages */
  const char *snapshots_root; /* for --from's layers */
  pid_t parent;
  uint32_t base, count;       /* the container's host ids */
  char *dest;                 /* absolute and cleaned */
  bool dest_dir;              /* written as a directory */
  bool has_chmod, has_chown, untar;
  mode_t chmod;
  uid_t uid;                  /* --chown, host ids */
  gid_t gid;
  struct berth_copy_tree tree;
};

bool berth_copy_src_is_url(const char *src) {
  return strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0 ||
         strncmp(src, "git://", 6) == 0 || strncmp(src, "git@", 4) == 0;
}

static uint32_t host_id(const struct step *s, uint32_t id) {
  return berth_copy_host_id(s->base, s->count, id);
}

/* berth_copy_meta_fn.  --chown wins; else --from's files and a tar's
 * entries keep their owners (image ids, shifted into the container's
 * range) and context files belong to root.  --chmod applies to copied
 * entries, not to what a tar unpacks. */
static void step_meta(void *arg, const struct stat *st, uid_t *u, gid_t *g,
                      mode_t *m) {
  const struct step *s = arg;
  if (s->has_chown) {
    *u = s->uid;
    *g = s->gid;
  } else if (s->req->from || s->untar) {
    *u = host_id(s, st->st_uid);
    *g = host_id(s, st->st_gid);
  } else {
    *u = *g = host_id(s, 0);
  }
  *m = s->has_chmod && !s->untar ? s->chmod : st->st_mode & 07777;
}

static bool ctx_skip(void *arg, const char *rel) {
  return berth_context_ignored(arg, rel);
}

/* ---- the request, checked before anything is forked ---- */

static int parse_chmod(const char *s, mode_t *out, berth_error **err) {
  size_t n = strlen(s);
  if (n == 0 || n > 4 || strspn(s, "01234567") != n)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --chmod=%s: an octal mode such as 0755 "
                           "is expected", s);
  *out = (mode_t)strtoul(s, NULL, 8);
  return 0;
}

/* WORKDIR and DEST joined and cleaned as Go's path.Join does: "." and
 * ".." resolved by name, never above "/" (the container's root). */
static char *dest_path(const char *workdir, const char *dest) {
  const char *wd = dest[0] == '/' ? "" : (workdir && *workdir ? workdir : "");
  size_t len = strlen(wd) + strlen(dest) + 3;
  _cleanup_free_ char *joined = malloc(len);
  char *out = malloc(len);
  if (!joined || !out) {
    free(out);
    return NULL;
  }
  snprintf(joined, len, "%s/%s", wd, dest);
  size_t o = 0;
  for (char *save = NULL, *c = strtok_r(joined, "/", &save); c;
       c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0) {
      while (o > 0 && out[--o] != '/')
        ;
      continue;
    }
    o += (size_t)snprintf(out + o, len - o, "/%s", c);
  }
  snprintf(out + o, len - o, "%s", o ? "" : "/");
  return out;
}

static int check_sources(const struct step *s, berth_error **err) {
  const struct berth_copy_req *r = s->req;
  for (size_t i = 0; i < r->n_srcs; i++)
    if (berth_copy_src_is_url(r->srcs[i]))
      return r->add ? berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                                      "ADD from a URL is not supported: %s",
                                      r->srcs[i])
                    : berth_error_set(err, BERTH_ERR_INVALID, 0,
                                      "source can't be a URL for COPY: %s",
                                      r->srcs[i]);
  if (r->n_srcs + r->n_heredocs == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s needs a source and a destination", s->verb);
  if (!r->from && r->n_srcs > 0 && !r->ctx)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: no build context to copy `%s` from", s->verb,
                           r->srcs[0]);
  for (size_t i = 0; i < r->n_heredocs; i++) {
    const char *n = r->heredocs[i].name;
    if (!*n || strchr(n, '/') || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s: invalid heredoc file name `%s`", s->verb, n);
  }
  return 0;
}

/* Docker's rule, with sources counted after glob expansion. */
static int check_count(const struct step *s, size_t n, berth_error **err) {
  if (n + s->req->n_heredocs > 1 && !s->dest_dir)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "When using %s with more than one source file, "
                           "the destination must be a directory and end "
                           "with a / (%s)", s->verb, s->req->dest);
  return 0;
}

static int step_init(struct step *s, const struct berth_copy_req *r,
                     berth_error **err) {
  s->req = r;
  s->verb = r->add ? "ADD" : "COPY";
  if (!r->dest || !*r->dest)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s needs a destination", s->verb);
  if (check_sources(s, err) < 0)
    return -1;
  if (r->chmod && parse_chmod(r->chmod, &s->chmod, err) < 0)
    return -1;
  s->has_chmod = r->chmod != NULL;
  size_t n = strlen(r->dest);
  s->dest_dir = r->dest[n - 1] == '/' || strcmp(r->dest, ".") == 0;
  if (!(s->dest = dest_path(r->workdir, r->dest)))
    return berth_error_sys(err, "allocate");
  s->tree.meta = step_meta;
  s->tree.meta_arg = s;
  return r->from ? 0 : check_count(s, r->n_srcs, err);
}

/* ---- in the child: owners ---- */

/* --chown=USER[:GROUP] in the container's own passwd and group.  Without
 * a group the gid is the uid's number, as Docker documents ("55" is
 * 55:55, "bin" is bin's uid twice). */
static int resolve_chown(struct step *s, int root_fd, berth_error **err) {
  const char *spec = s->req->chown;
  if (!spec || !*spec)
    return 0;
  struct berth_userspec u;
  if (berth_userspec_resolve(root_fd, spec, NULL, &u, err) < 0)
    return berth_error_prefix(err, "--chown=%s", spec);
  uint32_t uid = u.uid, gid = strchr(spec, ':') ? u.gid : u.uid;
  berth_userspec_clear(&u);
  if (s->count && (uid >= s->count || gid >= s->count))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "--chown=%s: %u:%u is outside the container's "
                           "%u ids", spec, uid, gid, s->count);
  s->uid = host_id(s, uid);
  s->gid = host_id(s, gid);
  s->has_chown = true;
  return 0;
}

/* Directories COPY makes (DEST and its missing parents) belong to root,
 * or to --chown's user as BuildKit makes them. */
static void dir_owner(const struct step *s, uid_t *u, gid_t *g) {
  *u = s->has_chown ? s->uid : host_id(s, 0);
  *g = s->has_chown ? s->gid : host_id(s, 0);
}

/* ---- in the child: destinations ---- */

/* DEST as a directory (made when missing), for a directory's contents,
 * an unpacked tar, or files when DEST is written as a directory. */
static int dest_dir_fd(const struct step *s, int root_fd, berth_error **err) {
  uid_t u;
  gid_t g;
  dir_owner(s, &u, &g);
  int fd = berth_copy_mkdirs(root_fd, s->dest, u, g, err);
  if (fd < 0 && err && *err && (*err)->errno_value == ENOTDIR) {
    berth_error_free(*err);
    *err = NULL;
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "destination `%s` is not a directory", s->dest);
  }
  return fd;
}

/* Where a non-directory source named `base` goes: into DEST when it is
 * (or is written as) a directory, else as DEST.  Returns the directory
 * fd; *name the name in it. */
static int file_dest(const struct step *s, int root_fd, const char *base,
                     char **name, berth_error **err) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  _cleanup_close_ int fd =
      s->dest_dir ? -1
                  : (int)syscall(SYS_openat2, root_fd, s->dest, &how,
                                 sizeof how);
  struct stat st;
  if (fd < 0 && !s->dest_dir && errno != ENOENT)
    return berth_error_sys(err, "destination `%s`", s->dest);
  bool into = s->dest_dir || (fd >= 0 && fstat(fd, &st) == 0 &&
                              S_ISDIR(st.st_mode));
  *name = into ? strdup(base) : berth_copy_path_base(s->dest);
  _cleanup_free_ char *parent = into ? NULL : berth_copy_path_dir(s->dest);
  if (!*name || (!into && !parent))
    return berth_error_sys(err, "allocate");
  if (into)
    return dest_dir_fd(s, root_fd, err);
  uid_t u;
  gid_t g;
  dir_owner(s, &u, &g);
  return berth_copy_mkdirs(root_fd, parent, u, g, err);
}

/* ---- in the child: sources ---- */

static struct archive *tar_reader(void) {
  struct archive *a = archive_read_new();
  if (a) {
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
  }
  return a;
}

static int reopen(int pfd) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
  return open(proc, O_RDONLY | O_CLOEXEC);
}

/* Docker decides by content, never by name: a tar, plain or gzip, bzip2
 * or xz compressed, whose first header reads. */
static bool is_tar(int pfd) {
  _cleanup_close_ int fd = reopen(pfd);
  struct archive *a = fd >= 0 ? tar_reader() : NULL;
  struct archive_entry *ae;
  int r = a && archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK
              ? archive_read_next_header(a, &ae)
              : ARCHIVE_FATAL;
  if (a)
    archive_read_free(a);
  return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

static int untar(struct step *s, int root_fd, int pfd, berth_error **err) {
  _cleanup_close_ int dfd = dest_dir_fd(s, root_fd, err);
  if (dfd < 0)
    return -1;
  _cleanup_close_ int fd = reopen(pfd);
  struct archive *a = fd >= 0 ? tar_reader() : NULL;
  if (!a)
    return berth_error_sys(err, "open the archive");
  int rc;
  if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
    rc = berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                         "read the archive: %s", archive_error_string(a));
  else {
    s->untar = true;
    rc = berth_copy_untar(&s->tree, a, dfd, err);
    s->untar = false;
  }
  archive_read_free(a);
  return rc;
}

/* The source itself is followed when it is a symlink, as Docker does,
 * but only inside its tree (resolve: BENEATH for the context, where
 * leaving is an error, IN_ROOT for an image). */
static int open_source(int src_root, const char *rel, unsigned long long res,
                       struct stat *st, berth_error **err) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = res | RESOLVE_NO_MAGICLINKS};
  _cleanup_close_ int fd = (int)syscall(SYS_openat2, src_root, rel, &how,
                                        sizeof how);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "`%s`: not found",
                           rel);
  if (fd < 0 && errno == EXDEV)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` leads outside the build context", rel);
  if (fd < 0 || fstat(fd, st) < 0)
    return berth_error_sys(err, "open `%s`", rel);
  return steal_fd(&fd);
}

static int copy_source(struct step *s, int root_fd, int src_root,
                       const char *rel, unsigned long long res,
                       berth_error **err) {
  struct stat st;
  _cleanup_close_ int sfd = open_source(src_root, rel, res, &st, err);
  if (sfd < 0)
    return -1;
  if (S_ISDIR(st.st_mode)) {
    _cleanup_close_ int dfd = dest_dir_fd(s, root_fd, err);
    return dfd < 0 ? -1 : berth_copy_children(&s->tree, sfd, dfd, rel, err);
  }
  if (s->req->add && S_ISREG(st.st_mode) && is_tar(sfd))
    return untar(s, root_fd, sfd, err);
  _cleanup_free_ char *base = berth_copy_path_base(rel), *name = NULL;
  if (!base)
    return berth_error_sys(err, "allocate");
  _cleanup_close_ int pfd = file_dest(s, root_fd, base, &name, err);
  if (pfd < 0)
    return -1;
  return berth_copy_entry(&s->tree, sfd, &st, pfd, name, err);
}

static int copy_named(struct step *s, int root_fd, int src_root,
                      const char *rel, unsigned long long res,
                      berth_error **err) {
  if (copy_source(s, root_fd, src_root, rel, res, err) < 0)
    return berth_error_prefix(err, "%s `%s` to `%s`", s->verb, rel,
                              s->req->dest);
  return 0;
}

/* COPY <<NAME: a file NAME holding the body (0644 unless --chmod). */
static int heredoc(struct step *s, int root_fd,
                   const struct berth_df_heredoc *h, berth_error **err) {
  struct stat st = {.st_mode = S_IFREG | 0644};
  clock_gettime(CLOCK_REALTIME, &st.st_mtim);
  st.st_atim = st.st_mtim;
  _cleanup_free_ char *name = NULL;
  _cleanup_close_ int pfd = file_dest(s, root_fd, h->name, &name, err);
  _cleanup_close_ int fd = -1;
  bool created;
  if (pfd < 0 ||
      berth_copy_create(pfd, name, &st, NULL, &fd, &created, err) < 0 ||
      berth_copy_write(fd, h->content, strlen(h->content), name, err) < 0)
    return berth_error_prefix(err, "%s <<%s to `%s`", s->verb, h->name,
                              s->req->dest);
  uid_t u;
  gid_t g;
  mode_t m;
  step_meta(s, &st, &u, &g, &m);
  return berth_copy_set_meta(fd, &st, u, g, m, name, err);
}

static int ctx_sources(struct step *s, int root_fd, berth_error **err) {
  s->tree.skip = ctx_skip;
  s->tree.skip_arg = (void *)s->req->ctx;
  for (size_t i = 0; i < s->req->n_srcs; i++)
    if (copy_named(s, root_fd, s->req->ctx->dir_fd, s->req->srcs[i],
                   RESOLVE_BENEATH, err) < 0)
      return -1;
  return 0;
}

/* Every pattern expanded before anything is copied: the count decides
 * whether DEST may be a file. */
static int from_copy(struct step *s, int root_fd, int tree,
                     berth_error **err) {
  const struct berth_copy_req *r = s->req;
  char ***found = calloc(r->n_srcs + 1, sizeof *found);
  size_t total = 0;
  int rc = found ? 0 : berth_error_sys(err, "allocate");
  for (size_t i = 0; rc == 0 && i < r->n_srcs; i++) {
    size_t n = 0;
    rc = berth_glob_at(tree, r->srcs[i], &found[i], &n, err);
    total += n;
  }
  if (rc < 0)
    berth_error_prefix(err, "%s --from", s->verb);
  if (rc == 0)
    rc = check_count(s, total, err);
  for (size_t i = 0; rc == 0 && i < r->n_srcs; i++)
    for (char **p = found[i]; rc == 0 && p && *p; p++)
      rc = copy_named(s, root_fd, tree, *p, RESOLVE_IN_ROOT, err);
  for (size_t i = 0; found && i < r->n_srcs; i++)
    berth_strv_freep(&found[i]);
  free(found);
  return rc;
}

static int from_sources(struct step *s, int root_fd, berth_error **err) {
  if (s->req->n_srcs == 0)
    return check_count(s, 0, err);
  _cleanup_close_ int tree = berth_overlay_open_ro(
      s->snapshots_root, s->req->from_chain, s->req->n_from_chain, err);
  if (tree < 0)
    return berth_error_prefix(err, "%s --from", s->verb);
  return from_copy(s, root_fd, tree, err);
}

static int step_fn(int root_fd, void *arg, berth_error **err) {
  struct step *s = arg;
  /* Only a forked child has the tree in a private mount namespace; a
   * running container would be reached in this process, through its
   * own view. */
  if (getpid() == s->parent)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "%s needs a container that is not running",
                           s->verb);
  if (resolve_chown(s, root_fd, err) < 0)
    return -1;
  int rc = s->req->from ? from_sources(s, root_fd, err)
                        : ctx_sources(s, root_fd, err);
  for (size_t i = 0; rc == 0 && i < s->req->n_heredocs; i++)
    rc = heredoc(s, root_fd, &s->req->heredocs[i], err);
  return rc;
}

int berth_build_copy(struct berth_engine *e, const char *ctr_id,
                     const struct berth_copy_req *req, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ctr_id, &c, err) < 0)
    return -1;
  struct step *s = calloc(1, sizeof *s);
  if (!s)
    return berth_error_sys(err, "allocate");
  s->snapshots_root = e->root;
  s->parent = getpid();
  s->base = c->id_base;
  s->count = c->id_count;
  int rc = step_init(s, req, err);
  if (rc == 0 && strcmp(c->state, BERTH_ST_CREATED) != 0)
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "%s: container `%s` is %s, not created", s->verb,
                         c->name, c->state);
  if (rc == 0)
    rc = berth_ctr_with_rootfs(e, c, step_fn, s, NULL, err);
  free(s->dest);
  free(s);
  return rc;
}
