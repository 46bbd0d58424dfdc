/* Registry credentials files (Docker's config.json / containers' auth.json). */
#include "auth.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"

#define AUTH_FILE_MAX (1u << 20)
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

void berth_credentials_free(struct berth_credentials *c) {
  if (!c)
    return;
  if (c->password)
    explicit_bzero(c->password, strlen(c->password));
  free(c->username);
  free(c->password);
  c->username = c->password = NULL;
}

static json_t *find_entry(json_t *auths, const char *registry) {
  json_t *e = json_object_get(auths, registry);
  if (!e && strcmp(registry, "docker.io") == 0)
    e = json_object_get(auths, DOCKER_HUB_KEY);
  if (!e) {
    /* Docker also writes "https://host" keys for other registries. */
    char key[512];
    snprintf(key, sizeof key, "https://%s", registry);
    e = json_object_get(auths, key);
  }
  return json_is_object(e) ? e : NULL;
}

static int decode_auth(const char *file, const char *registry,
                       const char *b64, struct berth_credentials *out,
                       berth_error **err) {
  size_t n = strlen(b64);
  _cleanup_free_ unsigned char *raw = malloc(n / 4 * 3 + 4);
  if (!raw)
    return berth_error_sys(err, "allocate");
  int len = n % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)b64,
                                         (int)n)
                       : -1;
  if (len < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: auths.%s.auth is not valid base64", file,
                           registry);
  /* EVP_DecodeBlock counts the padding as zero bytes. */
  while (n > 0 && b64[--n] == '=')
    len--;
  raw[len] = '\0';
  char *colon = memchr(raw, ':', (size_t)len);
  if (!colon || strlen((char *)raw) != (size_t)len)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: auths.%s.auth is not user:password", file,
                           registry);
  *colon = '\0';
  out->username = strdup((char *)raw);
  out->password = strdup(colon + 1);
  explicit_bzero(raw, (size_t)len);
  if (!out->username || !out->password) {
    berth_credentials_free(out);
    return berth_error_sys(err, "allocate");
  }
  return 1;
}

static int lookup_file(const char *file, const char *registry,
                       struct berth_credentials *out, berth_error **err) {
  json_t *doc = NULL;
  berth_error *e = NULL;
  if (berth_json_load_file(file, AUTH_FILE_MAX, &doc, NULL, &e) < 0) {
    bool missing = e->errno_value == ENOENT;
    if (missing) {
      berth_error_free(e);
      return 0;
    }
    *err = e;
    return -1;
  }
  json_t *entry = find_entry(json_object_get(doc, "auths"), registry);
  const char *b64 = entry ? json_string_value(json_object_get(entry, "auth"))
                          : NULL;
  int r = 0;
  if (b64 && *b64)
    r = decode_auth(file, registry, b64, out, err);
  json_decref(doc);
  return r;
}

int berth_auth_lookup(const char *const *files, const char *registry,
                      struct berth_credentials *out, berth_error **err) {
  memset(out, 0, sizeof *out);
  for (; files && *files; files++) {
    int r = lookup_file(*files, registry, out, err);
    if (r != 0)
      return r;
  }
  return 0;
}

static int load_or_new(const char *file, json_t **doc, berth_error **err) {
  berth_error *e = NULL;
  if (berth_json_load_file(file, AUTH_FILE_MAX, doc, NULL, &e) == 0) {
    if (!json_is_object(*doc)) {
      json_decref(*doc);
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s: not a JSON object", file);
    }
    return 0;
  }
  if (e->errno_value != ENOENT) {
    *err = e;
    return -1;
  }
  berth_error_free(e);
  *doc = json_object();
  return *doc ? 0 : berth_error_sys(err, "allocate");
}

static int save(const char *file, json_t *doc, berth_error **err) {
  _cleanup_free_ char *dir = strdup(file);
  if (!dir)
    return berth_error_sys(err, "allocate");
  if (berth_mkdir_p(dirname(dir), 0700, err) < 0)
    return -1;
  _cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(1));
  if (!text)
    return berth_error_sys(err, "serialise %s", file);
  return berth_write_file_atomic(file, text, strlen(text), 0600, err);
}

int berth_auth_store(const char *file, const char *registry,
                     const char *username, const char *password,
                     berth_error **err) {
  json_t *doc;
  if (load_or_new(file, &doc, err) < 0)
    return -1;
  _cleanup_free_ char *plain = NULL;
  int n = asprintf(&plain, "%s:%s", username, password);
  _cleanup_free_ char *b64 = n < 0 ? NULL : malloc((size_t)n / 3 * 4 + 8);
  int r = -1;
  if (!b64) {
    berth_error_sys(err, "allocate");
    goto out;
  }
  EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)plain, n);
  json_t *auths = json_object_get(doc, "auths");
  if (!json_is_object(auths)) {
    auths = json_object();
    json_object_set_new(doc, "auths", auths);
  }
  json_object_set_new(auths, registry, json_pack("{s:s}", "auth", b64));
  r = save(file, doc, err);
out:
  if (plain)
    explicit_bzero(plain, strlen(plain));
  json_decref(doc);
  return r;
}

int berth_auth_remove(const char *file, const char *registry,
                      berth_error **err) {
  json_t *doc;
  if (load_or_new(file, &doc, err) < 0)
    return -1;
  json_t *auths = json_object_get(doc, "auths");
  int r;
  if (json_object_del(auths, registry) == 0 ||
      (strcmp(registry, "docker.io") == 0 &&
       json_object_del(auths, DOCKER_HUB_KEY) == 0))
    r = save(file, doc, err);
  else
    r = berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                        "not logged in to %s", registry);
  json_decref(doc);
  return r;
}
