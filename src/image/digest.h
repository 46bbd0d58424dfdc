/* Content digests as the OCI image and distribution specs write them:
 * "sha256:" followed by 64 lowercase hex digits.
 *
 * Digests live in src/image rather than src/lib: only images need them,
 * and keeping libcrypto out of libberth keeps berth-runtime small. */
#ifndef BERTH_IMAGE_DIGEST_H
#define BERTH_IMAGE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BERTH_DIGEST_LEN 71 /* "sha256:" + 64 */
#define BERTH_DIGEST_SIZE (BERTH_DIGEST_LEN + 1)

/* Validates s ("sha256:<64 hex>"); other registered algorithms (sha512)
 * are UNSUPPORTED, anything else INVALID, naming `what` and the value. */
int berth_digest_validate(const char *s, const char *what, berth_error **err);
/* The hex part of a valid digest (what follows "sha256:"). */
const char *berth_digest_hex(const char *digest);

/* Incremental SHA-256. */
struct berth_hasher;
int berth_hasher_new(struct berth_hasher **out, berth_error **err);
int berth_hasher_update(struct berth_hasher *h, const void *data, size_t len,
                        berth_error **err);
/* Writes "sha256:<hex>" into out; the hasher can then only be freed. */
int berth_hasher_final(struct berth_hasher *h, char out[BERTH_DIGEST_SIZE],
                       berth_error **err);
void berth_hasher_free(struct berth_hasher *h);

/* The digest of a buffer. */
int berth_digest_of(const void *data, size_t len,
                    char out[BERTH_DIGEST_SIZE], berth_error **err);

#endif
