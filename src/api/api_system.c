/* System routes: /_ping (clients negotiate the version with it), /version,
 * /info, /system/df and /auth (docker login). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api_internal.h"
#include "ctr_summary.h"
#include "df.h"
#include "reference.h"
#include "registry_options.h"
#include "system_info.h"

/* ---- _ping ---- */

/* Needs no engine: the cheapest answer, as clients ping before each
 * command.  Builder-Version 1 makes the docker CLI use the classic
 * POST /build. */
static int ping(struct api_req *r) {
  bool head = strcmp(r->method, "HEAD") == 0;
  if (api_reply_text(r, 200, "text/plain; charset=utf-8", head ? "" : "OK",
                     head ? 0 : 2) < 0)
    return -1;
  struct MHD_Response *resp = r->response;
  MHD_add_response_header(resp, "Builder-Version", "1");
  MHD_add_response_header(resp, "Cache-Control",
                          "no-cache, no-store, must-revalidate");
  MHD_add_response_header(resp, "Pragma", "no-cache");
  MHD_add_response_header(resp, "Swarm", "inactive");
  return 0;
}

/* ---- version, info ---- */

/* The engine's document, with the API versions this server speaks (the
 * engine's own is that of the request bodies it takes). */
static int version(struct api_req *r) {
  json_t *doc = berth_system_version();
  if (!doc)
    return api_reply_errorf(r, 500, "cannot describe the version");
  json_t *engine_details =
      json_object_get(json_array_get(json_object_get(doc, "Components"), 0),
                      "Details");
  json_t *objs[] = {doc, engine_details};
  for (size_t i = 0; i < 2; i++)
    if (json_is_object(objs[i])) {
      json_object_set_new(objs[i], "ApiVersion",
                          json_string(BERTH_API_MAX_VERSION));
      json_object_set_new(objs[i], "MinAPIVersion",
                          json_string(BERTH_API_MIN_VERSION));
    }
  return api_reply_json(r, 200, doc);
}

static int info(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  json_t *doc = e ? berth_system_info(e, &err) : NULL;
  if (!doc)
    return api_reply_error(r, err);
  return api_reply_json(r, 200, doc);
}

/* ---- system df ---- */

/* Names as Docker shows them: "bb:latest", not
 * "docker.io/library/bb:latest". */
static json_t *familiar_names(char **v) {
  json_t *a = json_array();
  for (; v && *v; v++) {
    struct berth_ref ref;
    char *name = NULL;
    if (berth_ref_parse(*v, &ref, NULL) == 0) {
      name = berth_ref_familiar(&ref);
      berth_ref_free(&ref);
    }
    json_array_append_new(a, json_string(name ? name : *v));
    free(name);
  }
  return a;
}

/* "2024-01-02T03:04:05Z" -> unix seconds; added (unix s) when absent. */
static json_int_t created_unix(const struct berth_image *img) {
  struct tm tm = {0};
  if (img->created && strptime(img->created, "%Y-%m-%dT%H:%M:%S", &tm))
    return (json_int_t)timegm(&tm);
  return img->added;
}

static json_t *df_image(const struct berth_df_image *d) {
  json_t *labels = json_object();
  return json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:i}", "Id",
                   d->img.id, "ParentId", "", "RepoTags", familiar_names(d->img.tags),
                   "RepoDigests", familiar_names(d->img.digests), "Created",
                   created_unix(&d->img), "Size", (json_int_t)d->img.size,
                   "SharedSize", (json_int_t)d->shared_size, "VirtualSize",
                   (json_int_t)d->img.size, "Labels", labels, "Containers",
                   d->containers);
}

/* A container of the df document: the engine's ContainerSummary (the
 * one GET /containers/json lists) with the sizes df measured. */
static json_t *df_ctr(struct berth_engine *e,
                      const struct berth_df_container *d) {
  json_t *doc = berth_ctr_summary(e, &d->ctr, false);
  if (doc) {
    json_object_set_new(doc, "SizeRw", json_integer((json_int_t)d->size_rw));
    json_object_set_new(doc, "SizeRootFs",
                        json_integer((json_int_t)d->size_rw));
  }
  return doc;
}

static void rfc3339(int64_t unix_s, char *out, size_t len) {
  time_t t = (time_t)unix_s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *df_volume(struct berth_engine *e,
                         const struct berth_df_volume *d) {
  char path[4096], created[64];
  berth_volume_path(e, d->vol.name, path, sizeof path);
  rfc3339(d->vol.created / 1000000000, created, sizeof created);
  return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:{},s:{s:I,s:i}}", "Name",
                   d->vol.name, "Driver", "local", "Mountpoint", path,
                   "CreatedAt", created, "Labels",
                   d->vol.labels ? json_incref(d->vol.labels) : json_object(),
                   "Scope",
                   "local", "Options", "UsageData", "Size",
                   (json_int_t)d->size, "RefCount", d->vol.refs);
}

static json_t *df_cache(const struct berth_df_image *d) {
  char used[64] = "";
  if (d->last_used)
    rfc3339(d->last_used, used, sizeof used);
  return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:s,s:s,s:i}", "ID",
                   d->img.id + 7, "Parent", "", "Type", "regular",
                   "Description", "", "InUse", d->containers > 0, "Shared",
                   d->shared_size > 0, "Size",
                   (json_int_t)(d->img.size - d->shared_size), "CreatedAt",
                   d->img.created ? d->img.created : "", "LastUsedAt", used,
                   "UsageCount", 0);
}

static json_t *df_doc(struct berth_engine *e, const struct berth_df *df) {
  json_t *imgs = json_array(), *ctrs = json_array(), *vols = json_array(),
         *cache = json_array();
  for (size_t i = 0; i < df->n_images; i++)
    json_array_append_new(imgs, df_image(&df->images[i]));
  for (size_t i = 0; i < df->n_ctrs; i++)
    json_array_append_new(ctrs, df_ctr(e, &df->ctrs[i]));
  for (size_t i = 0; i < df->n_vols; i++)
    json_array_append_new(vols, df_volume(e, &df->vols[i]));
  for (size_t i = 0; i < df->n_cache; i++)
    json_array_append_new(cache, df_cache(&df->cache[i]));
  return json_pack("{s:I,s:o,s:o,s:o,s:o}", "LayersSize",
                   (json_int_t)df->layers_size, "Images", imgs, "Containers",
                   ctrs, "Volumes", vols, "BuildCache", cache);
}

static int system_df(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  struct berth_df df;
  if (!e || berth_system_df(e, &df, &err) < 0)
    return api_reply_error(r, err);
  json_t *doc = df_doc(e, &df);
  berth_df_free(&df);
  if (!doc)
    return api_reply_errorf(r, 500, "cannot encode the disk usage");
  return api_reply_json(r, 200, doc);
}

/* ---- auth ---- */

/* docker login: the credentials are checked with the registry and
 * stored nowhere (the client keeps them, and sends them with each pull
 * and push). */
static int auth(struct api_req *r) {
  json_t *body;
  berth_error *err = NULL;
  if (api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  const char *keys[] = {"username", "password", "serveraddress"};
  const char *vals[3] = {NULL, NULL, NULL};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_object_get(body, keys[i]);
    if (v && !json_is_string(v) && !json_is_null(v)) {
      json_decref(body);
      return api_reply_errorf(r, 400, "invalid login request: %s is not a "
                                      "string", keys[i]);
    }
    vals[i] = json_string_value(v);
  }
  const char *user = vals[0], *pass = vals[1], *server = vals[2];
  int rc;
  char reg[256];
  berth_registry_login_name(server && *server ? server : "docker.io", reg,
                            sizeof reg);
  struct berth_registry_flags rf = {.username = user, .password = pass};
  rc = berth_registry_login_check(reg, &rf, &err);
  json_decref(body);
  if (rc < 0)
    return api_reply_error(r, err);
  return api_reply_json(r, 200,
                        json_pack("{s:s,s:s}", "Status", "Login Succeeded",
                                  "IdentityToken", ""));
}

const struct api_route api_routes_system[] = {
    {"GET", "/_ping", ping, 0},
    {"HEAD", "/_ping", ping, 0},
    {"GET", "/version", version, 0},
    {"GET", "/info", info, 0},
    {"GET", "/system/df", system_df, 0},
    {"POST", "/auth", auth, 0},
    {NULL, NULL, NULL, 0},
};
