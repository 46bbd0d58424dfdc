/* `-u`/`--user` and the image's User, resolved as Docker does: names are
 * looked up in the container's own /etc/passwd and /etc/group, read
 * through openat2(RESOLVE_IN_ROOT) so a hostile image's symlinks cannot
 * point the lookup at host files. */
#ifndef BERTH_ENGINE_USERSPEC_H
#define BERTH_ENGINE_USERSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct berth_userspec {
  uint32_t uid, gid;
  uint32_t *groups; /* supplementary groups (malloc'd), may be NULL */
  size_t n_groups;
  char *home;       /* from passwd; "/" when the user has no entry */
};

/* Resolves spec against the root filesystem open at rootfs_fd.  Forms:
 * "" or NULL (root), "name", "uid", "name:group", "uid:gid", "name:gid",
 * "uid:group".  A numeric uid needs no passwd entry (gid then defaults to
 * the entry's gid when there is one, else to 0... except an explicit
 * group).  Unknown names are NOT_FOUND errors: "unable to find user `foo`:
 * no matching entries in passwd file".  Supplementary groups are the
 * groups of /etc/group that list the user's name, plus extra_groups
 * (names or numbers, --group-add; may be NULL).  Ids above 2^32-2 are
 * INVALID. */
int berth_userspec_resolve(int rootfs_fd, const char *spec,
                           char *const *extra_groups,
                           struct berth_userspec *out, berth_error **err);
void berth_userspec_clear(struct berth_userspec *u);

#endif
