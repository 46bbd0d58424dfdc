#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "valgrind_skip.h"

#include "fs.h"

static char tmpl[] = "/tmp/berth-fs-XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(tmpl) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(tmpl, NULL);
}

static void test_atomic_write_and_bounded_read(void **state) {
  (void)state;
  char p[256];
  snprintf(p, sizeof(p), "%s/f", tmpl);
  assert_int_equal(berth_write_file_atomic(p, "hello", 5, 0600, NULL), 0);
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(berth_read_file(AT_FDCWD, p, 5, &data, &len, NULL), 0);
  assert_string_equal(data, "hello");
  free(data);
  berth_error *err = NULL;
  assert_int_equal(berth_read_file(AT_FDCWD, p, 4, &data, &len, &err), -1);
  assert_non_null(strstr(err->msg, "larger than 4 bytes"));
  berth_error_free(err);
}

/* A symlink inside the root pointing at "/" or ".." must stay inside. */
static void test_open_in_root_confines_symlinks(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) */
  char root[128], link[256];
  snprintf(root, sizeof(root), "%s/root", tmpl);
  mkdir(root, 0755);
  snprintf(link, sizeof(link), "%s/escape", root);
  assert_int_equal(symlink("../../../../etc", link), 0);
  int rfd = open(root, O_PATH | O_DIRECTORY);
  assert_true(rfd >= 0);
  int fd = berth_mkdir_in_root(rfd, "escape/passwd-dir", 0755, 0, NULL);
  assert_true(fd >= 0);
  close(fd);
  struct stat st;
  /* Created inside the root at root/etc, not at the host's /etc. */
  char inside[300];
  snprintf(inside, sizeof(inside), "%s/etc/passwd-dir", root);
  assert_int_equal(stat(inside, &st), 0);
  assert_int_equal(stat("/etc/passwd-dir", &st), -1);
  close(rfd);
}

static void test_mkdir_p(void **state) {
  (void)state;
  char p[256];
  snprintf(p, sizeof(p), "%s/a/b/c", tmpl);
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
}

static void test_close_fds_keeps_listed(void **state) {
  (void)state;
  int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY),
      c = open("/dev/null", O_RDONLY);
  int keep[] = {b};
  berth_close_fds_from(a, keep, 1);
  assert_int_equal(fcntl(a, F_GETFD), -1);
  assert_true(fcntl(b, F_GETFD) >= 0);
  assert_int_equal(fcntl(c, F_GETFD), -1);
  close(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_atomic_write_and_bounded_read),
      cmocka_unit_test(test_open_in_root_confines_symlinks),
      cmocka_unit_test(test_mkdir_p),
      cmocka_unit_test(test_close_fds_keeps_listed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
