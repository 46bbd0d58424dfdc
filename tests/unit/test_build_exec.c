/* The executor's pure helpers: Go's formatting of history lines, the raw
 * variable substitution of heredocs and RUN progress text, variable
 * lists with Docker's addEnv, stage lookup by name or index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build_history.h"
#include "build_internal.h"

typedef void (*fmt_fn)(FILE *f, int64_t v);

static char *fmt(fmt_fn fn, int64_t v) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  fn(f, v);
  fclose(f);
  return s;
}

static void check(fmt_fn fn, int64_t v, const char *want) {
  char *got = fmt(fn, v);
  assert_string_equal(got, want);
  free(got);
}

static void test_go_duration(void **state) {
  (void)state;
  check(go_duration, 0, "0s");
  check(go_duration, 5000000000LL, "5s");
  check(go_duration, 1500000000LL, "1.5s");
  check(go_duration, 90000000000LL, "1m30s");
  check(go_duration, 3600000000000LL, "1h0m0s");
  check(go_duration, 500000000LL, "500ms");
  check(go_duration, 1000000LL, "1ms");
  check(go_duration, 1500LL, "1.5µs");
}

static void test_go_quote_rune(void **state) {
  (void)state;
  check(go_quote_rune, 0, "'\\x00'");
  check(go_quote_rune, 3, "'\\x03'");
  check(go_quote_rune, 10, "'\\n'");
  check(go_quote_rune, 65, "'A'");
  check(go_quote_rune, '\'', "'\\''");
}

static void test_go_lists(void **state) {
  (void)state;
  char *v[] = {"/bin/sh", "-c", "echo \"hi\"\tthere"};
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  go_quote_list(f, v, 3);
  fputc('|', f);
  go_plain_list(f, v, 2);
  fclose(f);
  assert_string_equal(s, "[\"/bin/sh\" \"-c\" \"echo \\\"hi\\\"\\tthere\"]|"
                         "[/bin/sh -c]");
  free(s);
}

static void test_expand_raw(void **state) {
  (void)state;
  struct slist vars = {0};
  assert_int_equal(slist_add(&vars, "A=1", NULL), 0);
  assert_int_equal(slist_add(&vars, "B=", NULL), 0);
  assert_int_equal(slist_setenv(&vars, "A", "two", NULL), 0);
  assert_int_equal(vars.n, 2);
  const char *in = "'$A' \"${A}\" ${B:-empty} ${B-set} ${A:+alt} \\$A "
                   "$NOPE ${NOPE}x $(date)";
  char *heredoc = build_expand_raw(in, &vars, '\\', false);
  assert_string_equal(heredoc,
                      "'two' \"two\" empty  alt $A  x $(date)");
  char *shown = build_expand_raw(in, &vars, '\\', true);
  assert_string_equal(shown, "'two' \"two\" empty  alt \\$A $NOPE "
                             "${NOPE}x $(date)");
  free(heredoc);
  free(shown);
  slist_free(&vars);
}

static void test_stage_lookup(void **state) {
  (void)state;
  struct build_stage st[3] = {{.name = "builder"}, {.name = NULL},
                              {.name = "builder"}};
  struct build b = {.stages = st, .n_stages = 3};
  assert_int_equal(build_stage_lookup(&b, "builder", 3), 2);
  assert_int_equal(build_stage_lookup(&b, "BUILDER", 2), 0);
  assert_int_equal(build_stage_lookup(&b, "1", 3), 1);
  /* An index or name must be of an earlier stage. */
  assert_int_equal(build_stage_lookup(&b, "2", 2), -1);
  assert_int_equal(build_stage_lookup(&b, "builder", 0), -1);
  assert_int_equal(build_stage_lookup(&b, "busybox", 3), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_go_duration),
      cmocka_unit_test(test_go_quote_rune),
      cmocka_unit_test(test_go_lists),
      cmocka_unit_test(test_expand_raw),
      cmocka_unit_test(test_stage_lookup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
