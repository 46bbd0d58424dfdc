/* Fuzzes the Dockerfile parser and the word processor (a Dockerfile is
 * untrusted input): the input, not NUL-terminated, is parsed; when it
 * parses, every instruction must be well formed (a line inside the file,
 * its text, NULL-terminated args, heredoc bodies), every raw word, flag
 * value and expandable heredoc body goes through berth_word_expand and
 * berth_words_expand (bodies also through berth_heredoc_expand), and
 * every ONBUILD trigger must parse again as the later build will parse
 * it.  Errors are fine; crashes, leaks, hangs and broken invariants are
 * not. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "shell_word.h"

static char *const vars[] = {"A=1",    "EMPTY=", "SP=a b  c",
                             "Q='\"x", "D=${A}", "A=2"};
static const struct berth_word_env env = {vars, sizeof(vars) / sizeof(*vars)};

static void expand(const char *raw, char esc) {
  char *out = NULL, **v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_word_expand(raw, esc, &env, &out, &err) == 0) {
    if (!out || strlen(out) > BERTH_WORD_MAX)
      abort();
    free(out);
  } else if (!err || out) {
    abort();
  }
  berth_error_free(err);
  err = NULL;
  if (berth_words_expand(raw, esc, &env, &v, &n, &err) == 0) {
    if (!v || v[n])
      abort();
    for (size_t i = 0; i < n; i++)
      free(v[i]);
    free(v);
  } else if (!err) {
    abort();
  }
  berth_error_free(err);
}

static void expand_body(const char *body, char esc) {
  char *out = NULL;
  berth_error *err = NULL;
  if (berth_heredoc_expand(body, esc, &env, &out, &err) == 0) {
    if (!out || strlen(out) > BERTH_HEREDOC_MAX)
      abort();
    free(out);
  } else if (!err || out) {
    abort();
  }
  berth_error_free(err);
  expand(body, esc);
}

/* What ONBUILD stored is parsed by the build of a child image. */
static void reparse_trigger(const char *trigger, char esc) {
  char *text = NULL;
  int len = asprintf(&text, "%sFROM x\n%s\n", esc == '`' ? "# escape=`\n" : "",
                     trigger);
  if (len < 0)
    return;
  struct berth_dockerfile df;
  berth_error *err = NULL;
  if (berth_dockerfile_parse(text, (size_t)len, "Dockerfile", &df, &err) < 0)
    abort();
  berth_dockerfile_free(&df);
  free(text);
}

static void check_instr(const struct berth_df_instr *in, int lines, char esc) {
  if (!in->original || in->line < 1 || in->line > lines)
    abort();
  if (in->n_args > 0 && (!in->args || in->args[in->n_args]))
    abort();
  for (size_t i = 0; i < in->n_args; i++)
    expand(in->args[i], esc);
  for (size_t i = 0; i < in->n_flags; i++) {
    if (!in->flags[i].name)
      abort();
    if (in->flags[i].value)
      expand(in->flags[i].value, esc);
  }
  for (size_t i = 0; i < in->n_heredocs; i++) {
    if (!in->heredocs[i].name || !in->heredocs[i].content)
      abort();
    if (in->heredocs[i].expand)
      expand_body(in->heredocs[i].content, esc);
  }
  if (in->cmd == BERTH_DF_ONBUILD)
    reparse_trigger(in->args[0], esc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct berth_dockerfile df;
  berth_error *err = NULL;
  if (berth_dockerfile_parse((const char *)data, size, "Dockerfile", &df,
                             &err) < 0) {
    if (!err || err->kind != BERTH_ERR_INVALID || df.instrs)
      abort();
    berth_error_free(err);
    return 0;
  }
  int lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  if (df.n == 0 || (df.escape != '\\' && df.escape != '`'))
    abort();
  for (size_t i = 0; i < df.n; i++)
    check_instr(&df.instrs[i], lines, df.escape);
  berth_dockerfile_free(&df);
  return 0;
}
