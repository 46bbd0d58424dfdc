/* process.rlimits: parsing, and applying them to a real child. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "json.h"
#include "rlimits.h"

static int parse(const char *text, struct berth_rlimit **r, size_t *n,
                 berth_error **err) {
  json_t *j = NULL;
  assert_int_equal(berth_json_parse("t", text, strlen(text), &j, NULL), 0);
  int rc = berth_rlimits_parse(j, "process.rlimits", r, n, err);
  json_decref(j);
  return rc;
}

static void test_parse(void **state) {
  (void)state;
  struct berth_rlimit *r;
  size_t n;
  berth_error *err = NULL;
  assert_int_equal(parse("[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200},"
                         "{\"type\":\"RLIMIT_CORE\",\"soft\":0,"
                         "\"hard\":18446744073709551615}]", &r, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(r[0].resource, RLIMIT_NOFILE);
  assert_int_equal(r[0].soft, 100);
  assert_int_equal(r[0].hard, 200);
  assert_int_equal(r[1].resource, RLIMIT_CORE);
  assert_true(r[1].hard == UINT64_MAX);
  free(r);
  assert_int_equal(berth_rlimit_from_name("RLIMIT_STACK"), RLIMIT_STACK);
  assert_int_equal(berth_rlimit_from_name("RLIMIT_BOGUS"), -1);
  json_t *k = berth_rlimits_known();
  assert_int_equal(json_array_size(k), 16);
  json_decref(k);
}

static void expect_error(const char *text, const char *field, const char *in) {
  struct berth_rlimit *r = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(parse(text, &r, &n, &err), -1);
  assert_null(r);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, field);
  assert_non_null(strstr(err->msg, in));
  berth_error_free(err);
}

static void test_parse_errors(void **state) {
  (void)state;
  expect_error("[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]",
               "process.rlimits[0].type", "RLIMIT_BOGUS");
  expect_error("[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
               "{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]",
               "process.rlimits[1]", "twice");
  expect_error("[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":1}]",
               "process.rlimits[0]", "above its hard");
  expect_error("[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1}]",
               "process.rlimits[0].soft", "required");
  expect_error("[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,\"hard\":1}]",
               "process.rlimits[0].soft", "");
  expect_error("{}", "process.rlimits", "array");
}

static void test_apply_to_child(void **state) {
  (void)state;
  struct rlimit cur;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &cur), 0);
  int sync[2];
  assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* A plain program: under valgrind, a forked copy of this test would
     * trip over its own fd limit being lowered. */
    execl("/bin/sleep", "sleep", "30", (char *)NULL);
    _exit(127);
  }
  close(sync[1]);
  char c;
  assert_int_equal(read(sync[0], &c, 1), 0); /* EOF: the child has exec'd */
  close(sync[0]);
  struct berth_rlimit r[] = {{RLIMIT_NOFILE, 17, 33}, {RLIMIT_CORE, 0, 0}};
  berth_error *err = NULL;
  assert_int_equal(berth_rlimits_apply(r, 2, pid, &err), 0);
  struct rlimit got;
  assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &got), 0);
  assert_int_equal(got.rlim_cur, 17);
  assert_int_equal(got.rlim_max, 33);
  /* Raising the hard limit back needs CAP_SYS_RESOURCE, which root may
   * lack (it does on this project's CI VM); either way, no silent change. */
  struct berth_rlimit up = {RLIMIT_NOFILE, 17, cur.rlim_max};
  int rc = berth_rlimits_apply(&up, 1, pid, &err);
  assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &got), 0);
  if (rc < 0) {
    assert_non_null(strstr(err->msg, "RLIMIT_NOFILE"));
    assert_int_equal(got.rlim_max, 33);
    berth_error_free(err);
  } else {
    assert_int_equal(got.rlim_max, cur.rlim_max);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_apply_to_child),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
