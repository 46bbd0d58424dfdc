/* SHA-256 digests: streams through OpenSSL's EVP interface, small buffers
 * through sha256.c. */
#include "digest.h"
#include "sha256.h"

#include <errno.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct berth_hasher {
  EVP_MD_CTX *ctx;
};

static bool is_lower_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return s[n] == '\0';
}

int berth_digest_validate(const char *s, const char *what, berth_error **err) {
  if (s == NULL)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: no digest",
                           what);
  if (strncmp(s, "sha256:", 7) == 0 && strlen(s) == BERTH_DIGEST_LEN &&
      is_lower_hex(s + 7, 64))
    return 0;
  if (strncmp(s, "sha512:", 7) == 0 && strlen(s) == 7 + 128 &&
      is_lower_hex(s + 7, 128))
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "%s: digest algorithm sha512 is not supported",
                           what);
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s: `%.80s` is not a digest (sha256:<64 hex>)",
                         what, s);
}

const char *berth_digest_hex(const char *digest) {
  const char *c = strchr(digest, ':');
  return c ? c + 1 : digest;
}

int berth_hasher_new(struct berth_hasher **out, berth_error **err) {
  *out = NULL;
  struct berth_hasher *h = calloc(1, sizeof(*h));
  if (h == NULL || (h->ctx = EVP_MD_CTX_new()) == NULL ||
      EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    berth_hasher_free(h);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "sha256");
  }
  *out = h;
  return 0;
}

int berth_hasher_update(struct berth_hasher *h, const void *data, size_t len,
                        berth_error **err) {
  if (EVP_DigestUpdate(h->ctx, data, len) != 1)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EIO, "sha256 update");
  return 0;
}

static void format_digest(const unsigned char md[32],
                          char out[BERTH_DIGEST_SIZE]) {
  static const char hex[] = "0123456789abcdef";
  memcpy(out, "sha256:", 7);
  for (size_t i = 0; i < 32; i++) {
    out[7 + 2 * i] = hex[md[i] >> 4];
    out[8 + 2 * i] = hex[md[i] & 15];
  }
  out[BERTH_DIGEST_LEN] = '\0';
}

int berth_hasher_final(struct berth_hasher *h, char out[BERTH_DIGEST_SIZE],
                       berth_error **err) {
  unsigned char md[32];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != sizeof(md))
    return berth_error_set(err, BERTH_ERR_SYSTEM, EIO, "sha256 final");
  format_digest(md, out);
  return 0;
}

void berth_hasher_free(struct berth_hasher *h) {
  if (h == NULL)
    return;
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

int berth_digest_of(const void *data, size_t len,
                    char out[BERTH_DIGEST_SIZE], berth_error **err) {
  /* Small buffers (configs, manifests) without loading libcrypto. */
  if (len <= 256 * 1024) {
    unsigned char md[32];
    berth_sha256(data, len, md);
    format_digest(md, out);
    return 0;
  }
  struct berth_hasher *h = NULL;
  int rc = berth_hasher_new(&h, err);
  if (rc == 0)
    rc = berth_hasher_update(h, data, len, err);
  if (rc == 0)
    rc = berth_hasher_final(h, out, err);
  berth_hasher_free(h);
  return rc;
}
