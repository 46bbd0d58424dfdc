/* dlopen on first use (see lazy_lib.h). */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static __thread struct berth_lazy_lib *loading;

static void load(void) {
  loading->handle = dlopen(loading->soname, RTLD_NOW | RTLD_LOCAL);
}

static _Noreturn void missing(const char *what) {
  const char *why = dlerror();
  fprintf(stderr, "berth: cannot load %s: %s\n", what,
          why ? why : "unknown error");
  fflush(stderr);
  /* 125: berth's own failure, as Docker reports its daemon's. */
  _exit(125);
}

void *berth_lazy_sym(struct berth_lazy_lib *lib, const char *name) {
  loading = lib;
  pthread_once(&lib->once, load);
  if (lib->handle == NULL)
    missing(lib->soname);
  void *f = dlsym(lib->handle, name);
  if (f == NULL)
    missing(name);
  return f;
}
