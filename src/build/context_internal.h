/* What ignore.c, context*.c and context_digest.c share beyond
 * context.h.  Internal to src/build. */
#ifndef BERTH_BUILD_CONTEXT_INTERNAL_H
#define BERTH_BUILD_CONTEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "context.h"

/* Walking a tree, one entry at a time: hits[i] tells whether pattern i
 * matches the entry or one of its parents (parent_hits: the parent
 * directory's, NULL at the top).  Returns whether the entry is ignored:
 * the last pattern that hits decides (Docker's MatchesOrParentMatches). */
size_t berth_ignore_count(const struct berth_ignore *ig);
/* The hits of rel (every prefix of it stepped through); returns whether
 * rel is ignored.  hits: berth_ignore_count() entries. */
bool berth_ignore_hits(const struct berth_ignore *ig, const char *rel,
                       bool *hits);
bool berth_ignore_step(const struct berth_ignore *ig, const bool *parent_hits,
                       const char *rel, size_t len, bool *hits);
/* Whether an entry below the ignored directory `dir` could still be
 * included by a `!` pattern (when not, the walk skips the directory). */
bool berth_ignore_may_reinclude_below(const struct berth_ignore *ig,
                                      const char *dir);

/* How a context's paths are resolved: RESOLVE_BENEATH (a symlink
 * leaving the context is refused) for contexts, RESOLVE_IN_ROOT for an
 * image's tree (berth_glob_at). */
struct berth_tree {
  int root_fd;
  const char *root_path; /* absolute; NULL when unknown (berth_glob_at) */
  unsigned long long resolve;
  const struct berth_ignore *ignore; /* NULL: nothing ignored */
};

/* openat2(tree root, rel, flags) with the tree's resolution rules and
 * RESOLVE_NO_MAGICLINKS; -1 with errno (EXDEV/ELOOP: left the tree). */
int berth_tree_open(const struct berth_tree *t, const char *rel, int flags);

/* The path of fd (inside the tree) relative to its root: "." for the
 * root.  INVALID when fd is not under root_path. */
int berth_tree_real_rel(const struct berth_tree *t, int fd, char **rel,
                        berth_error **err);

/* Whether the entry rel (an open O_PATH fd of it, a directory or not)
 * is in the context as Docker sends it: not ignored, or a directory
 * holding something that is not. */
int berth_tree_visible(const struct berth_tree *t, const char *rel, int fd,
                       bool *visible, berth_error **err);

/* Sorted names (strcmp order) of the directory dir_fd (any fd of it,
 * O_PATH included; not consumed), without "." and "..": a
 * NULL-terminated strv. */
int berth_dir_names(int dir_fd, char ***names, size_t *n, berth_error **err);

/* Reads the Dockerfile (df_path: relative to the context when
 * in_context, else to the current directory; NULL: the default) and the
 * .dockerignore of a context whose dir and dir_fd are set. */
int berth_context_load(struct berth_context *ctx, const char *df_path,
                       bool in_context, berth_error **err);

/* The stat cache of file digests (context_cache.c), one per digest
 * run: get answers from the database, put queues a row, close writes
 * the queued rows (failures there only cost a re-hash next time). */
struct berth_hash_cache;
int berth_hash_cache_open(struct berth_db *db, struct berth_hash_cache **out,
                          berth_error **err);
bool berth_hash_cache_get(struct berth_hash_cache *c, const char *path,
                          const struct stat *st,
                          char digest[BERTH_DIGEST_SIZE]);
void berth_hash_cache_put(struct berth_hash_cache *c, const char *path,
                          const struct stat *st,
                          const char digest[BERTH_DIGEST_SIZE]);
void berth_hash_cache_close(struct berth_hash_cache *c);

/* "a" + "/" + "b" (a == "" or "."  gives "b"), or NULL. */
char *berth_path_join(const char *a, const char *b);

#endif
