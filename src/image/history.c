/* Image history from the config's history and the layers' sizes. */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "image_filter.h"
#include "images.h"
#include "lookup.h"

void berth_history_free(struct berth_history_entry *h, size_t n) {
  for (size_t i = 0; h && i < n; i++) {
    free(h[i].id);
    free(h[i].created_by);
    free(h[i].comment);
    for (char **t = h[i].tags; t && *t; t++)
      free(*t);
    free(h[i].tags);
  }
  free(h);
}

static char *str_or_empty(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return strdup(s ? s : "");
}

static char **copy_strv(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  char **c = calloc(n + 1, sizeof *c);
  for (size_t i = 0; c && i < n; i++)
    c[i] = strdup(v[i]);
  return c;
}

/* Fills out[] newest first: item i of the history goes to n-1-i; the
 * k-th item that made a layer gets layer k's size. */
static int fill(const struct berth_image *img, json_t *hist,
                struct berth_history_entry *out, size_t n,
                berth_error **err) {
  size_t layer = 0, i;
  json_t *h;
  json_array_foreach(hist, i, h) {
    struct berth_history_entry *e = &out[n - 1 - i];
    e->created = berth_image_created_ns(
        json_string_value(json_object_get(h, "created")));
    e->created_by = str_or_empty(h, "created_by");
    e->comment = str_or_empty(h, "comment");
    if (!json_is_true(json_object_get(h, "empty_layer")) &&
        layer < img->n_layers)
      e->size = img->layers[layer++].unpacked_size;
    e->id = strdup(i + 1 == n ? img->id : "<missing>");
    e->tags = i + 1 == n ? copy_strv(img->tags) : calloc(1, sizeof *e->tags);
    if (!e->created_by || !e->comment || !e->id || !e->tags)
      return berth_error_sys(err, "allocate");
  }
  return 0;
}

int berth_image_history(struct berth_imgstore *is, const char *what,
                        struct berth_history_entry **out, size_t *n,
                        berth_error **err) {
  struct berth_image_match m;
  if (berth_image_lookup(is->db, what, &m, err) < 0)
    return -1;
  struct berth_image img = {0};
  int rc = berth_images_get(is->db, m.id, &img, err);
  berth_image_match_clear(&m);
  if (rc < 0)
    return -1;
  json_t *cfg = berth_image_config(is, img.id);
  json_t *hist = json_object_get(cfg, "history");
  size_t count = json_array_size(hist);
  struct berth_history_entry *v = calloc(count + 1, sizeof *v);
  if (!cfg)
    rc = berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "image %s: config unreadable", img.id);
  else if (!v)
    rc = berth_error_sys(err, "allocate");
  else
    rc = fill(&img, hist, v, count, err);
  json_decref(cfg);
  berth_image_free(&img);
  if (rc < 0) {
    berth_history_free(v, count);
    return -1;
  }
  *out = v;
  *n = count;
  return 0;
}
