/* container prune and image prune (see prune.h). */
#include "prune.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "create.h"
#include "lifecycle.h"
#include "start.h"

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

int berth_images_prune(struct berth_engine *e, bool all,
                       berth_image_pruned_fn fn, void *arg, uint64_t *freed,
                       berth_error **err) {
  struct berth_image *imgs = NULL;
  size_t n = 0;
  if (berth_images_list(e->db, &imgs, &n, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!all && imgs[i].tags && imgs[i].tags[0])
      continue;
    int users = berth_ctr_count_using_image(e->db, imgs[i].id, err);
    if (users < 0 ||
        (users == 0 && berth_images_delete(e->db, imgs[i].id, err) < 0))
      rc = -1;
    else if (users == 0) {
      berth_imgstore_event(e->is, "delete", imgs[i].id, NULL);
      fn(&imgs[i], arg);
    }
  }
  berth_images_free(imgs, n);
  uint64_t gc = 0;
  if (rc == 0 && berth_imgstore_gc(e->is, &gc, err) < 0)
    rc = -1;
  *freed += gc;
  return rc;
}
