/* Images: GET /images/json, GET /images/{name}/json, GET
 * /images/{name}/history, POST /images/{name}/tag, DELETE
 * /images/{name}, POST /images/prune.  Every answer is an image-layer or
 * engine call's result in Docker's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_img.h"
#include "cleanup.h"
#include "history.h"
#include "image_filter.h"
#include "image_inspect.h"
#include "image_remove.h"
#include "images.h"
#include "images_in_use.h"
#include "lookup.h"
#include "prune.h"
#include "reference.h"

char *api_familiar(const char *name) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(name, &ref, NULL) < 0)
    return strdup(name);
  char *fam = berth_ref_familiar(&ref);
  berth_ref_free(&ref);
  return fam;
}

json_t *api_familiar_array(char *const *names) {
  json_t *a = json_array();
  for (char *const *n = names; a && n && *n; n++) {
    _cleanup_free_ char *fam = api_familiar(*n);
    json_array_append_new(a, json_string(fam ? fam : *n));
  }
  return a;
}

/* ---- GET /images/json ---- */

/* The filters map flattened to "key=value" strings (kept in kv, which
 * the image filter borrows from). */
static int list_filter(struct api_req *r, struct berth_image_filter *f,
                       json_t *kv, berth_error **err) {
  json_t *filters, *vals, *v;
  const char *key;
  size_t i;
  if (api_query_filters(r, &filters, err) < 0)
    return -1;
  int rc = 0;
  json_object_foreach(filters, key, vals) {
    json_array_foreach(vals, i, v) {
      char *s = NULL;
      if (rc == 0 && asprintf(&s, "%s=%s", key, json_string_value(v) ?: "") <
                         0)
        rc = berth_error_sys(err, "allocate");
      if (rc == 0) {
        json_array_append_new(kv, json_string(s));
        rc = berth_image_filter_add(
            f, json_string_value(json_array_get(kv, json_array_size(kv) - 1)),
            err);
      }
      free(s);
    }
  }
  json_decref(filters);
  return rc;
}

static json_t *labels_of(struct berth_imgstore *is, const char *id) {
  json_t *cfg = berth_image_config(is, id);
  json_t *l = json_object_get(json_object_get(cfg, "config"), "Labels");
  json_t *out = json_is_object(l) && json_object_size(l) ? json_incref(l)
                                                         : json_null();
  json_decref(cfg);
  return out;
}

/* Docker's ImageSummary.  An image with neither tag nor digest shows
 * "<none>:<none>" and "<none>@<none>", as Docker 20.10's daemon does. */
static json_t *image_summary(struct berth_engine *e,
                             const struct berth_image *img, bool digests) {
  char parent[BERTH_DIGEST_SIZE] = "";
  if (berth_images_parent(e->db, img->id, parent, NULL) != 1)
    *parent = '\0';
  json_t *tags = api_familiar_array(img->tags);
  json_t *dig = api_familiar_array(img->digests);
  if (json_array_size(tags) == 0 && json_array_size(dig) == 0) {
    json_array_append_new(tags, json_string("<none>:<none>"));
    json_array_append_new(dig, json_string("<none>@<none>"));
  }
  (void)digests; /* RepoDigests are always sent (the CLI's --digests
                    only shows them) */
  return json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:I}", "Id", img->id,
                   "ParentId", parent, "RepoTags", tags, "RepoDigests", dig,
                   "Created",
                   (json_int_t)(berth_image_created_ns(img->created) /
                                1000000000),
                   "Size", (json_int_t)img->size, "SharedSize",
                   (json_int_t)-1, "VirtualSize", (json_int_t)img->size,
                   "Labels", labels_of(e->is, img->id), "Containers",
                   (json_int_t)-1);
}

static int images_list(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_image_filter f;
  berth_image_filter_init(&f);
  bool digests = false;
  json_t *kv = json_array();
  struct berth_engine *e = NULL;
  struct berth_image *imgs = NULL;
  size_t n = 0;
  int rc = api_query_bool(r, "all", false, &f.all, &err);
  if (rc == 0)
    rc = api_query_bool(r, "digests", false, &digests, &err);
  if (rc == 0)
    rc = list_filter(r, &f, kv, &err);
  if (rc == 0 && !(e = api_engine(r, &err)))
    rc = -1;
  if (rc == 0)
    rc = berth_images_list_filtered(e->is, &f, &imgs, &n, &err);
  json_t *out = rc == 0 ? json_array() : NULL;
  for (size_t i = 0; out && i < n; i++)
    json_array_append_new(out, image_summary(e, &imgs[i], digests));
  berth_images_free(imgs, n);
  json_decref(kv);
  return rc < 0 ? api_reply_error(r, err) : api_reply_json(r, 200, out);
}

/* ---- one image ---- */

/* The image a path's {name*} means ("No such image: x" otherwise). */
static int lookup(struct api_req *r, struct berth_engine **e,
                  char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct berth_image_match m;
  if (!(*e = api_engine(r, err)) ||
      berth_image_lookup((*e)->db, r->params[0], &m, err) < 0)
    return -1;
  memcpy(id, m.id, BERTH_DIGEST_SIZE);
  berth_image_match_clear(&m);
  return 0;
}

static int image_inspect(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e;
  char id[BERTH_DIGEST_SIZE];
  struct berth_image img = {0};
  if (lookup(r, &e, id, &err) < 0 ||
      berth_images_get(e->db, id, &img, &err) < 0)
    return api_reply_error(r, err);
  json_t *doc = berth_image_inspect(e->is, &img);
  berth_image_free(&img);
  if (!doc)
    return api_reply_errorf(r, 500, "out of memory");
  return api_reply_json(r, 200, doc);
}

/* Docker's HistoryResponseItem: Id, Created (s), CreatedBy, Tags (null
 * when none), Size, Comment. */
static int image_history(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  struct berth_history_entry *h = NULL;
  size_t n = 0;
  if (!e || berth_image_history(e->is, r->params[0], &h, &n, &err) < 0)
    return api_reply_error(r, err);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *tags = h[i].tags && h[i].tags[0] ? api_familiar_array(h[i].tags)
                                             : json_null();
    json_array_append_new(
        out, json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id", h[i].id, "Created",
                       (json_int_t)(h[i].created / 1000000000), "CreatedBy",
                       h[i].created_by, "Tags", tags, "Size",
                       (json_int_t)h[i].size, "Comment", h[i].comment));
  }
  berth_history_free(h, n);
  return api_reply_json(r, 200, out);
}

/* repo (and tag) as a normalised "name:tag"; a digest is refused as the
 * CLI's tag refuses it. */
static char *tag_name(const char *repo, const char *tag, berth_error **err) {
  _cleanup_free_ char *s = NULL;
  if (!repo || !*repo) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "repository name must have at least one component");
    return NULL;
  }
  if (asprintf(&s, "%s%s%s", repo, tag && *tag ? ":" : "",
               tag && *tag ? tag : "") < 0) {
    berth_error_sys(err, "allocate");
    return NULL;
  }
  struct berth_ref ref = {0};
  if (berth_ref_parse(s, &ref, err) < 0)
    return NULL;
  char *name = NULL;
  _cleanup_free_ char *path = berth_ref_repository(&ref);
  if (ref.digest)
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "refusing to create a tag with a digest reference");
  else if (!path || asprintf(&name, "%s:%s", path,
                             ref.tag ? ref.tag : "latest") < 0)
    berth_error_sys(err, "allocate");
  berth_ref_free(&ref);
  return name;
}

static int image_tag(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e;
  char id[BERTH_DIGEST_SIZE];
  if (lookup(r, &e, id, &err) < 0)
    return api_reply_error(r, err);
  _cleanup_free_ char *name =
      tag_name(api_query(r, "repo"), api_query(r, "tag"), &err);
  if (!name || berth_image_tag(e->is, id, name, &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 201);
}

/* Docker's ImageDeleteResponseItem list. */
static json_t *rmi_json(const struct berth_rmi_report *rep) {
  json_t *out = json_array();
  for (size_t i = 0; i < rep->n; i++) {
    if (rep->items[i].untagged) {
      _cleanup_free_ char *fam = api_familiar(rep->items[i].untagged);
      json_array_append_new(
          out, json_pack("{s:s}", "Untagged",
                         fam ? fam : rep->items[i].untagged));
    } else {
      json_array_append_new(
          out, json_pack("{s:s}", "Deleted", rep->items[i].deleted));
    }
  }
  return out;
}

static int image_delete(struct api_req *r) {
  berth_error *err = NULL;
  bool force = false, noprune = false;
  struct berth_engine *e = NULL;
  if (api_query_bool(r, "force", false, &force, &err) < 0 ||
      api_query_bool(r, "noprune", false, &noprune, &err) < 0 ||
      !(e = api_engine(r, &err)))
    return api_reply_error(r, err);
  struct berth_rmi_report rep = {0};
  int rc = berth_engine_image_remove(e, r->params[0], force, noprune, &rep,
                                     &err);
  json_t *out = rc == 0 ? rmi_json(&rep) : NULL;
  berth_rmi_report_free(&rep);
  return rc < 0 ? api_reply_error(r, err) : api_reply_json(r, 200, out);
}

/* ---- POST /images/prune ---- */

/* dangling (false: every unused image, as `prune -a`), until, label. */
static int prune_filter(json_t *filters, bool *all,
                        struct berth_prune_filter *f, berth_error **err) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  const char *key;
  json_t *vals, *v;
  size_t i;
  json_object_foreach(filters, key, vals) {
    json_array_foreach(vals, i, v) {
      const char *s = json_string_value(v) ?: "";
      if (strcmp(key, "dangling") == 0) {
        bool t = !strcmp(s, "true") || !strcmp(s, "1");
        if (!t && strcmp(s, "false") && strcmp(s, "0"))
          return berth_error_set(err, BERTH_ERR_INVALID, 0,
                                 "invalid filter 'dangling=%s'", s);
        *all = !t;
      } else if (berth_prune_filter_add(f, key, s, now_ns, err) < 0) {
        return -1;
      }
    }
  }
  return 0;
}

static int images_prune(struct api_req *r) {
  berth_error *err = NULL;
  json_t *filters = NULL, *report = NULL;
  struct berth_prune_filter f = {0};
  bool all = false;
  struct berth_engine *e = NULL;
  int rc = api_query_filters(r, &filters, &err);
  if (rc == 0)
    rc = prune_filter(filters, &all, &f, &err);
  if (rc == 0 && !(e = api_engine(r, &err)))
    rc = -1;
  if (rc == 0)
    rc = berth_images_prune_filtered_report(e, all, &f, &report, &err);
  json_decref(filters); /* after the prune: f borrows its strings */
  if (rc < 0) {
    json_decref(report);
    return api_reply_error(r, err);
  }
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(report, "ImagesDeleted"), i, item) {
    const char *name = json_string_value(json_object_get(item, "Untagged"));
    _cleanup_free_ char *fam = name ? api_familiar(name) : NULL;
    if (fam)
      json_object_set_new(item, "Untagged", json_string(fam));
  }
  return api_reply_json(r, 200, report);
}

/* Searching Docker Hub needs the internet, which berth's hosts may not
 * have; Docker answers an unreachable index with an error too. */
static int images_search(struct api_req *r) {
  return api_reply_errorf(r, 501,
                          "image search is not implemented: berth has no "
                          "registry index to search");
}

const struct api_route api_routes_images[] = {
    {"GET", "/images/json", images_list, 0},
    {"POST", "/images/prune", images_prune, 0},
    {"GET", "/images/search", images_search, 0},
    {"GET", "/images/{name*}/json", image_inspect, 0},
    {"GET", "/images/{name*}/history", image_history, 0},
    {"POST", "/images/{name*}/tag", image_tag, 0},
    {"DELETE", "/images/{name*}", image_delete, 0},
    {NULL, NULL, NULL, 0},
};
