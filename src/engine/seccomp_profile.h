/* The default seccomp profile: a JSON file users can copy, edit and pass
 * back with --security-opt seccomp=FILE, and a copy compiled into berth.
 *
 * Its format is the OCI `linux.seccomp` object (defaultAction,
 * architectures, syscalls[] with names/action/errnoRet/args), where each
 * syscalls[] rule may also carry Docker-style conditions:
 *   "includes": {"caps": [...], "arches": [...], "minKernel": "4.8"}
 *   "excludes": {"caps": [...], "arches": [...]}
 * A rule applies when every include condition holds and no exclude does. */
#ifndef BERTH_ENGINE_SECCOMP_PROFILE_H
#define BERTH_ENGINE_SECCOMP_PROFILE_H

#include <jansson.h>

#include "error.h"

/* The built-in default profile (parsed; caller owns the reference). */
int berth_seccomp_default_profile(json_t **out, berth_error **err);
/* Reads a profile file; errors name file, line and column. */
int berth_seccomp_profile_load(const char *path, json_t **out,
                               berth_error **err);
/* The OCI linux.seccomp object for a container with capabilities caps
 * (NULL-terminated, "CAP_SYS_ADMIN" form) on arch (uname machine, e.g.
 * "x86_64"): conditional rules kept or dropped, conditions removed.
 * Validates the profile: unknown actions, syscalls that are not strings,
 * malformed conditions are INVALID errors naming the field. */
int berth_seccomp_profile_resolve(json_t *profile, char *const *caps,
                                  const char *arch, json_t **out,
                                  berth_error **err);

#endif
