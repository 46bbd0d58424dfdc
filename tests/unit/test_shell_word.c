/* Instruction words (src/build/shell_word.c) against Docker's shell
 * lexer: quotes, the escape character, $VAR and ${VAR<mod>word}, word
 * splitting, and the bounds an untrusted Dockerfile meets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shell_word.h"

static char *const vars[] = {
    "A=1",    "EMPTY=", "SP=a  b", "P=80 443",
    "Q=it's", "X=old",  "X=new", /* the later one wins */
    "BARE",                      /* no '=': set, empty */
};
static const struct berth_word_env env = {vars, sizeof(vars) / sizeof(vars[0])};

static void word(const char *raw, const char *want) {
  char *out = NULL;
  berth_error *err = NULL;
  if (berth_word_expand(raw, '\\', &env, &out, &err) < 0)
    fail_msg("`%s`: %s", raw, err ? err->msg : "?");
  assert_string_equal(out, want);
  free(out);
}

static void word_esc(const char *raw, char esc, const char *want) {
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_word_expand(raw, esc, &env, &out, &err), 0);
  assert_string_equal(out, want);
  free(out);
}

/* The error's message must be exactly `msg`. */
static void word_bad(const char *raw, const char *msg) {
  char *out = NULL;
  berth_error *err = NULL;
  if (berth_word_expand(raw, '\\', &env, &out, &err) == 0)
    fail_msg("`%s` expanded to `%s`", raw, out);
  assert_null(out);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_string_equal(err->msg, msg);
  berth_error_free(err);
}

/* Expands into words; want: the words, NULL-terminated. */
static void words(const char *raw, ...) {
  char **out = NULL;
  size_t n = 99;
  berth_error *err = NULL;
  if (berth_words_expand(raw, '\\', &env, &out, &n, &err) < 0)
    fail_msg("`%s`: %s", raw, err ? err->msg : "?");
  va_list ap;
  va_start(ap, raw);
  size_t i = 0;
  for (const char *w; (w = va_arg(ap, const char *)); i++) {
    assert_true(i < n);
    assert_string_equal(out[i], w);
  }
  va_end(ap);
  assert_int_equal(n, i);
  assert_null(out[n]);
  for (i = 0; i < n; i++)
    free(out[i]);
  free(out);
}

static void test_plain(void **state) {
  (void)state;
  word("", "");
  word("abc", "abc");
  word("a b\tc", "a b\tc"); /* one word: blanks kept */
}

static void test_single_quotes(void **state) {
  (void)state;
  word("'a $A \\n \"x\"'", "a $A \\n \"x\"");
  word("x'y'z", "xyz");
  word("''", "");
}

static void test_double_quotes(void **state) {
  (void)state;
  word("\"a $A ${A}\"", "a 1 1");
  /* the escape character escapes only ", $ and itself inside "..." */
  word("\"q\\\"u\\$A\\\\b\\n'\"", "q\"u$A\\b\\n'");
  word("\"$Q\"", "it's");
}

static void test_escape(void **state) {
  (void)state;
  word("a\\ b\\$A\\'c", "a b$A'c");
  word("end\\", "end"); /* an escape at the end is dropped */
  word("\\\\", "\\");
}

static void test_escape_backtick(void **state) {
  (void)state;
  /* # escape=` : the backslash is an ordinary character */
  word_esc("C:\\dir\\$A", '`', "C:\\dir\\1");
  word_esc("a`$A`\"", '`', "a$A\"");
  word_esc("\"x`\"y\\\"", '`', "x\"y\\");
}

static void test_variables(void **state) {
  (void)state;
  word("$A", "1");
  word("${A}", "1");
  word("$A-x", "1-x");
  word("${A}x$A", "1x1");
  word("$UNSET|${UNSET}", "|");
  word("$X", "new");
  word("[$BARE]", "[]");
  word("$1$@$#$?$$$!$0$*$-", ""); /* positional and special: unset */
  word("${#}", "");
}

static void test_dollar_literal(void **state) {
  (void)state;
  /* Docker: a '$' that starts no name is itself */
  word("$", "$");
  word("a$", "a$");
  word("$(date)", "$(date)");
  word("$ x", "$ x");
  word("\"$\"", "$");
}

static void test_modifiers(void **state) {
  (void)state;
  word("${UNSET:-dflt}", "dflt");
  word("${EMPTY:-dflt}", "dflt");
  word("${A:-dflt}", "1");
  word("${UNSET-dflt}", "dflt");
  word("${EMPTY-dflt}", "");
  word("${BARE-dflt}", "");
  word("${A:+alt}", "alt");
  word("${EMPTY:+alt}", "");
  word("${EMPTY+alt}", "alt");
  word("${UNSET+alt}", "");
  word("${A:?must}", "1");
  word("${EMPTY?must}", "");
}

static void test_nested_words(void **state) {
  (void)state;
  word("${UNSET:-${A}}", "1");
  word("${UNSET:-${UNSET2:-deep $A}}", "deep 1");
  word("${UNSET:-\"x  y\"}", "x  y");
  word("${UNSET:-'$A'}", "$A");
  word("${UNSET:-a\\}b}", "a}b");
  word("${A:+[$SP]}", "[a  b]");
}

static void test_errors(void **state) {
  (void)state;
  word_bad("${UNSET:?needs a value}",
           "failed to process \"${UNSET:?needs a value}\": UNSET: needs a "
           "value");
  word_bad("${UNSET?}", "failed to process \"${UNSET?}\": UNSET: is not "
                        "allowed to be unset");
  word_bad("${EMPTY:?}", "failed to process \"${EMPTY:?}\": EMPTY: is not "
                         "allowed to be empty");
  word_bad("${A", "failed to process \"${A\": syntax error: missing '}'");
  word_bad("${", "failed to process \"${\": syntax error: missing '}'");
  word_bad("${A:-x", "failed to process \"${A:-x\": syntax error: missing "
                     "'}'");
  word_bad("${}", "failed to process \"${}\": syntax error: bad "
                  "substitution");
  word_bad("${:-x}", "failed to process \"${:-x}\": syntax error: bad "
                     "substitution");
  word_bad("${A#x}", "failed to process \"${A#x}\": unsupported modifier "
                     "(#) in substitution");
  word_bad("${A:x}", "failed to process \"${A:x}\": unsupported modifier "
                     "(:x) in substitution");
  word_bad("${A/x/y}", "failed to process \"${A/x/y}\": unsupported "
                       "modifier (/) in substitution");
  word_bad("'abc", "failed to process \"'abc\": unexpected end of "
                   "statement while looking for matching single-quote");
  word_bad("\"abc\\", "failed to process \"\"abc\\\": unexpected end of "
                      "statement while looking for matching double-quote");
}

static void test_error_text_is_safe(void **state) {
  (void)state;
  /* raw text and messages reach a terminal: no control characters */
  word_bad("${U:?\x1b[31mred}",
           "failed to process \"${U:??[31mred}\": U: ?[31mred");
}

static void test_env_lookup(void **state) {
  (void)state;
  assert_string_equal(berth_word_env_get(&env, "X"), "new");
  assert_string_equal(berth_word_env_get(&env, "BARE"), "");
  assert_null(berth_word_env_get(&env, "UNSET"));
  assert_null(berth_word_env_get(&env, "A="));
  assert_null(berth_word_env_get(NULL, "A"));
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_word_expand("[$A]", '\\', NULL, &out, &err), 0);
  assert_string_equal(out, "[]");
  free(out);
}

static void test_words_split(void **state) {
  (void)state;
  words("a b  c", "a", "b", "c", NULL);
  words("  lead trail  ", "lead", "trail", NULL);
  words("'a b' c", "a b", "c", NULL);
  words("a\\ b c", "a b", "c", NULL);
  words("x\"y z\"w", "xy zw", NULL);
  words("", NULL);
  words("   ", NULL);
  words("\"\"", NULL); /* Docker's ProcessWords drops empty words */
  words("x${EMPTY}y", "xy", NULL);
}

static void test_words_split_values(void **state) {
  (void)state;
  /* as Docker (EXPOSE $PORTS): an unquoted value splits, a quoted one
   * does not */
  words("$P", "80", "443", NULL);
  words("\"$P\"", "80 443", NULL);
  words("8080 $P/tcp", "8080", "80", "443/tcp", NULL);
  words("${UNSET:-1 2}", "1", "2", NULL);
}

static void heredoc(const char *body, char esc, const char *want) {
  char *out = NULL;
  berth_error *err = NULL;
  if (berth_heredoc_expand(body, esc, &env, &out, &err) < 0)
    fail_msg("`%s`: %s", body, err ? err->msg : "?");
  assert_string_equal(out, want);
  free(out);
}

static void test_heredoc_bodies(void **state) {
  (void)state;
  /* Docker (BuildKit #2442): quotes stay, variables expand, the escape
   * character still escapes */
  heredoc("echo \"hi $A\" 'x $A'\nit's\n", '\\', "echo \"hi 1\" 'x 1'\nit's\n");
  heredoc("cost \\$5 a\\\\b c\\d\n", '\\', "cost $5 a\\b cd\n");
  heredoc("${UNSET:-\"d e\"} ${A:+'$A'}\n", '\\', "\"d e\" '1'\n");
  heredoc("C:\\x `$A `\"\n", '`', "C:\\x $A \"\n");
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_heredoc_expand("x ${A:-y\n", '\\', &env, &out, &err),
                   -1);
  assert_string_equal(err->msg, "failed to process \"x ${A:-y?\": syntax "
                                "error: missing '}'");
  berth_error_free(err);
}

static void test_depth_bounded(void **state) {
  (void)state;
  char raw[2048], *p = raw;
  for (int i = 0; i < 70; i++)
    p += sprintf(p, "${U:-");
  p += sprintf(p, "x");
  for (int i = 0; i < 70; i++)
    *p++ = '}';
  *p = '\0';
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_word_expand(raw, '\\', &env, &out, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "substitutions nested more than 64 deep"));
  berth_error_free(err);
  err = NULL;
  /* 60 levels are fine */
  p = raw;
  for (int i = 0; i < 60; i++)
    p += sprintf(p, "${U:-");
  p += sprintf(p, "x");
  for (int i = 0; i < 60; i++)
    *p++ = '}';
  *p = '\0';
  assert_int_equal(berth_word_expand(raw, '\\', &env, &out, &err), 0);
  assert_string_equal(out, "x");
  free(out);
}

static void test_size_bounded(void **state) {
  (void)state;
  size_t half = BERTH_WORD_MAX / 2 + 1;
  char *big = malloc(half + 3);
  memcpy(big, "B=", 2);
  memset(big + 2, 'z', half);
  big[half + 2] = '\0';
  char *const v[] = {big};
  struct berth_word_env e = {v, 1};
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_word_expand("$B", '\\', &e, &out, &err), 0);
  assert_int_equal(strlen(out), half);
  free(out);
  out = NULL;
  assert_int_equal(berth_word_expand("$B$B", '\\', &e, &out, &err), -1);
  assert_null(out);
  assert_string_equal(err->msg, "failed to process \"$B$B\": longer than "
                                "1048576 bytes after expansion");
  berth_error_free(err);
  free(big);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain),
      cmocka_unit_test(test_single_quotes),
      cmocka_unit_test(test_double_quotes),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_escape_backtick),
      cmocka_unit_test(test_variables),
      cmocka_unit_test(test_dollar_literal),
      cmocka_unit_test(test_modifiers),
      cmocka_unit_test(test_nested_words),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_error_text_is_safe),
      cmocka_unit_test(test_env_lookup),
      cmocka_unit_test(test_words_split),
      cmocka_unit_test(test_words_split_values),
      cmocka_unit_test(test_heredoc_bodies),
      cmocka_unit_test(test_depth_bounded),
      cmocka_unit_test(test_size_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
