/* Registry client: where credentials may go, challenges, tokens.
 *
 * The rule: the user's credentials, and the tokens bought with them, go
 * to the registry's own origin (scheme, host and port of r->base) and to
 * the token realm the registry itself names, nowhere else.
 * - The Authorization header is attached only to requests for the
 *   registry's origin (reg_setup_handle).  When a request is redirected
 *   (blobs to a CDN), curl drops it for another host, port or scheme
 *   (libcurl >= 7.83; berth needs 7.85 for CURLOPT_PROTOCOLS_STR anyway).
 * - A 401 challenge is honoured only when the registry's origin sent it.
 *   A redirect target answering 401 with its own Bearer realm would
 *   otherwise receive the user's password at a realm of its choosing.
 * - A realm on another host is honoured when the registry names it (Docker
 *   Hub's registry-1.docker.io names auth.docker.io), but an https
 *   registry's realm must be https too: the password is not sent in clear
 *   because the registry (or whoever rewrote its answer) asked. */
#include "registry_internal.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

#define TOKEN_MAX_BYTES (1u << 20)

/* Scheme, host and port of a URL, lower-cased (malloc'd), or NULL. */
static char *origin_of(const char *url) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
          CURLUE_OK &&
      asprintf(&out, "%s://%s:%s", scheme, host, port) >= 0) {
    for (char *c = out; *c; c++)
      *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

bool reg_same_origin(const struct berth_registry *r, const char *url) {
  _cleanup_free_ char *a = url ? origin_of(url) : NULL;
  _cleanup_free_ char *b = r->base ? origin_of(r->base) : NULL;
  return a && b && strcmp(a, b) == 0;
}

/* One parameter of a challenge: key="value" or key=token. */
static char *challenge_param(const char *ch, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = ch; *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    const char *eq = strchr(p, '=');
    if (!eq)
      return NULL;
    bool match = (size_t)(eq - p) == kl && strncasecmp(p, key, kl) == 0;
    const char *v = eq + 1, *end;
    if (*v == '"') {
      v++;
      end = strchr(v, '"');
      if (!end)
        return NULL;
      p = end + 1;
    } else {
      end = v + strcspn(v, ", ");
      p = end;
    }
    if (match)
      return strndup(v, (size_t)(end - v));
  }
  return NULL;
}

/* "Authorization: Basic base64(user:password)" (malloc'd) into *out. */
static int basic_header(struct berth_registry *r, char **out,
                        berth_error **err) {
  if (!r->have_creds)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s requires authentication: run `berth login %s`",
                           r->registry, r->registry);
  _cleanup_free_ char *plain = NULL;
  int n = asprintf(&plain, "%s:%s", r->creds.username, r->creds.password);
  if (n < 0)
    return berth_error_sys(err, "allocate");
  _cleanup_free_ char *b64 = malloc((size_t)n / 3 * 4 + 8);
  if (!b64)
    return berth_error_sys(err, "allocate");
  EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)plain, n);
  explicit_bzero(plain, (size_t)n);
  if (asprintf(out, "Authorization: Basic %s", b64) < 0)
    return berth_error_sys(err, "allocate");
  explicit_bzero(b64, strlen(b64));
  return 0;
}

static void drop_auth_header(struct berth_registry *r) {
  if (r->auth_header)
    explicit_bzero(r->auth_header, strlen(r->auth_header));
  free(r->auth_header);
  r->auth_header = NULL;
}

/* curl builds Basic auth itself (CURLOPT_USERPWD) only per handle; a
 * header works the same for every handle, the parallel ones included. */
static int set_basic(struct berth_registry *r, berth_error **err) {
  char *h = NULL;
  if (basic_header(r, &h, err) < 0)
    return -1;
  drop_auth_header(r);
  r->auth_header = h;
  return 0;
}

/* The realm a Bearer challenge names, checked; the token URL (malloc'd). */
static char *token_url(struct berth_registry *r, const char *challenge,
                       berth_error **err) {
  _cleanup_free_ char *realm = challenge_param(challenge, "realm");
  _cleanup_free_ char *service = challenge_param(challenge, "service");
  if (!realm) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "%s: Bearer challenge without a realm", r->registry);
    return NULL;
  }
  bool https = strncasecmp(realm, "https://", 8) == 0;
  if (!https && strncasecmp(realm, "http://", 7)) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "%s: token realm `%.200s` is not an http(s) URL",
                    r->registry, realm);
    return NULL;
  }
  if (!https && strncasecmp(r->base, "https://", 8) == 0) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "%s: token realm `%.200s` is plain HTTP: credentials for "
                    "an HTTPS registry are not sent in clear",
                    r->registry, realm);
    return NULL;
  }
  char *esc_service = service ? curl_easy_escape(r->h, service, 0) : NULL;
  char *esc_scope = curl_easy_escape(r->h, r->scope, 0);
  char *url = NULL;
  if (esc_scope &&
      asprintf(&url, "%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?",
               esc_scope, esc_service ? "&service=" : "",
               esc_service ? esc_service : "") < 0)
    url = NULL;
  curl_free(esc_service);
  curl_free(esc_scope);
  if (!url)
    berth_error_sys(err, "allocate");
  return url;
}

/* The token from a token endpoint's answer into r->auth_header. */
static int take_token(struct berth_registry *r, const struct reg_response *resp,
                      berth_error **err) {
  json_t *doc = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
  const char *tok = json_string_value(json_object_get(doc, "token"));
  if (!tok)
    tok = json_string_value(json_object_get(doc, "access_token"));
  int rc = -1;
  if (!tok || !*tok)
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "%s: token response has no token", r->registry);
  else if (asprintf(&r->auth_header, "Authorization: Bearer %s", tok) < 0)
    berth_error_sys(err, "allocate");
  else
    rc = 0;
  json_decref(doc);
  return rc;
}

static int fetch_token(struct berth_registry *r, const char *challenge,
                       berth_error **err) {
  _cleanup_free_ char *url = token_url(r, challenge, err);
  if (!url)
    return -1;
  /* The token endpoint takes the user's credentials as Basic auth. */
  _cleanup_free_ char *basic = NULL;
  if (r->have_creds && basic_header(r, &basic, err) < 0)
    return -1;
  drop_auth_header(r);
  struct reg_response resp = {.max = TOKEN_MAX_BYTES};
  struct curl_slist *hdrs = NULL;
  int rc = -1;
  if (reg_setup_handle(r, r->h, &resp, &hdrs, url, basic, err) < 0)
    goto out;
  /* An https realm may not redirect the request to plain HTTP. */
  if (strncasecmp(url, "https://", 8) == 0)
    curl_easy_setopt(r->h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  CURLcode cc = reg_result(curl_easy_perform(r->h), &resp);
  curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (cc == CURLE_OK && resp.status == 200)
    rc = take_token(r, &resp, err);
  else if (cc == CURLE_OK && resp.status == 401)
    berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: authentication failed%s",
                    r->registry,
                    r->have_creds ? ": wrong username or password"
                                  : ": run `berth login`");
  else
    reg_http_error(r, "GET", url, cc, &resp, err);
out:
  if (basic)
    explicit_bzero(basic, strlen(basic));
  curl_slist_free_all(hdrs);
  resp.writer = NULL;
  reg_response_reset(&resp);
  return rc;
}

static int authenticate(struct berth_registry *r, const char *challenge,
                        berth_error **err) {
  if (!challenge)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: HTTP 401 without a WWW-Authenticate challenge",
                           r->registry);
  if (strncasecmp(challenge, "Bearer ", 7) == 0)
    return fetch_token(r, challenge + 7, err);
  if (strncasecmp(challenge, "Basic", 5) == 0)
    return set_basic(r, err);
  return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                         "%s: unsupported authentication scheme `%.32s`",
                         r->registry, challenge);
}

int reg_reauthenticate(struct berth_registry *r, struct reg_response *resp,
                       berth_error **err) {
  char *where = NULL;
  if (resp->h)
    curl_easy_getinfo(resp->h, CURLINFO_EFFECTIVE_URL, &where);
  if (!where || !reg_same_origin(r, where)) {
    _cleanup_free_ char *origin = where ? origin_of(where) : NULL;
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: HTTP 401 from `%.200s`, where the registry "
                           "redirected: credentials for %s are not sent "
                           "there", r->registry,
                           origin ? origin : "another host", r->registry);
  }
  _cleanup_free_ char *ch =
      resp->www_authenticate ? strdup(resp->www_authenticate) : NULL;
  return authenticate(r, ch, err);
}
