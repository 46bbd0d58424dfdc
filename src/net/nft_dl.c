/* libnftables, loaded when first used.
 *
 * Linking libnftables costs every berth process its dynamic loading
 * (libnftables pulls in libnftnl, libxtables and libgmp) while only the
 * commands that set up networks or publish ports use it.  berth therefore
 * does not link it: this file defines the few libnftables functions nft.c
 * calls, each resolving the real one from libnftables.so.1 on first use.
 *
 * A missing libnftables is an error of the operation that needed it, not
 * of the process (unlike lazy_lib.h, whose libraries every image command
 * needs): nft_ctx_new() then returns NULL and berth_nft_dl_error() says
 * why, so berth_nft_open() can report it as a berth_error.  The other
 * functions take a context, which cannot exist without the library. */
#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>

#include "nft_dl.h"

static void *lib;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "%s", e ? e : "libnftables.so.1: not found");
  }
}

/* The real function named `name`, or NULL when libnftables is missing. */
static void *sym(const char *name) {
  pthread_once(&once, load);
  return lib ? dlsym(lib, name) : NULL;
}

const char *berth_nft_dl_error(void) {
  pthread_once(&once, load);
  return lib ? NULL : why;
}

/* The resolved pointer is cached (relaxed atomics: every thread resolves
 * to the same address). */
#define REAL(ret, name, params)                                                \
  typedef ret(*name##_fn) params;                                              \
  static name##_fn real_##name(void) {                                         \
    static name##_fn cached;                                                   \
    name##_fn f = __atomic_load_n(&cached, __ATOMIC_RELAXED);                  \
    if (f == NULL) {                                                           \
      f = (name##_fn)sym(#name);                                               \
      __atomic_store_n(&cached, f, __ATOMIC_RELAXED);                          \
    }                                                                          \
    return f;                                                                  \
  }

REAL(struct nft_ctx *, nft_ctx_new, (uint32_t))
REAL(void, nft_ctx_free, (struct nft_ctx *))
REAL(int, nft_ctx_buffer_output, (struct nft_ctx *))
REAL(int, nft_ctx_buffer_error, (struct nft_ctx *))
REAL(const char *, nft_ctx_get_output_buffer, (struct nft_ctx *))
REAL(const char *, nft_ctx_get_error_buffer, (struct nft_ctx *))
REAL(void, nft_ctx_output_set_flags, (struct nft_ctx *, unsigned int))
REAL(int, nft_run_cmd_from_buffer, (struct nft_ctx *, const char *))

/* A context is only ever made by the first function: the others are
 * reached with a library that is loaded, but still check (a symbol
 * missing from a broken install must not be called through NULL). */
struct nft_ctx *nft_ctx_new(uint32_t flags) {
  nft_ctx_new_fn f = real_nft_ctx_new();
  return f ? f(flags) : NULL;
}

void nft_ctx_free(struct nft_ctx *ctx) {
  nft_ctx_free_fn f = real_nft_ctx_free();
  if (f)
    f(ctx);
}

int nft_ctx_buffer_output(struct nft_ctx *ctx) {
  nft_ctx_buffer_output_fn f = real_nft_ctx_buffer_output();
  return f ? f(ctx) : -1;
}

int nft_ctx_buffer_error(struct nft_ctx *ctx) {
  nft_ctx_buffer_error_fn f = real_nft_ctx_buffer_error();
  return f ? f(ctx) : -1;
}

const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx) {
  nft_ctx_get_output_buffer_fn f = real_nft_ctx_get_output_buffer();
  return f ? f(ctx) : NULL;
}

const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx) {
  nft_ctx_get_error_buffer_fn f = real_nft_ctx_get_error_buffer();
  return f ? f(ctx) : NULL;
}

void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags) {
  nft_ctx_output_set_flags_fn f = real_nft_ctx_output_set_flags();
  if (f)
    f(ctx, flags);
}

int nft_run_cmd_from_buffer(struct nft_ctx *ctx, const char *buf) {
  nft_run_cmd_from_buffer_fn f = real_nft_run_cmd_from_buffer();
  return f ? f(ctx, buf) : -1;
}
