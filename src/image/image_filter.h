/* `images REPO[:TAG]` and `images --filter`: which images, and which of
 * their names, a listing shows (Docker's GET /images/json?filters=). */
#ifndef BERTH_IMAGE_IMAGE_FILTER_H
#define BERTH_IMAGE_IMAGE_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "images.h"
#include "imgstore.h"

#define BERTH_IMAGE_FILTER_MAX 32

struct berth_image_filter {
  /* reference=PATTERN (any may match): a glob, as Docker's path.Match,
   * against "busybox:latest" and "busybox"; REPO[:TAG] is one too. */
  const char *reference[BERTH_IMAGE_FILTER_MAX];
  size_t n_reference;
  int dangling;  /* -1: either; 1: only untagged; 0: only tagged */
  const char *label[BERTH_IMAGE_FILTER_MAX]; /* k or k=v, all must match */
  size_t n_label;
  const char *before, *since; /* images created before/after this one */
  bool all; /* also intermediate images (berth_images_intermediate): -a */
};

void berth_image_filter_init(struct berth_image_filter *f);
/* Adds one "key=value" (--filter); INVALID naming it when unknown. */
int berth_image_filter_add(struct berth_image_filter *f, const char *kv,
                           berth_error **err);

/* The images the filter lets through, newest first; each one's tags are
 * narrowed to those a reference pattern matched.  Intermediate images
 * only with f->all, as Docker's GET /images/json?all=. */
int berth_images_list_filtered(struct berth_imgstore *is,
                               const struct berth_image_filter *f,
                               struct berth_image **out, size_t *n,
                               berth_error **err);

/* The image config's "created" as ns since the epoch (0 when absent). */
int64_t berth_image_created_ns(const char *rfc3339);
/* The image's config document (NULL when unreadable). */
json_t *berth_image_config(struct berth_imgstore *is, const char *id);

#endif
