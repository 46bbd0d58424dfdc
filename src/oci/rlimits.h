/* process.rlimits: "RLIMIT_NOFILE" and friends, applied with prlimit. */
#ifndef BERTH_OCI_RLIMITS_H
#define BERTH_OCI_RLIMITS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_rlimit {
  int resource;
  uint64_t soft, hard;
};

/* Unknown types and duplicates are SPEC errors; soft > hard is an error. */
int berth_rlimits_parse(json_t *rlimits, const char *path,
                        struct berth_rlimit **out, size_t *n,
                        berth_error **err);
/* Applies to pid (0: the caller).  Raising a hard limit without
 * CAP_SYS_RESOURCE fails with an error naming the limit. */
int berth_rlimits_apply(const struct berth_rlimit *r, size_t n, pid_t pid,
                        berth_error **err);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown. */
int berth_rlimit_from_name(const char *name);
json_t *berth_rlimits_known(void);

#endif
