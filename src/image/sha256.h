/* SHA-256 (FIPS 180-4) in plain C, for small buffers.
 *
 * Digests of image configs and manifests (a few hundred bytes to a few
 * KiB) are computed on every `berth run`; loading libcrypto for them costs
 * more (about 1 ms of dynamic loading and relocation) than hashing.
 * Layers and other streams keep using libcrypto (digest.c), whose
 * SHA extensions are several times faster on large inputs. */
#ifndef BERTH_IMAGE_SHA256_H
#define BERTH_IMAGE_SHA256_H

#include <stddef.h>

void berth_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
