/* GET /images/{name}/get and GET /images/get?names=... (docker save's
 * tar, streamed as the image layer writes it) and POST /images/load (a
 * tar body into the store). */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_img.h"
#include "api_query.h"
#include "cleanup.h"
#include "image_archive.h"

/* At most this many images in one save (Docker has no limit; each name
 * is one query parameter). */
#define SAVE_MAX 256

struct save_req {
  struct berth_save_item items[SAVE_MAX];
  char *names[SAVE_MAX];
  size_t n;
  struct berth_engine *e;
};

static void save_req_free(void *data) {
  struct save_req *s = data;
  for (size_t i = 0; i < s->n; i++)
    free(s->names[i]);
  free(s);
}

static void save_write(int fd, void *data) {
  struct save_req *s = data;
  berth_error *err = NULL;
  if (berth_save(s->e->is, s->items, s->n, BERTH_ARCHIVE_DOCKER, fd, &err) <
      0)
    berth_error_free(err); /* the tar stops short: the client sees it */
}

/* The image layer writes the archive; the stream copies it out. */
static void save_produce(struct api_stream *st, void *data) {
  struct save_req *s = data;
  berth_error *err = NULL;
  if ((s->e = api_stream_engine(st, &err)))
    api_stream_from_writer(st, save_write, s);
  berth_error_free(err);
}

static int add_name(struct save_req *s, struct berth_engine *e,
                    const char *what, berth_error **err) {
  if (s->n >= SAVE_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "at most %d images in one save", SAVE_MAX);
  if (berth_save_item_for(e->is, what, &s->items[s->n], &s->names[s->n],
                          err) < 0)
    return -1;
  s->n++;
  return 0;
}

struct query_iter {
  const char *key;
  json_t *out;
};

static enum MHD_Result each_value(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value) {
  (void)kind;
  struct query_iter *it = cls;
  if (strcmp(key, it->key) != 0 || !value)
    return MHD_YES;
  /* The server keeps values as sent (api_query decodes them): decoded
   * the same way here, a malformed escape kept as sent. */
  char *v = strdup(value);
  if (v && api_unescape(v, true) == 0)
    json_array_append_new(it->out, json_string(v));
  else
    json_array_append_new(it->out, json_string(value));
  free(v);
  return MHD_YES;
}

json_t *api_query_all(struct api_req *r, const char *key) {
  struct query_iter it = {.key = key, .out = json_array()};
  if (it.out)
    MHD_get_connection_values(r->mhd_conn, MHD_GET_ARGUMENT_KIND, each_value,
                              &it);
  return it.out;
}

static int images_save(struct api_req *r, bool one) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e)
    return api_reply_error(r, err);
  struct save_req *s = calloc(1, sizeof *s);
  if (!s)
    return api_reply_errorf(r, 500, "out of memory");
  int rc = 0;
  if (one) {
    rc = add_name(s, e, r->params[0], &err);
  } else {
    json_t *names = api_query_all(r, "names"), *v;
    size_t i;
    rc = names ? 0 : berth_error_sys(&err, "allocate");
    json_array_foreach(names, i, v) if (rc == 0) rc =
        add_name(s, e, json_string_value(v), &err);
    json_decref(names);
    if (rc == 0 && s->n == 0)
      rc = berth_error_set(&err, BERTH_ERR_INVALID, 0,
                           "no images given: names= is required");
  }
  if (rc < 0) {
    save_req_free(s);
    return api_reply_error(r, err);
  }
  return api_reply_stream(r, 200, "application/x-tar", save_produce, s,
                          save_req_free);
}

static int image_save_one(struct api_req *r) { return images_save(r, true); }
static int images_save_many(struct api_req *r) {
  return images_save(r, false);
}

/* ---- load ---- */

static void loaded(void *ctx, const char *id, const char *name) {
  json_t *lines = ctx;
  _cleanup_free_ char *fam = name ? api_familiar(name) : NULL;
  _cleanup_free_ char *text = NULL;
  if (asprintf(&text, name ? "Loaded image: %s\n" : "Loaded image ID: %s\n",
               name ? (fam ? fam : name) : id) >= 0)
    json_array_append_new(lines, json_pack("{s:s}", "stream", text));
}

/* Docker's answer: one {"stream": "Loaded image: x\n"} line per image. */
static int images_load(struct api_req *r) {
  berth_error *err = NULL;
  bool quiet = false;
  struct berth_engine *e = NULL;
  if (api_query_bool(r, "quiet", false, &quiet, &err) < 0 ||
      !(e = api_engine(r, &err)))
    return api_reply_error(r, err);
  if (r->body_fd < 0)
    return api_reply_errorf(r, 400, "no archive in the request body");
  json_t *lines = json_array();
  if (berth_load(e->is, r->body_fd, loaded, lines, &err) < 0) {
    json_decref(lines);
    return api_reply_error(r, err);
  }
  size_t i, len = 0;
  json_t *l;
  char *out = NULL;
  FILE *f = open_memstream(&out, &len);
  json_array_foreach(lines, i, l) if (f) {
    json_dumpf(l, f, JSON_COMPACT);
    fputc('\n', f);
  }
  json_decref(lines);
  if (!f || fclose(f) != 0) {
    free(out);
    return api_reply_errorf(r, 500, "out of memory");
  }
  int rc = api_reply_text(r, 200, "application/json", out, len);
  free(out);
  return rc;
}

const struct api_route api_routes_image_io[] = {
    {"GET", "/images/get", images_save_many, 0},
    {"GET", "/images/{name*}/get", image_save_one, 0},
    {"POST", "/images/load", images_load, API_BODY_FILE},
    {NULL, NULL, NULL, 0},
};
