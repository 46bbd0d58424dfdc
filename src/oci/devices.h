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

int berth_devices_parse(json_t *devices, const char *path,
                        struct berth_device **out, size_t *n,
                        berth_error **err);
void berth_devices_free(struct berth_device *d, size_t n);

#endif
