#include "exec_stub.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "sync.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define STUB_MODE 0111
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* The stub writes these records without our headers (src/stub). */
_Static_assert(BERTH_SYNC_PID == 6 && BERTH_SYNC_STUB_FAILED == 10,
               "sync numbers are hard-coded in src/stub/exec_stub.c");
_Static_assert(offsetof(struct berth_sync_msg, text) == 12,
               "the stub's record layout must match berth_sync_msg");
_Static_assert(offsetof(struct berth_sync_msg, kind) == 8 &&
                   BERTH_ERR_SYSTEM == 0,
               "the stub leaves `kind` 0 in its records: a system error");

extern const unsigned char berth_exec_stub[];
extern const unsigned long berth_exec_stub_len;

static int write_all(int fd, const unsigned char *p, size_t left) {
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    left -= (size_t)w;
  }
  return 0;
}

static int memfd_exec(const char *name) {
  /* Since 6.3 a memfd is executable only when asked (vm.memfd_noexec);
   * older kernels reject the unknown flag. */
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

/* Exec-only and sealed: no write, no resize, no chmod of the exec bits
 * (F_SEAL_EXEC, 6.3+), no further seal changes. */
static int stub_memfd(berth_error **err) {
  _cleanup_close_ int fd = memfd_exec("berth-exec");
  if (fd < 0)
    return berth_error_sys(err, "create the exec stub");
  if (write_all(fd, berth_exec_stub, berth_exec_stub_len) < 0)
    return berth_error_sys(err, "write the exec stub");
  if (fchmod(fd, STUB_MODE) < 0)
    return berth_error_sys(err, "make the exec stub exec-only");
  int rc = fcntl(fd, F_ADD_SEALS, SEALS | F_SEAL_EXEC);
  if (rc < 0 && errno == EINVAL)
    rc = fcntl(fd, F_ADD_SEALS, SEALS);
  if (rc < 0)
    return berth_error_sys(err, "seal the exec stub");
  return steal_fd(&fd);
}

/* A private tmpfs made read-only once the stub is written: opening the
 * file for writing fails with EROFS whatever the opener's capabilities.
 * The mount is detached and goes away with the last reference. */
static int stub_ro_mount(berth_error **err) {
  _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berth_error_sys(err, "open a tmpfs for the exec stub");
  if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
      fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_error_sys(err, "create a tmpfs for the exec stub");
  _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (mnt < 0)
    return berth_error_sys(err, "mount a tmpfs for the exec stub");
  int f = openat(mnt, "berth-exec", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                 STUB_MODE);
  if (f < 0 || write_all(f, berth_exec_stub, berth_exec_stub_len) < 0) {
    berth_error_sys(err, "write the exec stub");
    if (f >= 0)
      close(f);
    return -1;
  }
  close(f); /* a file open for writing keeps the mount read-write (EBUSY) */
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
  if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
    return berth_error_sys(err, "make the exec stub's tmpfs read-only");
  int fd = openat(mnt, "berth-exec", O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open the exec stub");
  return fd;
}

int berth_exec_stub_open(bool read_only_mount, berth_error **err) {
  if (read_only_mount)
    return stub_ro_mount(err);
  berth_error *e = NULL;
  int fd = stub_memfd(&e);
  /* vm.memfd_noexec=2 refuses executable memfds. */
  if (fd < 0 && (e->errno_value == EACCES || e->errno_value == EPERM)) {
    berth_error_free(e);
    return stub_ro_mount(err);
  }
  if (fd < 0)
    *err = e;
  return fd;
}

int berth_exec_stub_hide(berth_error **err) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0)
    return berth_error_sys(err, "read capabilities");
  /* Both caps are below 32: they live in d[0]. */
  uint32_t dac = (1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH);
  if ((d[0].effective & dac) == 0)
    return 0;
  d[0].effective &= ~dac;
  if (syscall(SYS_capset, &h, d) < 0)
    return berth_error_sys(err, "drop the effective DAC capabilities");
  return 0;
}

static size_t count(char *const *v) {
  size_t n = 0;
  while (v[n])
    n++;
  return n;
}

int berth_exec_via_stub(int stub_fd, const char *path, char *const *args,
                        char *const *env) {
  char *const empty[] = {NULL};
  size_t n = count(args);
  char *argv[n + 3];
  argv[0] = "berth-exec";
  argv[1] = (char *)path;
  for (size_t i = 0; i <= n; i++)
    argv[i + 2] = args[i];
  syscall(SYS_execveat, stub_fd, "", argv, env ? env : empty, AT_EMPTY_PATH);
  return -errno;
}

/* No fallback to a plain execve: that would leave our own binary as
 * /proc/self/exe while the container's program is loaded. */
static void report_stub_failure(int report_fd, int e) {
  berth_error *err = NULL;
  berth_error_set(&err, BERTH_ERR_UNSUPPORTED, e,
                  "start the process through berth's sealed exec stub: "
                  "execveat failed%s",
                  e == EPERM || e == EACCES || e == ENOSYS
                      ? " (the seccomp profile must allow execveat)"
                      : "");
  berth_sync_send_error(report_fd, err);
  berth_error_free(err);
}

int berth_stub_exec(const struct berth_exec_target *t, int stub_fd,
                    int report_fd) {
  if (t->lookup_rc != 0)
    return berth_exec_target_run(t, report_fd, stub_fd);
  int rc = berth_exec_via_stub(stub_fd, t->path, t->args, t->env);
  report_stub_failure(report_fd, -rc);
  return 126;
}

int berth_stub_spawn(const struct berth_exec_target *t, int stub_fd,
                     int report_fd, bool tty) {
  if (t->lookup_rc != 0)
    return berth_exec_target_run(t, report_fd, stub_fd);
  char *const empty[] = {NULL};
  char fd[16];
  snprintf(fd, sizeof(fd), "%d", report_fd);
  size_t n = count(t->args);
  char *argv[n + 5];
  argv[0] = "berth-spawn";
  argv[1] = fd;
  argv[2] = tty ? "t" : "-";
  argv[3] = (char *)t->path;
  for (size_t i = 0; i <= n; i++)
    argv[i + 4] = t->args[i];
  syscall(SYS_execveat, stub_fd, "", argv, t->env ? t->env : empty,
          AT_EMPTY_PATH);
  report_stub_failure(report_fd, errno);
  return 126;
}

bool berth_ptrace_reaches_host(const struct berth_spec *s,
                               const struct berth_process *p) {
  if (s->ns.present[BERTH_NS_USER])
    return false; /* capabilities there do not reach host-owned processes */
  uint64_t bounding = p ? p->creds.caps.bounding : 0;
  if (s->process)
    bounding |= s->process->creds.caps.bounding;
  return (bounding >> CAP_SYS_PTRACE) & 1;
}

bool berth_pidns_shared(const struct berth_spec *s) {
  const char *path = s->ns.path[BERTH_NS_PID];
  struct stat theirs, ours;
  if (!s->ns.present[BERTH_NS_PID] || path == NULL)
    return false;
  /* Our own pid namespace: its processes can ptrace us anyway. */
  if (stat(path, &theirs) < 0 || stat("/proc/self/ns/pid", &ours) < 0)
    return true;
  return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}
