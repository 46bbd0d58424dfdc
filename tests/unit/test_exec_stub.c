/* The exec stub's file (exec-only, sealed or on a read-only mount), the
 * credential step before it is executed, and the decisions of who may
 * reach a joining process.  Everything against the real kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exec_stub.h"
#include "valgrind_skip.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* container_init.c is not linked: lookup failures are not tested here. */
int berth_exec_target_run(const struct berth_exec_target *t, int report_fd,
                          int stub_fd) {
  (void)t, (void)report_fd, (void)stub_fd;
  return 127;
}

static int open_stub(bool ro) {
  berth_error *err = NULL;
  int fd = berth_exec_stub_open(ro, &err);
  if (fd < 0)
    fail_msg("%s", err->msg);
  return fd;
}

static int reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  int r = open(path, flags | O_CLOEXEC);
  if (r < 0)
    return -errno;
  close(r);
  return 0;
}

/* Runs /bin/sh -c SCRIPT through the stub in a child; its exit status. */
static int run_via_stub(int fd, const char *script, bool hide) {
  pid_t pid = fork();
  if (pid == 0) {
    berth_error *err = NULL;
    if (hide && berth_exec_stub_hide(&err) < 0)
      _exit(100);
    char *args[] = {"sh", "-c", (char *)script, NULL};
    berth_exec_via_stub(fd, "/bin/sh", args, NULL);
    _exit(101);
  }
  int ws;
  waitpid(pid, &ws, 0);
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void test_memfd_is_exec_only_and_sealed(void **state) {
  (void)state;
  int fd = open_stub(false);
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0111);
  int seals = fcntl(fd, F_GET_SEALS);
  int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  assert_int_equal(seals & want, want);
  /* Kernels since 6.3 also forbid changing the exec bits. */
  int probe = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  assert_true(probe >= 0);
  if (fcntl(probe, F_ADD_SEALS, F_SEAL_EXEC) == 0)
    assert_true(seals & F_SEAL_EXEC);
  close(probe);
  /* Root may open it for writing (DAC_OVERRIDE); nothing gets written. */
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  int w = open(path, O_WRONLY | O_CLOEXEC);
  if (w >= 0) {
    assert_int_equal(write(w, "x", 1), -1);
    assert_int_equal(errno, EPERM);
    close(w);
  }
  /* valgrind cannot execveat an fd. */
  if (!under_valgrind())
    assert_int_equal(run_via_stub(fd, "exit 7", false), 7);
  close(fd);
}

static void test_read_only_mount_refuses_writers(void **state) {
  (void)state;
  if (under_valgrind())
    skip();
  int fd = open_stub(true);
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0111);
  assert_int_equal(reopen(fd, O_WRONLY), -EROFS);
  assert_int_equal(reopen(fd, O_RDWR), -EROFS);
  assert_int_equal(run_via_stub(fd, "exit 9", false), 9);
  close(fd);
}

static uint64_t cap_line(const char *status, const char *name) {
  const char *p = strstr(status, name);
  return p ? strtoull(p + strlen(name), NULL, 16) : 0;
}

/* The DAC capabilities leave the effective set before the stub runs, and
 * the program after it has exactly the capabilities it had before. */
static void test_hide_only_touches_the_effective_set(void **state) {
  (void)state;
  if (under_valgrind())
    skip();
  int fd = open_stub(false);
  char out[] = "/tmp/berth-test-stub-XXXXXX";
  int o = mkstemp(out);
  assert_true(o >= 0);
  close(o);
  char script[256];
  snprintf(script, sizeof(script), "cat /proc/self/status > %s", out);
  assert_int_equal(run_via_stub(fd, script, true), 0);
  char *text = NULL;
  size_t len = 0;
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  assert_true(getdelim(&text, &len, '\0', f) > 0);
  fclose(f);
  unlink(out);
  uint64_t eff = cap_line(text, "CapEff:\t"), prm = cap_line(text, "CapPrm:\t");
  assert_true(eff & (UINT64_C(1) << CAP_DAC_OVERRIDE));
  assert_true(eff & (UINT64_C(1) << CAP_DAC_READ_SEARCH));
  assert_int_equal(eff, prm);
  free(text);
  close(fd);
}

static void test_who_reaches_the_host(void **state) {
  (void)state;
  struct berth_process cp = {0}, np = {0};
  struct berth_spec s = {.process = &cp};
  assert_false(berth_ptrace_reaches_host(&s, &np));
  np.creds.caps.bounding = UINT64_C(1) << CAP_SYS_PTRACE;
  assert_true(berth_ptrace_reaches_host(&s, &np));
  /* The container's own process counts too, not only the new one. */
  np.creds.caps.bounding = 0;
  cp.creds.caps.bounding = UINT64_C(1) << CAP_SYS_PTRACE;
  assert_true(berth_ptrace_reaches_host(&s, &np));
  assert_true(berth_ptrace_reaches_host(&s, NULL));
  s.ns.present[BERTH_NS_USER] = true;
  assert_false(berth_ptrace_reaches_host(&s, &np));
  /* A pid namespace joined by path, unless it is our own. */
  assert_false(berth_pidns_shared(&s));
  s.ns.present[BERTH_NS_PID] = true;
  s.ns.path[BERTH_NS_PID] = "/proc/self/ns/pid";
  assert_false(berth_pidns_shared(&s));
  s.ns.path[BERTH_NS_PID] = "/nonexistent/ns/pid";
  assert_true(berth_pidns_shared(&s));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memfd_is_exec_only_and_sealed),
      cmocka_unit_test(test_read_only_mount_refuses_writers),
      cmocka_unit_test(test_hide_only_touches_the_effective_set),
      cmocka_unit_test(test_who_reaches_the_host),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
