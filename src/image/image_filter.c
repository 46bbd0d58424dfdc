/* Filtering image listings. */
#include "image_filter.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "lookup.h"
#include "manifest.h"
#include "reference.h"

void berth_image_filter_init(struct berth_image_filter *f) {
  memset(f, 0, sizeof *f);
  f->dangling = -1;
}

static int add_to(const char **v, size_t *n, const char *val, const char *kv,
                  berth_error **err) {
  if (*n >= BERTH_IMAGE_FILTER_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "too many filters (at `%s`)", kv);
  v[(*n)++] = val;
  return 0;
}

int berth_image_filter_add(struct berth_image_filter *f, const char *kv,
                           berth_error **err) {
  const char *eq = strchr(kv, '=');
  size_t kl = eq ? (size_t)(eq - kv) : 0;
  const char *v = eq ? eq + 1 : "";
#define KEY(k) (kl == strlen(k) && strncmp(kv, k, kl) == 0)
  if (KEY("reference"))
    return add_to(f->reference, &f->n_reference, v, kv, err);
  if (KEY("label"))
    return add_to(f->label, &f->n_label, v, kv, err);
  if (KEY("before") || KEY("since")) {
    *(KEY("before") ? &f->before : &f->since) = v;
    return 0;
  }
  if (KEY("dangling")) {
    int want = strcmp(v, "true") == 0 || strcmp(v, "1") == 0    ? 1
               : strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ? 0
                                                                : -2;
    if (want == -2 || (f->dangling >= 0 && f->dangling != want))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid filter 'dangling=%s'", v);
    f->dangling = want;
    return 0;
  }
#undef KEY
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         eq ? "invalid filter '%.*s'"
                            : "bad format of filter (expected name=value)",
                         (int)kl, kv);
}

int64_t berth_image_created_ns(const char *s) {
  struct tm tm = {0};
  const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!rest)
    return 0;
  int64_t ns = (int64_t)timegm(&tm) * 1000000000;
  if (*rest == '.') {
    int64_t scale = 100000000;
    for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
      ns += (*rest - '0') * scale;
  }
  return ns;
}

json_t *berth_image_config(struct berth_imgstore *is, const char *id) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (berth_store_get(is->store, id, BERTH_CONFIG_MAX_BYTES, &data, &len,
                      NULL) < 0)
    return NULL;
  return json_loadb(data, len, 0, NULL);
}

/* Docker's FamiliarMatch: the pattern against "busybox:latest", then
 * against "busybox"; and, as podman, against the full name
 * "docker.io/library/busybox:latest" and its repository, so a name typed
 * in full finds its image too. */
static bool name_matches(const char *pattern, const char *name) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(name, &ref, NULL) < 0)
    return false;
  _cleanup_free_ char *full = berth_ref_familiar(&ref);
  struct berth_ref plain = ref;
  plain.tag = plain.digest = NULL;
  _cleanup_free_ char *repo = berth_ref_familiar(&plain);
  char *colon = repo ? strrchr(repo, ':') : NULL;
  if (colon && !strchr(colon, '/'))
    *colon = '\0'; /* familiar() adds ":latest" */
  _cleanup_free_ char *whole_repo = berth_ref_repository(&ref);
  berth_ref_free(&ref);
  return (full && fnmatch(pattern, full, FNM_PATHNAME) == 0) ||
         (repo && fnmatch(pattern, repo, FNM_PATHNAME) == 0) ||
         fnmatch(pattern, name, FNM_PATHNAME) == 0 ||
         (whole_repo && fnmatch(pattern, whole_repo, FNM_PATHNAME) == 0);
}

static bool any_pattern(const struct berth_image_filter *f, const char *name) {
  for (size_t i = 0; i < f->n_reference; i++)
    if (name_matches(f->reference[i], name))
      return true;
  return false;
}

/* Narrows img->tags to the names a pattern matches; false when neither
 * a tag nor a repo digest matched. */
static bool narrow_tags(const struct berth_image_filter *f,
                        struct berth_image *img) {
  if (!f->n_reference)
    return true;
  bool any = false;
  size_t k = 0;
  for (size_t i = 0; img->tags && img->tags[i]; i++) {
    if (any_pattern(f, img->tags[i])) {
      img->tags[k++] = img->tags[i];
      any = true;
    } else {
      free(img->tags[i]);
    }
  }
  if (img->tags)
    img->tags[k] = NULL;
  for (char **d = img->digests; !any && d && *d; d++)
    any = any_pattern(f, *d);
  return any;
}

static bool labels_match(const struct berth_image_filter *f, json_t *cfg) {
  json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
  for (size_t i = 0; i < f->n_label; i++) {
    const char *l = f->label[i], *eq = strchr(l, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - l) : (int)strlen(l), l);
    json_t *v = json_object_get(labels, key);
    if (!v || (eq && (!json_is_string(v) ||
                      strcmp(json_string_value(v), eq + 1) != 0)))
      return false;
  }
  return true;
}

/* The creation time of the image `what` names, for before/since. */
static int bound(struct berth_imgstore *is, const char *what, int64_t *ns,
                 berth_error **err) {
  struct berth_image_match m;
  if (berth_image_lookup(is->db, what, &m, err) < 0)
    return -1;
  struct berth_image img = {0};
  int rc = berth_images_get(is->db, m.id, &img, err);
  berth_image_match_clear(&m);
  if (rc == 0)
    *ns = berth_image_created_ns(img.created);
  berth_image_free(&img);
  return rc;
}

static bool keep(struct berth_imgstore *is, const struct berth_image_filter *f,
                 struct berth_image *img, int64_t before, int64_t since) {
  int64_t created = berth_image_created_ns(img->created);
  if ((f->before && created >= before) || (f->since && created <= since))
    return false;
  bool dangling = !img->tags || !img->tags[0];
  if (f->dangling >= 0 && dangling != (f->dangling == 1))
    return false;
  if (!narrow_tags(f, img))
    return false;
  /* After the name checks: an intermediate image has no name, and an
   * image with one never is. */
  if (!f->all && dangling &&
      berth_images_intermediate(is->db, img->id, NULL) == 1)
    return false;
  if (!f->n_label)
    return true;
  json_t *cfg = berth_image_config(is, img->id);
  bool ok = labels_match(f, cfg);
  json_decref(cfg);
  return ok;
}

int berth_images_list_filtered(struct berth_imgstore *is,
                               const struct berth_image_filter *f,
                               struct berth_image **out, size_t *n,
                               berth_error **err) {
  int64_t before = 0, since = 0;
  if ((f->before && bound(is, f->before, &before, err) < 0) ||
      (f->since && bound(is, f->since, &since, err) < 0))
    return -1;
  struct berth_image *v;
  size_t count, k = 0;
  if (berth_images_list(is->db, &v, &count, err) < 0)
    return -1;
  for (size_t i = 0; i < count; i++) {
    if (keep(is, f, &v[i], before, since))
      v[k++] = v[i];
    else
      berth_image_free(&v[i]);
  }
  *out = v;
  *n = k;
  return 0;
}
