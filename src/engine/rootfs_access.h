/* Running code against a container's root filesystem from the host, for
 * cp, export and commit.
 *
 * A running container is reached through /proc/<init>/root: its own
 * view, volumes and other mounts included.  A stopped (or created)
 * container has no mounted rootfs, so a child process mounts the overlay
 * in a private mount namespace; the mount disappears with the child and
 * can never leak to the host, even if berth is killed. */
#ifndef BERTH_ENGINE_ROOTFS_ACCESS_H
#define BERTH_ENGINE_ROOTFS_ACCESS_H

#include <stdbool.h>

#include "engine.h"

/* Called with root_fd, an O_PATH directory fd of the container's "/".
 * Every path inside must be resolved with berth_open_in_root (or *at
 * calls on fds obtained that way with O_NOFOLLOW): the tree belongs to
 * the container and may hold any symlink.  For a stopped container fn runs
 * in a forked child: it may use inherited fds (stdin/stdout, files the
 * caller opened) but not the database, and its return value and error
 * come back to the caller. */
typedef int (*berth_rootfs_fn)(int root_fd, void *arg, berth_error **err);

/* Runs fn on the container's root filesystem (see above).  The container
 * lock is held throughout, so it is not started, stopped or removed
 * meanwhile.  *running (may be NULL) tells which way it was reached. */
int berth_ctr_with_rootfs(struct berth_engine *e, struct berth_ctr *c,
                          berth_rootfs_fn fn, void *arg, bool *running,
                          berth_error **err);

/* The image's layer chain ids, bottom first (NULL-terminated strv). */
int berth_ctr_image_chain(struct berth_engine *e, const struct berth_ctr *c,
                          char ***out, size_t *n, berth_error **err);

#endif
