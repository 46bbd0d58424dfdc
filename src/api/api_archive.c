/* GET, HEAD and PUT /containers/{id}/archive: what `docker cp` uses.  A
 * path's stat goes in the X-Docker-Container-Path-Stat header (base64 of
 * Docker's JSON), GET streams the path as a tar, PUT unpacks a tar into
 * a directory of the container.  The copying is berth cp's (engine
 * copy.h): every path resolved inside the container's root, tar entries
 * confined to the destination, no device nodes, as `berth cp -` does
 * with the same stream. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api_internal.h"
#include "cleanup.h"
#include "copy.h"

#define STAT_HEADER "X-Docker-Container-Path-Stat"

static struct berth_engine *engine_or_reply(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e)
    api_reply_error(r, err);
  return e;
}

/* Standard base64 (RFC 4648, padded), as Go's base64.StdEncoding. */
static char *base64(const unsigned char *in, size_t n) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    *o++ = abc[(v >> 18) & 63];
    *o++ = abc[(v >> 12) & 63];
    *o++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
    *o++ = i + 2 < n ? abc[v & 63] : '=';
  }
  *o = 0;
  return out;
}

static int path_param(struct api_req *r, const char **path) {
  *path = api_query(r, "path");
  if (!*path || !**path)
    return api_reply_errorf(r, 400, "bad parameter: path cannot be empty");
  return 0;
}

/* The path's stat as the header's value (malloc'd), or an answer. */
static char *stat_header(struct api_req *r, struct berth_engine *e,
                         const char *path) {
  berth_error *err = NULL;
  json_t *doc = NULL;
  if (berth_ctr_path_stat(e, r->params[0], path, &doc, &err) < 0) {
    api_reply_error(r, err);
    return NULL;
  }
  _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  char *b = text ? base64((const unsigned char *)text, strlen(text)) : NULL;
  if (!b)
    api_reply_errorf(r, 500, "archive: out of memory");
  return b;
}

static void add_header(struct api_req *r, const char *value) {
  if (r->response)
    MHD_add_response_header(r->response, STAT_HEADER, value);
}

/* ---- HEAD ---------------------------------------------------------------- */

static int archive_head(struct api_req *r) {
  struct berth_engine *e = engine_or_reply(r);
  const char *path;
  if (!e || path_param(r, &path) < 0)
    return -1;
  _cleanup_free_ char *h = stat_header(r, e, path);
  if (!h)
    return -1;
  api_reply_empty(r, 200);
  add_header(r, h);
  return 0;
}

/* ---- GET ----------------------------------------------------------------- */

/* The engine writes the tar to an fd, from the process that sees the
 * container's rootfs. */
struct get_job {
  char *ref, *path;
  struct berth_engine *e;
  berth_error *err;
};

static void get_write(int fd, void *p) {
  struct get_job *j = p;
  struct berth_cp_opts o = {0};
  berth_ctr_cp_from(j->e, j->ref, j->path, NULL, fd, &o, &j->err);
}

static void get_produce(struct api_stream *s, void *data) {
  struct get_job *j = data;
  if ((j->e = api_stream_engine(s, &j->err)))
    api_stream_from_writer(s, get_write, j);
}

static void get_free(void *data) {
  struct get_job *j = data;
  berth_error_free(j->err);
  free(j->ref);
  free(j->path);
  free(j);
}

static int archive_get(struct api_req *r) {
  struct berth_engine *e = engine_or_reply(r);
  const char *path;
  if (!e || path_param(r, &path) < 0)
    return -1;
  /* The stat first: a missing path is a 404 before any byte of tar. */
  _cleanup_free_ char *h = stat_header(r, e, path);
  if (!h)
    return -1;
  struct get_job *j = calloc(1, sizeof *j);
  if (j && (!(j->ref = strdup(r->params[0])) || !(j->path = strdup(path)))) {
    get_free(j);
    j = NULL;
  }
  if (!j)
    return api_reply_errorf(r, 500, "archive: out of memory");
  if (api_reply_stream(r, 200, "application/x-tar", get_produce, j,
                       get_free) < 0)
    return -1;
  add_header(r, h);
  return 0;
}

/* ---- PUT ----------------------------------------------------------------- */

static int archive_put(struct api_req *r) {
  struct berth_engine *e = engine_or_reply(r);
  const char *path;
  if (!e || path_param(r, &path) < 0)
    return -1;
  /* Docker's daemon keeps the tar headers' owners (as the container
   * sees them); copyUIDGID gives everything to the container's User. */
  struct berth_cp_opts o = {.owner = BERTH_CP_OWNER_SOURCE};
  berth_error *err = NULL;
  bool to_user = false;
  if (api_query_bool(r, "noOverwriteDirNonDir", false, &o.no_dir_over_nondir,
                     &err) < 0 ||
      api_query_bool(r, "copyUIDGID", false, &to_user, &err) < 0)
    return api_reply_error(r, err);
  if (to_user)
    o.owner = BERTH_CP_OWNER_CTR_USER;
  if (r->body_fd < 0 || lseek(r->body_fd, 0, SEEK_SET) < 0)
    return api_reply_errorf(r, 400, "bad parameter: no tar archive");
  if (berth_ctr_cp_to(e, r->params[0], NULL, r->body_fd, path, &o, &err) <
      0) {
    /* Docker's 403: a read-only root filesystem (or volume). */
    if (err->errno_value == EROFS) {
      int rc = api_reply_errorf(r, 403, "%s", err->msg);
      berth_error_free(err);
      return rc;
    }
    return api_reply_error(r, err);
  }
  return api_reply_empty(r, 200);
}

const struct api_route api_routes_archive[] = {
    {"HEAD", "/containers/{id}/archive", archive_head, 0},
    {"GET", "/containers/{id}/archive", archive_get, 0},
    {"PUT", "/containers/{id}/archive", archive_put, API_BODY_FILE},
    {NULL, NULL, NULL, 0},
};
