/* Options of attached clients (engine/attach_opts.c): Docker's
 * --detach-keys, run -a streams, the signals forwarded. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "attach.h"

static void keys_ok(const char *spec, const char *want) {
  char out[BERTH_DETACH_KEYS_LEN];
  berth_error *err = NULL;
  assert_int_equal(berth_detach_keys_parse(spec, out, &err), 0);
  assert_string_equal(out, want);
}

static void keys_bad(const char *spec) {
  char out[BERTH_DETACH_KEYS_LEN];
  berth_error *err = NULL;
  assert_true(berth_detach_keys_parse(spec, out, &err) < 0);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "--detach-keys"));
  assert_non_null(strstr(err->msg, spec));
  berth_error_free(err);
}

static void test_detach_keys(void **state) {
  (void)state;
  keys_ok(NULL, "16,17");
  keys_ok("", "16,17");
  keys_ok("ctrl-p,ctrl-q", "16,17");
  keys_ok("ctrl-x,y", "24,121");
  keys_ok("ctrl-a,ctrl-z", "1,26");
  keys_ok("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "0,27,28,29,30,31");
  keys_ok("DEL,Q", "127,81");
  keys_bad("ctrl-1");
  keys_bad("ctrlp");
  keys_bad("ctrl-P");
  keys_bad("a,,b");
  keys_bad("a,");
  keys_bad("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
}

static void test_streams(void **state) {
  (void)state;
  struct berth_streams s;
  berth_error *err = NULL;
  assert_int_equal(berth_attach_streams(NULL, 0, true, false, &s, &err), 0);
  assert_true(s.in && s.out && s.err);
  assert_int_equal(berth_attach_streams(NULL, 0, false, false, &s, &err), 0);
  assert_true(!s.in && s.out && s.err);
  const char *out_only[] = {"stdout"};
  assert_int_equal(berth_attach_streams(out_only, 1, true, false, &s, &err), 0);
  assert_true(!s.in && s.out && !s.err);
  const char *in_err[] = {"STDIN", "StdErr"};
  assert_int_equal(berth_attach_streams(in_err, 2, true, false, &s, &err), 0);
  assert_true(s.in && !s.out && s.err);
  const char *bad[] = {"stdout", "stdio"};
  assert_true(berth_attach_streams(bad, 2, true, false, &s, &err) < 0);
  assert_non_null(strstr(err->msg, "`stdio`"));
  berth_error_free(err);
  err = NULL;
  /* -a with -d: Docker refuses the combination. */
  assert_true(berth_attach_streams(out_only, 1, false, true, &s, &err) < 0);
  assert_non_null(strstr(err->msg, "--detach"));
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_attach_streams(NULL, 0, false, true, &s, &err), 0);
}

static void test_sig_proxy_set(void **state) {
  (void)state;
  sigset_t set;
  berth_sig_proxy_set(&set);
  int yes[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT};
  int no[] = {SIGCHLD, SIGPIPE, SIGWINCH, SIGKILL, SIGSTOP, SIGSEGV};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    assert_true(sigismember(&set, yes[i]));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    assert_false(sigismember(&set, no[i]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_detach_keys),
      cmocka_unit_test(test_streams),
      cmocka_unit_test(test_sig_proxy_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
