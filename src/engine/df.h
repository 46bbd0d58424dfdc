/* Disk usage: Docker's GET /system/df (`berth system df [-v]`).  The
 * engine decides what is active and what reclaimable; the CLI prints. */
#ifndef BERTH_ENGINE_DF_H
#define BERTH_ENGINE_DF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "images.h"
#include "volumes.h"

struct berth_df_image {
  struct berth_image img;
  int64_t shared_size; /* bytes of its layers other images also use */
  int containers;      /* containers created from it */
  bool build_cache;    /* berth_build_cache_holds */
  int64_t last_used;   /* build cache: its entries' last use (unix s) */
};

struct berth_df_container {
  struct berth_ctr ctr;
  int64_t size_rw;   /* its writable layer */
  int local_volumes; /* volumes it uses */
};

struct berth_df_volume {
  struct berth_volume vol;
  int64_t size;
};

struct berth_df {
  int64_t layers_size; /* every layer of images once, however many images
                          share it */
  struct berth_df_image *images; /* images that are not build cache */
  size_t n_images;
  /* Build cache images (build_cache.h), and the bytes of the layers only
   * they have: all of them, and those no container's image has. */
  struct berth_df_image *cache;
  size_t n_cache;
  int64_t cache_size, cache_reclaimable;
  struct berth_df_container *ctrs;
  size_t n_ctrs;
  struct berth_df_volume *vols;
  size_t n_vols;
};

/* One line of the summary: TOTAL ACTIVE SIZE RECLAIMABLE. */
struct berth_df_summary {
  size_t total, active;
  int64_t size, reclaimable;
};

enum berth_df_type {
  BERTH_DF_IMAGES,
  BERTH_DF_CONTAINERS,
  BERTH_DF_VOLUMES,
  BERTH_DF_BUILD_CACHE,
};

int berth_system_df(struct berth_engine *e, struct berth_df *out,
                    berth_error **err);
void berth_df_free(struct berth_df *df);
/* Docker's rules: images with containers are active and their unique
 * bytes are not reclaimable; running or paused containers are active and
 * the writable layers of the others reclaimable; volumes some container
 * references are active, the others' bytes reclaimable; build cache
 * images with containers are active, and the layers only the others
 * have reclaimable (what `builder prune -a` gives back). */
void berth_df_summarize(const struct berth_df *df, enum berth_df_type type,
                        struct berth_df_summary *out);

#endif
