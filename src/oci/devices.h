/* linux.devices: device nodes created in the container's /dev, plus the
 * default set every container gets (null, zero, full, random, urandom, tty)
 * and the /dev symlinks (fd, stdin, stdout, stderr, ptmx, core). */
#ifndef BERTH_OCI_DEVICES_H
#define BERTH_OCI_DEVICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_device {
  char *path;
  char type;       /* 'c', 'b', 'u' or 'p' */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

/* devices: the linux.devices array (may be NULL).  path, type (c, b, u, p)
 * are required; major/minor are required except for p; fileMode is
 * limited to 07777; uid/gid to 32 bits.  Errors are BERTH_ERR_SPEC with
 * the field path ("linux.devices[2].major"). */
int berth_devices_parse(json_t *devices, const char *path,
                        struct berth_device **out, size_t *n,
                        berth_error **err);
/* Frees an array from berth_devices_parse; NULL is fine. */
void berth_devices_free(struct berth_device *d, size_t n);

/* Creates each device inside root_fd (paths resolved in the root; missing
 * parent directories are created).  Outside a user namespace the node is
 * made with mknod; inside one (mknod is refused there) an empty file is
 * created and the host node of the same path is bind-mounted onto it.
 * An existing file at the path is an error unless `skip_existing`. */
int berth_devices_create(int root_fd, const struct berth_device *d, size_t n,
                         bool in_userns, bool skip_existing,
                         berth_error **err);
/* The default nodes (null, zero, full, random, urandom, tty) in root/dev,
 * skipping paths already present (so linux.devices created first wins),
 * and the symlinks fd, stdin, stdout, stderr, plus ptmx -> pts/ptmx when
 * `with_ptmx` and core -> /proc/kcore when `with_core`.  root/dev must be
 * a fresh tmpfs owned by the container. */
int berth_devices_setup_default(int root_fd, bool in_userns, bool with_ptmx,
                                bool with_core, berth_error **err);

#endif
