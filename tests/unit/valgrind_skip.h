/* valgrind (3.19 in Debian 12) does not implement some syscalls berth
 * relies on (seccomp(2), openat2(2), execveat(2) of an fd, pidfd_open(2)):
 * tests of them skip themselves under it, so the valgrind run still checks
 * everything else for leaks.
 * valgrind announces itself through LD_PRELOAD. */
#ifndef BERTH_TESTS_VALGRIND_SKIP_H
#define BERTH_TESTS_VALGRIND_SKIP_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline bool under_valgrind(void) {
  const char *p = getenv("LD_PRELOAD");
  return p && strstr(p, "vgpreload");
}

#endif
