/* Ownership helpers built on __attribute__((cleanup)).  A variable marked
 * _cleanup_free_ is freed when it leaves scope; steal_pointer() hands the
 * value on and leaves NULL behind so nothing is freed twice. */
#ifndef BERTH_LIB_CLEANUP_H
#define BERTH_LIB_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void berth_freep(void *p) { free(*(void **)p); }
static inline void berth_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void berth_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
static inline void berth_strv_freep(char ***p) {
  if (*p) {
    for (char **s = *p; *s; s++)
      free(*s);
    free(*p);
  }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(berth_freep)
#define _cleanup_close_ _cleanup_(berth_closep)
#define _cleanup_fclose_ _cleanup_(berth_fclosep)
#define _cleanup_strv_ _cleanup_(berth_strv_freep)

#define steal_pointer(pp)                                                      \
  ({                                                                           \
    __typeof__(*(pp)) _tmp = *(pp);                                            \
    *(pp) = NULL;                                                              \
    _tmp;                                                                      \
  })
#define steal_fd(fdp)                                                          \
  ({                                                                           \
    int _tmp = *(fdp);                                                         \
    *(fdp) = -1;                                                               \
    _tmp;                                                                      \
  })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
