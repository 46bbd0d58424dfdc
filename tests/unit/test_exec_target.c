/* How the init finds the container's program and words a failure: runc's
 * rules and words, which podman matches to pick exit status 127 or 126,
 * and kind BERTH_ERR_EXEC, which the engine decides on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "container_init.h"

static void test_find_executable(void **state) {
  (void)state;
  char *const env[] = {"PATH=/nonexistent:/bin", NULL};
  char out[PATH_MAX];
  assert_int_equal(berth_find_executable("sh", env, out, sizeof(out)), 0);
  assert_string_equal(out, "/bin/sh");
  assert_int_equal(berth_find_executable("no-such-program", env, out,
                                         sizeof(out)), -ENOENT);
  assert_int_equal(berth_find_executable("/bin/sh", env, out, sizeof(out)), 0);
  assert_int_equal(berth_find_executable("/no/such", env, out, sizeof(out)),
                   -ENOENT);
  /* Present but not runnable: no execute bit, or a directory. */
  assert_int_equal(berth_find_executable("/etc/passwd", env, out, sizeof(out)),
                   -EACCES);
  assert_int_equal(berth_find_executable("/bin", env, out, sizeof(out)),
                   -EISDIR);
}

static void expect_words(const char *file, int rc, const char *msg) {
  struct berth_exec_target t = {.file = file};
  berth_error *err = NULL;
  assert_int_equal(berth_exec_target_error(&t, rc, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_EXEC);
  assert_int_equal(err->errno_value, -rc);
  assert_string_equal(err->msg, msg);
  berth_error_free(err);
}

static void test_exec_error_words(void **state) {
  (void)state;
  expect_words("nosuch", -ENOENT,
               "exec `nosuch`: executable file not found in $PATH");
  expect_words("/no/such", -ENOENT, "exec `/no/such`: no such file or directory");
  expect_words("/etc/passwd", -EACCES, "exec `/etc/passwd`: permission denied");
  expect_words("/bin", -EISDIR, "exec `/bin`: is a directory");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find_executable),
      cmocka_unit_test(test_exec_error_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
