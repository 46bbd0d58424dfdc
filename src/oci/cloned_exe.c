#include "cloned_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int berth_exe_is_sealed(void) {
  _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
}

int berth_reexec_sealed(char *const argv[], char *const envp[],
                        berth_error **err) {
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return berth_error_sys(err, "open /proc/self/exe");
  struct stat st;
  if (fstat(src, &st) < 0)
    return berth_error_sys(err, "stat /proc/self/exe");
  _cleanup_close_ int mfd =
      memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return berth_error_sys(err, "memfd_create");
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return berth_error_sys(err, "copy the runtime binary");
    }
    if (n == 0)
      break;
    left -= n;
  }
  if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
    return berth_error_sys(err, "seal the runtime copy");
  syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  return berth_error_sys(err, "re-execute the sealed runtime copy");
}
