/* COPY and ADD: files from the build context, a heredoc, or another
 * stage's or image's tree, written into a build container's root
 * filesystem (a created, never started container: its overlay is
 * mounted in a private mount namespace by berth_ctr_with_rootfs, so the
 * files land in its upper dir, which becomes the step's layer).
 *
 * Docker's rules: a source directory's CONTENTS are copied (not the
 * directory itself); a file goes to DEST when DEST does not end in '/'
 * (nor is an existing directory) and there is one source, else to
 * DEST/basename; several sources (after glob expansion) need DEST to
 * end in '/'; missing parents of DEST are created (0755, root, or
 * --chown's user as BuildKit does); a relative DEST is relative to the
 * stage's WORKDIR.  Copied entries belong to 0:0 unless --chown (names
 * resolved in the destination's /etc/passwd and /etc/group); COPY
 * --from keeps the source's owners unless --chown.  Modes are kept
 * unless --chmod.  Hard links within one source tree stay hard links.
 * Symlinks are copied as symlinks.  mtimes are kept (context files) as
 * Docker does.  ADD unpacks a local tar (plain, gzip, bzip2, xz) into
 * DEST with the same confinement as a pulled layer (its entries keep
 * their owners unless --chown, and their modes); ADD of a URL is an
 * UNSUPPORTED error.  Every destination path is resolved inside the
 * container's root (RESOLVE_IN_ROOT): the image's own symlinks cannot
 * send a write outside it. */
#ifndef BERTH_BUILD_COPY_STEP_H
#define BERTH_BUILD_COPY_STEP_H

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "dockerfile.h"
#include "engine.h"

struct berth_copy_req {
  bool add;                           /* ADD */
  /* Exactly one source kind: */
  const struct berth_context *ctx;    /* context sources (srcs: context-
                                         relative, from berth_context_
                                         sources) */
  char *const *from_chain;            /* --from: the source image's layer
                                         chain ids, bottom first (srcs:
                                         patterns as written, globbed
                                         in that tree); n_from_chain may
                                         be 0 (a scratch stage) */
  size_t n_from_chain;
  bool from;                          /* from_chain is the source */
  const struct berth_df_heredoc *heredocs; /* COPY <<EOF dest: each
                                         heredoc a file named by its
                                         delimiter, contents expanded by
                                         the caller */
  size_t n_heredocs;
  char *const *srcs;
  size_t n_srcs;
  const char *dest;                   /* expanded, as written */
  const char *workdir;                /* the stage's WorkingDir; NULL/"" =
                                         "/" */
  const char *chown;                  /* expanded --chown or NULL */
  const char *chmod;                  /* --chmod (octal) or NULL */
};

/* true for a source ADD would download (http://, https://, git://,
 * git@): berth_build_copy refuses those (UNSUPPORTED for ADD, INVALID
 * for COPY), so the executor passes them on unexpanded rather than to
 * berth_context_sources. */
bool berth_copy_src_is_url(const char *src);

/* Performs the copy into container ctr_id (created, not running).  On
 * error the container's upper dir may hold part of the copy; the caller
 * removes the container. */
int berth_build_copy(struct berth_engine *e, const char *ctr_id,
                     const struct berth_copy_req *req, berth_error **err);

#endif
