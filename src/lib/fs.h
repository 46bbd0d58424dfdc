/* File helpers: bounded reads, atomic writes, and path resolution confined
 * to a root directory (openat2 RESOLVE_IN_ROOT) so that symlinks planted in
 * a container's rootfs can never steer the runtime outside it. */
#ifndef BERTH_LIB_FS_H
#define BERTH_LIB_FS_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Reads at most max_bytes of dirfd/path (a larger file is an error);
 * the result is NUL-terminated. */
int berth_read_file(int dirfd, const char *path, size_t max_bytes, char **out,
                    size_t *len_out, berth_error **err);
/* Writes the whole buffer to an existing file (O_WRONLY|O_CLOEXEC, no
 * O_CREAT): meant for /proc and /sys knobs. */
int berth_write_file(int dirfd, const char *path, const char *data,
                     size_t len, berth_error **err);
/* Writes to a temporary name in the same directory, fsyncs, renames. */
int berth_write_file_atomic(const char *path, const char *data, size_t len,
                            mode_t mode, berth_error **err);
/* Like berth_write_file_atomic but without fsync: for runtime state, which
 * lives in /run and does not outlive a reboot anyway.  Readers still see
 * either the old or the new content, never a partial file. */
int berth_write_file_replace(const char *path, const char *data, size_t len,
                             mode_t mode, berth_error **err);
/* mkdir -p; existing directories are fine. */
int berth_mkdir_p(const char *path, mode_t mode, berth_error **err);
/* openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): `path` is resolved as if
 * root_fd were "/".  Returns the fd or -1. */
int berth_open_in_root(int root_fd, const char *path, int flags, mode_t mode,
                       berth_error **err);
/* Opens dirfd/path read-only only if it is a regular file, without ever
 * calling open(2) on anything else: the name is opened O_PATH|O_NOFOLLOW
 * (a FIFO cannot block, a device's driver is not reached), the type is
 * checked on that fd, and the same inode is reopened for reading.  Used for
 * files of images and containers (their /etc/passwd), which may be a FIFO,
 * a device node or a symlink planted by the container.  `resolve` is a set
 * of openat2 RESOLVE_* flags (0: plain openat).  A symlink as the last
 * component is refused (kind INVALID, errno ELOOP), as is any other
 * non-regular file (INVALID, EINVAL), files of procfs, sysfs and similar
 * included; a missing file is SYSTEM/ENOENT.  The fd is O_CLOEXEC and
 * O_NONBLOCK (regular files of real file systems ignore it). */
int berth_open_regular(int dirfd, const char *path, unsigned long long resolve,
                       berth_error **err);
/* fchmod for any fd, O_PATH ones included, so that a mode is applied to
 * the inode held rather than to a name that may have been swapped.  Not
 * for symlinks (an O_PATH fd of one: older kernels would follow it).
 * Returns 0 or -1 with errno. */
int berth_fchmod_any(int fd, mode_t mode);
/* Creates every missing directory of `path` inside root_fd (each component
 * resolved in the root) and returns an O_PATH fd to the last one.  When
 * `last_is_file` is set the final component is created as an empty file. */
int berth_mkdir_in_root(int root_fd, const char *path, mode_t mode,
                        int last_is_file, berth_error **err);
/* Removes a directory tree (no symlink following); ENOENT is fine. */
int berth_rm_rf(const char *path, berth_error **err);
/* Closes every fd >= first except those listed in keep (sorted or not). */
void berth_close_fds_from(int first, const int *keep, size_t nkeep);

#endif
