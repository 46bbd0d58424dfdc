/* Volumes: GET /volumes, POST /volumes/create, GET /volumes/{name},
 * DELETE /volumes/{name}, POST /volumes/prune.  The engine's volumes.h
 * and prune.h decide (names, the only driver, what is in use, what prune
 * takes); this file maps requests onto them. */
#include <string.h>

#include "api_internal.h"
#include "filter_kv.h"
#include "prune.h"
#include "volumes.h"

static int vol_filter_add(void *f, const char *key, const char *value,
                          berth_error **err) {
  return berth_volume_filter_add(f, key, value, err);
}

static int prune_filter_add(void *f, const char *key, const char *value,
                            berth_error **err) {
  return berth_volume_prune_filter_add(f, key, value, err);
}

/* GET /volumes?filters= -> {"Volumes": [...], "Warnings": []}. */
static int vol_list(struct api_req *r) {
  berth_error *err = NULL;
  json_t *filters = NULL;
  struct berth_volume_filter f = {0};
  struct berth_volume *v = NULL;
  size_t n = 0;
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_filters(r, &filters, &err) < 0 ||
      berth_filter_map_each(filters, vol_filter_add, &f, &err) < 0 ||
      berth_volume_list(e, &v, &n, &err) < 0) {
    json_decref(filters);
    return api_reply_error(r, err);
  }
  json_t *vols = json_array();
  for (size_t i = 0; i < n; i++)
    if (berth_volume_matches(&v[i], &f))
      json_array_append_new(vols, berth_volume_inspect(e, &v[i]));
  berth_volumes_free(v, n);
  json_decref(filters);
  return api_reply_json(r, 200,
                        json_pack("{s:o,s:[]}", "Volumes", vols, "Warnings"));
}

/* POST /volumes/create -> 201 the volume; an existing name answers the
 * existing volume, as Docker. */
static int vol_create(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL, *vol = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  int rc = berth_volume_create_request(e, body, &vol, &err);
  json_decref(body);
  return rc < 0 ? api_reply_error(r, err) : api_reply_json(r, 201, vol);
}

/* GET /volumes/{name}. */
static int vol_inspect(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_volume v = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || berth_volume_get(e, r->params[0], &v, &err) < 0)
    return api_reply_error(r, err);
  json_t *doc = berth_volume_inspect(e, &v);
  berth_volume_clear(&v);
  return api_reply_json(r, 200, doc);
}

/* DELETE /volumes/{name}?force= -> 204; in use is 409 even with force. */
static int vol_remove(struct api_req *r) {
  berth_error *err = NULL;
  bool force;
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_bool(r, "force", false, &force, &err) < 0 ||
      berth_volume_delete(e, r->params[0], force, &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

/* POST /volumes/prune?filters={label, label!, all} -> {"VolumesDeleted":
 * [names] or null, "SpaceReclaimed": bytes}.  Before API 1.42 Docker's
 * prune takes every unused volume, named ones too (1.42 made it the
 * anonymous ones unless all=true), and old clients expect that. */
static int vol_prune(struct api_req *r) {
  berth_error *err = NULL;
  json_t *filters = NULL, *report = NULL;
  struct berth_volume_prune_filter f = {.all = r->version < 142};
  struct berth_engine *e = api_engine(r, &err);
  int rc = !e || api_query_filters(r, &filters, &err) < 0 ||
                   berth_filter_map_each(filters, prune_filter_add, &f, &err) <
                       0 ||
                   berth_volumes_prune_filtered(e, &f, &report, &err) < 0
               ? -1
               : 0;
  json_decref(filters);
  return rc < 0 ? api_reply_error(r, err) : api_reply_json(r, 200, report);
}

const struct api_route api_routes_vol[] = {
    {"GET", "/volumes", vol_list, 0},
    {"POST", "/volumes/create", vol_create, 0},
    {"POST", "/volumes/prune", vol_prune, 0},
    {"GET", "/volumes/{name}", vol_inspect, 0},
    {"DELETE", "/volumes/{name}", vol_remove, 0},
    {NULL, NULL, NULL, 0},
};
