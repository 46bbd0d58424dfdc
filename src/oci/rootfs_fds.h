/* The root filesystem and the bind mount sources, opened by the runtime
 * before the container's init mounts anything.
 *
 * The init is root of the container's user namespace by the time it
 * mounts: an unprivileged host id, which cannot search a 0700 home or a
 * `mktemp -d` directory above the bundle or a bind source.  The runtime
 * (host credentials) therefore opens each of them with O_PATH inside the
 * init's mount namespace and passes the fds over the sync socket; the
 * init clones its mounts from those fds and never resolves a host path
 * above them.  Nobody's directory is chmodded to make the path reachable.
 *
 * Opening in the init's own mount namespace matters: the kernel clones a
 * mount (open_tree, MS_BIND) only from the caller's namespace, so an fd
 * opened before the clone, in the runtime's namespace, would be refused. */
#ifndef BERTH_OCI_ROOTFS_FDS_H
#define BERTH_OCI_ROOTFS_FDS_H

#include <stddef.h>

#include "error.h"
#include "mounts.h"
#include "spec.h"

struct berth_rootfs_fds {
  int rootfs;   /* O_PATH of the rootfs directory; berth_rootfs_prepare
                   replaces it by its bind mount of the rootfs */
  int *sources; /* [n]: O_PATH of mounts[i]'s bind source, -1 when
                   mounts[i] is not a bind */
  size_t n;
};

#define BERTH_ROOTFS_FDS_INIT                                                  \
  { .rootfs = -1, .sources = NULL, .n = 0 }

/* Closes every fd and frees the array; leaves the value as _INIT. */
void berth_rootfs_fds_close(struct berth_rootfs_fds *f);

/* Opens rootfs and the source of every bind in mounts[0..n) with O_PATH,
 * close-on-exec, following symlinks as mount(2) does, in the caller's
 * mount namespace.  A relative source is relative to bundle (or to the
 * cwd when bundle is NULL).  Errors name the mount:
 * "mounts[2] `/dst`: bind `/src`: No such file or directory". */
int berth_rootfs_fds_open(const char *rootfs, const struct berth_mount *m,
                          size_t n, const char *bundle,
                          struct berth_rootfs_fds *out, berth_error **err);

/* berth_rootfs_fds_open in the mount namespace the init of spec `s`
 * mounts in: the one it joins (linux.namespaces path), the one it was
 * cloned into (entered through init_pidfd), or the caller's when it has
 * none.  The caller must be single-threaded (setns of a mount namespace);
 * its namespace, root and cwd are restored before this returns.  A caller
 * that may not enter that namespace (EPERM: a rootless runtime lacks
 * CAP_SYS_ADMIN and CAP_SYS_CHROOT where it runs) opens nothing and
 * leaves *out empty (rootfs -1): its init's root is the calling user, who
 * reaches the paths itself (berth_rootfs_fds_recv; it refuses idmapped
 * mounts).  The source of an idmapped mount is sent as a detached,
 * idmapped clone (idmapped_mounts.h) rather than an O_PATH fd. */
int berth_rootfs_fds_open_for(const struct berth_spec *s, const char *bundle,
                              int init_pidfd, struct berth_rootfs_fds *out,
                              berth_error **err);

/* Sends every fd of f (rootfs first, then the sources in mount order) as
 * BERTH_SYNC_FDS messages on the sync socket; an empty f as one message
 * without fds.  Returns -1 with errno set when the peer is gone. */
int berth_rootfs_fds_send(int sock, const struct berth_rootfs_fds *f);

/* The init's side: receives what berth_rootfs_fds_send sent for the same
 * rootfs and mounts, or, when it sent none, opens them itself
 * (berth_rootfs_fds_open, in the caller's mount namespace and with its
 * credentials).  Every fd is close-on-exec and numbered min_fd or above,
 * so it can never land among the fds the container is given (preserved
 * fds).  A message that does not match the mounts is an EPROTO error. */
int berth_rootfs_fds_recv(int sock, const char *rootfs,
                          const struct berth_mount *m, size_t n,
                          const char *bundle, int min_fd,
                          struct berth_rootfs_fds *out, berth_error **err);

#endif
