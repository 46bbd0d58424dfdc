/* Filtering container listings (ps). */
#include "ctr_filter.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "containers.h"
#include "image_filter.h"
#include "images.h"
#include "lookup.h"
#include "start.h"

static const char *const KEYS[] = {"id",     "name",   "label",   "status",
                                   "exited", "ancestor", "before", "since",
                                   "volume", "health", "network"};

static const char *const STATUSES[] = {"created", "restarting", "running",
                                       "removing", "paused", "exited",
                                       "dead"};

static bool one_of(const char *v, const char *const *set, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v, set[i]) == 0)
      return true;
  return false;
}

static int check_value(const char *key, const char *v, berth_error **err) {
  char *end;
  if (strcmp(key, "status") == 0 && !one_of(v, STATUSES, 7))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filter 'status=%s'", v);
  if (strcmp(key, "exited") == 0 && (strtol(v, &end, 10), *end || !*v))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filter 'exited=%s'", v);
  if (strcmp(key, "health") == 0 &&
      !one_of(v, (const char *const[]){"starting", "healthy", "unhealthy",
                                       "none"},
              4))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filter 'health=%s'", v);
  if (strcmp(key, "id") == 0 || strcmp(key, "name") == 0) {
    regex_t re;
    if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid filter '%s=%s': bad regular expression",
                             key, v);
    regfree(&re);
  }
  return 0;
}

int berth_ctr_filter_add(struct berth_ctr_filter *f, const char *kv,
                         berth_error **err) {
  const char *eq = strchr(kv, '=');
  size_t kl = eq ? (size_t)(eq - kv) : 0;
  bool known = false;
  for (size_t k = 0; eq && k < sizeof KEYS / sizeof *KEYS; k++)
    known |= strlen(KEYS[k]) == kl && strncmp(KEYS[k], kv, kl) == 0;
  if (!eq)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "bad format of filter `%s` (expected name=value)",
                           kv);
  if (!known)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filter '%.*s'", (int)kl, kv);
  if (f->n >= BERTH_CTR_FILTER_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "too many filters");
  snprintf(f->f[f->n].key, sizeof f->f[f->n].key, "%.*s", (int)kl, kv);
  if (check_value(f->f[f->n].key, eq + 1, err) < 0)
    return -1;
  f->f[f->n++].value = eq + 1;
  return 0;
}

/* What the filters refer to, resolved once per listing. */
struct resolved {
  char **ancestors; /* image ids: the named images and images built on
                       them */
  size_t n_ancestors;
  int64_t before, since; /* ns; 0: none */
};

static void resolved_free(struct resolved *r) {
  for (size_t i = 0; i < r->n_ancestors; i++)
    free(r->ancestors[i]);
  free(r->ancestors);
}

static int add_id(struct resolved *r, const char *id, berth_error **err) {
  char **v = realloc(r->ancestors, (r->n_ancestors + 1) * sizeof *v);
  if (!v || !(v[r->n_ancestors] = strdup(id)))
    return (r->ancestors = v ? v : r->ancestors),
           berth_error_sys(err, "allocate");
  r->ancestors = v;
  r->n_ancestors++;
  return 0;
}

/* An image is built on `base` when it adds layers to base's stack:
 * chain ids name a whole stack, so base's top chain id at the same depth
 * says so (commit and build add layers on top).  The same stack under
 * another config (an import of the same tar) is a sibling, as in Docker,
 * whose images record their parent. */
static bool built_on(const struct berth_image *img,
                     const struct berth_image *base) {
  size_t n = base->n_layers;
  return n > 0 && img->n_layers > n &&
         strcmp(img->layers[n - 1].chain_id, base->layers[n - 1].chain_id) ==
             0;
}

/* Its history continues base's: commit and build append to the base
 * config's history. */
static bool continues_history(struct berth_engine *e, json_t *base_hist,
                              const char *id) {
  json_t *cfg = berth_image_config(e->is, id);
  json_t *hist = json_object_get(cfg, "history");
  bool ok = json_array_size(hist) > json_array_size(base_hist);
  for (size_t i = 0; ok && i < json_array_size(base_hist); i++)
    ok = json_equal(json_array_get(hist, i), json_array_get(base_hist, i));
  json_decref(cfg);
  return ok;
}

/* A name that is no image matches no container (as Docker). */
static int resolve_ancestor(struct berth_engine *e, const char *what,
                            struct resolved *r, berth_error **err) {
  struct berth_image_match m;
  berth_error *nf = NULL;
  if (berth_image_lookup(e->db, what, &m, &nf) < 0) {
    bool missing = nf->kind == BERTH_ERR_NOT_FOUND;
    if (!missing)
      *err = nf;
    else
      berth_error_free(nf);
    return missing ? 0 : -1;
  }
  struct berth_image base = {0}, *all = NULL;
  size_t n = 0;
  int rc = berth_images_get(e->db, m.id, &base, err);
  berth_image_match_clear(&m);
  if (rc == 0)
    rc = berth_images_list(e->db, &all, &n, err);
  json_t *cfg = rc == 0 ? berth_image_config(e->is, base.id) : NULL;
  json_t *hist = json_object_get(cfg, "history");
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (strcmp(all[i].id, base.id) == 0 ||
        (built_on(&all[i], &base) && continues_history(e, hist, all[i].id)))
      rc = add_id(r, all[i].id, err);
  json_decref(cfg);
  berth_images_free(all, n);
  berth_image_free(&base);
  return rc;
}

static int created_of(struct berth_engine *e, const char *ref, int64_t *ns,
                      berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  *ns = c->created;
  return 0;
}

static int resolve(struct berth_engine *e, const struct berth_ctr_filter *f,
                   struct resolved *r, berth_error **err) {
  for (size_t i = 0; i < f->n; i++) {
    const char *k = f->f[i].key, *v = f->f[i].value;
    int rc = 0;
    if (strcmp(k, "ancestor") == 0)
      rc = resolve_ancestor(e, v, r, err);
    else if (strcmp(k, "before") == 0)
      rc = created_of(e, v, &r->before, err);
    else if (strcmp(k, "since") == 0)
      rc = created_of(e, v, &r->since, err);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static bool regex_match(const char *re_text, const char *s) {
  regex_t re;
  if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) != 0)
    return false;
  bool ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

static bool label_match(const struct berth_ctr *c, const char *v) {
  json_t *labels = json_object_get(c->config, "Labels");
  const char *eq = strchr(v, '=');
  char key[256];
  snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
  json_t *lv = json_object_get(labels, key);
  return lv && (!eq || (json_is_string(lv) &&
                        strcmp(json_string_value(lv), eq + 1) == 0));
}

static bool volume_match(struct berth_engine *e, const struct berth_ctr *c,
                         const char *v) {
  json_t *mounts =
      json_object_get(json_object_get(c->config, "HostConfig"), "Mounts");
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *src = json_string_value(json_object_get(m, "Source"));
    const char *dst = json_string_value(json_object_get(m, "Target"));
    if ((src && strcmp(src, v) == 0) || (dst && strcmp(dst, v) == 0))
      return true;
  }
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT 1 FROM container_volumes WHERE container_id=?1"
                       " AND (volume=?2 OR target=?2)",
                       &st, NULL) < 0)
    return false;
  sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
  return sqlite3_step(st) == SQLITE_ROW;
}

static bool key_match(struct berth_engine *e, const struct berth_ctr *c,
                      const struct resolved *r, const char *k,
                      const char *v) {
  if (strcmp(k, "id") == 0)
    return regex_match(v, c->id);
  if (strcmp(k, "name") == 0)
    return regex_match(v, c->name);
  if (strcmp(k, "status") == 0)
    return strcmp(c->state, v) == 0;
  if (strcmp(k, "exited") == 0)
    return strcmp(c->state, BERTH_ST_EXITED) == 0 && c->exit_code == atoi(v);
  if (strcmp(k, "health") == 0)
    return strcmp(c->health ? c->health : "none", v) == 0;
  if (strcmp(k, "network") == 0) {
    const char *mode = json_string_value(json_object_get(
        json_object_get(c->config, "HostConfig"), "NetworkMode"));
    return strcmp(mode && *mode ? mode : "default", v) == 0;
  }
  if (strcmp(k, "volume") == 0)
    return volume_match(e, c, v);
  if (strcmp(k, "ancestor") == 0) {
    for (size_t i = 0; i < r->n_ancestors; i++)
      if (strcmp(r->ancestors[i], c->image_id) == 0)
        return true;
    return false;
  }
  if (strcmp(k, "before") == 0)
    return c->created < r->before;
  if (strcmp(k, "since") == 0)
    return c->created > r->since;
  return label_match(c, v);
}

static bool matches(struct berth_engine *e, const struct berth_ctr *c,
                    const struct berth_ctr_filter *f,
                    const struct resolved *r) {
  for (size_t k = 0; k < sizeof KEYS / sizeof *KEYS; k++) {
    bool any = false, ok = strcmp(KEYS[k], "label") == 0;
    for (size_t i = 0; i < f->n; i++) {
      if (strcmp(f->f[i].key, KEYS[k]) != 0)
        continue;
      any = true;
      bool m = key_match(e, c, r, f->f[i].key, f->f[i].value);
      ok = strcmp(KEYS[k], "label") == 0 ? ok && m : ok || m;
    }
    if (any && !ok)
      return false;
  }
  return true;
}

static bool shows_stopped(const struct berth_ctr_filter *f) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->f[i].key, "status") == 0 ||
        strcmp(f->f[i].key, "exited") == 0)
      return true;
  return f->all;
}

static bool is_up(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

int berth_ctr_list_filtered(struct berth_engine *e,
                            const struct berth_ctr_filter *f,
                            struct berth_ctr **out, size_t *n,
                            berth_error **err) {
  struct resolved r = {0};
  struct berth_ctr *v = NULL;
  size_t count = 0, k = 0;
  if (resolve(e, f, &r, err) < 0 || berth_ctr_list(e->db, &v, &count, err) < 0) {
    resolved_free(&r);
    return -1;
  }
  bool stopped = shows_stopped(f);
  for (size_t i = 0; i < count; i++) {
    berth_ctr_refresh(e, &v[i], NULL);
    bool keep = (stopped || is_up(&v[i])) && matches(e, &v[i], f, &r) &&
                (!f->limit || k < f->limit);
    if (keep)
      v[k++] = v[i];
    else
      berth_ctr_clear(&v[i]);
  }
  resolved_free(&r);
  *out = v;
  *n = k;
  return 0;
}
