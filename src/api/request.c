/* The request as handlers read it: the connection's engine, query
 * parameters, headers, and the body (in memory, or spooled to an unlinked
 * temp file for tar bodies). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "conn.h"

struct berth_engine *api_engine(struct api_req *r, berth_error **err) {
  struct api_conn *c = r->conn;
  if (!c) {
    berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "no connection state");
    return NULL;
  }
  if (!c->engine)
    c->engine = api_engine_get(r->srv, err);
  return c->engine;
}

const char *api_header(struct api_req *r, const char *name) {
  return MHD_lookup_connection_value(r->mhd_conn, MHD_HEADER_KIND, name);
}

/* ---- query ---- */

const char *api_query(struct api_req *r, const char *key) {
  struct api_rq *q = api_rq_of(r);
  for (struct api_qval *v = q->qvals; v; v = v->next)
    if (strcmp(v->key, key) == 0)
      return v->value;
  const char *raw = NULL;
  size_t raw_len = 0;
  if (MHD_lookup_connection_value_n(r->mhd_conn, MHD_GET_ARGUMENT_KIND, key,
                                    strlen(key), &raw, &raw_len) != MHD_YES)
    return NULL;
  struct api_qval *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->key = strdup(key);
  v->value = raw ? strndup(raw, raw_len) : strdup("");
  /* A malformed escape is kept as sent, as Go's ParseQuery keeps the
   * parameters it can read. */
  if (v->value) {
    char *copy = strdup(v->value);
    if (copy && api_unescape(copy, true) == 0) {
      free(v->value);
      v->value = copy;
    } else {
      free(copy);
    }
  }
  if (!v->key || !v->value) {
    free(v->key);
    free(v->value);
    free(v);
    return NULL;
  }
  v->next = q->qvals;
  q->qvals = v;
  return v->value;
}

int api_query_bool(struct api_req *r, const char *key, bool def, bool *out,
                   berth_error **err) {
  return api_parse_bool(key, api_query(r, key), def, out, err);
}

int api_query_int(struct api_req *r, const char *key, int64_t def,
                  int64_t min, int64_t max, int64_t *out, berth_error **err) {
  return api_parse_int(key, api_query(r, key), def, min, max, out, err);
}

int api_query_filters(struct api_req *r, json_t **out, berth_error **err) {
  return api_parse_filters(api_query(r, "filters"), out, err);
}

/* ---- body ---- */

int api_body_json(struct api_req *r, json_t **out, berth_error **err) {
  return api_parse_body_json(r->body ? r->body : "", r->body_len, out, err);
}

/* An unlinked file under dir: O_TMPFILE where the filesystem has it,
 * else a unique name removed at once.  Nothing is left behind even when
 * the server is killed mid-request. */
static int temp_in(const char *dir) {
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
    return fd;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/api-body.XXXXXX", dir);
  fd = mkostemp(path, O_CLOEXEC);
  if (fd >= 0)
    unlink(path);
  return fd;
}

int api_body_begin(struct api_rq *q) {
  if (!(q->route->flags & API_BODY_FILE))
    return 0;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/tmp",
           api_server_opts(q->req.srv)->root);
  q->req.body_fd = temp_in(dir);
  if (q->req.body_fd < 0)
    q->req.body_fd = temp_in("/var/tmp");
  return q->req.body_fd < 0 ? -1 : 0;
}

static void take_file(struct api_rq *q, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(q->req.body_fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      q->early_status = 500;
      q->early_msg = strdup("cannot store the request body");
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

/* Bodies without a declared length (chunked) are checked as they come:
 * past the limit the rest is read and dropped, and the answer is 413. */
void api_body_take(struct api_rq *q, const char *data, size_t len) {
  bool file = q->route->flags & API_BODY_FILE;
  uint64_t max = file ? API_BODY_FILE_MAX : API_BODY_MAX;
  if (q->too_large || q->received + len > max) {
    q->too_large = true;
    return;
  }
  if (file) {
    take_file(q, data, len);
    q->received += len;
    return;
  }
  if (q->received + len + 1 > q->cap) {
    size_t cap = q->cap ? q->cap : 4096;
    while (cap < q->received + len + 1)
      cap *= 2;
    char *b = realloc(q->body, cap);
    if (!b) {
      q->too_large = true;
      return;
    }
    q->body = b;
    q->cap = cap;
  }
  memcpy(q->body + q->received, data, len);
  q->received += len;
  q->body[q->received] = '\0';
}
