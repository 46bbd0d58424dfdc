/* Shared by load and import: recording images whose blobs are already in
 * the store, and undoing what a failed operation added. */
#ifndef BERTH_IMAGE_ARCHIVE_INTERNAL_H
#define BERTH_IMAGE_ARCHIVE_INTERNAL_H

#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "images.h"
#include "imgstore.h"
#include "manifest.h"

/* Blobs and snapshots an operation created, so that a failure can take
 * them away again and leave the store as it was. */
struct berth_added {
  char (*blobs)[BERTH_DIGEST_SIZE];
  size_t n_blobs;
  char (*chains)[BERTH_DIGEST_SIZE];
  size_t n_chains;
};
void berth_added_blob(struct berth_added *a, const char *digest);
void berth_added_chain(struct berth_added *a, const char *chain_id);
/* Removes what was added and no image references (exclusive lock). */
void berth_added_undo(struct berth_imgstore *is, struct berth_added *a);
void berth_added_free(struct berth_added *a);

/* Records the image of manifest m (stored under manifest_digest), whose
 * config and layer blobs are in the store: unpacks the missing
 * snapshots, checking each layer against its diff id. */
int berth_image_record_local(struct berth_imgstore *is,
                             const char *manifest_digest,
                             const struct berth_manifest *m, const char *tag,
                             struct berth_added *added,
                             char id[BERTH_DIGEST_SIZE], berth_error **err);

/* A new image on top of `parent` (NULL: none): the parent's layers plus
 * `layer` (an uncompressed layer blob already in the store, or NULL for
 * a config-only image), with the image config text cfg.  Stores the
 * config and an OCI manifest, then records the image (berth_image_record_
 * local; an identical one is found).  commit and build share it. */
int berth_image_record_derived(struct berth_imgstore *is,
                               const struct berth_image *parent,
                               const char *cfg, const char *layer,
                               uint64_t layer_size, const char *tag,
                               struct berth_added *added,
                               char id[BERTH_DIGEST_SIZE], berth_error **err);

/* An image config's "created" (and its history's), RFC 3339 with
 * nanoseconds as Docker writes it: second `epoch` when >= 0 (Docker's
 * SOURCE_DATE_EPOCH), else now. */
#define BERTH_IMAGE_TIME_SIZE 48
void berth_image_time(int64_t epoch, char out[BERTH_IMAGE_TIME_SIZE]);

/* The OCI layer media type for a blob, from its first bytes. */
const char *berth_layer_media_type_of(int fd);

#endif
