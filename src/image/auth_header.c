/* Credentials as the Engine API's headers carry them (see auth.h):
 * base64url JSON of Docker's AuthConfig (X-Registry-Auth) or of a map of
 * them by registry (X-Registry-Config).  Untrusted input: bounded,
 * decoded strictly, every failure a one-line INVALID naming the header. */
#include "auth.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "registry_options.h"

/* Larger headers are refused (Docker's clients send a few hundred
 * bytes; X-Registry-Config holds every login of the client). */
#define AUTH_HEADER_MAX (256u << 10)

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* Base64 in either alphabet (Docker's clients send the URL one), padded
 * or not; NULL when s is not base64.  The result is NUL-terminated. */
static char *b64_decode(const char *s, size_t *len) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '=')
    n--;
  if (n % 4 == 1)
    return NULL; /* one leftover character carries no whole byte */
  char *out = malloc(n / 4 * 3 + 4);
  uint32_t acc = 0;
  size_t bits = 0, o = 0;
  for (size_t i = 0; out && i < n; i++) {
    int v = b64_value(s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6 | (uint32_t)v) & 0xffffff;
    if ((bits += 6) >= 8) {
      bits -= 8;
      out[o++] = (char)(acc >> bits & 0xff);
    }
  }
  if (out)
    out[o] = '\0';
  *len = o;
  return out;
}

static int invalid(berth_error **err, const char *name, const char *why) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid %s header: %s",
                         name, why);
}

/* The header's JSON object; *doc NULL for an empty header. */
static int header_json(const char *name, const char *value, json_t **doc,
                       berth_error **err) {
  *doc = NULL;
  if (!value || !*value)
    return 0;
  if (strlen(value) > AUTH_HEADER_MAX)
    return invalid(err, name, "too long");
  size_t len;
  _cleanup_free_ char *raw = b64_decode(value, &len);
  if (!raw)
    return invalid(err, name, "not base64");
  json_error_t je;
  *doc = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &je);
  explicit_bzero(raw, len);
  if (!json_is_object(*doc)) {
    json_decref(*doc);
    *doc = NULL;
    return invalid(err, name, "not a JSON object");
  }
  return 0;
}

/* "auth" is base64("user:password"), as in config.json. */
static int from_auth_field(const char *name, const char *b64,
                           struct berth_credentials *out, berth_error **err) {
  size_t len;
  _cleanup_free_ char *raw = b64_decode(b64, &len);
  char *colon = raw ? memchr(raw, ':', len) : NULL;
  if (!colon || memchr(raw, '\0', len))
    return invalid(err, name, "auth is not base64 of user:password");
  *colon = '\0';
  out->username = strdup(raw);
  out->password = strdup(colon + 1);
  explicit_bzero(raw, len);
  return out->username && out->password ? 1 : berth_error_sys(err, "allocate");
}

/* One AuthConfig object: username and password, else auth. */
static int from_object(const char *name, json_t *doc,
                       struct berth_credentials *out, berth_error **err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(doc))
    return invalid(err, name, "an entry is not a JSON object");
  json_t *u = json_object_get(doc, "username");
  json_t *p = json_object_get(doc, "password");
  json_t *au = json_object_get(doc, "auth");
  if ((u && !json_is_string(u)) || (p && !json_is_string(p)) ||
      (au && !json_is_string(au)))
    return invalid(err, name, "username, password and auth must be strings");
  int rc = 0;
  if (u && *json_string_value(u)) {
    out->username = strdup(json_string_value(u));
    out->password = strdup(p ? json_string_value(p) : "");
    rc = out->username && out->password ? 1
                                        : berth_error_sys(err, "allocate");
  } else if (au && *json_string_value(au)) {
    rc = from_auth_field(name, json_string_value(au), out, err);
  }
  if (rc < 0)
    berth_credentials_free(out);
  return rc;
}

int berth_auth_header_decode(const char *name, const char *value,
                             struct berth_credentials *out,
                             berth_error **err) {
  json_t *doc;
  memset(out, 0, sizeof *out);
  if (header_json(name, value, &doc, err) < 0)
    return -1;
  int rc = doc ? from_object(name, doc, out, err) : 0;
  json_decref(doc);
  return rc;
}

int berth_auth_config_header_decode(const char *name, const char *value,
                                    json_t **out, berth_error **err) {
  json_t *doc, *v;
  const char *key;
  *out = json_object();
  if (!*out)
    return berth_error_sys(err, "allocate");
  if (header_json(name, value, &doc, err) < 0)
    return -1;
  int rc = 0;
  json_object_foreach(doc, key, v) {
    struct berth_credentials c;
    int found = rc == 0 ? from_object(name, v, &c, err) : 0;
    if (found < 0)
      rc = -1;
    if (found > 0) {
      char reg[256];
      berth_registry_login_name(key, reg, sizeof reg);
      json_object_set_new(*out, reg,
                          json_pack("{s:s,s:s}", "username", c.username,
                                    "password", c.password));
      berth_credentials_free(&c);
    }
  }
  json_decref(doc);
  return rc;
}
