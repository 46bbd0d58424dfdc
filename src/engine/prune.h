/* container prune and image prune: which containers and images go, and
 * their removal.  The CLI parses the filters and prints what is reported. */
#ifndef BERTH_ENGINE_PRUNE_H
#define BERTH_ENGINE_PRUNE_H

#include <stdint.h>

#include "engine.h"
#include "images.h"

struct berth_prune_filter {
  int64_t until; /* created before (ns since the epoch); 0: any */
  const char *labels[16]; /* "key" or "key=value", all must match */
  size_t nlabels;
};

/* Called for each container removed (err NULL; size: its writable layer)
 * or that could not be (err, now the callback's to free). */
typedef void (*berth_ctr_pruned_fn)(const char *id, uint64_t size,
                                    berth_error *err, void *arg);
/* Removes every stopped container (created, exited, dead) the filter
 * selects.  Not forced: one started meanwhile is refused, not killed.
 * -1 only when the containers cannot be listed. */
int berth_ctr_prune(struct berth_engine *e, const struct berth_prune_filter *f,
                    berth_ctr_pruned_fn fn, void *arg, berth_error **err);

/* Called for each image deleted, before it is freed. */
typedef void (*berth_image_pruned_fn)(const struct berth_image *img,
                                      void *arg);
/* Deletes the images no container was created from (only untagged ones
 * unless all), then collects the blobs and snapshots nothing uses;
 * *freed gets what that gave back.  Stops at the first error. */
int berth_images_prune(struct berth_engine *e, bool all,
                       berth_image_pruned_fn fn, void *arg, uint64_t *freed,
                       berth_error **err);

#endif
