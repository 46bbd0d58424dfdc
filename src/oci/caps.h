/* Capabilities and the switch to the container's user.
 *
 * Sequence in the init, as the kernel requires it:
 *   berth_creds_apply(): PR_SET_KEEPCAPS, drop the bounding set,
 *   setgroups, setresgid, setresuid, capset (effective, permitted,
 *   inheritable), then raise the ambient set.  All without allocating. */
#ifndef BERTH_OCI_CAPS_H
#define BERTH_OCI_CAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_caps {
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct berth_creds {
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  bool has_caps;        /* false: process.capabilities absent -> none */
  struct berth_caps caps;
  bool no_new_privileges;
};

/* Parses process.capabilities.  Unknown names are collected in *unknown
 * (NULL-terminated, malloc'd; the caller logs them as warnings, as the
 * spec asks) rather than failing. */
int berth_caps_parse(json_t *caps, const char *path, struct berth_caps *out,
                     char ***unknown, berth_error **err);
/* Parses process.user (uid, gid, umask, additionalGids) and
 * process.noNewPrivileges into creds, together with the capabilities. */
int berth_creds_parse(json_t *process, const char *path,
                      struct berth_creds *out, char ***unknown_caps,
                      berth_error **err);
void berth_creds_free(struct berth_creds *c);
/* Applies everything, in the calling process, after which it runs as the
 * container user with exactly the requested capabilities. */
int berth_creds_apply(const struct berth_creds *c, berth_error **err);

/* "CAP_SYS_ADMIN" -> 21; -1 when unknown. */
int berth_cap_from_name(const char *name);
const char *berth_cap_name(int cap);
/* Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int berth_cap_last(void);
/* ["CAP_CHOWN", ...] every capability this build knows, for `features`. */
json_t *berth_caps_known(void);

#endif
