/* Containers, the other verbs: rename, update, top, changes, export,
 * pause, unpause, prune.  One engine call each, as the CLI's. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "cleanup.h"
#include "containers.h"
#include "diff.h"
#include "export.h"
#include "lifecycle.h"
#include "prune.h"
#include "top.h"
#include "update.h"

#define ENGINE_OR_REPLY(r, e)                                                 \
  struct berth_engine *e;                                                     \
  do {                                                                        \
    berth_error *engine_err_ = NULL;                                          \
    if (!(e = api_engine((r), &engine_err_)))                                 \
      return api_reply_error((r), engine_err_);                               \
  } while (0)

static int ctr_rename(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  const char *name = api_query(r, "name");
  if (!name || !*name)
    return api_reply_errorf(r, 400, "rename: a new name is required "
                            "(?name=)");
  if (berth_ctr_set_name(e, r->params[0], name, &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

static int ctr_update(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  json_t *body = NULL, *changes = NULL;
  int rc = api_body_json(r, &body, &err);
  if (rc == 0)
    rc = berth_update_changes_of(body, &changes, &err);
  json_decref(body);
  if (rc == 0)
    rc = berth_ctr_update(e, r->params[0], changes, &err);
  json_decref(changes);
  if (rc < 0)
    return api_reply_error(r, err);
  return api_reply_json(r, 200, json_pack("{s:[]}", "Warnings"));
}

static int ctr_top(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  json_t *doc = NULL;
  if (berth_ctr_top(e, r->params[0], api_query(r, "ps_args"), &doc, &err) <
      0)
    return api_reply_error(r, err);
  return api_reply_json(r, 200, doc);
}

static int change_add(void *arg, const char *path,
                      enum berth_change_kind kind) {
  return json_array_append_new(arg, json_pack("{s:s,s:i}", "Path", path,
                                              "Kind", (int)kind));
}

static int ctr_changes(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  json_t *out = json_array();
  if (berth_ctr_changes(e, r->params[0], change_add, out, &err) < 0) {
    json_decref(out);
    return api_reply_error(r, err);
  }
  return api_reply_json(r, 200, out);
}

static int set_paused(struct api_req *r, bool pause) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  if (berth_ctr_set_paused(e, r->params[0], pause, &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}
static int ctr_pause(struct api_req *r) { return set_paused(r, true); }
static int ctr_unpause(struct api_req *r) { return set_paused(r, false); }

/* ---- GET /containers/{id}/export ----------------------------------------- */

/* The engine writes the tar to an fd, from the process that sees the
 * container's rootfs. */
struct export_job {
  char id[65];
  struct berth_engine *e;
  berth_error *err;
};

static void export_write(int fd, void *p) {
  struct export_job *j = p;
  berth_ctr_export(j->e, j->id, fd, &j->err);
}

static void export_produce(struct api_stream *s, void *data) {
  struct export_job *j = data;
  if ((j->e = api_stream_engine(s, &j->err)))
    api_stream_from_writer(s, export_write, j);
}

static void export_free(void *data) {
  struct export_job *j = data;
  berth_error_free(j->err);
  free(j);
}

static int ctr_export(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, r->params[0], &c, &err) < 0)
    return api_reply_error(r, err);
  struct export_job *j = calloc(1, sizeof *j);
  if (!j)
    return api_reply_errorf(r, 500, "export: out of memory");
  memcpy(j->id, c->id, sizeof j->id);
  return api_reply_stream(r, 200, "application/x-tar", export_produce, j,
                          export_free);
}

/* ---- POST /containers/prune ---------------------------------------------- */

static void prune_error(berth_error *err, void *arg) {
  (void)arg;
  berth_error_free(err); /* Docker skips what cannot go */
}

static int ctr_prune(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  json_t *filters = NULL, *vals, *v;
  if (api_query_filters(r, &filters, &err) < 0)
    return api_reply_error(r, err);
  struct berth_prune_filter f = {0};
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  const char *key;
  size_t i;
  int rc = 0;
  json_object_foreach(filters, key, vals) json_array_foreach(vals, i, v) {
    if (rc == 0)
      rc = berth_prune_filter_add(&f, key, json_string_value(v) ?: "",
                                  now_ns, &err);
  }
  json_t *report = NULL;
  if (rc == 0 &&
      berth_containers_prune(e, &f, &report, prune_error, NULL, &err) < 0)
    rc = -1;
  json_decref(filters);
  if (rc < 0)
    return api_reply_error(r, err);
  return api_reply_json(r, 200, report);
}

const struct api_route api_routes_ctr_more[] = {
    {"POST", "/containers/{id}/rename", ctr_rename, 0},
    {"POST", "/containers/{id}/update", ctr_update, 0},
    {"GET", "/containers/{id}/top", ctr_top, 0},
    {"GET", "/containers/{id}/changes", ctr_changes, 0},
    {"GET", "/containers/{id}/export", ctr_export, 0},
    {"POST", "/containers/{id}/pause", ctr_pause, 0},
    {"POST", "/containers/{id}/unpause", ctr_unpause, 0},
    {"POST", "/containers/prune", ctr_prune, 0},
    {NULL, NULL, NULL, 0},
};
