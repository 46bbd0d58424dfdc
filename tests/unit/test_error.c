#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"

static void test_set_keeps_first(void **state) {
  (void)state;
  berth_error *err = NULL;
  assert_int_equal(berth_error_set(&err, BERTH_ERR_INVALID, 0, "first %d", 1), -1);
  berth_error_set(&err, BERTH_ERR_STATE, 0, "second");
  assert_string_equal(err->msg, "first 1");
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
}

static void test_sys_appends_strerror(void **state) {
  (void)state;
  berth_error *err = NULL;
  errno = ENOENT;
  berth_error_sys(&err, "open `%s`", "/x");
  assert_string_equal(err->msg, "open `/x`: No such file or directory");
  assert_int_equal(err->errno_value, ENOENT);
  assert_int_equal(berth_error_code(err), -ENOENT);
  berth_error_free(err);
}

static void test_prefix_chains_context(void **state) {
  (void)state;
  berth_error *err = NULL;
  berth_error_set(&err, BERTH_ERR_SYSTEM, EPERM, "mount `proc`");
  berth_error_prefix(&err, "create `%s`", "c1");
  assert_string_equal(err->msg, "create `c1`: mount `proc`: Operation not permitted");
  berth_error_free(err);
}

static void test_null_err_is_allowed(void **state) {
  (void)state;
  assert_int_equal(berth_error_set(NULL, BERTH_ERR_INVALID, 0, "x"), -1);
  assert_int_equal(berth_error_prefix(NULL, "x"), -1);
  assert_int_equal(berth_error_code(NULL), -EIO);
}

static void test_spec_error_carries_field(void **state) {
  (void)state;
  berth_error *err = NULL;
  berth_error_spec(&err, "process.args", "must not be empty");
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, "process.args");
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_keeps_first),
      cmocka_unit_test(test_sys_appends_strerror),
      cmocka_unit_test(test_prefix_chains_context),
      cmocka_unit_test(test_null_err_is_allowed),
      cmocka_unit_test(test_spec_error_carries_field),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
