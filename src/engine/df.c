/* system df: sizes of images, containers' writable layers, volumes. */
#include "df.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "start.h"
#include "volume_files.h"

void berth_df_free(struct berth_df *df) {
  for (size_t i = 0; i < df->n_images; i++)
    berth_image_free(&df->images[i].img);
  for (size_t i = 0; i < df->n_ctrs; i++)
    berth_ctr_clear(&df->ctrs[i].ctr);
  for (size_t i = 0; i < df->n_vols; i++)
    berth_volume_clear(&df->vols[i].vol);
  free(df->images);
  free(df->ctrs);
  free(df->vols);
  memset(df, 0, sizeof *df);
}

/* How many of the images have a layer with this chain id. */
static size_t layer_users(const struct berth_image *imgs, size_t n,
                          const char *chain_id) {
  size_t users = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t l = 0; l < imgs[i].n_layers; l++)
      if (strcmp(imgs[i].layers[l].chain_id, chain_id) == 0) {
        users++;
        break;
      }
  return users;
}

/* A layer counts once however many images share it (the first image
 * listing it, newest first, carries it). */
static bool first_user(const struct berth_image *imgs, size_t upto,
                       const char *chain_id) {
  return layer_users(imgs, upto, chain_id) == 0;
}

static int images_df(struct berth_engine *e, struct berth_df *df,
                     berth_error **err) {
  struct berth_image *imgs;
  size_t n;
  if (berth_images_list(e->db, &imgs, &n, err) < 0)
    return -1;
  df->images = calloc(n + 1, sizeof *df->images);
  if (!df->images) {
    berth_images_free(imgs, n);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < n; i++) {
    struct berth_df_image *d = &df->images[i];
    for (size_t l = 0; l < imgs[i].n_layers; l++) {
      const struct berth_image_layer *ly = &imgs[i].layers[l];
      if (layer_users(imgs, n, ly->chain_id) > 1)
        d->shared_size += ly->unpacked_size;
      if (first_user(imgs, i, ly->chain_id))
        df->layers_size += ly->unpacked_size;
    }
    int users = berth_ctr_count_using_image(e->db, imgs[i].id, NULL);
    d->containers = users > 0 ? users : 0;
  }
  for (size_t i = 0; i < n; i++)
    df->images[i].img = imgs[i];
  df->n_images = n;
  free(imgs); /* the entries moved into df->images */
  return 0;
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
