/* Image records in the database: what images the store holds, their
 * layers (blob, diff id, chain id) and the names pointing at them.
 *
 * Names are stored normalised ("docker.io/library/busybox:latest",
 * "docker.io/library/busybox@sha256:..."); the CLI parses what users type
 * with berth_ref_parse before calling here. */
#ifndef BERTH_IMAGE_IMAGES_H
#define BERTH_IMAGE_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "digest.h"
#include "error.h"

struct berth_image_layer {
  char blob[BERTH_DIGEST_SIZE];
  char *media_type;
  int64_t blob_size;
  char diff_id[BERTH_DIGEST_SIZE];
  char chain_id[BERTH_DIGEST_SIZE];
  int64_t unpacked_size;
};

struct berth_image {
  char id[BERTH_DIGEST_SIZE]; /* config digest */
  char manifest_digest[BERTH_DIGEST_SIZE];
  char *manifest_media_type;
  char index_digest[BERTH_DIGEST_SIZE]; /* "" when pulled without index */
  char *os, *architecture, *variant;    /* variant may be NULL */
  char *created;                        /* from the config; may be NULL */
  int64_t size;                         /* sum of unpacked layer sizes */
  int64_t added;                        /* unix seconds */
  struct berth_image_layer *layers;
  size_t n_layers;
  char **tags;    /* NULL-terminated, filled by get/list */
  char **digests; /* repo digests, NULL-terminated, filled by get/list */
};

void berth_image_free(struct berth_image *img);
void berth_images_free(struct berth_image *imgs, size_t n);

/* Records an image (idempotent: an existing record is kept) and, in the
 * same transaction, points `tag` (may be NULL; moved from any other
 * image) and `repo_digest` (may be NULL) at it. */
int berth_images_add(struct berth_db *db, const struct berth_image *img,
                     const char *tag, const char *repo_digest,
                     berth_error **err);

/* Resolves what a user typed, already normalised by the caller when it
 * parses as a reference (`name`, may be NULL) and as typed (`raw`): a tag,
 * a repo digest, then a full or unique prefix of the id ("sha256:" optional,
 * at least 3 hex digits).  NOT_FOUND or INVALID (ambiguous prefix). */
int berth_images_resolve(struct berth_db *db, const char *name,
                         const char *raw, char id[BERTH_DIGEST_SIZE],
                         berth_error **err);

int berth_images_get(struct berth_db *db, const char *id,
                     struct berth_image *out, berth_error **err);
/* Every image, newest first. */
int berth_images_list(struct berth_db *db, struct berth_image **out,
                      size_t *n, berth_error **err);

/* Points a tag at an image (moving it from any other). */
int berth_images_tag(struct berth_db *db, const char *id, const char *tag,
                     berth_error **err);
/* Removes one name (tag or repo digest); NOT_FOUND when it is not one.
 * *image_id gets the image it named. */
int berth_images_untag(struct berth_db *db, const char *name,
                       char image_id[BERTH_DIGEST_SIZE], berth_error **err);
/* How many names point at the image. */
int berth_images_count_names(struct berth_db *db, const char *id,
                             berth_error **err);
/* Deletes the record with its layers and names. */
int berth_images_delete(struct berth_db *db, const char *id,
                        berth_error **err);

/* Records that image `id` was made on `parent_id` by a build step (an
 * existing record is kept). */
int berth_images_set_parent(struct berth_db *db, const char *id,
                            const char *parent_id, berth_error **err);
/* The image `id` was made on: 1 and parent filled, 0 when none is
 * recorded or it is gone. */
int berth_images_parent(struct berth_db *db, const char *id,
                        char parent[BERTH_DIGEST_SIZE], berth_error **err);
/* Whether another image was built on image `id` (1) or not (0). */
int berth_images_has_children(struct berth_db *db, const char *id,
                              berth_error **err);
/* Docker's intermediate image: one without a name (tag or repo digest)
 * that other images were built on.  `images` hides it without -a. */
int berth_images_intermediate(struct berth_db *db, const char *id,
                              berth_error **err);

/* Whether any image still references the blob / the snapshot. */
int berth_images_blob_in_use(struct berth_db *db, const char *digest,
                             berth_error **err);
int berth_images_chain_in_use(struct berth_db *db, const char *chain_id,
                              berth_error **err);

#endif
