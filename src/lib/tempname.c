#include "tempname.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

/* An existing name (ours from a crash, or planted) is skipped; a few
 * tries only, since 64 random bits do not collide by chance. */
#define TRIES 8

int berth_temp_create(int dirfd, const char *path, int extra_flags,
                      mode_t mode, char *tmp, size_t tmp_len) {
  for (int i = 0; i < TRIES; i++) {
    uint64_t r;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
      return errno ? -errno : -EIO;
    int n = snprintf(tmp, tmp_len, "%s.tmp.%016llx", path,
                     (unsigned long long)r);
    if (n < 0 || (size_t)n >= tmp_len)
      return -ENAMETOOLONG;
    int fd = openat(dirfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
                        extra_flags,
                    mode);
    if (fd >= 0 || errno != EEXIST)
      return fd >= 0 ? fd : -errno;
  }
  return -EEXIST;
}
