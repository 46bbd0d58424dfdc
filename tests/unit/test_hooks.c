/* Hooks: parsing, and running real programs with the state on stdin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs.h"
#include "hooks.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/berth-test-hooks.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(dir, NULL);
}

static int parse(const char *text, struct berth_hooks *h, berth_error **err) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  int rc = berth_hooks_parse(j, "hooks", h, err);
  json_decref(j);
  return rc;
}

static void test_parse(void **state) {
  (void)state;
  struct berth_hooks h;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"prestart\":[{\"path\":\"/bin/a\"},{\"path\":\"/b\","
                         "\"args\":[\"b\",\"1\"],\"env\":[\"X=1\"],\"timeout\":5}],"
                         "\"poststop\":[{\"path\":\"/c\"}]}", &h, &err), 0);
  assert_int_equal(h.n[BERTH_HOOK_PRESTART], 2);
  assert_int_equal(h.n[BERTH_HOOK_POSTSTOP], 1);
  assert_int_equal(h.n[BERTH_HOOK_POSTSTART], 0);
  assert_string_equal(h.list[BERTH_HOOK_PRESTART][1].args[1], "1");
  assert_string_equal(h.list[BERTH_HOOK_PRESTART][1].env[0], "X=1");
  assert_int_equal(h.list[BERTH_HOOK_PRESTART][1].timeout, 5);
  assert_int_equal(h.list[BERTH_HOOK_PRESTART][0].timeout, 0);
  berth_hooks_free(&h);
  assert_string_equal(berth_hook_kind_name(BERTH_HOOK_CREATE_RUNTIME),
                      "createRuntime");
}

static void expect_error(const char *text, const char *field) {
  struct berth_hooks h;
  berth_error *err = NULL;
  assert_int_equal(parse(text, &h, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, field);
  berth_error_free(err);
  for (int k = 0; k < BERTH_HOOK_COUNT; k++)
    assert_null(h.list[k]);
}

static void test_parse_errors(void **state) {
  (void)state;
  expect_error("{\"prestart\":[{\"path\":\"/a\"},{\"path\":\"rel\"}]}",
               "hooks.prestart[1].path");
  expect_error("{\"poststart\":[{\"args\":[\"x\"]}]}", "hooks.poststart[0].path");
  expect_error("{\"createRuntime\":[{\"path\":\"/a\",\"timeout\":0}]}",
               "hooks.createRuntime[0].timeout");
  expect_error("{\"startContainer\":[{\"path\":\"/a\",\"env\":[\"NOEQ\"]}]}",
               "hooks.startContainer[0].env");
  expect_error("{\"poststop\":{}}", "hooks.poststop");
}

static struct berth_hooks one_hook(const char *script, int timeout) {
  static struct berth_hook hk;
  static char *args[4];
  args[0] = "/bin/sh";
  args[1] = "-c";
  args[2] = (char *)script;
  args[3] = NULL;
  static char *env[] = {"HOOKVAR=set", NULL};
  hk = (struct berth_hook){.path = "/bin/sh", .args = args, .env = env,
                           .timeout = timeout};
  struct berth_hooks h = {0};
  h.list[BERTH_HOOK_PRESTART] = &hk;
  h.n[BERTH_HOOK_PRESTART] = 1;
  return h;
}

static void test_run_passes_state_args_env(void **state) {
  (void)state;
  char script[256], out[128];
  snprintf(out, sizeof(out), "%s/out", dir);
  snprintf(script, sizeof(script), "{ cat; echo \" $HOOKVAR $0\"; } > %s",
           out);
  struct berth_hooks h = one_hook(script, 0);
  berth_error *err = NULL;
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_PRESTART,
                                   "{\"id\":\"x\"}", &err), 0);
  char *text = NULL;
  assert_int_equal(berth_read_file(AT_FDCWD, out, 4096, &text, NULL, &err), 0);
  assert_string_equal(text, "{\"id\":\"x\"} set /bin/sh\n");
  free(text);
}

static void test_failure_and_signal(void **state) {
  (void)state;
  struct berth_hooks h = one_hook("exit 3", 0);
  berth_error *err = NULL;
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_PRESTART, "{}", &err), -1);
  assert_non_null(strstr(err->msg, "prestart[0]"));
  assert_non_null(strstr(err->msg, "status 3"));
  berth_error_free(err);
  err = NULL;
  h = one_hook("kill -9 $$", 0);
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_PRESTART, "{}", &err), -1);
  assert_non_null(strstr(err->msg, "signal 9"));
  berth_error_free(err);
}

static void test_missing_program(void **state) {
  (void)state;
  struct berth_hook hk = {.path = "/nonexistent/hook"};
  struct berth_hooks h = {0};
  h.list[BERTH_HOOK_POSTSTOP] = &hk;
  h.n[BERTH_HOOK_POSTSTOP] = 1;
  berth_error *err = NULL;
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_POSTSTOP, "{}", &err), -1);
  assert_int_equal(err->errno_value, ENOENT);
  assert_non_null(strstr(err->msg, "/nonexistent/hook"));
  berth_error_free(err);
}

static void test_timeout_kills(void **state) {
  (void)state;
  struct berth_hooks h = one_hook("sleep 30", 1);
  berth_error *err = NULL;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_PRESTART, "{}", &err), -1);
  clock_gettime(CLOCK_MONOTONIC, &b);
  assert_int_equal(err->kind, BERTH_ERR_TIMEOUT);
  berth_error_free(err);
  assert_true(b.tv_sec - a.tv_sec < 5);
}

static void test_hook_ignoring_stdin(void **state) {
  (void)state;
  /* A hook that closes stdin at once must not kill us with SIGPIPE. */
  struct berth_hooks h = one_hook("exec 0<&-; exit 0", 0);
  berth_error *err = NULL;
  char big[4096];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(berth_hooks_run(&h, BERTH_HOOK_PRESTART, big, &err), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_run_passes_state_args_env),
      cmocka_unit_test(test_failure_and_signal),
      cmocka_unit_test(test_missing_program),
      cmocka_unit_test(test_timeout_kills),
      cmocka_unit_test(test_hook_ignoring_stdin),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
