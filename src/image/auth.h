/* Registry credentials in Docker's format, shared with docker and podman:
 *   {"auths": {"localhost:5000": {"auth": base64("user:password")}}}
 * (~/.docker/config.json, containers-auth.json).  Docker Hub's entry may
 * be keyed "https://index.docker.io/v1/"; both spellings are accepted. */
#ifndef BERTH_IMAGE_AUTH_H
#define BERTH_IMAGE_AUTH_H

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

#endif
