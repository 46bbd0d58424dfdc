/* The Dockerfile parser (src/build/dockerfile*.c) against Docker's rules:
 * lines, directives, continuations, comments, the instructions' forms,
 * flags, heredocs, and the errors (kind INVALID, "NAME:LINE: message"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dockerfile.h"

static struct berth_dockerfile df;

/* Parses text, which must succeed. */
static void ok(const char *text) {
  berth_error *err = NULL;
  int rc = berth_dockerfile_parse(text, strlen(text), "Dockerfile", &df, &err);
  if (rc < 0)
    fail_msg("parse failed: %s", err ? err->msg : "?");
  assert_int_equal(rc, 0);
}

/* Parses text, which must fail with exactly this message. */
static void bad(const char *text, const char *msg) {
  berth_error *err = NULL;
  struct berth_dockerfile d;
  int rc = berth_dockerfile_parse(text, strlen(text), "Dockerfile", &d, &err);
  if (rc == 0)
    fail_msg("parsed, expected: %s", msg);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_string_equal(err->msg, msg);
  assert_null(d.instrs); /* nothing left half-built */
  berth_error_free(err);
}

static int teardown(void **state) {
  (void)state;
  berth_dockerfile_free(&df);
  return 0;
}

static const struct berth_df_instr *in(size_t i) {
  assert_true(i < df.n);
  return &df.instrs[i];
}

/* Instruction i has cmd, line and exactly these args. */
static void expect(size_t i, enum berth_df_cmd cmd, int line, size_t n, ...) {
  const struct berth_df_instr *x = in(i);
  assert_int_equal(x->cmd, cmd);
  assert_int_equal(x->line, line);
  assert_int_equal(x->n_args, n);
  va_list ap;
  va_start(ap, n);
  for (size_t k = 0; k < n; k++)
    assert_string_equal(x->args[k], va_arg(ap, const char *));
  va_end(ap);
  if (n > 0)
    assert_null(x->args[n]);
}

/* ---- lines, comments, continuations ------------------------------------ */

static void test_basic(void **state) {
  (void)state;
  ok("FROM alpine:3.19\nRUN echo hi\n");
  assert_int_equal(df.n, 2);
  assert_int_equal(df.escape, '\\');
  expect(0, BERTH_DF_FROM, 1, 1, "alpine:3.19");
  expect(1, BERTH_DF_RUN, 2, 1, "echo hi");
  assert_false(in(1)->json);
  assert_string_equal(in(1)->original, "RUN echo hi");
}

static void test_keywords_any_case(void **state) {
  (void)state;
  ok("from alpine\nrUn true\nWorkDir /x\n");
  expect(0, BERTH_DF_FROM, 1, 1, "alpine");
  expect(1, BERTH_DF_RUN, 2, 1, "true");
  expect(2, BERTH_DF_WORKDIR, 3, 1, "/x");
}

static void test_unknown_instruction(void **state) {
  (void)state;
  bad("FROM a\n\nRUNN echo\n", "Dockerfile:3: unknown instruction: RUNN");
  /* Control characters never reach the terminal that prints this. */
  bad("FROM a\nRU\x1b[2JN x\n", "Dockerfile:2: unknown instruction: RU?[2JN");
}

static void test_comments_and_blanks(void **state) {
  (void)state;
  ok("# top\n\n  # indented comment\nFROM a\n\t\nRUN echo # not a comment\n");
  assert_int_equal(df.n, 2);
  expect(0, BERTH_DF_FROM, 4, 1, "a");
  expect(1, BERTH_DF_RUN, 6, 1, "echo # not a comment");
}

static void test_continuation(void **state) {
  (void)state;
  ok("FROM a\nRUN echo a \\\n  b \\\n\tc\nUSER x\n");
  /* the escape and newline go, the lines' own blanks stay */
  expect(1, BERTH_DF_RUN, 2, 1, "echo a   b \tc");
  assert_string_equal(in(1)->original, "RUN echo a   b \tc");
  expect(2, BERTH_DF_USER, 5, 1, "x");
}

static void test_continuation_trailing_blanks(void **state) {
  (void)state;
  /* Docker: the escape followed only by blanks still continues. */
  ok("FROM a\nRUN one \\  \t\ntwo\n");
  expect(1, BERTH_DF_RUN, 2, 1, "one two");
}

static void test_continuation_comments_and_empty_lines(void **state) {
  (void)state;
  ok("FROM a\nRUN apt-get install \\\n# a comment\n    # indented\n\n"
     "   \n  curl \\\n  git\nCMD x\n");
  expect(1, BERTH_DF_RUN, 2, 1, "apt-get install   curl   git");
  expect(2, BERTH_DF_CMD, 9, 1, "x");
}

static void test_continuation_at_end_of_file(void **state) {
  (void)state;
  ok("FROM a\nRUN tail \\");
  expect(1, BERTH_DF_RUN, 2, 1, "tail");
  teardown(NULL);
  ok("FROM a\nRUN x \\\n");
  expect(1, BERTH_DF_RUN, 2, 1, "x");
}

static void test_continuation_lone_escape(void **state) {
  (void)state;
  /* A line holding only the escape starts the instruction below it. */
  ok("FROM a\n\\\nRUN x\n");
  expect(1, BERTH_DF_RUN, 2, 1, "x");
}

static void test_crlf_and_bom(void **state) {
  (void)state;
  ok("\xef\xbb\xbf"
     "FROM a\r\nRUN a \\\r\n b\r\nCMD [\"x\"]\r\n");
  expect(0, BERTH_DF_FROM, 1, 1, "a");
  expect(1, BERTH_DF_RUN, 2, 1, "a  b");
  expect(2, BERTH_DF_CMD, 4, 1, "x");
  assert_true(in(2)->json);
}

static void test_original_trimmed(void **state) {
  (void)state;
  ok("FROM a\n   RUN  echo   hi  \t\n");
  assert_string_equal(in(1)->original, "RUN  echo   hi");
  expect(1, BERTH_DF_RUN, 2, 1, "echo   hi");
}

static void test_many_instructions(void **state) {
  (void)state;
  size_t n = 3000, len = 0;
  char *text = malloc(n * 16 + 16);
  len += (size_t)sprintf(text, "FROM a\n");
  for (size_t i = 1; i < n; i++)
    len += (size_t)sprintf(text + len, "RUN echo %zu\n", i);
  ok(text);
  free(text);
  assert_int_equal(df.n, n);
  expect(n - 1, BERTH_DF_RUN, (int)n, 1, "echo 2999");
}

/* ---- parser directives ------------------------------------------------- */

static void test_escape_directive(void **state) {
  (void)state;
  ok("# escape=`\nFROM a\nRUN dir c:\\\nRUN one `\n  two\n");
  assert_int_equal(df.escape, '`');
  /* with ` the backslash at the end is not a continuation */
  expect(1, BERTH_DF_RUN, 3, 1, "dir c:\\");
  expect(2, BERTH_DF_RUN, 4, 1, "one   two");
}

static void test_directive_spelling(void **state) {
  (void)state;
  ok("#ESCAPE = `  \n#  Syntax=docker/dockerfile:1\nFROM a\nRUN x `\ny\n");
  assert_int_equal(df.escape, '`');
  expect(1, BERTH_DF_RUN, 4, 1, "x y");
}

static void test_directive_check(void **state) {
  (void)state;
  /* BuildKit's `# check=` is a directive too: the escape after it counts */
  ok("# check=skip=all\n# escape=`\nFROM a\n");
  assert_int_equal(df.escape, '`');
}

static void test_directive_repeated(void **state) {
  (void)state;
  bad("# escape=`\n# escape=\\\nFROM a\n",
      "Dockerfile:2: only one escape parser directive can be used");
  bad("# syntax=a\n# Syntax=b\nFROM a\n",
      "Dockerfile:2: only one syntax parser directive can be used");
}

static void test_directive_bad_escape(void **state) {
  (void)state;
  bad("# escape=x\nFROM a\n",
      "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

static void test_directive_only_at_top(void **state) {
  (void)state;
  /* After a comment, a blank line or an instruction a directive is a
   * plain comment: the escape stays the backslash, no error for the
   * repeat. */
  const char *texts[] = {
      "# a comment\n# escape=`\nFROM a\nRUN x \\\ny\n",
      "\n# escape=`\nFROM a\nRUN x \\\ny\n",
      "FROM a\n# escape=`\nRUN x \\\ny\n",
      "# unknown=1\n# escape=`\nFROM a\nRUN x \\\ny\n",
      "# escape=\\\nFROM a\n# escape=`\nRUN x \\\ny\n",
  };
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    ok(texts[i]);
    assert_int_equal(df.escape, '\\');
    assert_string_equal(df.instrs[df.n - 1].args[0], "x y");
    teardown(NULL);
  }
}

/* ---- JSON and shell forms ---------------------------------------------- */

static void test_exec_form(void **state) {
  (void)state;
  ok("FROM a\nCMD [\"a\", \"b c\", \"q\\\"\\u00e9\"]\n"
     "ENTRYPOINT [ ]\nRUN [\"sh\",\"-c\",\"x\"]  \n");
  expect(1, BERTH_DF_CMD, 2, 3, "a", "b c", "q\"\xc3\xa9");
  assert_true(in(1)->json);
  expect(2, BERTH_DF_ENTRYPOINT, 3, 0);
  assert_true(in(2)->json);
  expect(3, BERTH_DF_RUN, 4, 3, "sh", "-c", "x");
  assert_true(in(3)->json);
}

static void test_not_json_is_shell_form(void **state) {
  (void)state;
  ok("FROM a\nCMD [not json\nRUN [\"a\"] && b\nENTRYPOINT {\"a\":1}\n");
  expect(1, BERTH_DF_CMD, 2, 1, "[not json");
  assert_false(in(1)->json);
  expect(2, BERTH_DF_RUN, 3, 1, "[\"a\"] && b");
  expect(3, BERTH_DF_ENTRYPOINT, 4, 1, "{\"a\":1}");
}

static void test_json_non_strings(void **state) {
  (void)state;
  bad("FROM a\nCMD [\"a\", 1]\n",
      "Dockerfile:2: when using JSON array syntax, arrays must be "
      "comprised of strings only");
  bad("FROM a\nCOPY [\"a\", null]\n",
      "Dockerfile:2: when using JSON array syntax, arrays must be "
      "comprised of strings only");
}

static void test_shell_form_verbatim(void **state) {
  (void)state;
  ok("FROM a\nRUN echo \"a  b\" 'c' $X \\$Y  && true\n");
  expect(1, BERTH_DF_RUN, 2, 1, "echo \"a  b\" 'c' $X \\$Y  && true");
}

static void test_shell_instruction(void **state) {
  (void)state;
  ok("FROM a\nSHELL [\"/bin/bash\", \"-c\"]\n");
  expect(1, BERTH_DF_SHELL, 2, 2, "/bin/bash", "-c");
  teardown(NULL);
  bad("FROM a\nSHELL /bin/bash -c\n",
      "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  bad("FROM a\nSHELL []\n", "Dockerfile:2: SHELL requires at least one "
                            "argument");
}

static void test_empty_commands(void **state) {
  (void)state;
  ok("FROM a\nCMD\nENTRYPOINT\n");
  expect(1, BERTH_DF_CMD, 2, 0);
  expect(2, BERTH_DF_ENTRYPOINT, 3, 0);
  teardown(NULL);
  bad("FROM a\nRUN\n", "Dockerfile:2: RUN requires at least one argument");
  bad("FROM a\nRUN []\n", "Dockerfile:2: RUN requires at least one argument");
}

/* ---- flags ------------------------------------------------------------- */

static void test_copy_flags(void **state) {
  (void)state;
  ok("FROM a\nCOPY --from=build --chown=app:app --chmod=0755 --link "
     "src/ /dst/\n");
  expect(1, BERTH_DF_COPY, 2, 2, "src/", "/dst/");
  const struct berth_df_instr *x = in(1);
  assert_int_equal(x->n_flags, 4);
  bool present;
  assert_string_equal(berth_df_flag(x, "from", &present), "build");
  assert_true(present);
  assert_string_equal(berth_df_flag(x, "chown", NULL), "app:app");
  assert_string_equal(berth_df_flag(x, "chmod", NULL), "0755");
  assert_null(berth_df_flag(x, "link", &present));
  assert_true(present); /* given, without a value */
  assert_null(berth_df_flag(x, "platform", &present));
  assert_false(present);
}

static void test_flag_quotes_removed(void **state) {
  (void)state;
  ok("FROM a\nCOPY --chown=\"a b\" --from='x'y a b\n");
  assert_string_equal(berth_df_flag(in(1), "chown", NULL), "a b");
  assert_string_equal(berth_df_flag(in(1), "from", NULL), "xy");
  expect(1, BERTH_DF_COPY, 2, 2, "a", "b");
}

static void test_each_instruction_its_flags(void **state) {
  (void)state;
  ok("FROM --platform=linux/amd64 a AS b\n"
     "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t "
     "--network=none --security=sandbox make\n"
     "ADD --chown=1 --chmod=644 --link=false --checksum=sha256:ab "
     "--keep-git-dir=true x /y\n");
  assert_string_equal(berth_df_flag(in(0), "platform", NULL), "linux/amd64");
  expect(0, BERTH_DF_FROM, 1, 3, "a", "AS", "b");
  const struct berth_df_instr *r = in(1);
  assert_int_equal(r->n_flags, 4);
  /* repeatable: both kept, in order; berth_df_flag gives the first */
  assert_string_equal(r->flags[0].name, "mount");
  assert_string_equal(r->flags[1].value, "type=tmpfs,target=/t");
  assert_string_equal(berth_df_flag(r, "mount", NULL), "type=cache,target=/c");
  assert_string_equal(berth_df_flag(r, "network", NULL), "none");
  assert_string_equal(berth_df_flag(r, "security", NULL), "sandbox");
  expect(1, BERTH_DF_RUN, 2, 1, "make");
  assert_string_equal(berth_df_flag(in(2), "link", NULL), "false");
  assert_string_equal(berth_df_flag(in(2), "checksum", NULL), "sha256:ab");
  assert_string_equal(berth_df_flag(in(2), "keep-git-dir", NULL), "true");
}

static void test_unknown_flags(void **state) {
  (void)state;
  bad("FROM a\nCOPY --frm=x a b\n", "Dockerfile:2: unknown flag: --frm");
  bad("FROM a\nRUN --foo make\n", "Dockerfile:2: unknown flag: --foo");
  bad("FROM --from=x a\n", "Dockerfile:1: unknown flag: --from");
  bad("FROM a\nENV --x=1\n", "Dockerfile:2: unknown flag: --x");
  bad("FROM a\nCMD --help\n", "Dockerfile:2: unknown flag: --help");
  bad("FROM a\nCOPY --checksum=x a b\n",
      "Dockerfile:2: unknown flag: --checksum");
  bad("FROM a\nADD --from=x a b\n", "Dockerfile:2: unknown flag: --from");
  bad("FROM a\nUSER --x\n", "Dockerfile:2: unknown flag: --x");
}

static void test_flag_values(void **state) {
  (void)state;
  bad("FROM a\nCOPY --from a b\n",
      "Dockerfile:2: missing a value on flag --from");
  bad("FROM a\nCOPY --link= a b\n",
      "Dockerfile:2: missing a value on flag --link");
  bad("FROM a\nCOPY --link=maybe a b\n",
      "Dockerfile:2: expecting a boolean value (true or false) for flag "
      "--link");
  bad("FROM a\nCOPY --from=a --from=b x y\n",
      "Dockerfile:2: duplicate flag specified: --from");
  ok("FROM a\nCOPY --from= --link=TRUE a b\n");
  assert_string_equal(berth_df_flag(in(1), "from", NULL), "");
}

static void test_double_dash_ends_flags(void **state) {
  (void)state;
  ok("FROM a\nRUN --network=host -- --not-a-flag\n");
  expect(1, BERTH_DF_RUN, 2, 1, "--not-a-flag");
  assert_int_equal(in(1)->n_flags, 1);
}

static void test_healthcheck(void **state) {
  (void)state;
  ok("FROM a\nHEALTHCHECK --interval=30s --timeout=5s --start-period=1m "
     "--start-interval=2s --retries=3 CMD curl -f http://x/ || exit 1\n"
     "healthcheck cmd [\"/check\", \"-v\"]\nHEALTHCHECK none\n"
     "HEALTHCHECK --interval=0 CMD x\n");
  expect(1, BERTH_DF_HEALTHCHECK, 2, 2, "CMD", "curl -f http://x/ || exit 1");
  assert_false(in(1)->json);
  assert_string_equal(berth_df_flag(in(1), "retries", NULL), "3");
  assert_string_equal(berth_df_flag(in(1), "start-interval", NULL), "2s");
  expect(2, BERTH_DF_HEALTHCHECK, 3, 3, "CMD", "/check", "-v");
  assert_true(in(2)->json);
  expect(3, BERTH_DF_HEALTHCHECK, 4, 1, "NONE");
}

static void test_healthcheck_errors(void **state) {
  (void)state;
  bad("FROM a\nHEALTHCHECK\n",
      "Dockerfile:2: HEALTHCHECK requires at least one argument");
  bad("FROM a\nHEALTHCHECK NONE x\n",
      "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  bad("FROM a\nHEALTHCHECK RUN x\n",
      "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
  bad("FROM a\nHEALTHCHECK CMD\n",
      "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  bad("FROM a\nHEALTHCHECK CMD []\n",
      "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  bad("FROM a\nHEALTHCHECK --interval=abc CMD x\n",
      "Dockerfile:2: invalid --interval `abc`: not a duration (like 30s "
      "or 1m30s)");
  bad("FROM a\nHEALTHCHECK --timeout=10us CMD x\n",
      "Dockerfile:2: --timeout cannot be less than 1ms");
  bad("FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
      "Dockerfile:2: --retries cannot be negative (-1)");
  bad("FROM a\nHEALTHCHECK --retries=3x CMD x\n",
      "Dockerfile:2: invalid --retries `3x`: not a number");
  bad("FROM a\nHEALTHCHECK --retries=99999999999 CMD x\n",
      "Dockerfile:2: invalid --retries `99999999999`: not a number");
  bad("FROM a\nHEALTHCHECK --retry=1 CMD x\n",
      "Dockerfile:2: unknown flag: --retry");
}

/* ---- heredocs ---------------------------------------------------------- */

static void test_heredoc_run(void **state) {
  (void)state;
  ok("FROM a\nRUN <<EOF\n#!/bin/sh\necho hi \\\n  # kept\nEOF\nUSER x\n");
  expect(1, BERTH_DF_RUN, 2, 1, "<<EOF");
  const struct berth_df_instr *r = in(1);
  assert_int_equal(r->n_heredocs, 1);
  assert_string_equal(r->heredocs[0].name, "EOF");
  /* bodies are raw: no comments dropped, no continuations */
  assert_string_equal(r->heredocs[0].content, "#!/bin/sh\necho hi \\\n"
                                              "  # kept\n");
  assert_true(r->heredocs[0].expand);
  expect(2, BERTH_DF_USER, 7, 1, "x");
}

static void test_heredoc_chomp_and_quotes(void **state) {
  (void)state;
  ok("FROM a\nRUN <<-EOF\n\techo $A\n\t\tx\n\tEOF\n"
     "RUN <<'EOF'\n$B\nEOF\nRUN <<\"E2\"\n\tc\nE2\nRUN <<E\"O\"F\nd\nEOF\n");
  assert_string_equal(in(1)->heredocs[0].content, "echo $A\nx\n");
  assert_true(in(1)->heredocs[0].expand);
  assert_string_equal(in(2)->heredocs[0].name, "EOF");
  assert_string_equal(in(2)->heredocs[0].content, "$B\n");
  assert_false(in(2)->heredocs[0].expand);
  assert_string_equal(in(3)->heredocs[0].name, "E2");
  assert_string_equal(in(3)->heredocs[0].content, "\tc\n"); /* no "-" */
  assert_false(in(3)->heredocs[0].expand);
  assert_string_equal(in(4)->heredocs[0].name, "EOF");
  assert_false(in(4)->heredocs[0].expand);
  expect(4, BERTH_DF_RUN, 12, 1, "<<E\"O\"F");
}

static void test_heredoc_several(void **state) {
  (void)state;
  ok("FROM a\nCOPY --chmod=755 <<one <<-two /dest/\nfirst\none\n"
     "\tsecond\n\ttwo\nRUN cat <<EOF > /f && 3<<X cat\nbody\nEOF\nx\nX\n");
  const struct berth_df_instr *c = in(1);
  /* the heredoc sources leave args: only the destination stays */
  expect(1, BERTH_DF_COPY, 2, 1, "/dest/");
  assert_int_equal(c->n_heredocs, 2);
  assert_string_equal(c->heredocs[0].name, "one");
  assert_string_equal(c->heredocs[0].content, "first\n");
  assert_string_equal(c->heredocs[1].name, "two");
  assert_string_equal(c->heredocs[1].content, "second\n");
  expect(2, BERTH_DF_RUN, 7, 1, "cat <<EOF > /f && 3<<X cat");
  assert_int_equal(in(2)->n_heredocs, 2);
  assert_string_equal(in(2)->heredocs[1].name, "X");
  assert_string_equal(in(2)->heredocs[1].content, "x\n");
}

static void test_heredoc_copy_mixed_sources(void **state) {
  (void)state;
  ok("FROM a\nADD a.txt <<EOF b.txt /d/\nhello\nEOF\n");
  expect(1, BERTH_DF_ADD, 2, 3, "a.txt", "b.txt", "/d/");
  assert_string_equal(in(1)->heredocs[0].content, "hello\n");
}

static void test_heredoc_spaced_and_empty(void **state) {
  (void)state;
  ok("FROM a\nRUN << EOF\nEOF\nRUN <<EOF\r\nline\r\nEOF\r\n");
  assert_int_equal(in(1)->n_heredocs, 1);
  assert_string_equal(in(1)->heredocs[0].content, "");
  assert_string_equal(in(2)->heredocs[0].content, "line\n");
}

static void test_not_heredocs(void **state) {
  (void)state;
  ok("FROM a\nRUN [\"<<EOF\"]\nRUN echo \"<<EOF\" '<<X' a<<Y\n");
  assert_int_equal(in(1)->n_heredocs, 0);
  assert_int_equal(in(2)->n_heredocs, 0);
  /* USER takes none: the next line is an instruction, unknown here */
  teardown(NULL);
  bad("FROM a\nUSER <<EOF\nEOF\n", "Dockerfile:3: unknown instruction: EOF");
  ok("FROM a\nRUN echo <<<here\n");
  assert_int_equal(in(1)->n_heredocs, 0);
}

static void test_heredoc_unterminated(void **state) {
  (void)state;
  bad("FROM a\nRUN <<EOF\necho\nEOF \nUSER x\n",
      "Dockerfile:2: unterminated heredoc <<EOF: no line `EOF` after it");
  bad("FROM a\nCOPY <<a <<b /x\na\nb-not\n",
      "Dockerfile:2: unterminated heredoc <<b: no line `b` after it");
  /* a "<<-" terminator may be indented with tabs only */
  bad("FROM a\nRUN <<-EOF\n  EOF\n",
      "Dockerfile:2: unterminated heredoc <<EOF: no line `EOF` after it");
}

static void test_heredoc_destination(void **state) {
  (void)state;
  bad("FROM a\nCOPY a <<EOF\nx\nEOF\n",
      "Dockerfile:2: COPY cannot accept a heredoc as a destination");
  bad("FROM a\nCOPY <<EOF\nx\nEOF\n",
      "Dockerfile:2: COPY requires at least two arguments, but only one "
      "was provided. Destination could not be determined");
}

static void test_heredoc_escape_directive(void **state) {
  (void)state;
  /* the heredoc scan uses the backslash whatever the directive says */
  ok("# escape=`\nFROM a\nRUN <<E\\\"F\nx\nE\"F\n");
  assert_string_equal(in(1)->heredocs[0].name, "E\"F");
  assert_true(in(1)->heredocs[0].expand);
}

/* ---- ONBUILD ----------------------------------------------------------- */

static void test_onbuild(void **state) {
  (void)state;
  ok("FROM a\nONBUILD RUN echo hi\nonbuild COPY --from=b x /y\n"
     "ONBUILD RUN <<EOF\necho body\nEOF\nCMD x\n");
  expect(1, BERTH_DF_ONBUILD, 2, 1, "RUN echo hi");
  expect(2, BERTH_DF_ONBUILD, 3, 1, "COPY --from=b x /y");
  assert_int_equal(in(2)->n_flags, 0); /* the trigger's, not ONBUILD's */
  expect(3, BERTH_DF_ONBUILD, 4, 1, "RUN <<EOF\necho body\nEOF");
  assert_int_equal(in(3)->n_heredocs, 1);
  expect(4, BERTH_DF_CMD, 7, 1, "x");
}

static void test_onbuild_trigger_reparses(void **state) {
  (void)state;
  /* what ONBUILD stores must parse as a Dockerfile of its own */
  ok("FROM a\nONBUILD RUN <<-EOF\n\techo $X\n\tEOF\n");
  char *text = NULL;
  assert_true(asprintf(&text, "FROM b\n%s\n", in(1)->args[0]) > 0);
  teardown(NULL);
  ok(text);
  free(text);
  expect(1, BERTH_DF_RUN, 2, 1, "<<-EOF");
  assert_string_equal(in(1)->heredocs[0].content, "echo $X\n");
}

static void test_onbuild_errors(void **state) {
  (void)state;
  bad("FROM a\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one "
                           "argument");
  bad("FROM a\nONBUILD ONBUILD RUN x\n",
      "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  bad("FROM a\nONBUILD from b\n",
      "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  bad("FROM a\nONBUILD MAINTAINER me\n",
      "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  bad("FROM a\nONBUILD FOO x\n", "Dockerfile:2: unknown instruction: FOO");
  bad("FROM a\nONBUILD COPY --bad=1 a b\n",
      "Dockerfile:2: unknown flag: --bad");
  bad("FROM a\nONBUILD ENV\n", "Dockerfile:2: ENV requires at least one "
                               "argument");
  bad("FROM a\nONBUILD --x RUN y\n", "Dockerfile:2: unknown flag: --x");
}

/* ---- ENV, LABEL, ARG --------------------------------------------------- */

static void test_env_pairs(void **state) {
  (void)state;
  ok("FROM a\nENV A=1 B=\"x y\" C=a\\ b D= E='$F' G=\"a\\\"b\" H=x=y\n");
  expect(1, BERTH_DF_ENV, 2, 14, "A", "1", "B", "\"x y\"", "C", "a\\ b", "D",
         "", "E", "'$F'", "G", "\"a\\\"b\"", "H", "x=y");
}

static void test_env_legacy(void **state) {
  (void)state;
  ok("FROM a\nENV PATH /usr/local/bin:$PATH  more  words\nLABEL k \"v w\"\n");
  expect(1, BERTH_DF_ENV, 2, 2, "PATH", "/usr/local/bin:$PATH  more  words");
  expect(2, BERTH_DF_LABEL, 3, 2, "k", "\"v w\"");
}

static void test_env_errors(void **state) {
  (void)state;
  bad("FROM a\nENV K\n", "Dockerfile:2: ENV must have two arguments");
  bad("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument");
  bad("FROM a\nENV =x\n", "Dockerfile:2: ENV names can not be blank");
  bad("FROM a\nENV A=1 B\n",
      "Dockerfile:2: Syntax error - can't find = in \"B\". Must be of the "
      "form: name=value");
  bad("FROM a\nLABEL\n", "Dockerfile:2: LABEL requires at least one "
                         "argument");
  bad("FROM a\nLABEL a=b =c\n", "Dockerfile:2: LABEL names can not be blank");
}

static void test_label_quoted_keys(void **state) {
  (void)state;
  ok("FROM a\nLABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0 \\\n"
     "      multi.label=\"a b\"\n");
  expect(1, BERTH_DF_LABEL, 2, 6, "\"com.example.vendor\"", "\"ACME Inc\"",
         "version", "1.0", "multi.label", "\"a b\"");
}

static void test_env_escape_directive(void **state) {
  (void)state;
  /* with ` the backslash is an ordinary character, ` escapes blanks */
  ok("# escape=`\nFROM a\nENV P=C:\\x Q=a` b\n");
  expect(1, BERTH_DF_ENV, 3, 4, "P", "C:\\x", "Q", "a` b");
}

static void test_arg(void **state) {
  (void)state;
  ok("ARG V=3.19\nARG A B=2 C=\"x y\"\nFROM alpine:$V\nARG D\n");
  expect(0, BERTH_DF_ARG, 1, 1, "V=3.19");
  expect(1, BERTH_DF_ARG, 2, 3, "A", "B=2", "C=\"x y\"");
  expect(2, BERTH_DF_FROM, 3, 1, "alpine:$V");
  teardown(NULL);
  bad("FROM a\nARG\n", "Dockerfile:2: ARG requires at least one argument");
}

/* ---- the other instructions -------------------------------------------- */

static void test_from(void **state) {
  (void)state;
  ok("FROM golang:1.22 AS Build\nFROM scratch as final-1.x\nFROM build\n");
  expect(0, BERTH_DF_FROM, 1, 3, "golang:1.22", "AS", "build");
  expect(1, BERTH_DF_FROM, 2, 3, "scratch", "as", "final-1.x");
  teardown(NULL);
  bad("FROM a b\n", "Dockerfile:1: FROM requires either one or three "
                    "arguments");
  bad("FROM\n", "Dockerfile:1: FROM requires either one or three arguments");
  bad("FROM a AS b c\n", "Dockerfile:1: FROM requires either one or three "
                         "arguments");
  bad("FROM a AS 1x\n", "Dockerfile:1: invalid name for build stage: "
                        "\"1x\", name can't start with a number or "
                        "contain symbols");
  bad("FROM a AS b$c\n", "Dockerfile:1: invalid name for build stage: "
                         "\"b$c\", name can't start with a number or "
                         "contain symbols");
}

static void test_one_arg_instructions(void **state) {
  (void)state;
  ok("FROM a\nUSER app:app\nWORKDIR /a b\nSTOPSIGNAL SIGKILL\n"
     "MAINTAINER Me <me@x>\n");
  expect(1, BERTH_DF_USER, 2, 1, "app:app");
  expect(2, BERTH_DF_WORKDIR, 3, 1, "/a b");
  expect(3, BERTH_DF_STOPSIGNAL, 4, 1, "SIGKILL");
  expect(4, BERTH_DF_MAINTAINER, 5, 1, "Me <me@x>");
  teardown(NULL);
  bad("FROM a\nUSER\n", "Dockerfile:2: USER requires exactly one argument");
  bad("FROM a\nWORKDIR  \n",
      "Dockerfile:2: WORKDIR requires exactly one argument");
  bad("FROM a\nSTOPSIGNAL\n",
      "Dockerfile:2: STOPSIGNAL requires exactly one argument");
}

static void test_expose_volume(void **state) {
  (void)state;
  ok("FROM a\nEXPOSE 80/tcp  443 $P\nVOLUME /a /b\nVOLUME [\"/c d\"]\n");
  expect(1, BERTH_DF_EXPOSE, 2, 3, "80/tcp", "443", "$P");
  expect(2, BERTH_DF_VOLUME, 3, 2, "/a", "/b");
  expect(3, BERTH_DF_VOLUME, 4, 1, "/c d");
  teardown(NULL);
  bad("FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one "
                          "argument");
  bad("FROM a\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one "
                          "argument");
  bad("FROM a\nVOLUME [\"/a\", \" \"]\n",
      "Dockerfile:2: VOLUME specified can not be an empty string");
}

static void test_copy_forms(void **state) {
  (void)state;
  ok("FROM a\nCOPY a b c /d/\nCOPY [\"my file\", \"/x y/\"]\n"
     "ADD \"q r\" /s\n");
  expect(1, BERTH_DF_COPY, 2, 4, "a", "b", "c", "/d/");
  expect(2, BERTH_DF_COPY, 3, 2, "my file", "/x y/");
  assert_true(in(2)->json);
  /* shell form splits at blanks only, as Docker (quotes do not group) */
  expect(3, BERTH_DF_ADD, 4, 3, "\"q", "r\"", "/s");
  teardown(NULL);
  bad("FROM a\nCOPY onlyone\n",
      "Dockerfile:2: COPY requires at least two arguments, but only one "
      "was provided. Destination could not be determined");
  bad("FROM a\nADD\n",
      "Dockerfile:2: ADD requires at least two arguments (sources and a "
      "destination)");
}

static void test_cmd_names(void **state) {
  (void)state;
  static const char *names[] = {
      "FROM",    "RUN", "CMD",     "LABEL",      "MAINTAINER",  "EXPOSE",
      "ENV",     "ADD", "COPY",    "ENTRYPOINT", "VOLUME",      "USER",
      "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"};
  for (int i = BERTH_DF_FROM; i <= BERTH_DF_SHELL; i++)
    assert_string_equal(berth_df_cmd_name((enum berth_df_cmd)i), names[i]);
  assert_string_equal(berth_df_cmd_name((enum berth_df_cmd)99), "?");
}

/* ---- the file as a whole ----------------------------------------------- */

static void test_stage_required(void **state) {
  (void)state;
  bad("RUN x\n", "Dockerfile:1: RUN before the first FROM: no build stage "
                 "in current context");
  bad("ARG A\n\nCOPY a b\nFROM x\n",
      "Dockerfile:3: COPY before the first FROM: no build stage in "
      "current context");
  bad("", "Dockerfile: file with no instructions");
  bad("# only\n\n   \n# comments\n", "Dockerfile: file with no instructions");
  bad("ARG A=1\n", "Dockerfile: no FROM instruction: no stage to build");
}

static void test_bad_bytes(void **state) {
  (void)state;
  const char text[] = "FROM a\nRUN x\nRUN \0y\n";
  berth_error *err = NULL;
  struct berth_dockerfile d;
  assert_int_equal(
      berth_dockerfile_parse(text, sizeof(text) - 1, "Dockerfile", &d, &err),
      -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_string_equal(err->msg,
                      "Dockerfile:3: NUL byte in the file (not a text file?)");
  berth_error_free(err);
  err = NULL;
  size_t big = BERTH_DOCKERFILE_MAX + 1;
  char *huge = malloc(big);
  assert_non_null(huge);
  memset(huge, '#', big);
  assert_int_equal(berth_dockerfile_parse(huge, big, "Dockerfile", &d, &err),
                   -1);
  assert_string_equal(err->msg, "Dockerfile: larger than 4194304 bytes");
  berth_error_free(err);
  free(huge);
}

static void test_not_nul_terminated(void **state) {
  (void)state;
  /* the length counts, not a terminator: "FROM a\nRUN xyz" cut short */
  const char *text = "FROM a\nRUN xyzGARBAGE";
  berth_error *err = NULL;
  assert_int_equal(berth_dockerfile_parse(text, 14, "Dockerfile", &df, &err),
                   0);
  expect(1, BERTH_DF_RUN, 2, 1, "xyz");
}

static void test_file_name_in_messages(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_dockerfile d;
  const char *text = "FROM a\nBAD x\n";
  assert_int_equal(
      berth_dockerfile_parse(text, strlen(text), "app.Dockerfile", &d, &err),
      -1);
  assert_string_equal(err->msg, "app.Dockerfile:2: unknown instruction: BAD");
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, teardown)
      T(test_basic),
      T(test_keywords_any_case),
      T(test_unknown_instruction),
      T(test_comments_and_blanks),
      T(test_continuation),
      T(test_continuation_trailing_blanks),
      T(test_continuation_comments_and_empty_lines),
      T(test_continuation_at_end_of_file),
      T(test_continuation_lone_escape),
      T(test_crlf_and_bom),
      T(test_original_trimmed),
      T(test_many_instructions),
      T(test_escape_directive),
      T(test_directive_spelling),
      T(test_directive_check),
      T(test_directive_repeated),
      T(test_directive_bad_escape),
      T(test_directive_only_at_top),
      T(test_exec_form),
      T(test_not_json_is_shell_form),
      T(test_json_non_strings),
      T(test_shell_form_verbatim),
      T(test_shell_instruction),
      T(test_empty_commands),
      T(test_copy_flags),
      T(test_flag_quotes_removed),
      T(test_each_instruction_its_flags),
      T(test_unknown_flags),
      T(test_flag_values),
      T(test_double_dash_ends_flags),
      T(test_healthcheck),
      T(test_healthcheck_errors),
      T(test_heredoc_run),
      T(test_heredoc_chomp_and_quotes),
      T(test_heredoc_several),
      T(test_heredoc_copy_mixed_sources),
      T(test_heredoc_spaced_and_empty),
      T(test_not_heredocs),
      T(test_heredoc_unterminated),
      T(test_heredoc_destination),
      T(test_heredoc_escape_directive),
      T(test_onbuild),
      T(test_onbuild_trigger_reparses),
      T(test_onbuild_errors),
      T(test_env_pairs),
      T(test_env_legacy),
      T(test_env_errors),
      T(test_label_quoted_keys),
      T(test_env_escape_directive),
      T(test_arg),
      T(test_from),
      T(test_one_arg_instructions),
      T(test_expose_volume),
      T(test_copy_forms),
      T(test_cmd_names),
      T(test_stage_required),
      T(test_bad_bytes),
      T(test_not_nul_terminated),
      T(test_file_name_in_messages),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
