/* Removing an image by what the user typed: Docker's DELETE
 * /images/{name}?force&noprune.  The image layer decides untag versus
 * delete and reports each step as the Engine API does
 * ([{"Untagged": name}, ..., {"Deleted": id}]); whether containers use the
 * image is asked through a callback (the image layer knows nothing of
 * containers). */
#ifndef BERTH_IMAGE_IMAGE_REMOVE_H
#define BERTH_IMAGE_IMAGE_REMOVE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "imgstore.h"

struct berth_rmi_item {
  char *untagged; /* a name that went, or NULL */
  char *deleted;  /* an image id, then the chain ids of the layers that
                     went with it (newest first), or NULL */
};

struct berth_rmi_report {
  struct berth_rmi_item *items;
  size_t n;
};
void berth_rmi_report_free(struct berth_rmi_report *r);

/* How many containers use image_id; ctr gets one of them (a running one
 * when any runs: 12 hex digits are enough) and *running whether it
 * runs. */
typedef int (*berth_image_users_fn)(void *arg, const char *image_id,
                                    char ctr[13], bool *running,
                                    berth_error **err);

struct berth_rmi_opts {
  bool force;
  /* Keep the untagged parents (a build's step images) of a deleted
   * image; by default each one no other image, name or container needs
   * is deleted too, as Docker's. */
  bool noprune;
  berth_image_users_fn users;
  void *users_arg;
};

/* Docker's rules: a name is untagged, and the image goes with its last
 * name unless a container uses it; an id removes every name when they
 * are all one repository's with at most one tag (else only with force)
 * and then the image.  A container using the image refuses it without
 * force; with force its names go but the image stays while any container
 * needs its layers (it is dangling until pruned), and a running
 * container's image cannot be removed by id at all.  Unreferenced blobs
 * and snapshots are collected after a delete.  Errors: NOT_FOUND,
 * STATE (a conflict); items done before an error stay in *out. */
int berth_image_remove(struct berth_imgstore *is, const char *what,
                       const struct berth_rmi_opts *opts,
                       struct berth_rmi_report *out, berth_error **err);

/* Points a name (normalised by berth_image_normalise) at an image and
 * reports the tag event. */
int berth_image_tag(struct berth_imgstore *is, const char *id,
                    const char *name, berth_error **err);

#endif
