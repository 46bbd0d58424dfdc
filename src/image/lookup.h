/* What a user typed, resolved to an image: a name (normalised as Docker
 * does), a repo digest, or an id prefix; and, as podman does, a short
 * name that has no docker.io image here falls back to localhost/NAME,
 * where `load` and `import` of podman's archives put images. */
#ifndef BERTH_IMAGE_LOOKUP_H
#define BERTH_IMAGE_LOOKUP_H

#include <stdbool.h>

#include "db.h"
#include "digest.h"
#include "error.h"

struct berth_image_match {
  char id[BERTH_DIGEST_SIZE];
  char *name;      /* the normalised name that matched; NULL: by id */
  bool localhost;  /* a short name matched localhost/NAME (say so) */
};

/* NOT_FOUND "No such image: WHAT", INVALID for an ambiguous id prefix. */
int berth_image_lookup(struct berth_db *db, const char *what,
                       struct berth_image_match *m, berth_error **err);
void berth_image_match_clear(struct berth_image_match *m);

/* The normalised name `what` stands for ("busybox" ->
 * "docker.io/library/busybox:latest"), NULL when it is not a reference. */
char *berth_image_normalise(const char *what);

#endif
