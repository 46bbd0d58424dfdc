/* Image references, parsed and normalised as Docker does:
 *   busybox                -> docker.io/library/busybox:latest
 *   user/app:1.0           -> docker.io/user/app:1.0
 *   localhost:5000/a/b@sha256:... (tag optional when a digest is given)
 * Grammar: the distribution project's reference grammar (name components
 * of [a-z0-9] joined by ".", "_", "__" or dashes; an optional registry
 * host[:port] first; tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digest). */
#ifndef BERTH_IMAGE_REFERENCE_H
#define BERTH_IMAGE_REFERENCE_H

#include <stdbool.h>

#include "error.h"

#define BERTH_DEFAULT_REGISTRY "docker.io"

struct berth_ref {
  char *registry; /* "docker.io", "localhost:5000", "[::1]:5000" */
  char *path;     /* "library/busybox" */
  char *tag;      /* NULL when only a digest was given */
  char *digest;   /* NULL or "sha256:..." */
};

/* Parses and normalises s.  Errors are INVALID and say what is wrong
 * ("invalid reference `Busybox`: repository name must be lowercase"). */
int berth_ref_parse(const char *s, struct berth_ref *out, berth_error **err);
void berth_ref_free(struct berth_ref *r);
/* "docker.io/library/busybox:latest[@sha256:...]" (malloc'd). */
char *berth_ref_string(const struct berth_ref *r);
/* "docker.io/library/busybox" (malloc'd). */
char *berth_ref_repository(const struct berth_ref *r);
/* As Docker shows it: "busybox:latest", "user/app:1.0",
 * "localhost:5000/a/b:tag" (malloc'd). */
char *berth_ref_familiar(const struct berth_ref *r);
/* "docker.io/library/busybox:1" -> repository "busybox", tag "1", as
 * Docker lists names ("<none>" for no tag; an unparsable name is its own
 * repository). */
void berth_ref_split_familiar(const char *name, char *repo, size_t rlen,
                              char *tag, size_t tlen);
/* Whether the registry ("host[:port]") is on a loopback address, where
 * plain HTTP is allowed: "localhost", 127.0.0.0/8 or [::1] exactly (not
 * a DNS name that merely starts with "127."). */
bool berth_ref_registry_is_loopback(const char *registry);

#endif
