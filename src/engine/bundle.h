/* The OCI config.json of a container: the image's and the user's settings
 * (the create request) over berth's secure defaults. */
#ifndef BERTH_ENGINE_BUNDLE_H
#define BERTH_ENGINE_BUNDLE_H

#include <jansson.h>

#include "engine.h"
#include "userspec.h"

struct berth_bundle_in {
  const struct berth_ctr *ctr;
  const char *dir;               /* containers/<id> */
  const struct berth_userspec *user;
  const char *arch;              /* uname machine, for seccomp */
  const char *init_exe;          /* berth-init, for --init */
  const char *pid_ns_path;       /* --pid container:X: X's /proc/PID/ns/pid */
  const char *ipc_ns_path;       /* --ipc container:X: X's /proc/PID/ns/ipc */
  const char *net_ns_path;       /* --network container:X: X's .../ns/net */
  const char *proc_source;       /* --pid container:X in a user namespace:
                                    a proc of X's pid namespace to bind */
};

/* Builds the spec.  Errors name the setting ("--security-opt seccomp=FILE:
 * ..."). */
int berth_bundle_spec(const struct berth_bundle_in *in, json_t **out,
                      berth_error **err);

/* Docker's default capability set (NULL-terminated "CAP_*" names;
 * defined in caps_set.c). */
extern const char *const berth_default_caps[];

#endif
