/* Registry credentials in Docker's format, shared with docker and podman:
 *   {"auths": {"localhost:5000": {"auth": base64("user:password")}}}
 * (~/.docker/config.json, containers-auth.json).  Docker Hub's entry may
 * be keyed "https://index.docker.io/v1/"; both spellings are accepted. */
#ifndef BERTH_IMAGE_AUTH_H
#define BERTH_IMAGE_AUTH_H

#include <jansson.h>

#include "error.h"

struct berth_credentials {
  char *username, *password;
};
void berth_credentials_free(struct berth_credentials *c);

/* Looks the registry up in each file of `files` (NULL-terminated; missing
 * files are skipped) and stops at the first that has it.  Returns 1 when
 * found, 0 when no file has it. */
int berth_auth_lookup(const char *const *files, const char *registry,
                      struct berth_credentials *out, berth_error **err);
/* Adds or replaces the registry's entry of `file` (created 0600 with its
 * directory, written atomically; other keys of the file are kept). */
int berth_auth_store(const char *file, const char *registry,
                     const char *username, const char *password,
                     berth_error **err);
/* Removes the entry; NOT_FOUND when the file has none. */
int berth_auth_remove(const char *file, const char *registry,
                      berth_error **err);

/* Docker's AuthConfig as the Engine API's X-Registry-Auth header sends
 * it: base64url (padded or not; the standard alphabet too) of
 * {"username", "password"} or {"auth": base64("user:password")}; other
 * members (serveraddress, email, identitytoken) are ignored.  Returns 1
 * with out filled, 0 (out empty) for an empty header or one without
 * credentials (docker sends "{}" base64'd), -1 INVALID "invalid NAME
 * header: ..." otherwise. */
int berth_auth_header_decode(const char *name, const char *value,
                             struct berth_credentials *out, berth_error **err);
/* X-Registry-Config: base64url of {"registry": AuthConfig, ...} (every
 * login of the client, for a build's pulls).  *out gets {"<registry as
 * login names it>": {"username", "password"}} ({} for an empty header;
 * the caller json_decref's it, also on failure). */
int berth_auth_config_header_decode(const char *name, const char *value,
                                    json_t **out, berth_error **err);

#endif
