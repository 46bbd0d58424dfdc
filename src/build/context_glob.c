/* COPY/ADD sources: a path or glob, resolved as BuildKit resolves it
 * (fsutil's ResolveWildcards): the elements before the first one with a
 * wildcard name a directory, the rest are matched with filepath.Match
 * element by element in sorted directory order, a matched directory is
 * not searched further, and symlinks are not descended while matching.
 *
 * Unlike BuildKit, which clamps a path leaving the context to its root,
 * berth refuses it: "../x" and a symlink whose target leaves the context
 * are errors, so a Dockerfile never silently copies something other
 * than what it names.  Ignored entries are not there, as they would not
 * be in the context Docker sends. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "context_internal.h"
#include "path_match.h"

struct glob {
  const struct berth_tree *t;
  const char *pattern; /* as written, for messages */
  char **elems;        /* the wildcard part, element by element */
  size_t nelems;
  char **out;
  size_t n;
};

static int not_found(const struct glob *g, berth_error **err) {
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                         g->t->ignore || g->t->root_path
                             ? "\"%s\": not found in the build context or "
                               "excluded by .dockerignore"
                             : "\"%s\": not found",
                         g->pattern);
}

static int open_error(const struct glob *g, const char *rel,
                      berth_error **err) {
  if (errno == EXDEV)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "COPY source `%s`: `%s` points outside the build "
                           "context",
                           g->pattern, rel);
  if (errno == ELOOP)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "COPY source `%s`: `%s`: too many levels of "
                           "symbolic links",
                           g->pattern, rel);
  return berth_error_sys(err, "COPY source `%s`: open `%s`", g->pattern, rel);
}

/* Whether rel is a source: there, a symlink whose target is there too
 * (and inside the tree), and not ignored. */
static int check_source(const struct glob *g, const char *rel, bool *ok,
                        berth_error **err) {
  *ok = false;
  _cleanup_close_ int fd = berth_tree_open(g->t, rel, O_PATH | O_NOFOLLOW);
  struct stat st;
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : open_error(g, rel, err);
  if (fstat(fd, &st) < 0)
    return berth_error_sys(err, "stat `%s`", rel);
  if (berth_tree_visible(g->t, rel, fd, ok, err) < 0)
    return -1;
  if (!*ok || !S_ISLNK(st.st_mode))
    return 0;
  /* A source that is a symlink is copied as its target: it must exist,
   * stay inside, and not be excluded itself. */
  _cleanup_close_ int tfd = berth_tree_open(g->t, rel, O_PATH);
  *ok = false;
  if (tfd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : open_error(g, rel, err);
  if (!g->t->ignore)
    return *ok = true, 0;
  _cleanup_free_ char *real = NULL;
  if (berth_tree_real_rel(g->t, tfd, &real, err) < 0)
    return -1;
  return berth_tree_visible(g->t, real, tfd, ok, err);
}

static int add_result(struct glob *g, const char *rel, berth_error **err) {
  char **nv = realloc(g->out, (g->n + 2) * sizeof *nv);
  if (!nv)
    return berth_error_sys(err, "allocate");
  g->out = nv;
  if (!(nv[g->n] = strdup(rel)))
    return berth_error_sys(err, "allocate");
  nv[++g->n] = NULL;
  return 0;
}

/* Matches element k of the wildcard part in directory dir_fd (at rel). */
static int match_in(struct glob *g, int dir_fd, const char *rel, size_t k,
                    berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  size_t n;
  if (berth_dir_names(dir_fd, &names, &n, err) < 0)
    return berth_error_prefix(err, "COPY source `%s`", g->pattern);
  for (size_t i = 0; i < n; i++) {
    int m = berth_go_match(g->elems[k], names[i]);
    if (m < 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "COPY source `%s`: syntax error in pattern",
                             g->pattern);
    _cleanup_free_ char *crel = m ? berth_path_join(rel, names[i]) : NULL;
    if (m && !crel)
      return berth_error_sys(err, "allocate");
    bool ok;
    struct stat st;
    if (!m)
      continue;
    if (k + 1 == g->nelems) {
      if (check_source(g, crel, &ok, err) < 0 ||
          (ok && add_result(g, crel, err) < 0))
        return -1;
      continue;
    }
    if (fstatat(dir_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    _cleanup_close_ int cfd =
        openat(dir_fd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd >= 0 && match_in(g, cfd, crel, k + 1, err) < 0)
      return -1;
  }
  return 0;
}

/* Splits clean at its first element with a wildcard: *base is what
 * precedes it ("" for none), g->elems the rest. */
static int split(struct glob *g, char *clean, char **base, berth_error **err) {
  *base = clean;
  char *p = clean, *cut = NULL;
  for (;;) {
    size_t len = strcspn(p, "/");
    if (!cut && berth_go_has_wildcards(p, len))
      cut = p;
    if (cut) {
      char **nv = realloc(g->elems, (g->nelems + 2) * sizeof *nv);
      if (!nv || !(nv[g->nelems] = strndup(p, len)))
        return berth_error_sys(err, "allocate");
      g->elems = nv;
      nv[++g->nelems] = NULL;
    }
    if (!p[len])
      break;
    p += len + 1;
  }
  if (cut)
    cut[cut == clean ? 0 : -1] = '\0';
  return 0;
}

static int resolve(struct glob *g, char *clean, berth_error **err) {
  char *base;
  bool ok;
  if (split(g, clean, &base, err) < 0)
    return -1;
  if (g->nelems == 0) {
    if (check_source(g, clean, &ok, err) < 0)
      return -1;
    return ok ? add_result(g, clean, err) : not_found(g, err);
  }
  _cleanup_close_ int fd = berth_tree_open(g->t, base, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
    return open_error(g, base, err);
  if (fd >= 0 && match_in(g, fd, base, 0, err) < 0)
    return -1;
  return g->n ? 0 : not_found(g, err);
}

static int glob_tree(const struct berth_tree *t, const char *pattern,
                     bool clamp, char ***out, size_t *n, berth_error **err) {
  struct glob g = {.t = t, .pattern = pattern};
  const char *p = pattern;
  while (*p == '/')
    p++; /* "/x" names x of the context (or of the image's root) */
  _cleanup_free_ char *rooted = NULL, *clean = NULL;
  if (clamp && asprintf(&rooted, "/%s", p) < 0)
    return berth_error_sys(err, "allocate");
  clean = rooted ? berth_go_clean(rooted, strlen(rooted))
                 : berth_go_clean(p, strlen(p));
  if (!clean)
    return berth_error_sys(err, "allocate");
  if (rooted) {
    const char *rel = clean[1] ? clean + 1 : ".";
    memmove(clean, rel, strlen(rel) + 1);
  }
  if (strcmp(clean, "..") == 0 || strncmp(clean, "../", 3) == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "forbidden path outside the build context: %s",
                           pattern);
  int rc = resolve(&g, clean, err);
  berth_strv_freep(&g.elems);
  if (rc < 0) {
    berth_strv_freep(&g.out);
    return -1;
  }
  *out = g.out;
  *n = g.n;
  return 0;
}

int berth_context_sources(const struct berth_context *ctx, const char *pattern,
                          char ***out, size_t *n, berth_error **err) {
  const struct berth_tree t = {.root_fd = ctx->dir_fd,
                               .root_path = ctx->dir,
                               .resolve = RESOLVE_BENEATH,
                               .ignore = ctx->ignore};
  return glob_tree(&t, pattern, false, out, n, err);
}

/* An image's tree is a root filesystem: absolute symlinks in it mean its
 * own root (RESOLVE_IN_ROOT), and ".." stops at that root, as in a
 * container. */
int berth_glob_at(int root_fd, const char *pattern, char ***out, size_t *n,
                  berth_error **err) {
  const struct berth_tree t = {.root_fd = root_fd, .resolve = RESOLVE_IN_ROOT};
  return glob_tree(&t, pattern, true, out, n, err);
}
