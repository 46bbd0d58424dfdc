/* Shared libraries loaded on first use instead of at startup.
 *
 * Every berth process pays for the libraries it links before main() runs:
 * libarchive alone drags in libxml2, ICU, libstdc++ and five compressors
 * (about 1.5 ms of dynamic loading here), libcrypto about 0.8 ms, while
 * `berth run` of a stored image needs neither.  archive_dl.c and
 * crypto_dl.c therefore define the functions berth calls, each resolving
 * the real one from the library on its first call.
 *
 * These libraries are hard dependencies (unlike libcurl in curl_dl.c, whose
 * absence is reported as a registry error): if one cannot be loaded, the
 * process says so on stderr and exits 125 before the caller goes on. */
#ifndef BERTH_IMAGE_LAZY_LIB_H
#define BERTH_IMAGE_LAZY_LIB_H

#include <pthread.h>

struct berth_lazy_lib {
  const char *soname;
  pthread_once_t once;
  void *handle;
};

#define BERTH_LAZY_LIB(soname) {soname, PTHREAD_ONCE_INIT, NULL}

/* The address of `name` in the library; never returns NULL. */
void *berth_lazy_sym(struct berth_lazy_lib *lib, const char *name);

/* Defines `ret name params` calling the library's `name` with `args`.  The
 * resolved pointer is cached (relaxed atomics: every thread resolves to
 * the same address).  Local names end in an underscore so that they cannot
 * collide with the parameter names in `params`. */
#define BERTH_LAZY_FN(lib, ret, name, params, args)                          \
  ret name params {                                                          \
    static ret(*cached_) params;                                             \
    ret(*fn_) params = __atomic_load_n(&cached_, __ATOMIC_RELAXED);          \
    if (fn_ == NULL) {                                                       \
      fn_ = (ret(*) params)berth_lazy_sym(&lib, #name);                      \
      __atomic_store_n(&cached_, fn_, __ATOMIC_RELAXED);                     \
    }                                                                        \
    return fn_ args;                                                         \
  }

#define BERTH_LAZY_VOID_FN(lib, name, params, args)                          \
  void name params {                                                         \
    static void(*cached_) params;                                            \
    void(*fn_) params = __atomic_load_n(&cached_, __ATOMIC_RELAXED);         \
    if (fn_ == NULL) {                                                       \
      fn_ = (void(*) params)berth_lazy_sym(&lib, #name);                     \
      __atomic_store_n(&cached_, fn_, __ATOMIC_RELAXED);                     \
    }                                                                        \
    fn_ args;                                                                \
  }

#endif
