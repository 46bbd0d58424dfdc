/* Shared between registry.c (requests, auth) and registry_blobs.c. */
#ifndef BERTH_IMAGE_REGISTRY_INTERNAL_H
#define BERTH_IMAGE_REGISTRY_INTERNAL_H

#include <curl/curl.h>

#include "auth.h"
#include "registry.h"

struct berth_registry {
  char *registry, *repository;
  char *base;        /* "https://host:port" */
  char *auth_header; /* "Authorization: ..." or NULL */
  char *scope;       /* "repository:NAME:pull[,push]" */
  struct berth_credentials creds;
  bool have_creds;
  struct berth_registry_opts opts;
  CURL *h; /* reused for sequential requests: keeps the connection */
};

/* What a response tells us besides its body. */
struct reg_response {
  long status;
  char *content_type, *location, *www_authenticate, *docker_digest;
  /* Body: into a bounded buffer, or into a blob writer. */
  char *body;
  size_t len, max;
  struct berth_blob_writer *writer;
  berth_error *write_err;
  bool too_large;
  CURL *h; /* the handle the response arrives on */
  /* Stall detection: the time bytes last moved. */
  long long last_ms;
  curl_off_t last_bytes;
  long stall_ms;
  bool stalled;
};
/* The progress callback's stall check: true when no byte has moved for
 * the stall timeout (the callback then aborts the transfer). */
bool reg_stalled(struct reg_response *resp, curl_off_t now_bytes);
/* A transfer aborted because it stalled is a timeout. */
CURLcode reg_result(CURLcode cc, const struct reg_response *resp);
void reg_response_reset(struct reg_response *resp);

/* Sets the options every request for `url` shares on an easy handle, the
 * URL included.  The registry's Authorization header is added only when
 * `url` has the registry's origin (reg_same_origin). */
int reg_setup_handle(struct berth_registry *r, CURL *h,
                     struct reg_response *resp, struct curl_slist **headers,
                     const char *url, const char *extra_header,
                     berth_error **err);
/* Whether url has the registry's scheme, host and port (r->base's). */
bool reg_same_origin(const struct berth_registry *r, const char *url);
/* "https://host/v2/REPO/<what>" (malloc'd). */
char *reg_url(struct berth_registry *r, const char *what);
/* Re-authenticates after a 401 (registry_auth.c); 0 when a retry may
 * succeed.  A 401 that did not come from the registry's own origin (a
 * redirect target's) is an error: its challenge is not followed. */
int reg_reauthenticate(struct berth_registry *r, struct reg_response *resp,
                       berth_error **err);
/* The error for a failed request: status and the registry's own message. */
int reg_http_error(struct berth_registry *r, const char *method,
                   const char *url, CURLcode cc, struct reg_response *resp,
                   berth_error **err);
/* Whether a failure is worth retrying (connection trouble, 408, 429, 5xx). */
bool reg_transient(CURLcode cc, long status);
/* Sleeps before retry `attempt` (0-based): 250 ms doubling. */
void reg_backoff(int attempt);
int reg_retries(const struct berth_registry *r);

#endif
