/* The images a build makes: one per instruction, as Docker's builder,
 * each the previous one plus a layer (RUN, COPY, ADD) or plus nothing
 * but a config change (ENV, CMD, ...; history entry with empty_layer).
 * Those step images are the build cache: build_cache maps a step's key
 * (its parent image, instruction and inputs: build.c computes it) to
 * the image it made.  Step images without a name are "intermediate":
 * `berth images` hides them, `images -a` lists them, `builder prune`
 * removes them (and `image prune -a` leaves them to builder prune). */
#ifndef BERTH_BUILD_BUILD_IMAGE_H
#define BERTH_BUILD_BUILD_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "engine.h"

/* A layer blob from a container's upper dir (overlay whiteouts and
 * opaque dirs become OCI ones, host ids mapped back to the image's),
 * entries sorted by name, mtimes clamped to SOURCE_DATE_EPOCH when
 * `epoch` >= 0.  digest/size of the stored (uncompressed) blob. */
int berth_build_layer(struct berth_engine *e, const char *ctr_id,
                      int64_t epoch, char digest[BERTH_DIGEST_SIZE],
                      uint64_t *size, berth_error **err);

struct berth_step_image {
  const char *parent_id;   /* the image the step ran on; NULL: scratch */
  json_t *config;          /* the new image config's "config" object
                              (Env, Cmd, Entrypoint, WorkingDir, User,
                              Labels, ExposedPorts, Volumes, StopSignal,
                              Healthcheck, Shell, OnBuild); borrowed */
  const char *layer;       /* the step's layer blob, NULL: none */
  uint64_t layer_size;
  const char *created_by;  /* history: "RUN /bin/sh -c make" */
  int64_t epoch;           /* SOURCE_DATE_EPOCH (created, history), or
                              -1: now */
  const char *platform_os, *platform_arch, *platform_variant;
                           /* for a scratch parent (NULL: the host's) */
};

/* Records the step's image (config blob, manifest, snapshot of the new
 * layer, record; the same manifest shape as `commit`), and returns its
 * id.  An identical image (same config digest) is simply found. */
int berth_build_image_new(struct berth_engine *e,
                          const struct berth_step_image *s,
                          char id[BERTH_DIGEST_SIZE], berth_error **err);

/* The cache: hit returns 1 and fills image_id when `key` is cached and
 * its image still exists, 0 on a miss. */
int berth_build_cache_get(struct berth_db *db, const char *key,
                          char image_id[BERTH_DIGEST_SIZE], berth_error **err);
int berth_build_cache_put(struct berth_db *db, const char *key,
                          const char *image_id, berth_error **err);

/* builder prune: removes cache entries (all of them with `all`; else
 * those whose image is not named nor the parent of a named image, the
 * way Docker keeps the cache of tagged builds... see build_image.c) and
 * the intermediate images that no other image, tag or container uses,
 * then collects unused blobs and snapshots.  *reclaimed gets the bytes
 * freed; fn (may be NULL) is called with each removed image id. */
int berth_build_cache_prune(struct berth_engine *e, bool all,
                            void (*fn)(void *arg, const char *image_id),
                            void *arg, uint64_t *reclaimed,
                            berth_error **err);

/* Whether image_id is an unnamed step image (for `images` without -a). */
int berth_build_image_intermediate(struct berth_db *db, const char *image_id,
                                   berth_error **err);

#endif
