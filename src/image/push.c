/* berth push: blobs the registry lacks, then the manifest, byte for byte
 * as stored so that its digest round-trips. */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "images.h"
#include "manifest.h"
#include "pull.h"

static int push_blob(struct berth_registry *reg, struct berth_imgstore *is,
                     const struct berth_pull_opts *o, size_t item,
                     const char *digest, uint64_t size, berth_error **err) {
  int has = berth_registry_blob_exists(reg, digest, err);
  if (has < 0)
    return -1;
  if (has) {
    if (o->xfer)
      o->xfer(o->xfer_ctx, item, digest, BERTH_XFER_SKIPPED, size, size);
    return 0;
  }
  if (o->xfer)
    o->xfer(o->xfer_ctx, item, digest, BERTH_XFER_UPLOADING, 0, size);
  if (berth_registry_push_blob(reg, is->store, digest, err) < 0)
    return -1;
  if (o->xfer)
    o->xfer(o->xfer_ctx, item, digest, BERTH_XFER_DONE, size, size);
  return 0;
}

static int push_image(struct berth_imgstore *is, const struct berth_image *img,
                      const struct berth_ref *dest,
                      const struct berth_pull_opts *o,
                      struct berth_registry *reg, berth_error **err) {
  for (size_t i = 0; i < img->n_layers; i++)
    if (push_blob(reg, is, o, i, img->layers[i].blob,
                  (uint64_t)img->layers[i].blob_size, err) < 0)
      return -1;
  if (push_blob(reg, is, o, img->n_layers, img->id, 0, err) < 0)
    return -1;
  _cleanup_free_ char *body = NULL;
  size_t len;
  if (berth_store_get(is->store, img->manifest_digest,
                      BERTH_MANIFEST_MAX_BYTES, &body, &len, err) < 0)
    return -1;
  return berth_registry_put_manifest(reg, dest->tag ? dest->tag : "latest",
                                     body, len, img->manifest_media_type, err);
}

int berth_push(struct berth_imgstore *is, const char *id,
               const struct berth_ref *dest,
               const struct berth_pull_opts *opts,
               char digest[BERTH_DIGEST_SIZE], berth_error **err) {
  struct berth_image img = {0};
  struct berth_registry *reg = NULL;
  _cleanup_free_ char *name = berth_ref_familiar(dest);
  _cleanup_free_ char *repo = berth_ref_repository(dest);
  _cleanup_free_ char *digest_name = NULL;
  int rc = -1;
  if (!name || !repo) {
    berth_error_sys(err, "allocate");
    goto out;
  }
  /* Blobs must not be collected while they are being pushed. */
  if (berth_imgstore_lock(is, false, err) < 0)
    goto out;
  rc = berth_images_get(is->db, id, &img, err);
  if (rc == 0)
    rc = berth_registry_open(dest->registry, dest->path, true, &opts->reg,
                             &reg, err);
  if (rc == 0)
    rc = push_image(is, &img, dest, opts, reg, err);
  berth_imgstore_unlock(is);
  if (rc == 0 && asprintf(&digest_name, "%s@%s", repo,
                          img.manifest_digest) < 0)
    rc = berth_error_sys(err, "allocate");
  if (rc == 0)
    rc = berth_images_add(is->db, &img, NULL, digest_name, err);
  if (rc == 0) {
    memcpy(digest, img.manifest_digest, BERTH_DIGEST_SIZE);
    berth_imgstore_event(is, "push", name, name);
  }
out:
  berth_registry_free(reg);
  berth_image_free(&img);
  if (rc < 0)
    berth_error_prefix(err, "push %s", name ? name : "image");
  return rc;
}
