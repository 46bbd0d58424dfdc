/* Containers that live in the runtime's mount namespace: see the header. */
#include "mntns_shared.h"

#include <errno.h>
#include <fcntl.h>
/* The kernel's struct statx: glibc 2.36's has no stx_mnt_id. */
#include <linux/stat.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

unsigned long long berth_mount_id(const char *path, berth_error **err) {
  struct statx sx;
  if (syscall(SYS_statx, AT_FDCWD, path,
              AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) < 0) {
    berth_error_sys(err, "find the mount of `%s`", path);
    return 0;
  }
  if (!(sx.stx_mask & STATX_MNT_ID)) {
    berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                    "find the mount of `%s`: the kernel gives no mount id "
                    "(Linux 5.8 or later is needed)", path);
    return 0;
  }
  return sx.stx_mnt_id;
}

void berth_detach_stacked(const char *path, unsigned long long base) {
  /* One mount per round (the container may have stacked more on its "/");
   * bounded in case something else keeps mounting there. */
  for (int round = 0; round < 64; round++) {
    unsigned long long top = berth_mount_id(path, NULL);
    if (top == 0 || top == base)
      return;
    /* EINVAL once `path` is not a mount point of its own: what is left is
     * the filesystem it lives on, which is not ours to touch. */
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
      return;
  }
}
