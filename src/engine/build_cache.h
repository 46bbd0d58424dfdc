/* The build cache (table build_cache, engine schema step 3): a build
 * step's key -> the step image it made (src/build/build_image.h).  It is
 * the engine's, not the builder's, because image prune and system df
 * must know which images are cache.
 *
 * Which images are build cache: those without a name (tag or repo
 * digest) that a cache entry points at or that other images were built
 * on (berth_images_intermediate).  `images` hides the second kind
 * without -a (Docker's rule for the classic builder's images: an untagged
 * build result stays listed as <none>); image prune, with or without -a,
 * leaves both to builder prune, as Docker leaves build cache to
 * `builder prune`. */
#ifndef BERTH_ENGINE_BUILD_CACHE_H
#define BERTH_ENGINE_BUILD_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "engine.h"

/* The cache: hit returns 1 and fills image_id when `key` is cached and
 * its image still exists (the entry goes with the image), and marks the
 * entry used; 0 on a miss. */
int berth_build_cache_get(struct berth_db *db, const char *key,
                          char image_id[BERTH_DIGEST_SIZE], berth_error **err);
/* Points `key` at image_id (replacing what it pointed at); NOT_FOUND
 * when there is no such image. */
int berth_build_cache_put(struct berth_db *db, const char *key,
                          const char *image_id, berth_error **err);

/* Whether image_id is build cache (see above). */
int berth_build_cache_holds(struct berth_db *db, const char *image_id,
                            berth_error **err);

/* builder prune.  Without `all`, the cache of builds nothing names any
 * more: the build cache images that are not an ancestor (through the
 * images they were built on) of a named image.  With `all`, every build
 * cache image, and the cache entries of named images too (they stay,
 * named; only their entries go).  An image a container was created from
 * stays either way, with its entries.  Images go as image prune removes
 * them (berth_image_delete_unused: "delete" events), then unused blobs
 * and snapshots are collected.  fn (may be NULL) gets each removed image
 * id; *reclaimed the bytes freed. */
int berth_build_cache_prune(struct berth_engine *e, bool all,
                            void (*fn)(void *arg, const char *image_id),
                            void *arg, uint64_t *reclaimed,
                            berth_error **err);

/* POST /build/prune: {"CachesDeleted": [image ids] or null,
 * "SpaceReclaimed": bytes}.  *report is set even on failure (-1): what
 * was removed before the error. */
int berth_build_cache_prune_report(struct berth_engine *e, bool all,
                                   json_t **report, berth_error **err);

/* When the image's cache entries were last used (unix seconds; 0: it
 * has none). */
int64_t berth_build_cache_last_used(struct berth_db *db,
                                    const char *image_id);

#endif
