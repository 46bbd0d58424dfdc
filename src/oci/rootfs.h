/* Building the container's filesystem view inside its new mount namespace.
 *
 * Called by the init in three steps so hooks fit between them:
 *   prepare  - propagation, bind rootfs, every mount, /dev, devices
 *   pivot    - pivot_root into rootfs and detach the old root
 *   finalize - masked paths, read-only paths, read-only root
 * Every mount target is resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT) and mounted through its fd, never by path string. */
#ifndef BERTH_OCI_ROOTFS_H
#define BERTH_OCI_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "devices.h"
#include "error.h"
#include "mounts.h"
#include "rootfs_fds.h"

struct berth_rootfs_plan {
  const char *rootfs;              /* absolute host path */
  bool readonly;
  unsigned long rootfs_propagation;/* 0: default (MS_REC|MS_SLAVE) */
  const struct berth_mount *mounts;
  size_t n_mounts;
  const struct berth_device *devices;
  size_t n_devices;
  char *const *masked_paths;       /* NULL-terminated or NULL */
  char *const *readonly_paths;
  bool in_userns;                  /* mknod impossible: bind host nodes */
  bool new_cgroupns;               /* own (not joined) cgroup namespace */
  /* The rootfs and every bind source, opened by the runtime in this mount
   * namespace (rootfs_fds.h): nothing above them is resolved by path, so
   * a root of the user namespace that cannot search their parents (a
   * 0700 home) still mounts them.  prepare swaps fds->rootfs for the
   * rootfs's bind mount; pivot closes them all. */
  struct berth_rootfs_fds *fds;
  bool shared_mntns;               /* no mount namespace of its own: lives
                                      in the runtime's (mntns_shared.h) */
  /* Called once, right before the first "cgroup"/"cgroup2" mount (or after
   * the last mount when there is none): the init waits there for the
   * runtime to move it into the container's cgroup, so that everything
   * before overlaps with the runtime creating that cgroup.  May be NULL. */
  int (*enter_cgroup)(void *arg, berth_error **err);
  void *enter_cgroup_arg;
};

/* Must run inside the container's new mount namespace (and, when the spec
 * asks for them, after joining its user, pid and network namespaces: /proc
 * and sysfs take the caller's namespaces; cgroup mounts come after
 * plan->enter_cgroup, which puts the caller in its cgroup and namespace).
 * The rootfs and bind sources come from plan->fds (required); the host
 * filesystem must still be visible for the rest: /sys, the cgroup
 * hierarchies and, in a user namespace, the host's device nodes are
 * opened by host path.  Makes "/" MS_REC|MS_SLAVE (or the
 * rootfsPropagation when it is private/slave), binds the rootfs onto
 * itself, performs every mount
 * in order (destinations resolved in the rootfs, attached with move_mount
 * onto the resolved fd), creates linux.devices, and, when the spec mounts
 * a tmpfs at /dev, the default nodes and /dev symlinks.  A "cgroup" mount
 * on a v1/hybrid host becomes a tmpfs with one mount per hierarchy listed
 * in /proc/self/cgroup: fresh v1 mounts when plan->new_cgroupns (they show
 * the namespace's subtree), else binds of the caller's own cgroup dirs.
 * Does not change the cwd or the root. */
int berth_rootfs_prepare(const struct berth_rootfs_plan *plan,
                         berth_error **err);
/* After prepare (createRuntime/createContainer hooks may run in between):
 * pivot_root into the rootfs bind (plan->fds->rootfs), close every fd of
 * plan->fds (they reach the host's filesystem), detach the old root (made
 * a slave first so the unmount cannot propagate to the host), chdir("/"),
 * and apply a shared/unbindable rootfsPropagation to the new root.  With
 * plan->shared_mntns, prepare leaves "/" alone and makes the rootfs bind
 * private, and pivot chroots instead (see the functions). */
int berth_rootfs_pivot(const struct berth_rootfs_plan *plan,
                       berth_error **err);
/* After pivot, from inside the new root: readonlyPaths become read-only
 * recursive binds of themselves (other mount flags kept), maskedPaths get
 * the verified null device (files) or an empty read-only tmpfs
 * (directories), then "/" is made read-only when plan->readonly.  Missing
 * paths and paths that are symlinks are skipped; a path under /proc that
 * is not on procfs, or a /dev/null that is not the 1:3 char device, is an
 * error (BERTH_ERR_STATE). */
int berth_rootfs_finalize(const struct berth_rootfs_plan *plan,
                          berth_error **err);

#endif
