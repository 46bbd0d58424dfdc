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
  bool new_cgroupns;
};

int berth_rootfs_prepare(const struct berth_rootfs_plan *plan,
                         berth_error **err);
int berth_rootfs_pivot(const struct berth_rootfs_plan *plan,
                       berth_error **err);
int berth_rootfs_finalize(const struct berth_rootfs_plan *plan,
                          berth_error **err);

#endif
