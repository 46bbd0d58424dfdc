/* Unit tests for the rootfs and bind-source fds the runtime opens for the
 * init: which mounts get one, how they travel over the sync socket (in
 * batches, above the preserved fds), and that they are opened in the
 * init's mount namespace with the runtime's own view restored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "valgrind_skip.h"
#include "cleanup.h"
#include "fs.h"
#include "rootfs_fds.h"
#include "sync.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/berth-test-rootfs-fds.XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  char p[128];
  snprintf(p, sizeof p, "%s/rootfs", dir);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/src", dir);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/file", dir);
  close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(dir, NULL);
}

static bool same_file(int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

static struct berth_mount bind_of(char *src, char *dst) {
  return (struct berth_mount){.destination = dst, .source = src, .bind = true};
}

static void test_open_binds_only(void **state) {
  (void)state;
  char rootfs[128], abs_src[128], file[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(abs_src, sizeof abs_src, "%s/src", dir);
  snprintf(file, sizeof file, "%s/file", dir);
  struct berth_mount m[] = {
      {.destination = "/proc", .type = "proc", .source = "proc"},
      bind_of(abs_src, "/a"),
      bind_of("file", "/b"), /* relative: to the bundle */
  };
  struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT;
  berth_error *err = NULL;
  assert_int_equal(berth_rootfs_fds_open(rootfs, m, 3, dir, &f, &err), 0);
  assert_int_equal(f.n, 3);
  assert_true(same_file(f.rootfs, rootfs));
  assert_int_equal(f.sources[0], -1);
  assert_true(same_file(f.sources[1], abs_src));
  assert_true(same_file(f.sources[2], file));
  assert_int_equal(fcntl(f.sources[2], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  berth_rootfs_fds_close(&f);
  assert_int_equal(f.rootfs, -1);
  assert_null(f.sources);
}

static void test_open_names_missing_source(void **state) {
  (void)state;
  char rootfs[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  struct berth_mount m[] = {bind_of("/nonexistent/x", "/data")};
  struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT;
  berth_error *err = NULL;
  assert_int_equal(berth_rootfs_fds_open(rootfs, m, 1, dir, &f, &err), -1);
  assert_non_null(err);
  assert_int_equal(err->errno_value, ENOENT);
  assert_non_null(strstr(err->msg, "mounts[0] `/data`: bind `/nonexistent/x`"));
  assert_int_equal(f.rootfs, -1);
  berth_error_free(err);
  err = NULL;
  char missing[128];
  snprintf(missing, sizeof missing, "%s/no-rootfs", dir);
  assert_int_equal(berth_rootfs_fds_open(missing, NULL, 0, dir, &f, &err), -1);
  assert_non_null(strstr(err->msg, "open rootfs"));
  berth_error_free(err);
}

/* More binds than one message carries: several batches, and every fd
 * lands at min_fd or above, close-on-exec, pointing at the same file. */
static void test_send_recv_batches(void **state) {
  (void)state;
  enum { N = 300, MIN_FD = 40 };
  char rootfs[128], src[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(src, sizeof src, "%s/src", dir);
  struct berth_mount *m = calloc(N, sizeof *m);
  assert_non_null(m);
  for (size_t i = 0; i < N; i++)
    m[i] = i % 3 == 0
               ? (struct berth_mount){.destination = "/t", .type = "tmpfs"}
               : bind_of(src, "/x");
  struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT, got = f;
  berth_error *err = NULL;
  assert_int_equal(berth_rootfs_fds_open(rootfs, m, N, NULL, &f, &err), 0);
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp),
                   0);
  assert_int_equal(berth_rootfs_fds_send(sp[0], &f), 0);
  berth_rootfs_fds_close(&f);
  assert_int_equal(
      berth_rootfs_fds_recv(sp[1], rootfs, m, N, NULL, MIN_FD, &got, &err), 0);
  assert_true(same_file(got.rootfs, rootfs));
  assert_true(got.rootfs >= MIN_FD);
  for (size_t i = 0; i < N; i++) {
    if (i % 3 == 0) {
      assert_int_equal(got.sources[i], -1);
      continue;
    }
    assert_true(got.sources[i] >= MIN_FD);
    assert_true(same_file(got.sources[i], src));
    assert_int_equal(fcntl(got.sources[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  berth_rootfs_fds_close(&got);
  close(sp[0]);
  close(sp[1]);
  free(m);
}

/* A receiver expecting another set of mounts than was sent fails with a
 * protocol error instead of mounting the wrong source somewhere. */
static void test_recv_count_mismatch(void **state) {
  (void)state;
  char rootfs[128], src[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(src, sizeof src, "%s/src", dir);
  struct berth_mount two[] = {bind_of(src, "/a"), bind_of(src, "/b")};
  struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT, got = f;
  berth_error *err = NULL;
  assert_int_equal(berth_rootfs_fds_open(rootfs, two, 2, NULL, &f, &err), 0);
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp),
                   0);
  assert_int_equal(berth_rootfs_fds_send(sp[0], &f), 0);
  berth_rootfs_fds_close(&f);
  assert_int_equal(
      berth_rootfs_fds_recv(sp[1], rootfs, two, 1, NULL, 3, &got, &err), -1);
  assert_non_null(err);
  assert_int_equal(err->errno_value, EPROTO);
  assert_int_equal(got.rootfs, -1);
  berth_error_free(err);
  err = NULL;
  /* A runtime gone before sending is an error too, not an empty set. */
  close(sp[0]);
  assert_int_equal(
      berth_rootfs_fds_recv(sp[1], rootfs, two, 2, NULL, 3, &got, &err), -1);
  assert_int_equal(err->errno_value, EPIPE);
  berth_error_free(err);
  close(sp[1]);
}

/* A runtime that may not enter the init's mount namespace (rootless:
 * without CAP_SYS_CHROOT) sends none, and the init opens the paths itself,
 * its fds too above the preserved ones. */
static void test_rootless_init_opens_itself(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* valgrind 3.19 lacks pidfd_open(2) */
  char rootfs[128], src[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(src, sizeof src, "%s/src", dir);
  struct berth_mount m[] = {bind_of("src", "/a")};
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp),
                   0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* Dropping CAP_SYS_CHROOT is enough for setns(CLONE_NEWNS) to refuse;
     * the namespace is our own (a pidfd of ourselves). */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (self < 0 || syscall(SYS_capget, &h, d) < 0)
      _exit(1);
    d[0].effective &= ~(1u << CAP_SYS_CHROOT);
    d[0].permitted &= ~(1u << CAP_SYS_CHROOT);
    if (syscall(SYS_capset, &h, d) < 0)
      _exit(2);
    struct berth_spec s = {.root_path = rootfs, .mounts = m, .n_mounts = 1};
    s.ns.present[BERTH_NS_MNT] = true;
    struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT;
    berth_error *err = NULL;
    if (berth_rootfs_fds_open_for(&s, dir, self, &f, &err) < 0)
      _exit(3);
    if (f.rootfs != -1 || berth_rootfs_fds_send(sp[0], &f) < 0)
      _exit(4);
    _exit(0);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  struct berth_rootfs_fds got = BERTH_ROOTFS_FDS_INIT;
  berth_error *err = NULL;
  assert_int_equal(
      berth_rootfs_fds_recv(sp[1], rootfs, m, 1, dir, 30, &got, &err), 0);
  assert_true(got.rootfs >= 30 && same_file(got.rootfs, rootfs));
  assert_true(got.sources[0] >= 30 && same_file(got.sources[0], src));
  berth_rootfs_fds_close(&got);
  close(sp[0]);
  close(sp[1]);
}

/* An idmapped mount needs the runtime's privileges: an init whose runtime
 * sent nothing refuses it rather than mounting the source unmapped. */
static void test_rootless_refuses_idmap(void **state) {
  (void)state;
  char rootfs[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  struct berth_mount m[] = {bind_of("src", "/a")};
  m[0].idmap = true;
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp),
                   0);
  struct berth_rootfs_fds none = BERTH_ROOTFS_FDS_INIT, got = none;
  assert_int_equal(berth_rootfs_fds_send(sp[0], &none), 0);
  berth_error *err = NULL;
  assert_int_equal(
      berth_rootfs_fds_recv(sp[1], rootfs, m, 1, dir, 30, &got, &err), -1);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_UNSUPPORTED);
  assert_non_null(strstr(err->msg, "idmapped mount"));
  assert_int_equal(got.rootfs, -1);
  berth_error_free(err);
  close(sp[0]);
  close(sp[1]);
}

/* A child in its own mount namespace with a tmpfs on src: the fds are
 * opened there (the tmpfs is seen), and the caller's namespace, root and
 * cwd are as before afterwards. */
static void test_open_in_init_namespace(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* valgrind 3.19 lacks pidfd_open(2) */
  char rootfs[128], src[128];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(src, sizeof src, "%s/src", dir);
  int ready[2], done[2];
  assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
  assert_int_equal(pipe2(done, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char c = 0;
    close(done[1]);
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", src, "tmpfs", 0, NULL) < 0)
      _exit(1);
    if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
      _exit(2);
    _exit(0);
  }
  char c;
  assert_int_equal(read(ready[0], &c, 1), 1);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  assert_true(pidfd >= 0);
  char ns_before[64] = "", ns_after[64] = "", cwd_before[256], cwd_after[256];
  assert_true(readlink("/proc/self/ns/mnt", ns_before, sizeof ns_before) > 0);
  assert_non_null(getcwd(cwd_before, sizeof cwd_before));
  struct berth_mount m[] = {bind_of(src, "/a")};
  struct berth_spec s = {.root_path = rootfs, .mounts = m, .n_mounts = 1};
  s.ns.present[BERTH_NS_MNT] = true;
  struct berth_rootfs_fds f = BERTH_ROOTFS_FDS_INIT;
  berth_error *err = NULL;
  assert_int_equal(berth_rootfs_fds_open_for(&s, dir, pidfd, &f, &err), 0);
  struct statfs sfs;
  assert_int_equal(fstatfs(f.sources[0], &sfs), 0);
  assert_int_equal(sfs.f_type, TMPFS_MAGIC);
  /* Here, src is still the plain directory. */
  assert_int_equal(statfs(src, &sfs), 0);
  assert_true(sfs.f_type != TMPFS_MAGIC);
  assert_true(readlink("/proc/self/ns/mnt", ns_after, sizeof ns_after) > 0);
  assert_string_equal(ns_before, ns_after);
  assert_non_null(getcwd(cwd_after, sizeof cwd_after));
  assert_string_equal(cwd_before, cwd_after);
  berth_rootfs_fds_close(&f);
  /* Without a mount namespace in the spec: the caller's own view. */
  s.ns.present[BERTH_NS_MNT] = false;
  assert_int_equal(berth_rootfs_fds_open_for(&s, dir, pidfd, &f, &err), 0);
  assert_int_equal(fstatfs(f.sources[0], &sfs), 0);
  assert_true(sfs.f_type != TMPFS_MAGIC);
  berth_rootfs_fds_close(&f);
  close(done[1]);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(pidfd);
  close(ready[0]);
  close(ready[1]);
  close(done[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_binds_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_names_missing_source, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_send_recv_batches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recv_count_mismatch, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_open_in_init_namespace, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rootless_refuses_idmap, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rootless_init_opens_itself, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
