/* Idmapped bind mounts (runtime-spec 1.2: a mount's uidMappings and
 * gidMappings, options "idmap" and "ridmap").
 *
 * The kernel idmaps only a detached mount, and only for a caller
 * privileged over the source's filesystem (host root for ext4): the
 * container's init, root of its user namespace, cannot.  So the runtime
 * turns each idmapped mount's source, which it opened for the init
 * (rootfs_fds.h), into a detached clone carrying the idmap, made inside
 * the init's mount namespace, and the init attaches that clone as it is
 * instead of cloning the source. */
#ifndef BERTH_OCI_IDMAPPED_MOUNTS_H
#define BERTH_OCI_IDMAPPED_MOUNTS_H

#include "error.h"
#include "rootfs_fds.h"
#include "spec.h"

/* For every mount of s with idmap and an opened source in f: replaces
 * f->sources[i] by a detached clone of it (recursive for rbind), idmapped
 * (recursively for ridmap) with the mount's mappings, or the container's
 * user namespace (through init_pidfd) when it gives none.  Errors name
 * the mount: "mounts[3] `/dst`: bind `/src`: filesystem ramfs does not
 * support idmapped mounts" (BERTH_ERR_UNSUPPORTED); a mount without
 * mappings in a container without a user namespace is BERTH_ERR_SPEC. */
int berth_idmapped_sources(const struct berth_spec *s, int init_pidfd,
                           struct berth_rootfs_fds *f, berth_error **err);

#endif
