/* The `mounts` array of config.json, parsed into typed mount operations. */
#ifndef BERTH_OCI_MOUNTS_H
#define BERTH_OCI_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct berth_mount {
  char *destination;        /* absolute path inside the container */
  char *type;               /* may be NULL for bind mounts */
  char *source;             /* may be NULL */
  char *data;               /* fs-specific options joined by ',' or NULL */
  unsigned long flags;      /* MS_* flags to set */
  unsigned long clear;      /* MS_* flags explicitly cleared (rw, suid...) */
  unsigned long propagation;/* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
  bool bind, recursive;     /* bind / rbind */
  bool recursive_ro;        /* "rro": mount_setattr AT_RECURSIVE MOUNT_ATTR_RDONLY */
  bool tmpcopyup;
};

/* mounts: the JSON array (may be NULL).  Options are mapped through a table
 * (ro, rw, nosuid, suid, nodev, dev, noexec, exec, sync, async, remount,
 * mand, nomand, atime, noatime, diratime, nodiratime, relatime, norelatime,
 * strictatime, nostrictatime, bind, rbind, private, rprivate, shared,
 * rshared, slave, rslave, unbindable, runbindable, rro, tmpcopyup...);
 * anything else is passed on in `data`. */
int berth_mounts_parse(json_t *mounts, const char *path,
                       struct berth_mount **out, size_t *n, berth_error **err);
void berth_mounts_free(struct berth_mount *m, size_t n);
/* "rprivate" etc. -> MS_* propagation flags; -1 if unknown. */
long berth_propagation_from_name(const char *name);

#endif
