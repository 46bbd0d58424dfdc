/* libcrypto, loaded on first use (see lazy_lib.h): berth only hashes
 * (sha256) and base64-codes with it.  Prototypes from OpenSSL's headers. */
#include <openssl/evp.h>

#include "lazy_lib.h"

static struct berth_lazy_lib libcrypto = BERTH_LAZY_LIB("libcrypto.so.3");

#define FN(ret, name, params, args)                                            \
  BERTH_LAZY_FN(libcrypto, ret, name, params, args)
#define VOID_FN(name, params, args)                                            \
  BERTH_LAZY_VOID_FN(libcrypto, name, params, args)

FN(int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n),
   (t, f, n))
FN(int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n),
   (t, f, n))
FN(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
VOID_FN(EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
FN(const EVP_MD *, EVP_sha256, (void), ())
FN(int, EVP_DigestInit_ex, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl),
   (ctx, type, impl))
FN(int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t n),
   (ctx, d, n))
FN(int, EVP_DigestFinal_ex,
   (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *n), (ctx, md, n))
