/* system df: sizes of images, containers' writable layers, volumes. */
#include "df.h"

#include <stdlib.h>
#include <string.h>

#include "build_cache.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "start.h"
#include "volume_files.h"

void berth_df_free(struct berth_df *df) {
  for (size_t i = 0; i < df->n_images; i++)
    berth_image_free(&df->images[i].img);
  for (size_t i = 0; i < df->n_cache; i++)
    berth_image_free(&df->cache[i].img);
  for (size_t i = 0; i < df->n_ctrs; i++)
    berth_ctr_clear(&df->ctrs[i].ctr);
  for (size_t i = 0; i < df->n_vols; i++)
    berth_volume_clear(&df->vols[i].vol);
  free(df->images);
  free(df->cache);
  free(df->ctrs);
  free(df->vols);
  memset(df, 0, sizeof *df);
}

static bool has_layer(const struct berth_image *img, const char *chain_id) {
  for (size_t l = 0; l < img->n_layers; l++)
    if (strcmp(img->layers[l].chain_id, chain_id) == 0)
      return true;
  return false;
}

/* How many of the first n images have the layer; with `kind` 0 or 1
 * only those whose cache flag is that (-1: any). */
static size_t layer_users(const struct berth_df_image *d, size_t n,
                          const char *chain_id, int kind) {
  size_t users = 0;
  for (size_t i = 0; i < n; i++)
    if ((kind < 0 || d[i].build_cache == (kind == 1)) &&
        has_layer(&d[i].img, chain_id))
      users++;
  return users;
}

/* Whether an active (a container's) build cache image has the layer. */
static bool active_cache_layer(const struct berth_df_image *d, size_t n,
                               const char *chain_id) {
  for (size_t i = 0; i < n; i++)
    if (d[i].build_cache && d[i].containers > 0 &&
        has_layer(&d[i].img, chain_id))
      return true;
  return false;
}

/* A layer counts once however many images share it (the first image
 * listing it, newest first, carries it), under Images when any image
 * that is not build cache has it, else under Build Cache. */
static void count_layers(struct berth_df *df, struct berth_df_image *d,
                         size_t n, size_t i) {
  const struct berth_image *img = &d[i].img;
  for (size_t l = 0; l < img->n_layers; l++) {
    const struct berth_image_layer *ly = &img->layers[l];
    if (layer_users(d, n, ly->chain_id, -1) > 1)
      d[i].shared_size += ly->unpacked_size;
    if (layer_users(d, i, ly->chain_id, -1) > 0)
      continue;
    if (layer_users(d, n, ly->chain_id, 0) > 0) {
      df->layers_size += ly->unpacked_size;
      continue;
    }
    df->cache_size += ly->unpacked_size;
    if (!active_cache_layer(d, n, ly->chain_id))
      df->cache_reclaimable += ly->unpacked_size;
  }
}

/* df->images and df->cache from d (n entries, moved). */
static int split_images(struct berth_df *df, struct berth_df_image *d,
                        size_t n, berth_error **err) {
  df->images = calloc(n + 1, sizeof *df->images);
  df->cache = calloc(n + 1, sizeof *df->cache);
  if (!df->images || !df->cache) {
    for (size_t i = 0; i < n; i++)
      berth_image_free(&d[i].img);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < n; i++) {
    if (d[i].build_cache)
      df->cache[df->n_cache++] = d[i];
    else
      df->images[df->n_images++] = d[i];
  }
  return 0;
}

static int images_df(struct berth_engine *e, struct berth_df *df,
                     berth_error **err) {
  struct berth_image *imgs;
  size_t n;
  if (berth_images_list(e->db, &imgs, &n, err) < 0)
    return -1;
  struct berth_df_image *d = calloc(n + 1, sizeof *d);
  if (!d) {
    berth_images_free(imgs, n);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < n; i++) {
    d[i].img = imgs[i];
    d[i].build_cache = berth_build_cache_holds(e->db, imgs[i].id, NULL) == 1;
    if (d[i].build_cache)
      d[i].last_used = berth_build_cache_last_used(e->db, imgs[i].id);
    int users = berth_ctr_count_using_image(e->db, imgs[i].id, NULL);
    d[i].containers = users > 0 ? users : 0;
  }
  free(imgs); /* the entries moved into d */
  for (size_t i = 0; i < n; i++)
    count_layers(df, d, n, i);
  int rc = split_images(df, d, n, err);
  free(d);
  return rc;
}

static int count_volumes_of(struct berth_engine *e, const char *ctr_id) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT count(DISTINCT volume) FROM container_volumes"
                       " WHERE container_id = ?",
                       &st, NULL) < 0)
    return 0;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
}

static int ctrs_df(struct berth_engine *e, struct berth_df *df,
                   berth_error **err) {
  struct berth_ctr *v;
  size_t n;
  if (berth_ctr_list(e->db, &v, &n, err) < 0)
    return -1;
  df->ctrs = calloc(n + 1, sizeof *df->ctrs);
  if (!df->ctrs) {
    berth_ctrs_free(v, n);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < n; i++) {
    struct berth_df_container *d = &df->ctrs[i];
    char dir[4200];
    berth_ctr_refresh(e, &v[i], NULL);
    berth_ctr_dir(e, v[i].id, dir, sizeof dir);
    strncat(dir, "/upper", sizeof dir - strlen(dir) - 1);
    d->size_rw = (int64_t)berth_volume_tree_size(dir);
    d->local_volumes = count_volumes_of(e, v[i].id);
    d->ctr = v[i];
  }
  df->n_ctrs = n;
  free(v);
  return 0;
}

static int vols_df(struct berth_engine *e, struct berth_df *df,
                   berth_error **err) {
  struct berth_volume *v;
  size_t n;
  if (berth_volume_list(e, &v, &n, err) < 0)
    return -1;
  df->vols = calloc(n + 1, sizeof *df->vols);
  if (!df->vols) {
    berth_volumes_free(v, n);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < n; i++) {
    char path[4200];
    berth_volume_path(e, v[i].name, path, sizeof path);
    df->vols[i].size = (int64_t)berth_volume_tree_size(path);
    df->vols[i].vol = v[i];
  }
  df->n_vols = n;
  free(v);
  return 0;
}

int berth_system_df(struct berth_engine *e, struct berth_df *out,
                    berth_error **err) {
  memset(out, 0, sizeof *out);
  if (images_df(e, out, err) < 0 || ctrs_df(e, out, err) < 0 ||
      vols_df(e, out, err) < 0) {
    berth_df_free(out);
    return -1;
  }
  return 0;
}

static bool ctr_active(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0;
}

void berth_df_summarize(const struct berth_df *df, enum berth_df_type type,
                        struct berth_df_summary *s) {
  memset(s, 0, sizeof *s);
  if (type == BERTH_DF_IMAGES) {
    int64_t used = 0;
    s->total = df->n_images;
    s->size = df->layers_size;
    for (size_t i = 0; i < df->n_images; i++)
      if (df->images[i].containers > 0) {
        s->active++;
        used += df->images[i].img.size - df->images[i].shared_size;
      }
    s->reclaimable = s->size - used > 0 ? s->size - used : 0;
  } else if (type == BERTH_DF_CONTAINERS) {
    s->total = df->n_ctrs;
    for (size_t i = 0; i < df->n_ctrs; i++) {
      s->size += df->ctrs[i].size_rw;
      if (ctr_active(&df->ctrs[i].ctr))
        s->active++;
      else
        s->reclaimable += df->ctrs[i].size_rw;
    }
  } else if (type == BERTH_DF_BUILD_CACHE) {
    s->total = df->n_cache;
    for (size_t i = 0; i < df->n_cache; i++)
      s->active += df->cache[i].containers > 0;
    s->size = df->cache_size;
    s->reclaimable = df->cache_reclaimable;
  } else if (type == BERTH_DF_VOLUMES) {
    s->total = df->n_vols;
    for (size_t i = 0; i < df->n_vols; i++) {
      s->size += df->vols[i].size;
      if (df->vols[i].vol.refs > 0)
        s->active++;
      else
        s->reclaimable += df->vols[i].size;
    }
  }
}
