/* Volumes as the Engine API takes and shows them: create and delete
 * requests, the inspect document and the listing's filters (see
 * volumes.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "volumes.h"
#include "filter_kv.h"

json_t *berth_volume_inspect(struct berth_engine *e,
                             const struct berth_volume *v) {
  char path[4096], when[32];
  berth_volume_path(e, v->name, path, sizeof path);
  time_t s = (time_t)(v->created / 1000000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return json_pack("{s:s,s:s,s:O,s:s,s:s,s:n,s:s}", "CreatedAt", when,
                   "Driver", "local", "Labels", v->labels, "Mountpoint", path,
                   "Name", v->name, "Options", "Scope", "local");
}

static int check_request(json_t *body, berth_error **err) {
  /* Known members of another type are refused as Go's decoder does. */
  static const char *const strs[] = {"Name", "Driver"};
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
    json_t *m = json_object_get(body, strs[i]);
    if (m && !json_is_string(m) && !json_is_null(m))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s: expected a string", strs[i]);
  }
  json_t *opts = json_object_get(body, "DriverOpts");
  if (opts && !json_is_object(opts) && !json_is_null(opts))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "DriverOpts: expected an object");
  const char *driver = json_string_value(json_object_get(body, "Driver"));
  if (driver && *driver && strcmp(driver, "local") != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "only the `local` driver is supported, not `%s`",
                           driver);
  if (json_object_size(json_object_get(body, "DriverOpts")))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "the `local` driver takes no options here");
  const char *k;
  json_t *v, *labels = json_object_get(body, "Labels");
  if (labels && !json_is_object(labels) && !json_is_null(labels))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "Labels: expected an object");
  json_object_foreach(labels, k, v) if (!json_is_string(v)) return
      berth_error_set(err, BERTH_ERR_INVALID, 0, "label `%s`: not a string",
                      k);
  return 0;
}

int berth_volume_create_request(struct berth_engine *e, json_t *body,
                                json_t **volume, berth_error **err) {
  const char *name = json_string_value(json_object_get(body, "Name"));
  json_t *labels = json_object_get(body, "Labels");
  _cleanup_free_ char *made = NULL;
  struct berth_volume v = {0};
  *volume = NULL;
  if (check_request(body, err) < 0 ||
      berth_volume_create(e, name && *name ? name : NULL,
                          json_is_object(labels) ? labels : NULL, &made, NULL,
                          err) < 0 ||
      berth_volume_get(e, made, &v, err) < 0)
    return -1;
  *volume = berth_volume_inspect(e, &v);
  berth_volume_clear(&v);
  return 0;
}

int berth_volume_delete(struct berth_engine *e, const char *name, bool force,
                        berth_error **err) {
  berth_error *own = NULL;
  if (berth_volume_remove(e, name, &own) == 0)
    return 0;
  if (force && own->kind == BERTH_ERR_NOT_FOUND) {
    berth_error_free(own);
    return 0;
  }
  if (err && !*err)
    *err = own;
  else
    berth_error_free(own);
  return -1;
}

static bool is_bool(const char *v) {
  return !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "1") ||
         !strcmp(v, "0");
}

int berth_volume_filter_add(struct berth_volume_filter *f, const char *key,
                            const char *value, berth_error **err) {
  const char **to = NULL;
  size_t *n = NULL;
  if (strcmp(key, "name") == 0)
    to = f->name, n = &f->nname;
  else if (strcmp(key, "label") == 0)
    to = f->label, n = &f->nlabel;
  else if (strcmp(key, "dangling") == 0 && is_bool(value))
    to = f->dangling, n = &f->ndangling;
  else if (strcmp(key, "driver") == 0)
    to = f->driver, n = &f->ndriver;
  if (!to || *n >= ARRAY_SIZE(f->name))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s=%s`",
                           key, value);
  to[(*n)++] = value;
  return 0;
}

int berth_volume_filter_parse(struct berth_volume_filter *f, const char *kv,
                              berth_error **err) {
  char key[16];
  const char *value;
  if (berth_filter_kv(kv, key, sizeof key, &value, err) < 0)
    return -1;
  return berth_volume_filter_add(f, key, value, err);
}

static bool label_matches(json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  if (!eq)
    return json_object_get(labels, want) != NULL;
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(eq - want), want);
  const char *v = json_string_value(json_object_get(labels, key));
  return v && strcmp(v, eq + 1) == 0;
}

bool berth_volume_matches(const struct berth_volume *v,
                          const struct berth_volume_filter *f) {
  bool ok = f->nname == 0;
  for (size_t i = 0; i < f->nname; i++)
    ok |= strstr(v->name, f->name[i]) != NULL;
  for (size_t i = 0; ok && i < f->nlabel; i++)
    ok = label_matches(v->labels, f->label[i]);
  bool dangling_ok = f->ndangling == 0;
  for (size_t i = 0; i < f->ndangling; i++) {
    bool want = f->dangling[i][0] == 't' || f->dangling[i][0] == '1';
    dangling_ok |= want == (v->refs == 0);
  }
  /* local is the only driver a berth volume can have. */
  bool driver_ok = f->ndriver == 0;
  for (size_t i = 0; i < f->ndriver; i++)
    driver_ok |= strcmp(f->driver[i], "local") == 0;
  return ok && dangling_ok && driver_ok;
}

int berth_volume_prune_filter_add(struct berth_volume_prune_filter *f,
                                  const char *key, const char *value,
                                  berth_error **err) {
  bool label = strcmp(key, "label") == 0, not = strcmp(key, "label!") == 0;
  if (strcmp(key, "all") == 0 && is_bool(value)) {
    f->all = value[0] == 't' || value[0] == '1';
    return 0;
  }
  if ((label && f->nlabel < ARRAY_SIZE(f->label)) ||
      (not && f->nnot < ARRAY_SIZE(f->not_label))) {
    if (label)
      f->label[f->nlabel++] = value;
    else
      f->not_label[f->nnot++] = value;
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s=%s`",
                         key, value);
}

bool berth_volume_prune_selects(const struct berth_volume_prune_filter *f,
                                json_t *labels) {
  for (size_t i = 0; f && i < f->nlabel; i++)
    if (!label_matches(labels, f->label[i]))
      return false;
  for (size_t i = 0; f && i < f->nnot; i++)
    if (label_matches(labels, f->not_label[i]))
      return false;
  return true;
}
