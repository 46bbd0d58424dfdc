/* GET /containers/{id}/logs and GET /containers/{id}/stats: a
 * container's log (framed as Docker's stdcopy unless it has a TTY,
 * followed until it stops or the client goes) and its resource usage as
 * Docker's stats documents (one, or one a second).  What is read and when
 * a follow ends is the engine's (ctr_logs.h, stats_docker.h), as for
 * `berth logs`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "cleanup.h"
#include "containers.h"
#include "ctr_logs.h"
#include "start.h"
#include "stats_docker.h"

/* Docker's type for both the framed and the raw stream up to API 1.41
 * (1.42 calls the framed one application/vnd.docker.multiplexed-stream). */
#define RAW_STREAM "application/vnd.docker.raw-stream"

static struct berth_engine *engine_or_reply(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e)
    api_reply_error(r, err);
  return e;
}

/* ---- logs ---------------------------------------------------------------- */

struct logs_job {
  struct berth_ctr_logs l;
  bool timestamps;
  struct api_stream *s;
};

static bool client_gone(void *data) {
  struct logs_job *j = data;
  return api_stream_gone(j->s);
}

/* One entry as Docker sends it: "TIME " when asked, then the text; in an
 * 8-byte stdcopy frame (1 stdout, 2 stderr) unless the container has a
 * TTY, whose output is one raw stream. */
static int send_entry(const struct berth_log_entry *en, void *data) {
  struct logs_job *j = data;
  size_t tlen = j->timestamps ? strlen(en->time_text) + 1 : 0;
  size_t head = j->l.tty ? 0 : 8, n = tlen + en->len;
  _cleanup_free_ unsigned char *buf = malloc(head + n);
  if (!buf || n > UINT32_MAX)
    return -ENOMEM;
  if (head) {
    memset(buf, 0, 8);
    buf[0] = en->is_stderr ? 2 : 1;
    buf[4] = (unsigned char)(n >> 24);
    buf[5] = (unsigned char)(n >> 16);
    buf[6] = (unsigned char)(n >> 8);
    buf[7] = (unsigned char)n;
  }
  if (tlen) {
    memcpy(buf + head, en->time_text, tlen - 1);
    buf[head + tlen - 1] = ' ';
  }
  memcpy(buf + head + tlen, en->line, en->len);
  return api_stream_write(j->s, buf, head + n) < 0 ? -EPIPE : 0;
}

static void logs_produce(struct api_stream *s, void *data) {
  struct logs_job *j = data;
  berth_error *err = NULL;
  j->s = s;
  j->l.cancelled = client_gone;
  struct berth_engine *e = api_stream_engine(s, &err);
  /* The status went out with the first byte: an error can only end the
   * stream. */
  if (e)
    berth_ctr_logs_read(e, &j->l, send_entry, j, &err);
  berth_error_free(err);
}

static int bool_param(struct api_req *r, const char *key, bool def,
                      bool *out) {
  berth_error *err = NULL;
  if (api_query_bool(r, key, def, out, &err) < 0)
    return api_reply_error(r, err);
  return 0;
}

static int ctr_logs(struct api_req *r) {
  struct berth_engine *e = engine_or_reply(r);
  if (!e)
    return -1;
  struct berth_ctr_logs_req q = {.tail = api_query(r, "tail"),
                                 .since = api_query(r, "since"),
                                 .until = api_query(r, "until")};
  bool ts;
  if (bool_param(r, "follow", false, &q.follow) < 0 ||
      bool_param(r, "stdout", false, &q.stdout_) < 0 ||
      bool_param(r, "stderr", false, &q.stderr_) < 0 ||
      bool_param(r, "timestamps", false, &ts) < 0)
    return -1;
  struct logs_job *j = calloc(1, sizeof *j);
  if (!j)
    return api_reply_errorf(r, 500, "logs: out of memory");
  j->timestamps = ts;
  berth_error *err = NULL;
  if (berth_ctr_logs_open(e, r->params[0], &q, &j->l, &err) < 0) {
    free(j);
    return api_reply_error(r, err);
  }
  return api_reply_stream(r, 200, RAW_STREAM, logs_produce, j, free);
}

/* ---- stats --------------------------------------------------------------- */

/* The container as it is now (its pid changes across restarts). */
static int current(struct berth_engine *e, const char *id,
                   struct berth_ctr **c, berth_error **err) {
  if (berth_ctr_get(e->db, id, c, err) < 0)
    return -1;
  berth_ctr_refresh(e, *c, NULL);
  return 0;
}

/* A document of container id, after prev (may be NULL). */
static json_t *sample(struct berth_engine *e, const char *id, json_t *prev,
                      berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  json_t *doc = NULL;
  if (current(e, id, &c, err) < 0 ||
      berth_ctr_stats_docker(e, c, prev, &doc, err) < 0)
    return NULL;
  return doc;
}

struct stats_job {
  char id[65];
};

/* Waits about a second (Docker's interval); false once the client went. */
static bool interval(struct api_stream *s) {
  for (int i = 0; i < 10; i++) {
    if (api_stream_gone(s))
      return false;
    nanosleep(&(struct timespec){0, 100000000}, NULL);
  }
  return !api_stream_gone(s);
}

static void stats_produce(struct api_stream *s, void *data) {
  struct stats_job *j = data;
  berth_error *err = NULL;
  struct berth_engine *e = api_stream_engine(s, &err);
  json_t *prev = NULL;
  /* Until the client goes or the container is removed. */
  while (e) {
    json_t *doc = sample(e, j->id, prev, &err);
    json_decref(prev);
    prev = doc;
    if (!doc || api_stream_json(s, json_incref(doc)) < 0 || !interval(s))
      break;
  }
  json_decref(prev);
  berth_error_free(err);
}

/* stream=false: one document; without one-shot, Docker primes it with a
 * sample a second earlier so that CPU % can be computed from it. */
static int stats_once(struct api_req *r, struct berth_engine *e,
                      const char *id, bool one_shot) {
  berth_error *err = NULL;
  json_t *prev = NULL;
  if (!one_shot) {
    if (!(prev = sample(e, id, NULL, &err)))
      return api_reply_error(r, err);
    nanosleep(&(struct timespec){1, 0}, NULL);
  }
  json_t *doc = sample(e, id, prev, &err);
  json_decref(prev);
  if (!doc)
    return api_reply_error(r, err);
  return api_reply_json(r, 200, doc);
}

static int ctr_stats(struct api_req *r) {
  struct berth_engine *e = engine_or_reply(r);
  if (!e)
    return -1;
  bool stream, one_shot;
  if (bool_param(r, "stream", true, &stream) < 0 ||
      bool_param(r, "one-shot", false, &one_shot) < 0)
    return -1;
  if (one_shot && stream)
    return api_reply_errorf(r, 400, "cannot have stream=true and "
                                    "one-shot=true");
  berth_error *err = NULL;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, r->params[0], &c, &err) < 0)
    return api_reply_error(r, err);
  if (!stream)
    return stats_once(r, e, c->id, one_shot);
  struct stats_job *j = calloc(1, sizeof *j);
  if (!j)
    return api_reply_errorf(r, 500, "stats: out of memory");
  memcpy(j->id, c->id, sizeof j->id);
  return api_reply_stream(r, 200, "application/json", stats_produce, j, free);
}

const struct api_route api_routes_logs[] = {
    {"GET", "/containers/{id}/logs", ctr_logs, 0},
    {"GET", "/containers/{id}/stats", ctr_stats, 0},
    {NULL, NULL, NULL, 0},
};
