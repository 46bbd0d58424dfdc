/* Registry client: blobs in (parallel, verified) and out, manifests out. */
#include "registry_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

struct xfer {
  struct berth_registry *r;
  CURL *h;
  struct reg_response resp;
  struct curl_slist *hdrs;
  char *url;
  size_t idx;
  int attempt;
  bool reauthed;
};

static int xfer_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                         curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal, (void)ultotal, (void)ulnow;
  struct xfer *x = ud;
  if (reg_stalled(&x->resp, dlnow))
    return 1;
  if (x->r->opts.progress && dlnow > 0)
    x->r->opts.progress(x->r->opts.progress_ctx, x->idx, (uint64_t)dlnow, 0);
  return 0;
}

static int xfer_start(struct xfer *x, struct berth_store *store,
                      const char *digest, int64_t size, CURLM *multi,
                      berth_error **err) {
  berth_blob_writer_free(x->resp.writer);
  x->resp.writer = NULL;
  reg_response_reset(&x->resp);
  curl_slist_free_all(x->hdrs);
  x->hdrs = NULL;
  if (berth_blob_writer_new(store, digest, size, &x->resp.writer, err) < 0 ||
      reg_setup_handle(x->r, x->h, &x->resp, &x->hdrs, x->url, NULL, err) < 0)
    return -1;
  curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
  curl_easy_setopt(x->h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(x->h, CURLOPT_XFERINFOFUNCTION, xfer_progress);
  curl_easy_setopt(x->h, CURLOPT_XFERINFODATA, x);
  /* Big receive buffers: fewer callbacks, fewer writes. */
  curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "start transfer");
  return 0;
}

static void xfer_free(struct xfer *x, CURLM *multi) {
  if (x->h) {
    curl_multi_remove_handle(multi, x->h);
    curl_easy_cleanup(x->h);
  }
  berth_blob_writer_free(x->resp.writer);
  x->resp.writer = NULL;
  reg_response_reset(&x->resp);
  curl_slist_free_all(x->hdrs);
  free(x->url);
  memset(x, 0, sizeof *x);
}

/* A finished transfer: 1 when it landed, 0 when restarted, -1 on error. */
static int xfer_finish(struct xfer *x, CURLcode cc, struct berth_store *store,
                       const char *digest, int64_t size, CURLM *multi,
                       berth_error **err) {
  curl_multi_remove_handle(multi, x->h);
  cc = reg_result(cc, &x->resp);
  curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->resp.status);
  if (cc == CURLE_OK && x->resp.status == 200) {
    if (berth_blob_writer_commit(x->resp.writer, err) < 0)
      return berth_error_prefix(err, "blob %s from %s", digest,
                                x->r->registry);
    return 1;
  }
  if (cc == CURLE_OK && x->resp.status == 401 && !x->reauthed) {
    x->reauthed = true;
    if (reg_reauthenticate(x->r, &x->resp, err) < 0)
      return -1;
  } else if (!x->resp.write_err && reg_transient(cc, x->resp.status) &&
             x->attempt < reg_retries(x->r)) {
    reg_backoff(x->attempt++);
  } else {
    return reg_http_error(x->r, "GET", x->url, cc, &x->resp, err);
  }
  return xfer_start(x, store, digest, size, multi, err) < 0 ? -1 : 0;
}

struct fetch_job {
  struct berth_registry *r;
  struct berth_store *store;
  const char *const *digests;
  const int64_t *sizes;
  size_t n, next;
  void (*done)(void *ctx, size_t i);
  void *ctx;
  CURLM *multi;
  struct xfer *slots;
  size_t nslots, running;
};

/* Starts the next blob that is not yet in the store in slot x. */
static int start_next(struct fetch_job *j, struct xfer *x, berth_error **err) {
  while (j->next < j->n) {
    size_t i = j->next++;
    if (berth_store_has(j->store, j->digests[i])) {
      if (j->done)
        j->done(j->ctx, i);
      continue;
    }
    _cleanup_free_ char *what = NULL;
    if (asprintf(&what, "blobs/%s", j->digests[i]) < 0)
      return berth_error_sys(err, "allocate");
    *x = (struct xfer){.r = j->r, .idx = i, .h = curl_easy_init()};
    x->url = reg_url(j->r, what);
    if (!x->h || !x->url)
      return berth_error_sys(err, "allocate");
    if (xfer_start(x, j->store, j->digests[i], j->sizes[i], j->multi, err) < 0)
      return -1;
    j->running++;
    return 0;
  }
  return 0;
}

static int fetch_loop(struct fetch_job *j, berth_error **err) {
  for (size_t s = 0; s < j->nslots; s++)
    if (start_next(j, &j->slots[s], err) < 0)
      return -1;
  while (j->running > 0) {
    int still;
    if (curl_multi_perform(j->multi, &still) != CURLM_OK)
      return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "transfer loop");
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(j->multi, &left))) {
      if (m->msg != CURLMSG_DONE)
        continue;
      struct xfer *x;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
      size_t i = x->idx;
      int r = xfer_finish(x, m->data.result, j->store, j->digests[i],
                          j->sizes[i], j->multi, err);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      xfer_free(x, j->multi);
      j->running--;
      if (j->done)
        j->done(j->ctx, i);
      if (start_next(j, x, err) < 0)
        return -1;
    }
    /* Only after reading what perform finished: polling first would
     * sleep the whole timeout when the last transfer just ended. */
    if (j->running > 0 &&
        curl_multi_poll(j->multi, NULL, 0, 1000, NULL) != CURLM_OK)
      return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "transfer loop");
  }
  return 0;
}

int berth_registry_fetch_blobs(struct berth_registry *r,
                               struct berth_store *store,
                               const char *const *digests,
                               const int64_t *sizes, size_t n,
                               void (*done)(void *ctx, size_t i), void *ctx,
                               berth_error **err) {
  struct fetch_job j = {.r = r, .store = store, .digests = digests,
                        .sizes = sizes, .n = n, .done = done, .ctx = ctx};
  j.nslots = r->opts.parallel > 0 ? (size_t)r->opts.parallel : 4;
  j.multi = curl_multi_init();
  j.slots = calloc(j.nslots, sizeof *j.slots);
  int rc = -1;
  if (!j.multi || !j.slots)
    berth_error_sys(err, "allocate");
  else
    rc = fetch_loop(&j, err);
  for (size_t s = 0; j.slots && s < j.nslots; s++)
    xfer_free(&j.slots[s], j.multi);
  free(j.slots);
  if (j.multi)
    curl_multi_cleanup(j.multi);
  return rc;
}

/* Request bodies come from a file (blobs) or memory (manifests). */
struct upload_src {
  int fd;
  const char *buf;
  uint64_t off, size;
};

static size_t read_upload(char *out, size_t size, size_t n, void *ud) {
  struct upload_src *u = ud;
  size_t want = size * n;
  if (want > u->size - u->off)
    want = (size_t)(u->size - u->off);
  if (want == 0)
    return 0;
  if (u->buf) {
    memcpy(out, u->buf + u->off, want);
    u->off += want;
    return want;
  }
  ssize_t got = pread(u->fd, out, want, (off_t)u->off);
  if (got <= 0)
    return CURL_READFUNC_ABORT;
  u->off += (uint64_t)got;
  return (size_t)got;
}

/* One request with retries and one re-authentication; *resp gets the
 * final response whatever its status.  method: GET, HEAD, POST or PUT. */
static int request(struct berth_registry *r, const char *method,
                   const char *url, const char *extra_header,
                   struct upload_src *body, struct reg_response *resp,
                   berth_error **err) {
  bool reauthed = false;
  for (int attempt = 0;; attempt++) {
    struct curl_slist *hdrs = NULL;
    reg_response_reset(resp);
    if (reg_setup_handle(r, r->h, resp, &hdrs, url, extra_header, err) < 0)
      return -1;
    if (strcmp(method, "HEAD") == 0)
      curl_easy_setopt(r->h, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "POST") == 0)
      curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, 0L),
          curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, "");
    if (body) {
      body->off = 0;
      curl_easy_setopt(r->h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(r->h, CURLOPT_READFUNCTION, read_upload);
      curl_easy_setopt(r->h, CURLOPT_READDATA, body);
      curl_easy_setopt(r->h, CURLOPT_INFILESIZE_LARGE,
                       (curl_off_t)body->size);
    }
    CURLcode cc = reg_result(curl_easy_perform(r->h), resp);
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_slist_free_all(hdrs);
    if (cc == CURLE_OK && resp->status == 401 && !reauthed) {
      reauthed = true;
      if (reg_reauthenticate(r, resp, err) < 0)
        return -1;
      continue;
    }
    if (cc == CURLE_OK && !reg_transient(cc, resp->status))
      return 0;
    if (!reg_transient(cc, resp->status) || attempt >= reg_retries(r))
      return reg_http_error(r, method, url, cc, resp, err);
    reg_backoff(attempt);
  }
}

int berth_registry_blob_exists(struct berth_registry *r, const char *digest,
                               berth_error **err) {
  _cleanup_free_ char *what = NULL;
  if (asprintf(&what, "blobs/%s", digest) < 0)
    return berth_error_sys(err, "allocate");
  _cleanup_free_ char *url = reg_url(r, what);
  struct reg_response resp = {0};
  int rc = url ? request(r, "HEAD", url, NULL, NULL, &resp, err)
               : berth_error_sys(err, "allocate");
  if (rc == 0)
    rc = resp.status == 200   ? 1
         : resp.status == 404 ? 0
                              : reg_http_error(r, "HEAD", url, CURLE_OK,
                                               &resp, err);
  reg_response_reset(&resp);
  return rc;
}

/* The upload URL: Location may be relative to the registry. */
static char *upload_url(struct berth_registry *r, const char *location,
                        const char *digest) {
  CURLU *u = curl_url();
  char *base = NULL, *full = NULL, *out = NULL;
  if (u && asprintf(&base, "%s/v2/", r->base) >= 0 &&
      curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK) {
    _cleanup_free_ char *q = NULL;
    if (asprintf(&q, "digest=%s", digest) >= 0 &&
        curl_url_set(u, CURLUPART_QUERY, q,
                     CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
      out = strdup(full);
  }
  curl_free(full);
  free(base);
  curl_url_cleanup(u);
  return out;
}

int berth_registry_push_blob(struct berth_registry *r,
                             struct berth_store *store, const char *digest,
                             berth_error **err) {
  _cleanup_close_ int fd = -1;
  uint64_t size;
  if (berth_store_open_blob(store, digest, &fd, &size, err) < 0)
    return -1;
  _cleanup_free_ char *start = reg_url(r, "blobs/uploads/");
  struct reg_response resp = {0};
  _cleanup_free_ char *put = NULL;
  int rc = start ? request(r, "POST", start, NULL, NULL, &resp, err)
                 : berth_error_sys(err, "allocate");
  if (rc == 0 && (resp.status != 202 || !resp.location))
    rc = reg_http_error(r, "POST", start, CURLE_OK, &resp, err);
  if (rc == 0 && !(put = upload_url(r, resp.location, digest)))
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s: bad upload location `%s`", r->registry,
                         resp.location);
  struct upload_src src = {.fd = fd, .size = size};
  if (rc == 0)
    rc = request(r, "PUT", put, "Content-Type: application/octet-stream",
                 &src, &resp, err);
  if (rc == 0 && resp.status != 201)
    rc = reg_http_error(r, "PUT", put, CURLE_OK, &resp, err);
  reg_response_reset(&resp);
  return rc < 0 ? berth_error_prefix(err, "push blob %s", digest) : 0;
}

int berth_registry_put_manifest(struct berth_registry *r, const char *ref,
                                const char *body, size_t len,
                                const char *media_type, berth_error **err) {
  _cleanup_free_ char *what = NULL, *ctype = NULL;
  if (asprintf(&what, "manifests/%s", ref) < 0 ||
      asprintf(&ctype, "Content-Type: %s", media_type) < 0)
    return berth_error_sys(err, "allocate");
  _cleanup_free_ char *url = reg_url(r, what);
  struct upload_src src = {.fd = -1, .buf = body, .size = len};
  struct reg_response resp = {0};
  int rc = url ? request(r, "PUT", url, ctype, &src, &resp, err)
               : berth_error_sys(err, "allocate");
  if (rc == 0 && resp.status != 201)
    rc = reg_http_error(r, "PUT", url, CURLE_OK, &resp, err);
  reg_response_reset(&resp);
  return rc;
}
