/* Temporary files for write-then-rename, under names nobody can guess.
 *
 * A predictable temporary name ("FILE.tmp", "FILE.tmp.<pid>") lets
 * whoever can write the directory plant a symlink or a FIFO there first:
 * the writer then follows the link onto another file, or blocks forever
 * on the FIFO.  The name here ends in 64 random bits, and the file is
 * created O_CREAT|O_EXCL|O_NOFOLLOW, so a planted entry is never opened,
 * only tried around.  libc only: the monitor (static, musl) uses it too. */
#ifndef BERTH_LIB_TEMPNAME_H
#define BERTH_LIB_TEMPNAME_H

#include <stddef.h>
#include <sys/types.h>

/* Creates a new file "<path>.tmp.<16 hex digits>" (path relative to
 * dirfd, or AT_FDCWD) with open flags O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|
 * O_CLOEXEC|extra_flags and `mode` (umask applies).  The name used is
 * written to tmp (tmp_len bytes).  Returns the fd, or -errno. */
int berth_temp_create(int dirfd, const char *path, int extra_flags,
                      mode_t mode, char *tmp, size_t tmp_len);

#endif
