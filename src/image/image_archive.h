/* Image archives: `berth save` / `berth load` in both formats users meet.
 *   oci-archive     a tar of an OCI image layout (oci-layout, index.json,
 *                   blobs/sha256/...), names in the
 *                   org.opencontainers.image.ref.name annotation;
 *   docker-archive  `docker save`'s format: manifest.json listing each
 *                   image's config (<hex>.json) and uncompressed layers
 *                   (<dir>/layer.tar), and its RepoTags.
 * Loading reads either (gzip- or zstd-compressed too); every blob is
 * verified by digest on the way in, layers against the config's diff
 * ids as they are unpacked. */
#ifndef BERTH_IMAGE_IMAGE_ARCHIVE_H
#define BERTH_IMAGE_IMAGE_ARCHIVE_H

#include <stddef.h>

#include "digest.h"
#include "error.h"
#include "imgstore.h"

enum berth_archive_format { BERTH_ARCHIVE_OCI, BERTH_ARCHIVE_DOCKER };

struct berth_save_item {
  char id[BERTH_DIGEST_SIZE];
  const char *name; /* normalised "docker.io/library/busybox:latest", or
                       NULL to save the image without a name */
};

/* What a name given to save (GET /images/get?names=) stands for: the
 * image it resolves to (item->id) and the tag the archive records for it
 * (*name, malloc'd, and item->name pointing at it): the name as given
 * when it is one of that image's tags, else none (saved by id). */
int berth_save_item_for(struct berth_imgstore *is, const char *what,
                        struct berth_save_item *item, char **name,
                        berth_error **err);

/* Writes the images to out_fd as an archive of the given format. */
int berth_save(struct berth_imgstore *is, const struct berth_save_item *items,
               size_t n, enum berth_archive_format format, int out_fd,
               berth_error **err);

/* Called for each image loaded: its id and name (NULL when unnamed). */
typedef void (*berth_loaded_fn)(void *ctx, const char *id, const char *name);

/* Loads every image of the archive read from in_fd. */
int berth_load(struct berth_imgstore *is, int in_fd, berth_loaded_fn loaded,
               void *ctx, berth_error **err);

/* Makes a one-layer image from a root filesystem tarball (plain, gzip or
 * zstd) read from in_fd; `changes` is the "config" object to use (may be
 * NULL).  Names it `name` when not NULL. */
int berth_import(struct berth_imgstore *is, int in_fd, const char *name,
                 const char *changes_json, char id[BERTH_DIGEST_SIZE],
                 berth_error **err);

#endif
