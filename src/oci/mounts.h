/* The `mounts` array of config.json, parsed into typed mount operations. */
#ifndef BERTH_OCI_MOUNTS_H
#define BERTH_OCI_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "namespaces.h"

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
  unsigned long rec_flags;  /* MS_* set recursively: rro, rnosuid, rnodev... */
  unsigned long rec_clear;  /* MS_* cleared recursively: rrw, rsuid, rexec... */
  bool tmpcopyup;
  /* Idmapped mount (runtime-spec: "idmap"/"ridmap" options, mount
   * uidMappings/gidMappings): the source's ids seen through the given
   * mappings, or the container's user namespace's when none are given. */
  bool idmap, idmap_recursive;
  struct berth_id_map *uid_maps, *gid_maps;
  size_t n_uid_maps, n_gid_maps;
};

/* mounts: the JSON array (may be NULL; `path` is its field path, e.g.
 * "mounts").  Options are mapped through a table (ro, rw, nosuid, suid,
 * nodev, dev, noexec, exec, sync, async, dirsync, remount, mand, nomand,
 * atime, noatime, diratime, nodiratime, relatime, norelatime, strictatime,
 * nostrictatime, lazytime, nolazytime, silent, loud, nosymfollow,
 * symfollow, bind, rbind, private, rprivate, shared, rshared, slave, rslave,
 * unbindable, runbindable, tmpcopyup, and the recursive rro, rrw, rnosuid,
 * rsuid, rnodev, rdev, rnoexec, rexec, rnoatime, ratime, rrelatime,
 * rnorelatime, rstrictatime, rnostrictatime, rnodiratime, rdiratime,
 * rnosymfollow, rsymfollow, and idmap, ridmap); the last of conflicting
 * options wins; anything else is passed on in `data` (at most 4095 bytes).
 * type "bind"/"rbind" implies a bind.  Errors (BERTH_ERR_SPEC, field set):
 * a destination that is not absolute, a bind without source, a non-bind
 * without type, idmap/ridmap or uid/gidMappings on a mount that is not a
 * bind, uidMappings without gidMappings or the reverse, more than 4096
 * mounts.  On success *out is NULL when *n is 0. */
int berth_mounts_parse(json_t *mounts, const char *path,
                       struct berth_mount **out, size_t *n, berth_error **err);
/* Frees an array from berth_mounts_parse; NULL is fine. */
void berth_mounts_free(struct berth_mount *m, size_t n);
/* "rprivate" etc. -> MS_* propagation flags; -1 if unknown. */
long berth_propagation_from_name(const char *name);

#endif
