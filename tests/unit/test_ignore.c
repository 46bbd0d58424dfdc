/* .dockerignore: Docker's reading of the file and its matching rules.
 * Every expectation in the tables below was checked against Docker's own
 * algorithm (moby/patternmatcher run with Go's regexp and filepath). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
// cmocka needs the headers above first.
#include <cmocka.h>

#include "context.h"
#include "context_internal.h"
#include "path_match.h"

struct ignore_case {
  const char *file; /* .dockerignore text */
  const char *path;
  bool ignored;
};

static const struct ignore_case cases[] = {
    /* The reference's example: the last matching line decides. */
    {"*.md\n!README*.md\nREADME-secret.md\n", "README.md", false},
    {"*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", true},
    {"*.md\n!README*.md\nREADME-secret.md\n", "CHANGES.md", true},
    {"*.md\nREADME-secret.md\n!README*.md\n", "README-secret.md", false},
    {"*.md\n", "docs/x.md", false}, /* `*` stays in one element */
    /* `*` and `?` never cross '/'. */
    {"*/temp*\n", "somedir/temporary.txt", true},
    {"*/temp*\n", "somedir/sub/temp", false},
    {"*/temp*\n", "temp", false},
    {"*/*/temp*\n", "a/b/temporary.txt", true},
    {"temp?\n", "tempa", true},
    {"temp?\n", "temp", false},
    {"temp?\n", "tempab", false},
    /* `**`: any number of elements, none included. */
    {"**/*.go\n", "main.go", true},
    {"**/*.go\n", "cmd/x/main.go", true},
    {"**/*.go\n", "main.goo", false},
    {"a/**/b\n", "a/b", true},
    {"a/**/b\n", "a/x/y/b", true},
    {"a/**/b\n", "ab", false},
    {"**\n", "anything/at/all", true},
    {"vendor/**\n", "vendor/x/y", true},
    {"vendor/**\n", "vendorx", false},
    {"vendor**\n", "vendorx/y", true}, /* a prefix, as Docker compares */
    {"**/foo\n", "foo", true},
    {"**/foo\n", "a/b/foo", true},
    {"**/foo\n", "a/xfoo", false},
    {"**foo\n", "xfoo", true}, /* Docker's suffix shortcut */
    /* An excluded directory takes its contents; `!` brings one back. */
    {"node_modules\n", "node_modules/x/y.js", true},
    {"dir\n!dir/keep\n", "dir/keep", false},
    {"dir\n!dir/keep\n", "dir/keep/deeper", false},
    {"dir\n!dir/keep\n", "dir/other", true},
    {"dir\n!dir/keep\n", "dir", true},
    {"!dir/keep\ndir\n", "dir/keep", true}, /* last match wins */
    {"*\n!src\n", "src/a.c", false},
    {"*\n!src\n", "Makefile", true},
    /* Reading: comments, blank lines, white space, '/', cleaning. */
    {"# *.md\n", "x.md", false},
    {" # x\n", "# x", true}, /* '#' only in column 1 starts a comment */
    {"\n\n  secret.txt  \n", "secret.txt", true},
    {"/secret\n", "secret", true},
    {"./a/../b//c/\n", "b/c", true},
    {"\xEF\xBB\xBF"
     "bom\n",
     "bom", true},
    {"crlf\r\nnext\r\n", "crlf", true},
    {"crlf\r\nnext\r\n", "next", true},
    {"  !  keep\n*\n", "keep", true},
    {"*\n  !  keep\n", "keep", false},
    /* Classes and escapes. */
    {"file[0-9]\n", "file7", true},
    {"file[0-9]\n", "filex", false},
    {"file[^0-9]\n", "filex", true},
    {"a\\*b\n", "a*b", true},
    {"a\\*b\n", "axb", false},
    {"a.b\n", "axb", false},
    {"a+(b)\n", "a+(b)", true},
    {"x\\d\n", "x7", true}, /* Go's regexp reads "\d" as a digit */
    {"[*]\n", "]", true},   /* "[*]" becomes "[[^/]*]" */
    {"[*]\n", "*", false},
    {"a^b\n", "a^b", true},    /* no wildcard: compared as a string */
    {"a^b*\n", "a^bc", false}, /* in an expression '^' anchors */
    /* The context itself is never excluded. */
    {"*\n", ".", false},
    {"**\n", ".", false},
};

static void test_ignore_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct berth_ignore *ig = NULL;
    berth_error *err = NULL;
    const struct ignore_case *c = &cases[i];
    assert_int_equal(berth_ignore_parse(c->file, strlen(c->file), &ig, &err),
                     0);
    if (berth_ignore_match(ig, c->path) != c->ignored)
      fail_msg("case %zu: `%s` against %s: expected %s", i, c->path, c->file,
               c->ignored ? "ignored" : "included");
    berth_ignore_free(ig);
  }
}

static void expect_error(const char *file, const char *words) {
  struct berth_ignore *ig = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_ignore_parse(file, strlen(file), &ig, &err), -1);
  assert_null(ig);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  if (!strstr(err->msg, words))
    fail_msg("`%s`: error `%s` lacks `%s`", file, err->msg, words);
  berth_error_free(err);
}

static void test_ignore_errors(void **state) {
  (void)state;
  expect_error("ok\n!\n", "line 2: illegal exclusion pattern");
  expect_error("[\n", "line 1: syntax error in pattern `[`");
  expect_error("a[]\n", "syntax error");
  /* Malformed after a part that cannot match "." (Go >= 1.20 checks
   * the whole pattern). */
  expect_error("x*\\\n", "syntax error");
  expect_error("\\pL\n", "Unicode classes");
  char *long_line = malloc(70000);
  memset(long_line, 'a', 69999);
  long_line[69999] = '\0';
  expect_error(long_line, "longer than");
  free(long_line);
}

/* A walk steps through a path's elements with the parent's hits; that
 * must agree with matching the whole path. */
static void test_ignore_step_agrees(void **state) {
  (void)state;
  const char *file = "a\n!a/b\n**/c\na/b/**/d\n!**/e*\n";
  const char *paths[] = {"a", "a/b", "a/b/c", "a/b/x/d", "a/e1", "z/c/e"};
  struct berth_ignore *ig = NULL;
  assert_int_equal(berth_ignore_parse(file, strlen(file), &ig, NULL), 0);
  size_t n = berth_ignore_count(ig);
  assert_int_equal(n, 5);
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    bool *hits = calloc(n, sizeof *hits), *step = calloc(n, sizeof *step);
    const char *p = paths[i];
    bool walked = false;
    for (size_t end = 0;; end++) {
      if (p[end] == '/' || p[end] == '\0') {
        walked = berth_ignore_step(ig, step, p, end, hits);
        memcpy(step, hits, n * sizeof *hits);
      }
      if (!p[end])
        break;
    }
    assert_int_equal(walked, berth_ignore_match(ig, p));
    free(hits);
    free(step);
  }
  /* "a" is excluded but `!a/b` can bring back something under it. */
  assert_true(berth_ignore_may_reinclude_below(ig, "a"));
  berth_ignore_free(ig);
  assert_int_equal(berth_ignore_parse("a\n!a/b\n", 7, &ig, NULL), 0);
  assert_true(berth_ignore_may_reinclude_below(ig, "a"));
  assert_false(berth_ignore_may_reinclude_below(ig, "x"));
  berth_ignore_free(ig);
}

/* Go's filepath.Match, which COPY globs use element by element. */
static void test_go_match(void **state) {
  (void)state;
  assert_int_equal(berth_go_match("*.c", "a.c"), 1);
  assert_int_equal(berth_go_match("*.c", "a.h"), 0);
  assert_int_equal(berth_go_match("a?c", "abc"), 1);
  assert_int_equal(berth_go_match("[a-c]x", "bx"), 1);
  assert_int_equal(berth_go_match("[^a-c]x", "bx"), 0);
  assert_int_equal(berth_go_match("\\*", "*"), 1);
  assert_int_equal(berth_go_match("\\*", "x"), 0);
  assert_int_equal(berth_go_match("*", "a/b"), 0);
  assert_int_equal(berth_go_match("[", "x"), -1);
  assert_int_equal(berth_go_match("x[", "y"), -1);
  assert_int_equal(berth_go_match("é?", "éà"), 1);
  char *c = berth_go_clean("a//b/../c/.", 11);
  assert_string_equal(c, "a/c");
  free(c);
  c = berth_go_clean("../../x", 7);
  assert_string_equal(c, "../../x");
  free(c);
  c = berth_go_clean("/../x", 5);
  assert_string_equal(c, "/x");
  free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ignore_table),
      cmocka_unit_test(test_ignore_errors),
      cmocka_unit_test(test_ignore_step_agrees),
      cmocka_unit_test(test_go_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
