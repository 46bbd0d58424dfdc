/* Where a registry's credentials and CA come from: the policy docker and
 * podman follow, decided here for every caller (the CLI passes its flags,
 * an API server the request's), so no caller searches files itself.
 *
 * Credential files, searched in this order, the first holding the
 * registry wins:
 *   --authfile alone when given; else $REGISTRY_AUTH_FILE,
 *   $XDG_RUNTIME_DIR/containers/auth.json, then docker's
 *   $DOCKER_CONFIG/config.json or ~/.docker/config.json.
 * CA: <--cert-dir>/ca.crt when given; else the first readable
 *   <dir>/<registry>/ca.crt of /etc/containers/certs.d and
 *   /etc/docker/certs.d; none: the system's trust store only. */
#ifndef BERTH_IMAGE_REGISTRY_OPTIONS_H
#define BERTH_IMAGE_REGISTRY_OPTIONS_H

#include <stdbool.h>

#include "error.h"
#include "registry.h"

/* What the user asked for, as docker's and podman's flags say it. */
struct berth_registry_flags {
  const char *authfile; /* --authfile: the only file read and written */
  const char *cert_dir; /* --cert-dir: its ca.crt instead of certs.d */
  bool insecure;        /* --tls-verify=false */
  const char *username, *password; /* given (login, X-Registry-Auth) */
  /* certs.d directories to search; NULL: the two above. */
  const char *const *certs_dirs;
};

/* The options for talking to one registry; opts points into the rest. */
struct berth_registry_setup {
  struct berth_registry_opts opts;
  const char *auth_files[5];
  char *owned[5];
};

/* Fills out->opts for `registry` ("localhost:5000", "docker.io"):
 * credential files, CA file, TLS, and the BERTH_REGISTRY_TIMEOUT and
 * BERTH_REGISTRY_RETRIES tuning from the environment.  A registry name
 * that could leave certs.d (empty, "/", "..") is refused.  Free with
 * berth_registry_setup_free, after the last use of out->opts. */
int berth_registry_options_for(const char *registry,
                               const struct berth_registry_flags *flags,
                               struct berth_registry_setup *out,
                               berth_error **err);
void berth_registry_setup_free(struct berth_registry_setup *s);

/* The file login writes and logout edits: --authfile, else
 * $REGISTRY_AUTH_FILE, else docker's config.json (as docker login).
 * Returns a malloc'd path or NULL (ENOMEM). */
char *berth_registry_login_file(const struct berth_registry_flags *flags);

/* The registry a login/logout argument names: "https://host/v1/" and
 * "host" both name host; Docker Hub's aliases name docker.io. */
void berth_registry_login_name(const char *arg, char *out, size_t len);

/* Checks credentials (flags->username, flags->password) with the
 * registry as docker login does, storing nothing (registry_login.c). */
int berth_registry_login_check(const char *registry,
                               const struct berth_registry_flags *flags,
                               berth_error **err);

#endif
