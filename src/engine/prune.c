/* container, image and volume prune (see prune.h). */
#include "prune.h"

#include <ftw.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "build_cache.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "lifecycle.h"
#include "logs.h"
#include "start.h"
#include "volumes.h"
#include "filter_kv.h"
#include "image_filter.h"

/* nftw has no user pointer: the sum rides in a thread-local. */
static _Thread_local uint64_t du_total;

static int du_add(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)path;
  (void)ftw;
  if (flag == FTW_F)
    du_total += (uint64_t)st->st_size;
  return 0;
}

/* The container's writable layer: what removing it gives back. */
static uint64_t upper_size(struct berth_engine *e, const char *id) {
  char dir[4200];
  berth_ctr_dir(e, id, dir, sizeof dir);
  strncat(dir, "/upper", sizeof dir - strlen(dir) - 1);
  du_total = 0;
  nftw(dir, du_add, 16, FTW_PHYS | FTW_MOUNT);
  return du_total;
}

static bool matches(const struct berth_ctr *c,
                    const struct berth_prune_filter *f) {
  if (f->until && c->created >= f->until)
    return false;
  json_t *labels = json_object_get(c->config, "Labels");
  for (size_t i = 0; i < f->nlabels; i++) {
    const char *v = f->labels[i], *eq = strchr(v, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
    json_t *lv = json_object_get(labels, key);
    if (!lv || (eq && strcmp(json_string_value(lv) ?: "", eq + 1) != 0))
      return false;
  }
  return true;
}

int berth_ctr_prune(struct berth_engine *e, const struct berth_prune_filter *f,
                    berth_ctr_pruned_fn fn, void *arg, berth_error **err) {
  struct berth_ctr *list = NULL;
  size_t n = 0;
  if (berth_ctr_list(e->db, &list, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    struct berth_ctr *c = &list[i];
    berth_ctr_refresh(e, c, NULL);
    bool stopped = strcmp(c->state, BERTH_ST_CREATED) == 0 ||
                   strcmp(c->state, BERTH_ST_EXITED) == 0 ||
                   strcmp(c->state, BERTH_ST_DEAD) == 0;
    if (!stopped || !matches(c, f))
      continue;
    uint64_t size = upper_size(e, c->id);
    berth_error *rerr = NULL;
    if (berth_ctr_remove(e, c->id, false, false, &rerr) < 0)
      fn(c->id, 0, rerr, arg);
    else
      fn(c->id, size, NULL, arg);
  }
  berth_ctrs_free(list, n);
  return 0;
}

static int delete_steps(struct berth_engine *e, const char *id,
                        bool unnamed_only, berth_error **err) {
  int users = berth_ctr_count_using_image(e->db, id, err);
  int names = users == 0 && unnamed_only
                  ? berth_images_count_names(e->db, id, err)
                  : 0;
  if (users < 0 || names < 0)
    return -1;
  if (users > 0 || names > 0)
    return 0;
  return berth_images_delete(e->db, id, err) < 0 ? -1 : 1;
}

int berth_image_delete_unused(struct berth_engine *e, const char *id,
                              bool unnamed_only, berth_error **err) {
  /* One write transaction: a container created from the image, or a
   * tag put on it, meanwhile is seen, not overtaken. */
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  int rc = delete_steps(e, id, unnamed_only, err);
  if (rc < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  if (berth_db_commit(e->db, err) < 0)
    return -1;
  if (rc == 1)
    berth_imgstore_event(e->is, "delete", id, NULL);
  return rc;
}

/* Docker's image prune filters: until against the image's creation time,
 * label against its config's labels. */
static bool image_matches(struct berth_engine *e, const struct berth_image *img,
                          const struct berth_prune_filter *f) {
  if (!f)
    return true;
  if (f->until && berth_image_created_ns(img->created) >= f->until)
    return false;
  if (f->nlabels == 0)
    return true;
  json_t *cfg = berth_image_config(e->is, img->id);
  json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
  bool ok = true;
  for (size_t i = 0; ok && i < f->nlabels; i++) {
    const char *v = f->labels[i], *eq = strchr(v, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
    json_t *lv = json_object_get(labels, key);
    ok = lv && (!eq || strcmp(json_string_value(lv) ?: "", eq + 1) == 0);
  }
  json_decref(cfg);
  return ok;
}

int berth_images_prune(struct berth_engine *e, bool all,
                       berth_image_pruned_fn fn, void *arg, uint64_t *freed,
                       berth_error **err) {
  return berth_images_prune_filtered(e, all, NULL, fn, arg, freed, err);
}

int berth_images_prune_filtered(struct berth_engine *e, bool all,
                                const struct berth_prune_filter *f,
                                berth_image_pruned_fn fn, void *arg,
                                uint64_t *freed, berth_error **err) {
  struct berth_image *imgs = NULL;
  size_t n = 0;
  if (berth_images_list(e->db, &imgs, &n, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    bool named = imgs[i].tags && imgs[i].tags[0];
    if ((!all && named) || !image_matches(e, &imgs[i], f))
      continue;
    int cache = named ? 0 : berth_build_cache_holds(e->db, imgs[i].id, err);
    int gone = cache == 0
                   ? berth_image_delete_unused(e, imgs[i].id, false, err)
                   : 0;
    if (cache < 0 || gone < 0)
      rc = -1;
    else if (gone)
      fn(&imgs[i], arg);
  }
  berth_images_free(imgs, n);
  uint64_t gc = 0;
  if (rc == 0 && berth_imgstore_gc(e->is, &gc, err) < 0)
    rc = -1;
  *freed += gc;
  return rc;
}

int berth_prune_filter_add(struct berth_prune_filter *f, const char *key,
                           const char *value, int64_t now_ns,
                           berth_error **err) {
  if (strcmp(key, "until") == 0)
    return berth_parse_log_time("until", value, now_ns, &f->until, err);
  if (strcmp(key, "label") == 0 && f->nlabels < ARRAY_SIZE(f->labels)) {
    f->labels[f->nlabels++] = value;
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s=%s`",
                         key, value);
}

int berth_prune_filter_parse(struct berth_prune_filter *f, const char *kv,
                             int64_t now_ns, berth_error **err) {
  char key[16];
  const char *value;
  if (berth_filter_kv(kv, key, sizeof key, &value, err) < 0)
    return -1;
  return berth_prune_filter_add(f, key, value, now_ns, err);
}

struct ctr_report {
  json_t *ids;
  uint64_t freed;
  int status;
  berth_prune_err_fn on_err;
  void *arg;
};

static void ctr_pruned(const char *id, uint64_t size, berth_error *err,
                       void *arg) {
  struct ctr_report *r = arg;
  if (err) {
    /* One that went or was started meanwhile is not a failure. */
    if (err->kind != BERTH_ERR_NOT_FOUND && err->kind != BERTH_ERR_STATE)
      r->status = 1;
    if (r->on_err)
      r->on_err(err, r->arg);
    else
      berth_error_free(err);
    return;
  }
  json_array_append_new(r->ids, json_string(id));
  r->freed += size;
}

/* Docker's prune reports give null, not [], when nothing went. */
static json_t *report_of(const char *key, json_t *list, uint64_t freed) {
  return json_pack("{s:o,s:I}", key,
                   json_array_size(list) ? list
                                         : (json_decref(list), json_null()),
                   "SpaceReclaimed", (json_int_t)freed);
}

int berth_containers_prune(struct berth_engine *e,
                           const struct berth_prune_filter *f,
                           json_t **report, berth_prune_err_fn on_err,
                           void *arg, berth_error **err) {
  struct ctr_report r = {.ids = json_array(), .on_err = on_err, .arg = arg};
  *report = NULL;
  if (berth_ctr_prune(e, f, ctr_pruned, &r, err) < 0) {
    json_decref(r.ids);
    return -1;
  }
  *report = report_of("ContainersDeleted", r.ids, r.freed);
  return r.status;
}

static void image_pruned(const struct berth_image *img, void *arg) {
  json_t *list = arg;
  for (char **t = img->tags; t && *t; t++)
    json_array_append_new(list, json_pack("{s:s}", "Untagged", *t));
  for (char **d = img->digests; d && *d; d++)
    json_array_append_new(list, json_pack("{s:s}", "Untagged", *d));
  json_array_append_new(list, json_pack("{s:s}", "Deleted", img->id));
}

int berth_images_prune_report(struct berth_engine *e, bool all,
                              json_t **report, berth_error **err) {
  return berth_images_prune_filtered_report(e, all, NULL, report, err);
}

int berth_images_prune_filtered_report(struct berth_engine *e, bool all,
                                       const struct berth_prune_filter *f,
                                       json_t **report, berth_error **err) {
  json_t *list = json_array();
  uint64_t freed = 0;
  int rc = berth_images_prune_filtered(e, all, f, image_pruned, list, &freed,
                                       err);
  *report = report_of("ImagesDeleted", list, freed);
  return rc;
}

int berth_volumes_prune_report(struct berth_engine *e, bool all,
                               json_t **report, berth_error **err) {
  struct berth_volume_prune_filter f = {.all = all};
  return berth_volumes_prune_filtered(e, &f, report, err);
}

int berth_volumes_prune_filtered(struct berth_engine *e,
                                 const struct berth_volume_prune_filter *f,
                                 json_t **report, berth_error **err) {
  char **names = NULL;
  size_t n = 0;
  uint64_t bytes = 0;
  *report = NULL;
  if (berth_volume_prune_where(e, f, &names, &n, &bytes, err) < 0)
    return -1;
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    json_array_append_new(list, json_string(names[i]));
    free(names[i]);
  }
  free(names);
  *report = report_of("VolumesDeleted", list, bytes);
  return 0;
}
