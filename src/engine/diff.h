/* A container's changes to its image: Docker's GET /containers/{id}/
 * changes (`berth diff`), read from the overlay's upper directory. */
#ifndef BERTH_ENGINE_DIFF_H
#define BERTH_ENGINE_DIFF_H

#include "engine.h"

/* Docker's kinds: 0 modified (C), 1 added (A), 2 deleted (D). */
enum berth_change_kind {
  BERTH_CHANGE_MODIFY = 0,
  BERTH_CHANGE_ADD = 1,
  BERTH_CHANGE_DELETE = 2,
};

typedef int (*berth_change_fn)(void *arg, const char *path,
                               enum berth_change_kind kind);

/* Calls fn for each change, in path order as Docker walks the layer:
 * a whiteout is a deletion, an opaque directory that hides a lower one
 * too (its new content follows as additions); a path the image has is a
 * modification, except a directory with the same size and mode, which is
 * modified only when something in it changed (reported before that
 * change); the mount points the engine makes for /etc/hosts, hostname
 * and resolv.conf are not changes. */
int berth_ctr_changes(struct berth_engine *e, const char *ref,
                      berth_change_fn fn, void *arg, berth_error **err);

/* The mount points of the engine's /etc/hosts, /etc/hostname and
 * /etc/resolv.conf that the container's upper dir holds only for that
 * (empty files the image has not): their names as a layer writes them
 * ("etc/hosts"), NULL-terminated.  A layer leaves them out, as diff
 * does: Docker keeps them in an init layer, BuildKit removes them. */
int berth_ctr_engine_stubs(struct berth_engine *e,
                           const struct berth_ctr *c, char ***out,
                           berth_error **err);

#endif
