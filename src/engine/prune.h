/* Pruning: which containers, images and volumes go, their removal and
 * the space that gave back, as the Engine API's POST /containers/prune,
 * /images/prune and /volumes/prune report it.  A front end only parses
 * its flags and prints the report. */
#ifndef BERTH_ENGINE_PRUNE_H
#define BERTH_ENGINE_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "images.h"

struct berth_prune_filter {
  int64_t until; /* created before (ns since the epoch); 0: any */
  const char *labels[16]; /* "key" or "key=value", all must match */
  size_t nlabels;
};

/* One of Docker's prune filters: until=<timestamp or duration before
 * now_ns> or label=<key>[=<value>] (value borrowed: it must outlive f).
 * INVALID "invalid filter `key=value`" for any other key, too many
 * labels, or a bad time. */
int berth_prune_filter_add(struct berth_prune_filter *f, const char *key,
                           const char *value, int64_t now_ns,
                           berth_error **err);
/* The same from "key=value" (the CLI's --filter). */
int berth_prune_filter_parse(struct berth_prune_filter *f, const char *kv,
                             int64_t now_ns, berth_error **err);

/* Called for each container removed (err NULL; size: its writable layer)
 * or that could not be (err, now the callback's to free). */
typedef void (*berth_ctr_pruned_fn)(const char *id, uint64_t size,
                                    berth_error *err, void *arg);
/* Removes every stopped container (created, exited, dead) the filter
 * selects.  Not forced: one started meanwhile is refused, not killed.
 * -1 only when the containers cannot be listed. */
int berth_ctr_prune(struct berth_engine *e, const struct berth_prune_filter *f,
                    berth_ctr_pruned_fn fn, void *arg, berth_error **err);

/* Deletes the record of image `id` when no container was created from
 * it (and, with unnamed_only, when nothing names it), checked and done
 * in one transaction, and reports the "delete" event: 1 deleted, 0
 * kept.  Its blobs and snapshots are left to berth_imgstore_gc. */
int berth_image_delete_unused(struct berth_engine *e, const char *id,
                              bool unnamed_only, berth_error **err);

/* Called for each image deleted, before it is freed. */
typedef void (*berth_image_pruned_fn)(const struct berth_image *img,
                                      void *arg);
/* Deletes the images no container was created from (only untagged ones
 * unless all), then collects the blobs and snapshots nothing uses;
 * *freed gets what that gave back.  Stops at the first error.  Build
 * cache (berth_build_cache_holds) is left to builder prune, as Docker's
 * image prune leaves it, with or without all. */
int berth_images_prune(struct berth_engine *e, bool all,
                       berth_image_pruned_fn fn, void *arg, uint64_t *freed,
                       berth_error **err);

/* The same, keeping only the images f selects (until: created before;
 * label: the config's labels); f NULL selects all. */
int berth_images_prune_filtered(struct berth_engine *e, bool all,
                                const struct berth_prune_filter *f,
                                berth_image_pruned_fn fn, void *arg,
                                uint64_t *freed, berth_error **err);

/* Called with each container that could not be removed; the callback
 * owns err. */
typedef void (*berth_prune_err_fn)(berth_error *err, void *arg);
/* POST /containers/prune: {"ContainersDeleted": [ids] or null,
 * "SpaceReclaimed": bytes of their writable layers} in *report.  Returns
 * 1 when a container could not go for another reason than being gone or
 * started meanwhile (Docker's failure), else 0; -1 (*report NULL) when
 * the containers cannot be listed. */
int berth_containers_prune(struct berth_engine *e,
                           const struct berth_prune_filter *f,
                           json_t **report, berth_prune_err_fn on_err,
                           void *arg, berth_error **err);
/* POST /images/prune: {"ImagesDeleted": [{"Untagged": name} ...,
 * {"Deleted": id}] or null, "SpaceReclaimed": bytes}.  *report is set
 * even on failure (-1): what was deleted before the error. */
int berth_images_prune_report(struct berth_engine *e, bool all,
                              json_t **report, berth_error **err);
/* The same with Docker's until and label filters (f may be NULL). */
int berth_images_prune_filtered_report(struct berth_engine *e, bool all,
                                       const struct berth_prune_filter *f,
                                       json_t **report, berth_error **err);
/* POST /volumes/prune: {"VolumesDeleted": [names] or null,
 * "SpaceReclaimed": bytes}; anonymous volumes only unless all. */
int berth_volumes_prune_report(struct berth_engine *e, bool all,
                               json_t **report, berth_error **err);
/* The same with the API's filters (all, label, label!). */
struct berth_volume_prune_filter;
int berth_volumes_prune_filtered(struct berth_engine *e,
                                 const struct berth_volume_prune_filter *f,
                                 json_t **report, berth_error **err);

#endif
