/* Containers: list, create, inspect and the lifecycle verbs (start, stop,
 * kill, restart, wait, remove).  Each handler parses, makes the engine
 * call `berth` makes for the same verb, and encodes the answer. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_internal.h"
#include "attach.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "ctr_filter.h"
#include "ctr_summary.h"
#include "inspect.h"
#include "lifecycle.h"
#include "lookup.h"
#include "start.h"
#include "wait.h"

/* api_attach.c (the io part) may not be linked: the start handler then
 * has no parked client to hand over. */
extern int api_attach_take(struct api_server *srv, const char *id,
                           struct berth_start_opts *o, void **token)
    __attribute__((weak));
extern void api_attach_started(struct api_server *srv, void *token, bool ok)
    __attribute__((weak));

/* The connection's engine into e, else the handler answers the error. */
#define ENGINE_OR_REPLY(r, e)                                                 \
  struct berth_engine *e;                                                     \
  do {                                                                        \
    berth_error *engine_err_ = NULL;                                          \
    if (!(e = api_engine((r), &engine_err_)))                                 \
      return api_reply_error((r), engine_err_);                               \
  } while (0)

/* ---- GET /containers/json ---------------------------------------------- */

/* filters={"status": ["exited"], ...} as the engine's "key=value"
 * filters; the strings (kept in *kvs, freed by the caller) outlive f. */
static int list_filters(struct api_req *r, struct berth_ctr_filter *f,
                        char ***kvs, berth_error **err) {
  json_t *filters = NULL, *vals, *v;
  if (api_query_filters(r, &filters, err) < 0)
    return -1;
  size_t n = 0, i;
  const char *key;
  json_object_foreach(filters, key, vals) n += json_array_size(vals);
  *kvs = calloc(n + 1, sizeof **kvs);
  int rc = *kvs ? 0 : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM,
                                      "filters");
  n = 0;
  json_object_foreach(filters, key, vals) json_array_foreach(vals, i, v) {
    if (rc < 0)
      break;
    if (asprintf(&(*kvs)[n], "%s=%s", key, json_string_value(v) ?: "") < 0)
      rc = berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "filters");
    else
      rc = berth_ctr_filter_add(f, (*kvs)[n++], err);
  }
  json_decref(filters);
  return rc;
}

static int ctr_list(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  struct berth_ctr_filter f = {0};
  bool size;
  int64_t limit;
  _cleanup_strv_ char **kvs = NULL;
  if (api_query_bool(r, "all", false, &f.all, &err) < 0 ||
      api_query_bool(r, "size", false, &size, &err) < 0 ||
      api_query_int(r, "limit", -1, -1, INT32_MAX, &limit, &err) < 0 ||
      list_filters(r, &f, &kvs, &err) < 0)
    return api_reply_error(r, err);
  /* Docker: a limit shows stopped containers too. */
  if (limit > 0) {
    f.limit = (size_t)limit;
    f.all = true;
  }
  struct berth_ctr *cs = NULL;
  size_t n = 0;
  if (berth_ctr_list_filtered(e, &f, &cs, &n, &err) < 0)
    return api_reply_error(r, err);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(out, berth_ctr_summary(e, &cs[i], size));
  berth_ctrs_free(cs, n);
  return api_reply_json(r, 200, out);
}

/* ---- POST /containers/create ------------------------------------------- */

/* The image, looked up and never pulled: a 404 makes the docker CLI pull
 * and ask again. */
static int create_image(struct berth_engine *e, json_t *req,
                        const char **name, char id[BERTH_DIGEST_SIZE],
                        berth_error **err) {
  json_t *img = json_object_get(req, "Image");
  if (img && !json_is_string(img))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "json: cannot unmarshal %s into Go struct field "
                           "Config.Image of type string",
                           json_is_number(img) ? "number" : "value");
  *name = json_string_value(img);
  if (!*name || !**name)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "Config.Image: an image is required");
  struct berth_image_match m;
  if (berth_image_lookup(e->is->db, *name, &m, err) < 0)
    return -1;
  memcpy(id, m.id, BERTH_DIGEST_SIZE);
  berth_image_match_clear(&m);
  return 0;
}

static int ctr_create(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  json_t *req = NULL;
  const char *name = api_query(r, "name"), *image = NULL;
  const char *platform = api_query(r, "platform");
  if (platform && *platform && strncmp(platform, "linux", 5) != 0)
    return api_reply_errorf(r, 400, "invalid platform `%s`: linux only",
                            platform);
  if (name && !*name)
    name = NULL;
  else if (name && name[0] == '/')
    name++; /* Docker's names are "/name" in its documents */
  char image_id[BERTH_DIGEST_SIZE], id[65];
  if (api_body_json(r, &req, &err) < 0 ||
      create_image(e, req, &image, image_id, &err) < 0 ||
      berth_ctr_new(e, image_id, image, req, name, id, &err) < 0) {
    json_decref(req);
    return api_reply_error(r, err);
  }
  json_decref(req);
  return api_reply_json(r, 201, json_pack("{s:s,s:[]}", "Id", id,
                                          "Warnings"));
}

/* ---- GET /containers/{id}/json ----------------------------------------- */

static int ctr_inspect(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  bool size;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (api_query_bool(r, "size", false, &size, &err) < 0 ||
      berth_ctr_find(e->db, r->params[0], &c, &err) < 0 ||
      berth_ctr_refresh(e, c, &err) < 0)
    return api_reply_error(r, err);
  json_t *doc = berth_ctr_inspect(e, c, size);
  if (!doc)
    return api_reply_errorf(r, 500, "inspect: out of memory");
  return api_reply_json(r, 200, doc);
}

/* ---- lifecycle ----------------------------------------------------------- */

/* The container (refreshed) and whether it is up (running or paused):
 * 1 up, 0 not, -1 with *err (NOT_FOUND "No such container: x"). */
static int find_up(struct berth_engine *e, const char *ref,
                   struct berth_ctr **c, berth_error **err) {
  if (berth_ctr_find(e->db, ref, c, err) < 0 ||
      berth_ctr_refresh(e, *c, err) < 0)
    return -1;
  return strcmp((*c)->state, BERTH_ST_RUNNING) == 0 ||
         strcmp((*c)->state, BERTH_ST_PAUSED) == 0;
}

static int is_up(struct berth_engine *e, const char *ref, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  return find_up(e, ref, &c, err);
}

/* A program that cannot be executed: Docker answers 400 with the
 * runtime's words, which the docker CLI turns into 126 or 127 ("no such
 * file or directory", "executable file not found", "permission denied"). */
static int start_failed(struct api_req *r, const struct berth_started *st,
                        berth_error *err) {
  if (st->exec_failure && err) {
    int rc = api_reply_errorf(r, 400, "failed to create task for container: "
                              "%s: unknown", err->msg);
    berth_error_free(err);
    return rc;
  }
  return api_reply_error(r, err);
}

static int ctr_start(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  char keys[BERTH_DETACH_KEYS_LEN];
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  int up = find_up(e, r->params[0], &c, &err);
  if (up < 0 ||
      berth_detach_keys_parse(api_query(r, "detachKeys"), keys, &err) < 0)
    return api_reply_error(r, err);
  if (up)
    return api_reply_empty(r, 304);
  struct berth_start_opts o = {.in = -1, .out = -1, .err = -1,
                               .detach_keys = keys};
  void *token = NULL;
  bool parked = api_attach_take && api_attach_take(r->srv, c->id, &o,
                                                   &token) == 1;
  struct berth_started st = {.status_fd = -1};
  int rc = berth_ctr_start(e, c->id, &o, &st, &err);
  if (parked && api_attach_started)
    api_attach_started(r->srv, token, rc == 0);
  /* An attached start's status connection goes to the parked client
   * (o.status_to, set by api_attach_take); one left to us is unused:
   * API clients learn the exit from wait. */
  if (st.status_fd >= 0)
    close(st.status_fd);
  if (rc < 0) {
    berth_ctr_discard_failed_start(e, c->id);
    return start_failed(r, &st, err);
  }
  return api_reply_empty(r, 204);
}

/* ?t= seconds: absent, the container's StopTimeout (-1). */
static int stop_timeout(struct api_req *r, int *t, berth_error **err) {
  int64_t v;
  if (api_query_int(r, "t", -1, -1, INT32_MAX, &v, err) < 0)
    return -1;
  *t = (int)v;
  return 0;
}

static int ctr_stop(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  int t, up = is_up(e, r->params[0], &err);
  if (up < 0 || stop_timeout(r, &t, &err) < 0)
    return api_reply_error(r, err);
  if (!up)
    return api_reply_empty(r, 304); /* Docker: already stopped */
  if (berth_ctr_stop_request(e, r->params[0], api_query(r, "signal"), t,
                             &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

static int ctr_restart(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  int t;
  if (stop_timeout(r, &t, &err) < 0 ||
      berth_ctr_restart_request(e, r->params[0], api_query(r, "signal"), t,
                                &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

static int ctr_kill(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  if (berth_ctr_kill_request(e, r->params[0], api_query(r, "signal"), &err) <
      0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

static int ctr_remove(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  bool v, force, link;
  if (api_query_bool(r, "v", false, &v, &err) < 0 ||
      api_query_bool(r, "force", false, &force, &err) < 0 ||
      api_query_bool(r, "link", false, &link, &err) < 0)
    return api_reply_error(r, err);
  if (link)
    return api_reply_errorf(r, 400, "links are not supported: no link "
                            "`%s` to remove", r->params[0]);
  if (berth_ctr_remove(e, r->params[0], force, v, &err) < 0)
    return api_reply_error(r, err);
  return api_reply_empty(r, 204);
}

/* ---- POST /containers/{id}/wait ------------------------------------------ */

struct wait_job {
  struct berth_wait w;
};

static bool client_gone(void *s) { return api_stream_gone(s); }

/* The answer's head goes out at once (as Docker, which flushes it: the
 * docker CLI starts the container only once it has it); the status
 * follows when the condition holds. */
static void wait_produce(struct api_stream *s, void *data) {
  struct wait_job *j = data;
  berth_error *err = NULL;
  int code = 0;
  /* libmicrohttpd sends the head with the first bytes of the body, and
   * the docker CLI reads the head before it starts the container: a
   * newline first, which every JSON decoder skips (Go's, Python's). */
  if (api_stream_write(s, "\n", 1) < 0)
    return;
  struct berth_engine *e = api_stream_engine(s, &err);
  if (e && berth_ctr_wait_end(e, &j->w, client_gone, s, &code, &err) == 0) {
    api_stream_json(s, json_pack("{s:i,s:n}", "StatusCode", code, "Error"));
    return;
  }
  if (err && err->kind != BERTH_ERR_TIMEOUT)
    api_stream_json(s, json_pack("{s:i,s:{s:s}}", "StatusCode", -1, "Error",
                                 "Message", err->msg));
  berth_error_free(err);
}

static int ctr_wait(struct api_req *r) {
  ENGINE_OR_REPLY(r, e);
  berth_error *err = NULL;
  enum berth_wait_cond cond;
  struct wait_job *j = calloc(1, sizeof *j);
  if (!j)
    return api_reply_errorf(r, 500, "wait: out of memory");
  if (berth_wait_cond_parse(api_query(r, "condition"), &cond, &err) < 0 ||
      berth_ctr_wait_begin(e, r->params[0], cond, &j->w, &err) < 0) {
    free(j);
    return api_reply_error(r, err);
  }
  return api_reply_stream(r, 200, "application/json", wait_produce, j, free);
}

const struct api_route api_routes_ctr[] = {
    {"GET", "/containers/json", ctr_list, 0},
    {"POST", "/containers/create", ctr_create, 0},
    {"GET", "/containers/{id}/json", ctr_inspect, 0},
    {"POST", "/containers/{id}/start", ctr_start, 0},
    {"POST", "/containers/{id}/stop", ctr_stop, 0},
    {"POST", "/containers/{id}/restart", ctr_restart, 0},
    {"POST", "/containers/{id}/kill", ctr_kill, 0},
    {"POST", "/containers/{id}/wait", ctr_wait, 0},
    {"DELETE", "/containers/{id}", ctr_remove, 0},
    {NULL, NULL, NULL, 0},
};
