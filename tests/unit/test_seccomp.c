/* seccomp: parsing errors name the field, and compiled programs are loaded
 * into real forked children whose syscalls then get the configured errno
 * or signal. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "json.h"
#include "seccomp_filter.h"
#include "valgrind_skip.h"

static int parse(const char *text, struct berth_seccomp **s, berth_error **err) {
  json_t *j = NULL;
  assert_int_equal(berth_json_parse("t", text, strlen(text), &j, NULL), 0);
  int rc = berth_seccomp_parse(j, "linux.seccomp", s, err);
  json_decref(j);
  return rc;
}

static void expect_error(const char *text, const char *field, const char *in) {
  struct berth_seccomp *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(text, &s, &err), -1);
  assert_null(s);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, field);
  if (strstr(err->msg, in) == NULL)
    fail_msg("`%s` not in `%s`", in, err->msg);
  berth_error_free(err);
}

static void test_parse_errors_name_field(void **state) {
  (void)state;
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
               "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"mkdir\","
               "\"no_such_call\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[1].names[1]", "no_such_call");
  expect_error("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
               "linux.seccomp.defaultAction", "SCMP_ACT_NOPE");
  expect_error("{}", "linux.seccomp.defaultAction", "required");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
               "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
               "linux.seccomp.architectures[1]", "SCMP_ARCH_VAX");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"BOGUS\"]}",
               "linux.seccomp.flags[0]", "BOGUS");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
               "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,"
               "\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].index", "");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
               "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
               "\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].op", "SCMP_CMP_ALMOST");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
               "[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":5}]}",
               "linux.seccomp.syscalls[0].errnoRet", "SCMP_ACT_KILL");
  expect_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
               "linux.seccomp.defaultAction", "not supported");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
               "\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names", "at least one");
}

/* Under valgrind filters can be compiled (leak checks) but not loaded,
 * and libseccomp then believes the kernel lacks newer actions. */
/* Compiles text, loads it in a child, runs probe() there; returns the
 * child's wait status. */
static int run_filtered(const char *text, int (*probe)(void)) {
  if (under_valgrind())
    skip();
  struct berth_seccomp *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(text, &s, &err), 0);
  struct berth_seccomp_prog prog;
  if (berth_seccomp_compile(s, NULL, &prog, &err) < 0)
    fail_msg("compile: %s", err->msg);
  assert_true(prog.len > 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (berth_seccomp_load(&prog, NULL) < 0)
      _exit(250);
    /* Raw syscalls from here on: sanitizer runtimes hook _exit and would
     * make syscalls a strict filter does not allow. */
    syscall(SYS_exit_group, probe());
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  berth_seccomp_prog_free(&prog);
  berth_seccomp_free(s);
  return st;
}

static int mkdir_errno(void) {
  return syscall(SYS_mkdir, "/proc/berth-nope", 0700) < 0 ? errno : 0;
}

static void test_errno_ret(void **state) {
  (void)state;
  int st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                        "[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":"
                        "\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
                        mkdir_errno);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), ENOSYS);
  /* Without errnoRet: EPERM. */
  st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                    "[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":"
                    "\"SCMP_ACT_ERRNO\"}]}",
                    mkdir_errno);
  assert_int_equal(WEXITSTATUS(st), EPERM);
}

static int personality_probe(void) {
  /* 0xffffffff only queries; 0x0008 (PER_LINUX32 bits) would change it. */
  long q = syscall(SYS_personality, 0xffffffffUL);
  int qe = q < 0 ? errno : 0;
  long c = syscall(SYS_personality, (unsigned long)PER_LINUX);
  int ce = c < 0 ? errno : 0;
  return (qe == EPERM ? 1 : 0) | (ce == 0 ? 2 : 0);
}

static void test_argument_condition(void **state) {
  (void)state;
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
      "\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]}]}",
      personality_probe);
  assert_int_equal(WEXITSTATUS(st), 3);
}

static void test_repeated_index_is_or(void **state) {
  (void)state;
  /* Two conditions on arg 0: each value is denied (runc's semantics). */
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
      "{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"},"
      "{\"index\":0,\"value\":12345,\"op\":\"SCMP_CMP_EQ\"}]}]}",
      personality_probe);
  assert_int_equal(WEXITSTATUS(st), 3);
}

static int getppid_then_mkdir(void) {
  if (syscall(SYS_getppid) <= 0)
    return 100;
  return mkdir_errno();
}

static void test_default_errno_allowlist(void **state) {
  (void)state;
  /* Deny by default with errno 1, allow what the probe and exit need. */
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,"
      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
      "\"syscalls\":[{\"names\":[\"getppid\",\"exit\",\"exit_group\"],"
      "\"action\":\"SCMP_ACT_ALLOW\"}]}",
      getppid_then_mkdir);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), EACCES);
}

static void test_kill_process(void **state) {
  (void)state;
  int st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                        "[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":"
                        "\"SCMP_ACT_KILL_PROCESS\"}]}",
                        mkdir_errno);
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void test_rule_equal_to_default_and_flags(void **state) {
  (void)state;
  struct berth_seccomp *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
                         "[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":[{\"names\":"
                         "[\"read\",\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                         &s, &err),
                   0);
  struct berth_seccomp_prog prog;
  assert_int_equal(berth_seccomp_compile(s, NULL, &prog, &err), 0);
  assert_int_equal(prog.flags, 2); /* SECCOMP_FILTER_FLAG_LOG */
  berth_seccomp_prog_free(&prog);
  berth_seccomp_free(s);
  assert_int_equal(berth_seccomp_parse(json_null(), "x", &s, &err), 0);
  assert_null(s);
}

static void test_features(void **state) {
  (void)state;
  json_t *f = berth_seccomp_features();
  assert_true(json_is_true(json_object_get(f, "enabled")));
  assert_true(json_array_size(json_object_get(f, "actions")) >= 7);
  if (!under_valgrind())
    assert_true(json_array_size(json_object_get(f, "supportedFlags")) >= 1);
  json_decref(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_errors_name_field),
      cmocka_unit_test(test_errno_ret),
      cmocka_unit_test(test_argument_condition),
      cmocka_unit_test(test_repeated_index_is_or),
      cmocka_unit_test(test_default_errno_allowlist),
      cmocka_unit_test(test_kill_process),
      cmocka_unit_test(test_rule_equal_to_default_and_flags),
      cmocka_unit_test(test_features),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
