/* The build context: the directory (or tarball on stdin) whose files
 * COPY and ADD may read, minus what `.dockerignore` excludes.
 *
 * Everything here treats the context as untrusted: paths are resolved
 * with openat2(RESOLVE_BENEATH) from the context's directory fd, a
 * source that names or resolves to something outside the context
 * ("../x", a symlink to /etc) is refused, and a tarball is unpacked with
 * every entry confined to a fresh private directory. */
#ifndef BERTH_BUILD_CONTEXT_H
#define BERTH_BUILD_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "digest.h"
#include "error.h"

/* .dockerignore: Docker's rules.  One pattern per line, '#' lines are
 * comments, blank lines skipped, patterns cleaned (filepath.Clean; a
 * leading '/' dropped), Go filepath.Match syntax (*, ?, [...], '\'
 * escapes) per path element plus `**` matching any number of elements,
 * `!` re-including; the LAST matching pattern decides.  A directory that
 * is excluded excludes everything under it unless a later `!` pattern
 * can match below it. */
struct berth_ignore;
int berth_ignore_parse(const char *text, size_t len,
                       struct berth_ignore **out, berth_error **err);
void berth_ignore_free(struct berth_ignore *ig);
/* rel: a cleaned context-relative path without leading "/" ("a/b.txt"). */
bool berth_ignore_match(const struct berth_ignore *ig, const char *rel);

struct berth_context {
  char *dir;            /* absolute path of the context directory */
  int dir_fd;           /* O_PATH|O_DIRECTORY of dir */
  char *tmp_dir;        /* the private directory a stream was unpacked
                           into (removed by berth_context_free), or NULL */
  char *dockerfile;     /* the Dockerfile's text (NUL-terminated) */
  size_t dockerfile_len;
  char *dockerfile_name;/* its base name, for messages ("Dockerfile") */
  struct berth_ignore *ignore; /* NULL: nothing ignored */
};

/* A directory context.  dockerfile: -f as given (NULL: DIR/Dockerfile;
 * a relative -f is relative to the current directory, as Docker's CLI;
 * "-" is not handled here).  The Dockerfile may lie outside the context
 * and may itself be ignored; its size is bounded by BERTH_DOCKERFILE_MAX
 * (dockerfile.h). */
int berth_context_open_dir(const char *dir, const char *dockerfile,
                           struct berth_context **out, berth_error **err);
/* `berth build -`: reads in_fd.  A tar (plain, gzip, bzip2, xz or zstd)
 * is unpacked under a new 0700 directory under tmp_parent (entries with
 * absolute names, "..", links pointing out, device nodes, FIFOs,
 * sockets, whiteout names and trusted.* xattrs are refused, naming the
 * entry; owners are kept, as Docker's daemon keeps them: COPY makes
 * them 0:0 anyway) and becomes the context, with the Dockerfile named
 * by `dockerfile` (default "Dockerfile", relative to the context root)
 * inside it; anything else that is not compressed is the Dockerfile
 * itself and the context is an empty directory.  On error nothing is
 * left under tmp_parent. */
int berth_context_open_stream(int in_fd, const char *tmp_parent,
                              const char *dockerfile,
                              struct berth_context **out, berth_error **err);
void berth_context_free(struct berth_context *ctx);

bool berth_context_ignored(const struct berth_context *ctx, const char *rel);

/* COPY/ADD sources: `pattern` as written after variable expansion,
 * relative to the context root ("/x" is "x"), may hold globs (Go's
 * filepath.Match per element against entries that are not ignored;
 * symlinked directories are not searched).  Fills a NULL-terminated
 * strv of cleaned context-relative paths ("." for the whole context),
 * in walk order (names sorted element by element).  A source that is a
 * symlink is returned under its own name (COPY follows it; its target
 * must be inside and not ignored).  A pattern leaving the context is
 * INVALID ("forbidden path outside the build context: ../x"); no match
 * is NOT_FOUND ("\"x\": not found in the build context or excluded by
 * .dockerignore"); a source that is a symlink leading outside the
 * context is INVALID ("... points outside the build context"). */
int berth_context_sources(const struct berth_context *ctx,
                          const char *pattern, char ***out, size_t *n,
                          berth_error **err);

/* The same glob rules over any tree (COPY --from: an image's root, where
 * root_fd is its "/" and absolute patterns are relative to it); nothing
 * is ignored, and, the tree being a root file system, its symlinks
 * resolve inside it (RESOLVE_IN_ROOT: "/x" means its own /x) and ".."
 * stops at its root.  For use inside the child that has that tree
 * mounted. */
int berth_glob_at(int root_fd, const char *pattern, char ***out, size_t *n,
                  berth_error **err);

/* A digest of what COPY would copy from these sources (rels from
 * berth_context_sources; one that is a symlink is followed inside the
 * context, links below it are digested as links): for every entry
 * under each source (ignored entries left out), in sorted order, its
 * relative path, type, mode, owner, size, xattrs, link target and
 * content digest; NOT mtimes.  File contents are hashed only when a
 * file's (device, inode, size, mtime, ctime) changed since the last
 * build (a stat cache in the database `db`, table build_file_hashes of
 * engine/schema.c,
 * may be NULL: hash everything), so a rebuild with an unchanged
 * context reads no file. */
int berth_context_digest(const struct berth_context *ctx, struct berth_db *db,
                         char *const *rels, size_t n,
                         char digest[BERTH_DIGEST_SIZE], berth_error **err);

#endif
