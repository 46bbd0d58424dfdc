#include "exec_stub.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#ifdef BERTH_HAVE_EXEC_STUB
extern const unsigned char berth_exec_stub[];
extern const unsigned long berth_exec_stub_len;

int berth_exec_stub_fd(berth_error **err) {
  int fd = memfd_create("berth-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return berth_error_sys(err, "memfd_create");
  const unsigned char *p = berth_exec_stub;
  size_t left = berth_exec_stub_len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      berth_error_sys(err, "write exec stub");
      close(fd);
      return -1;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
    berth_error_sys(err, "seal exec stub");
    close(fd);
    return -1;
  }
  return fd;
}
#else
int berth_exec_stub_fd(berth_error **err) {
  (void)err;
  return -1;
}
#endif

int berth_exec_via_stub(int stub_fd, const char *path, char *const *args,
                        char *const *env) {
  char *const empty[] = {NULL};
  if (env == NULL)
    env = empty;
  if (stub_fd >= 0) {
    size_t n = 0;
    while (args[n])
      n++;
    char *argv[n + 3];
    argv[0] = "berth-exec";
    argv[1] = (char *)path;
    for (size_t i = 0; i <= n; i++)
      argv[i + 2] = args[i];
    syscall(SYS_execveat, stub_fd, "", argv, env, AT_EMPTY_PATH);
    /* A seccomp profile may allow execve but not execveat: still run the
     * program rather than fail a container that worked with runc. */
    if (errno != EPERM && errno != ENOSYS && errno != EACCES)
      return -errno;
  }
  execve(path, args, env);
  return -errno;
}

bool berth_needs_sealed_runtime(const struct berth_spec *s,
                                const struct berth_process *p) {
  if (s->ns.present[BERTH_NS_USER])
    return false; /* CAP_SYS_PTRACE there does not reach host processes */
  return (p->creds.caps.bounding >> CAP_SYS_PTRACE) & 1;
}
