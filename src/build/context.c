/* The build context: opening a directory context, its Dockerfile and
 * .dockerignore, and the path helpers every context operation shares
 * (resolution confined to the context, directory listings, whether an
 * entry is in the context as Docker would send it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "context_internal.h"
#include "dockerfile.h"
#include "fs.h"

/* Larger .dockerignore files are refused (real ones are a few lines). */
#define IGNORE_MAX (1u << 20)

char *berth_path_join(const char *a, const char *b) {
  char *out = NULL;
  if (!*a || strcmp(a, ".") == 0)
    return strdup(b);
  return asprintf(&out, "%s/%s", a, b) < 0 ? NULL : out;
}

int berth_tree_open(const struct berth_tree *t, const char *rel, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = t->resolve | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, t->root_fd, *rel ? rel : ".", &how,
                      sizeof how);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth_dir_names(int dir_fd, char ***names, size_t *n, berth_error **err) {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return berth_error_sys(err, "read directory");
  }
  _cleanup_strv_ char **v = calloc(1, sizeof *v);
  size_t len = 0;
  int fail = v ? 0 : ENOMEM;
  struct dirent *e;
  for (errno = 0; !fail && (e = readdir(d)); errno = 0) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char **nv = realloc(v, (len + 2) * sizeof *nv);
    if (nv)
      v = nv;
    if (!nv || !(v[len] = strdup(e->d_name)))
      fail = ENOMEM;
    else
      v[++len] = NULL;
  }
  fail = fail ? fail : errno;
  closedir(d);
  if (fail)
    return berth_error_set(err, BERTH_ERR_SYSTEM, fail, "read directory");
  qsort(v, len, sizeof *v, cmp_names);
  *n = len;
  *names = steal_pointer(&v);
  return 0;
}

int berth_tree_real_rel(const struct berth_tree *t, int fd, char **rel,
                        berth_error **err) {
  char proc[64], path[PATH_MAX + 1];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, path, sizeof path - 1);
  if (n < 0)
    return berth_error_sys(err, "resolve a context path");
  path[n] = '\0';
  size_t r = strlen(t->root_path);
  if (strncmp(path, t->root_path, r) != 0 || (path[r] && path[r] != '/'))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` is not inside the build context", path);
  *rel = strdup(path[r] ? path + r + 1 : ".");
  return *rel ? 0 : berth_error_sys(err, "allocate");
}

/* Whether something below the ignored directory dir_fd (at rel, whose
 * pattern hits are `hits`) is not ignored. */
static int any_visible(const struct berth_tree *t, int dir_fd, const char *rel,
                       const bool *hits, bool *found, berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  size_t n;
  size_t np = berth_ignore_count(t->ignore);
  _cleanup_free_ bool *mine = calloc(np ? np : 1, sizeof *mine);
  if (!mine || berth_dir_names(dir_fd, &names, &n, err) < 0)
    return mine ? -1 : berth_error_sys(err, "allocate");
  for (size_t i = 0; i < n && !*found; i++) {
    _cleanup_free_ char *crel = berth_path_join(rel, names[i]);
    struct stat st;
    if (!crel)
      return berth_error_sys(err, "allocate");
    if (!berth_ignore_step(t->ignore, hits, crel, strlen(crel), mine)) {
      *found = true;
      break;
    }
    if (fstatat(dir_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISDIR(st.st_mode) ||
        !berth_ignore_may_reinclude_below(t->ignore, crel))
      continue;
    _cleanup_close_ int cfd =
        openat(dir_fd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd >= 0 && any_visible(t, cfd, crel, mine, found, err) < 0)
      return -1;
  }
  return 0;
}

int berth_tree_visible(const struct berth_tree *t, const char *rel, int fd,
                       bool *visible, berth_error **err) {
  size_t np = berth_ignore_count(t->ignore);
  *visible = true;
  if (np == 0)
    return 0;
  _cleanup_free_ bool *hits = calloc(np, sizeof *hits);
  if (!hits)
    return berth_error_sys(err, "allocate");
  if (!berth_ignore_hits(t->ignore, rel, hits))
    return 0;
  /* An excluded directory is still sent when a `!` pattern brings back
   * something inside it (Docker sends it as that entry's parent). */
  struct stat st;
  *visible = false;
  if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) ||
      !berth_ignore_may_reinclude_below(t->ignore, rel))
    return 0;
  return any_visible(t, fd, rel, hits, visible, err);
}

/* Opens path following symlinks (inside the tree when t is set), reading
 * it only if it is a regular file: a FIFO or device is refused without
 * ever being opened for reading. */
static int open_regular(const struct berth_tree *t, const char *path,
                        berth_error **err) {
  _cleanup_close_ int pfd =
      t ? berth_tree_open(t, path, O_PATH) : open(path, O_PATH | O_CLOEXEC);
  struct stat st;
  if (pfd < 0)
    return -1; /* errno for the caller */
  if (fstat(pfd, &st) < 0)
    return berth_error_sys(err, "stat `%s`", path);
  if (!S_ISREG(st.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` is not a regular file", path);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
  int fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  return fd < 0 ? berth_error_sys(err, "open `%s`", path) : fd;
}

/* The whole of a regular file, at most max bytes; 1 when it is missing. */
static int read_small(const struct berth_tree *t, const char *path, size_t max,
                      char **out, size_t *len, berth_error **err) {
  berth_error *e = NULL;
  _cleanup_close_ int fd = open_regular(t, path, &e);
  if (fd < 0 && !e && (errno == ENOENT || errno == ENOTDIR))
    return 1;
  if (fd < 0 && !e && t && (errno == EXDEV || errno == ELOOP))
    berth_error_set(&e, BERTH_ERR_INVALID, 0,
                    "`%s` points outside the build context", path);
  if (fd < 0 && !e)
    berth_error_sys(&e, "open `%s`", path);
  if (fd < 0) {
    if (err && !*err)
      *err = e;
    else
      berth_error_free(e);
    return -1;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (berth_read_file(AT_FDCWD, proc, max, out, len, NULL) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "read `%s`: unreadable or larger than %zu bytes",
                           path, max);
  return 0;
}

/* The Dockerfile: `path` relative to the context (t set) or to the
 * current directory; NULL for the default, "Dockerfile" in the context
 * with Docker's fallback to "dockerfile".  *used: the path read. */
static int read_dockerfile(struct berth_context *ctx,
                           const struct berth_tree *t, const char *path,
                           char **used, berth_error **err) {
  static const char *const names[] = {"Dockerfile", "dockerfile"};
  int rc = 1;
  for (size_t i = 0; rc == 1 && i < (path ? 1 : 2); i++) {
    free(*used);
    *used = path ? strdup(path)
            : t  ? strdup(names[i])
                 : berth_path_join(ctx->dir, names[i]);
    rc = *used ? read_small(t, *used, BERTH_DOCKERFILE_MAX, &ctx->dockerfile,
                            &ctx->dockerfile_len, err)
               : berth_error_sys(err, "allocate");
  }
  if (rc == 1)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "Cannot locate specified Dockerfile: %s",
                           path ? path : "Dockerfile");
  if (rc < 0)
    return -1;
  const char *base = strrchr(*used, '/');
  ctx->dockerfile_name = strdup(base ? base + 1 : *used);
  return ctx->dockerfile_name ? 0 : berth_error_sys(err, "allocate");
}

static int parse_ignore(struct berth_context *ctx, const char *name,
                        const char *text, size_t len, berth_error **err) {
  if (berth_ignore_parse(text, len, &ctx->ignore, err) < 0)
    return berth_error_prefix(err, "%s", name);
  return 0;
}

/* BuildKit's "<Dockerfile>.dockerignore" beside the Dockerfile wins over
 * the context's .dockerignore. */
static int load_ignore(struct berth_context *ctx, const struct berth_tree *t,
                       const char *df_path, berth_error **err) {
  _cleanup_free_ char *text = NULL, *own = NULL;
  size_t len;
  if (asprintf(&own, "%s.dockerignore", df_path) < 0)
    return berth_error_sys(err, "allocate");
  int rc = read_small(t, own, IGNORE_MAX, &text, &len, err);
  if (rc == 0)
    return parse_ignore(ctx, own, text, len, err);
  if (rc < 0)
    return -1;
  const struct berth_tree in_ctx = {.root_fd = ctx->dir_fd,
                                    .resolve = RESOLVE_BENEATH};
  rc = read_small(&in_ctx, ".dockerignore", IGNORE_MAX, &text, &len, err);
  return rc == 0 ? parse_ignore(ctx, ".dockerignore", text, len, err)
                 : (rc < 0 ? -1 : 0);
}

/* The Dockerfile and ignore file of a context whose dir is open. */
int berth_context_load(struct berth_context *ctx, const char *df_path,
                       bool in_context, berth_error **err) {
  const struct berth_tree t = {.root_fd = ctx->dir_fd,
                               .resolve = RESOLVE_BENEATH};
  _cleanup_free_ char *used = NULL;
  if (read_dockerfile(ctx, in_context ? &t : NULL, df_path, &used, err) < 0)
    return -1;
  return load_ignore(ctx, in_context ? &t : NULL, used, err);
}

int berth_context_open_dir(const char *dir, const char *dockerfile,
                           struct berth_context **out, berth_error **err) {
  struct berth_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return berth_error_sys(err, "allocate");
  ctx->dir_fd = -1;
  int rc = 0;
  if (!(ctx->dir = realpath(dir, NULL)))
    rc = berth_error_set(
        err, errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_SYSTEM, errno,
        "unable to prepare context: path \"%s\"", dir);
  else if ((ctx->dir_fd = open(ctx->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, errno,
                         "unable to prepare context: context must be a "
                         "directory: %s",
                         dir);
  if (rc == 0)
    rc = berth_context_load(ctx, dockerfile, false, err);
  if (rc < 0) {
    berth_context_free(ctx);
    return -1;
  }
  *out = ctx;
  return 0;
}

void berth_context_free(struct berth_context *ctx) {
  if (!ctx)
    return;
  if (ctx->dir_fd >= 0)
    close(ctx->dir_fd);
  if (ctx->tmp_dir)
    berth_rm_rf(ctx->tmp_dir, NULL);
  free(ctx->tmp_dir);
  free(ctx->dir);
  free(ctx->dockerfile);
  free(ctx->dockerfile_name);
  berth_ignore_free(ctx->ignore);
  free(ctx);
}

bool berth_context_ignored(const struct berth_context *ctx, const char *rel) {
  return ctx->ignore && berth_ignore_match(ctx->ignore, rel);
}
