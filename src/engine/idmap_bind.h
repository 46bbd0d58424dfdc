/* Host paths bound into a container with a user namespace, through
 * idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP with the container's id
 * mapping): the container sees the host's ids, so its root reads and
 * writes what host root may and the files it creates belong to host root
 * (as under Docker, which has no user namespace), and nobody's files are
 * chowned.  A filesystem without idmapped mounts (ramfs, procfs, NFS...)
 * is an error naming it.
 *
 * The price, as under Docker: on such a mount the container's root is
 * host root, so it may make a file there setuid root, which the host then
 * honours for whoever runs it from the host path.  The container's own
 * mount is nosuid (start.c), so no container gains by it; the host
 * directory is the user's to share or not. */
#ifndef BERTH_ENGINE_IDMAP_BIND_H
#define BERTH_ENGINE_IDMAP_BIND_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* Attaches a recursive clone of src on target (which must exist and be of
 * src's kind; NULL: build and drop it), idmapped through userns_fd, with
 * attrs (MOUNT_ATTR_*) set on every mount of it.  src's own mount must
 * support idmapping (else BERTH_ERR_UNSUPPORTED, "bind mount SRC:
 * filesystem TYPE does not support idmapped mounts"); submounts are
 * idmapped where their filesystem allows it and keep the host's ids where
 * not. */
int berth_idmap_rbind(const char *src, const char *target, int userns_fd,
                      unsigned attrs, berth_error **err);
/* Checks, before a container is created, that every bind of mounts (the
 * request's HostConfig.Mounts) can be idmapped; errors as above. */
int berth_idmap_check_binds(json_t *mounts, berth_error **err);
#endif
