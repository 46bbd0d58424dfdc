/* Containers without a mount namespace of their own.
 *
 * config-linux.md, Namespaces: "If a namespace type is not specified in
 * the namespaces array, the container MUST inherit the runtime namespace
 * of that type."  Such a container lives in the runtime's mount namespace
 * (usually the host's), chrooted into its rootfs as runc and crun do, and
 * the mounts its config asks for are made there, on a private bind of the
 * rootfs (see berth_rootfs_prepare).  runc leaves those mounts on the host
 * after the container is gone; berth notes which mount the rootfs path
 * showed before create and detaches everything stacked on it when the
 * container is deleted or its creation fails. */
#ifndef BERTH_OCI_MNTNS_SHARED_H
#define BERTH_OCI_MNTNS_SHARED_H

#include "error.h"

/* Mount id (as in /proc/self/mountinfo) of the mount `path` is on, not
 * following a final symlink; 0 (and err) on failure. */
unsigned long long berth_mount_id(const char *path, berth_error **err);

/* Detaches, with everything below them, the mounts stacked on `path` above
 * the mount `base` (what berth_mount_id(path) said before the container's
 * bind).  Stops as soon as `path` shows `base` again or is no longer a
 * mount point of its own, so it never reaches below what it stacked. */
void berth_detach_stacked(const char *path, unsigned long long base);

#endif
