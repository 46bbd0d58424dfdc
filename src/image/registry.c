/* Registry client: connection, scheme, authentication, manifests. */
#include "registry_internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "manifest.h"
#include "reference.h"

#define ERROR_BODY_MAX (64u << 10)

static const char accept_manifests[] =
    "Accept: " BERTH_MT_OCI_INDEX ", " BERTH_MT_DOCKER_LIST
    ", " BERTH_MT_OCI_MANIFEST ", " BERTH_MT_DOCKER_MANIFEST;

void reg_response_reset(struct reg_response *resp) {
  free(resp->content_type);
  free(resp->location);
  free(resp->www_authenticate);
  free(resp->docker_digest);
  free(resp->body);
  berth_error_free(resp->write_err);
  struct berth_blob_writer *w = resp->writer;
  size_t max = resp->max;
  CURL *h = resp->h;
  memset(resp, 0, sizeof *resp);
  resp->writer = w;
  resp->max = max;
  resp->h = h;
}

int reg_retries(const struct berth_registry *r) {
  return r->opts.retries < 0 ? 0 : r->opts.retries == 0 ? 3 : r->opts.retries;
}

bool reg_transient(CURLcode cc, long status) {
  switch (cc) {
  case CURLE_OK:
    return status == 408 || status == 429 || status >= 500;
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

void reg_backoff(int attempt) {
  long ms = 250L << (attempt > 5 ? 5 : attempt);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* Keeps the headers of the final response only: each status line (a new
 * response after a redirect or 100-continue) starts afresh. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  struct reg_response *resp = ud;
  size_t len = size * n;
  if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    free(resp->content_type);
    free(resp->location);
    free(resp->www_authenticate);
    free(resp->docker_digest);
    resp->content_type = resp->location = NULL;
    resp->www_authenticate = resp->docker_digest = NULL;
    return len;
  }
  static const struct {
    const char *name;
    size_t off;
  } wanted[] = {
      {"content-type", offsetof(struct reg_response, content_type)},
      {"location", offsetof(struct reg_response, location)},
      {"www-authenticate", offsetof(struct reg_response, www_authenticate)},
      {"docker-content-digest", offsetof(struct reg_response, docker_digest)},
  };
  for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
    size_t nl = strlen(wanted[i].name);
    if (len <= nl || buf[nl] != ':' || strncasecmp(buf, wanted[i].name, nl))
      continue;
    const char *v = buf + nl + 1;
    const char *end = buf + len;
    while (v < end && isspace((unsigned char)*v))
      v++;
    while (end > v && isspace((unsigned char)end[-1]))
      end--;
    char **slot = (char **)((char *)resp + wanted[i].off);
    free(*slot);
    *slot = strndup(v, (size_t)(end - v));
    /* Content-Type parameters ("; charset=utf-8") are not part of it. */
    if (*slot && wanted[i].off == offsetof(struct reg_response, content_type))
      (*slot)[strcspn(*slot, "; ")] = '\0';
  }
  return len;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* curl's own low-speed check averages over seconds, so a burst followed
 * by silence takes far longer than the timeout to notice: time the
 * silence itself. */
bool reg_stalled(struct reg_response *resp, curl_off_t now_bytes) {
  long long now = mono_ms();
  if (resp->last_ms == 0 || now_bytes != resp->last_bytes) {
    resp->last_ms = now;
    resp->last_bytes = now_bytes;
    return false;
  }
  if (now - resp->last_ms < resp->stall_ms)
    return false;
  resp->stalled = true;
  return true;
}

CURLcode reg_result(CURLcode cc, const struct reg_response *resp) {
  return cc == CURLE_ABORTED_BY_CALLBACK && resp->stalled
             ? CURLE_OPERATION_TIMEDOUT
             : cc;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal, (void)ultotal;
  return reg_stalled(ud, dlnow + ulnow) ? 1 : 0;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud) {
  struct reg_response *resp = ud;
  size_t len = size * n;
  /* Bodies of error responses are read into memory even when a blob
   * writer waits: they are not the blob. */
  long status = 0;
  if (resp->writer)
    curl_easy_getinfo(resp->h, CURLINFO_RESPONSE_CODE, &status);
  if (resp->writer && status == 200) {
    if (berth_blob_writer_write(resp->writer, buf, len, &resp->write_err) < 0)
      return 0; /* aborts the transfer: the error says why */
    return len;
  }
  size_t max = resp->writer || !resp->max ? ERROR_BODY_MAX : resp->max;
  if (resp->len + len > max) {
    resp->too_large = true;
    return 0;
  }
  char *nb = realloc(resp->body, resp->len + len + 1);
  if (!nb)
    return 0;
  memcpy(nb + resp->len, buf, len);
  resp->body = nb;
  resp->len += len;
  nb[resp->len] = '\0';
  return len;
}

int reg_setup_handle(struct berth_registry *r, CURL *h,
                     struct reg_response *resp, struct curl_slist **headers,
                     const char *url, const char *extra_header,
                     berth_error **err) {
  curl_easy_reset(h);
  resp->h = h;
  resp->last_ms = 0;
  resp->stalled = false;
  struct curl_slist *l = NULL;
  /* Credentials only for the registry's own origin (registry_auth.c). */
  if (r->auth_header && reg_same_origin(r, url))
    l = curl_slist_append(l, r->auth_header);
  if (extra_header)
    l = curl_slist_append(l, extra_header);
  *headers = l;
  long stall = r->opts.stall_timeout_s > 0 ? r->opts.stall_timeout_s : 30;
  resp->stall_ms = stall * 1000;
  if (curl_easy_setopt(h, CURLOPT_URL, url) ||
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
      curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/0.1") ||
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) ||
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, stall) ||
      /* A registry that stops sending is as broken as one that refuses. */
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall) ||
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, r->opts.insecure ? 0L : 1L) ||
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, r->opts.insecure ? 0L : 2L) ||
      (r->opts.ca_file &&
       curl_easy_setopt(h, CURLOPT_CAINFO, r->opts.ca_file)) ||
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, l) ||
      curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
      curl_easy_setopt(h, CURLOPT_HEADERDATA, resp) ||
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
      curl_easy_setopt(h, CURLOPT_WRITEDATA, resp) ||
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) ||
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) ||
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, resp))
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "set up HTTP request");
  return 0;
}

char *reg_url(struct berth_registry *r, const char *what) {
  char *url = NULL;
  if (asprintf(&url, "%s/v2/%s/%s", r->base, r->repository, what) < 0)
    return NULL;
  return url;
}

/* The registry's own explanation: {"errors":[{"code":..,"message":..}]}. */
static void registry_message(const struct reg_response *resp, char *out,
                             size_t len) {
  out[0] = '\0';
  if (!resp->body || resp->len == 0)
    return;
  json_t *doc = json_loadb(resp->body, resp->len, 0, NULL);
  json_t *e0 = json_array_get(json_object_get(doc, "errors"), 0);
  const char *code = json_string_value(json_object_get(e0, "code"));
  const char *msg = json_string_value(json_object_get(e0, "message"));
  if (code || msg)
    snprintf(out, len, ": %s%s%s", code ? code : "", code && msg ? " " : "",
             msg ? msg : "");
  json_decref(doc);
}

int reg_http_error(struct berth_registry *r, const char *method,
                   const char *url, CURLcode cc, struct reg_response *resp,
                   berth_error **err) {
  const char *path = strstr(url, "/v2/");
  path = path ? path : url;
  if (resp->write_err) {
    berth_error *we = steal_pointer(&resp->write_err);
    if (err && !*err)
      *err = we;
    else
      berth_error_free(we);
    return berth_error_prefix(err, "%s %s %s", method, r->registry, path);
  }
  if (resp->too_large)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s %s %s: response larger than %zu bytes", method,
                           r->registry, path, resp->max);
  if (cc == CURLE_OPERATION_TIMEDOUT)
    return berth_error_set(err, BERTH_ERR_TIMEOUT, 0,
                           "%s %s %s: registry stopped responding", method,
                           r->registry, path);
  if (cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR ||
      cc == CURLE_GOT_NOTHING)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "%s %s %s: the registry closed the connection "
                           "early (%s)",
                           method, r->registry, path, curl_easy_strerror(cc));
  if (cc != CURLE_OK)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "%s %s %s: %s", method,
                           r->registry, path, curl_easy_strerror(cc));
  char msg[512];
  registry_message(resp, msg, sizeof msg);
  berth_error_kind kind = resp->status == 404   ? BERTH_ERR_NOT_FOUND
                          : resp->status == 401 ? BERTH_ERR_INVALID
                          : resp->status == 403 ? BERTH_ERR_INVALID
                                                : BERTH_ERR_SYSTEM;
  return berth_error_set(err, kind, 0, "%s %s %s: HTTP %ld%s", method,
                         r->registry, path, resp->status, msg);
}

/* docker.io is an alias: its API lives at registry-1.docker.io. */
static const char *api_host(const char *registry) {
  return strcmp(registry, "docker.io") == 0 ? "registry-1.docker.io"
                                            : registry;
}

/* Failures that mean "this is not a TLS server" rather than "this TLS
 * server cannot be trusted": only these fall back to plain HTTP. */
static bool not_tls(CURLcode cc) {
  return cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_RECV_ERROR ||
         cc == CURLE_GOT_NOTHING || cc == CURLE_WEIRD_SERVER_REPLY;
}

/* GET /v2/ on one scheme; fills resp. */
static CURLcode ping(struct berth_registry *r, struct reg_response *resp,
                     berth_error **err) {
  _cleanup_free_ char *url = NULL;
  if (asprintf(&url, "%s/v2/", r->base) < 0)
    return CURLE_OUT_OF_MEMORY;
  struct curl_slist *hdrs = NULL;
  if (reg_setup_handle(r, r->h, resp, &hdrs, url, NULL, err) < 0)
    return CURLE_FAILED_INIT;
  CURLcode cc = reg_result(curl_easy_perform(r->h), resp);
  curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &resp->status);
  curl_slist_free_all(hdrs);
  return cc;
}

static int connect_registry(struct berth_registry *r, berth_error **err) {
  bool http_ok =
      r->opts.insecure || berth_ref_registry_is_loopback(r->registry);
  struct reg_response resp = {0};
  CURLcode cc = CURLE_OK;
  int rc = -1;
  for (int attempt = 0;; attempt++) {
    reg_response_reset(&resp);
    free(r->base);
    if (asprintf(&r->base, "https://%s", api_host(r->registry)) < 0)
      goto out;
    cc = ping(r, &resp, err);
    if (cc != CURLE_OK && http_ok && not_tls(cc)) {
      reg_response_reset(&resp);
      free(r->base);
      if (asprintf(&r->base, "http://%s", api_host(r->registry)) < 0)
        goto out;
      cc = ping(r, &resp, err);
    }
    if (!reg_transient(cc, resp.status) || attempt >= reg_retries(r))
      break;
    reg_backoff(attempt);
  }
  if (cc == CURLE_OK && resp.status == 401) {
    rc = reg_reauthenticate(r, &resp, err);
    /* Basic credentials are only checked by using them: ping again. */
    if (rc == 0) {
      reg_response_reset(&resp);
      cc = ping(r, &resp, err);
      if (cc == CURLE_OK && resp.status == 401)
        rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s: authentication failed%s", r->registry,
                             r->have_creds ? ": wrong username or password"
                                           : ": run `berth login`");
      else if (cc != CURLE_OK || resp.status != 200)
        rc = reg_http_error(r, "GET", "/v2/", cc, &resp, err);
    }
  } else if (cc == CURLE_OK && resp.status == 200)
    rc = 0;
  else if (!http_ok && not_tls(cc))
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s: no TLS there (%s); plain HTTP is used only for "
                         "loopback registries (localhost, 127.0.0.0/8, "
                         "[::1]) or with --tls-verify=false",
                         r->registry, curl_easy_strerror(cc));
  else if (cc == CURLE_PEER_FAILED_VERIFICATION ||
           cc == CURLE_SSL_CACERT_BADFILE)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s: TLS certificate not trusted (%s); use "
                         "--tls-verify=false only if you trust the network",
                         r->registry, curl_easy_strerror(cc));
  else
    rc = reg_http_error(r, "GET", "/v2/", cc, &resp, err);
out:
  reg_response_reset(&resp);
  return rc;
}

int berth_registry_open(const char *registry, const char *repository,
                        bool push, const struct berth_registry_opts *opts,
                        struct berth_registry **out, berth_error **err) {
  struct berth_registry *r = calloc(1, sizeof *r);
  if (!r)
    return berth_error_sys(err, "allocate");
  r->opts = *opts;
  r->registry = strdup(registry);
  r->repository = strdup(repository);
  r->h = curl_easy_init();
  if (!r->registry || !r->repository || !r->h ||
      asprintf(&r->scope, "repository:%s:%s", repository,
               push ? "pull,push" : "pull") < 0) {
    berth_registry_free(r);
    return berth_error_sys(err, "allocate");
  }
  if (opts->username) {
    r->creds.username = strdup(opts->username);
    r->creds.password = strdup(opts->password ? opts->password : "");
    r->have_creds = r->creds.username && r->creds.password;
  } else {
    int f = berth_auth_lookup(opts->auth_files, registry, &r->creds, err);
    if (f < 0) {
      berth_registry_free(r);
      return -1;
    }
    r->have_creds = f == 1;
  }
  if (connect_registry(r, err) < 0) {
    berth_registry_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

void berth_registry_free(struct berth_registry *r) {
  if (!r)
    return;
  if (r->h)
    curl_easy_cleanup(r->h);
  free(r->registry);
  free(r->repository);
  free(r->base);
  if (r->auth_header)
    explicit_bzero(r->auth_header, strlen(r->auth_header));
  free(r->auth_header);
  free(r->scope);
  berth_credentials_free(&r->creds);
  free(r);
}

int berth_registry_get_manifest(struct berth_registry *r, const char *ref,
                                char **body, size_t *len, char **content_type,
                                berth_error **err) {
  _cleanup_free_ char *what = NULL;
  if (asprintf(&what, "manifests/%s", ref) < 0)
    return berth_error_sys(err, "allocate");
  _cleanup_free_ char *url = reg_url(r, what);
  if (!url)
    return berth_error_sys(err, "allocate");
  struct reg_response resp = {.max = BERTH_MANIFEST_MAX_BYTES};
  bool reauthed = false;
  for (int attempt = 0;; attempt++) {
    struct curl_slist *hdrs = NULL;
    reg_response_reset(&resp);
    if (reg_setup_handle(r, r->h, &resp, &hdrs, url, accept_manifests,
                         err) < 0)
      return -1;
    CURLcode cc = reg_result(curl_easy_perform(r->h), &resp);
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_slist_free_all(hdrs);
    if (cc == CURLE_OK && resp.status == 200) {
      *body = resp.body ? steal_pointer(&resp.body) : strdup("");
      *len = resp.len;
      *content_type = steal_pointer(&resp.content_type);
      reg_response_reset(&resp);
      return 0;
    }
    if (cc == CURLE_OK && resp.status == 401 && !reauthed) {
      reauthed = true;
      if (reg_reauthenticate(r, &resp, err) < 0)
        break;
      continue;
    }
    if (resp.too_large || !reg_transient(cc, resp.status) ||
        attempt >= reg_retries(r)) {
      reg_http_error(r, "GET", url, cc, &resp, err);
      break;
    }
    reg_backoff(attempt);
  }
  reg_response_reset(&resp);
  return -1;
}
