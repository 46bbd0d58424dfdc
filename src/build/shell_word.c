/* Docker's shell lexer for instruction words (the rules of BuildKit's
 * shell/lex.go, which `docker build` applies): quotes, the escape
 * character and $VAR / ${VAR<modifier>word} expansion, nothing else.
 *
 * The input is untrusted (a Dockerfile and build args): nesting is
 * bounded (the lexer recurses on ${A:-${B:-...}}) and so is the size of
 * every result, since `ENV A=$A$A` doubles a value per instruction. */
#include "shell_word.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile_internal.h"

#define DEPTH_MAX 64

struct lex {
  const char *s;
  size_t i, n;
  char esc;
  const struct berth_word_env *env;
  bool keep_quotes; /* heredoc bodies: quotes are ordinary characters */
  size_t max;       /* longest result */
  int depth;
  char *msg; /* what went wrong (malloc'd), NULL: out of memory */
  bool failed;
};

/* Word splitting as Docker's ProcessWords does it: unquoted blanks in
 * the text and in the values of unquoted $VARs separate words; quoted
 * and escaped characters never do. */
struct split {
  struct df_buf w;
  bool in_word, oom;
  struct df_strv out;
};

static int fail(struct lex *lx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct lex *lx, const char *fmt, ...) {
  va_list ap;
  if (lx->failed)
    return -1;
  va_start(ap, fmt);
  if (vasprintf(&lx->msg, fmt, ap) < 0)
    lx->msg = NULL;
  va_end(ap);
  lx->failed = true;
  return -1;
}

static int put(struct lex *lx, struct df_buf *b, const char *s, size_t n) {
  if (b->n + n > lx->max)
    return fail(lx, "longer than %zu bytes after expansion", lx->max);
  if (df_buf_add(b, s, n) < 0) {
    lx->failed = true; /* msg NULL: out of memory */
    return -1;
  }
  return 0;
}

/* ---- word splitting ---------------------------------------------------- */

static void split_end_word(struct split *sp) {
  if (sp->w.n > 0 && df_strv_add(&sp->out, sp->w.p, sp->w.n) < 0)
    sp->oom = true;
  sp->w.n = 0;
  sp->in_word = false;
}

static void split_raw(struct split *sp, const char *s, size_t n) {
  if (!sp)
    return;
  if (df_buf_add(&sp->w, s, n) < 0)
    sp->oom = true;
  sp->in_word = true;
}

/* Unquoted text: blanks end the word. */
static void split_text(struct split *sp, const char *s, size_t n) {
  if (!sp)
    return;
  for (size_t i = 0; i < n; i++) {
    if (!df_space(s[i]))
      split_raw(sp, s + i, 1);
    else if (sp->in_word && sp->w.n > 0)
      split_end_word(sp);
  }
}

/* ---- the lexer --------------------------------------------------------- */

static int dollar(struct lex *lx, struct df_buf *out);

/* '...': everything literal up to the next quote. */
static int single_quote(struct lex *lx, struct df_buf *out) {
  lx->i++;
  const char *end = memchr(lx->s + lx->i, '\'', lx->n - lx->i);
  if (!end)
    return fail(lx, "unexpected end of statement while looking for "
                    "matching single-quote");
  size_t len = (size_t)(end - (lx->s + lx->i));
  if (put(lx, out, lx->s + lx->i, len) < 0)
    return -1;
  lx->i += len + 1;
  return 0;
}

/* "...": $ expands; the escape character escapes only ", $ and itself. */
static int double_quote(struct lex *lx, struct df_buf *out) {
  for (lx->i++;;) {
    if (lx->i >= lx->n)
      return fail(lx, "unexpected end of statement while looking for "
                      "matching double-quote");
    char ch = lx->s[lx->i];
    if (ch == '"') {
      lx->i++;
      return 0;
    }
    if (ch == '$') {
      if (dollar(lx, out) < 0)
        return -1;
      continue;
    }
    lx->i++;
    if (ch == lx->esc) {
      if (lx->i >= lx->n)
        continue; /* then: the missing quote */
      char next = lx->s[lx->i];
      if (next == '"' || next == '$' || next == lx->esc)
        ch = next, lx->i++;
    }
    if (put(lx, out, &ch, 1) < 0)
      return -1;
  }
}

/* $..., '...' or "..." at lx->i, into out and the words. */
static int special(struct lex *lx, struct df_buf *out, struct split *sp) {
  char ch = lx->s[lx->i];
  size_t mark = out->n;
  int rc = ch == '$'   ? dollar(lx, out)
           : ch == '"' ? double_quote(lx, out)
                       : single_quote(lx, out);
  if (rc < 0)
    return -1;
  if (out->n > mark)
    (ch == '$' ? split_text : split_raw)(sp, out->p + mark, out->n - mark);
  else if (ch != '$')
    split_raw(sp, "", 0); /* "" still makes a word start */
  return 0;
}

/* Processes up to `stop` (consumed) or the end (stop 0). */
static int process(struct lex *lx, char stop, struct df_buf *out,
                   struct split *sp) {
  while (lx->i < lx->n) {
    char ch = lx->s[lx->i];
    if (stop && ch == stop) {
      lx->i++;
      return 0;
    }
    if (ch == '$' || (!lx->keep_quotes && (ch == '\'' || ch == '"'))) {
      if (special(lx, out, sp) < 0)
        return -1;
      continue;
    }
    lx->i++;
    if (ch == lx->esc) {
      if (lx->i >= lx->n)
        break; /* an escape at the end is dropped */
      ch = lx->s[lx->i++];
      split_raw(sp, &ch, 1);
    } else {
      split_text(sp, &ch, 1);
    }
    if (put(lx, out, &ch, 1) < 0)
      return -1;
  }
  if (stop)
    return fail(lx,
                "unexpected end of statement while looking for "
                "matching %c",
                stop);
  return 0;
}

/* ---- $ ----------------------------------------------------------------- */

static bool name_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '_';
}

/* A name: letters, digits, '_'; or digits only ($1); or one of the
 * shell's special parameters ($@ $* $# $? $- $$ $! $0), all unset here. */
static size_t name_len(const struct lex *lx) {
  const char *s = lx->s + lx->i;
  size_t n = lx->n - lx->i, k = 0;
  if (n > 0 && s[0] >= '0' && s[0] <= '9') {
    while (k < n && s[k] >= '0' && s[k] <= '9')
      k++;
    return k;
  }
  if (n > 0 && strchr("@*#?-$!", s[0]) && s[0])
    return 1;
  while (k < n && name_char(s[k]))
    k++;
  return k;
}

static const char *lookup(struct lex *lx, size_t start, size_t len) {
  char *name = strndup(lx->s + start, len);
  if (!name) {
    lx->failed = true;
    return NULL;
  }
  const char *v = berth_word_env_get(lx->env, name);
  free(name);
  return v;
}

static int put_value(struct lex *lx, struct df_buf *out, size_t start,
                     size_t len) {
  const char *v = lookup(lx, start, len);
  if (lx->failed)
    return -1;
  return v ? put(lx, out, v, strlen(v)) : 0;
}

/* ${NAME<mod>word} with mod one of - + ? (':' before it: an empty value
 * counts as unset). */
static int modifier(struct lex *lx, struct df_buf *out, size_t start,
                    size_t len, char mod, bool colon) {
  struct df_buf word = {0};
  if (++lx->depth > DEPTH_MAX) {
    free(word.p);
    return fail(lx, "substitutions nested more than %d deep", DEPTH_MAX);
  }
  int rc = process(lx, '}', &word, NULL);
  lx->depth--;
  if (rc < 0 && lx->msg && lx->i >= lx->n) {
    free(lx->msg); /* as Docker: the } is what is missing */
    lx->msg = strdup("syntax error: missing '}'");
  }
  const char *v = rc < 0 ? NULL : lookup(lx, start, len);
  bool unset = !v || (colon && !*v);
  const char *w = word.p ? word.p : "";
  if (rc == 0 && !lx->failed) {
    if (mod == '-')
      rc = unset ? put(lx, out, w, word.n) : put(lx, out, v, strlen(v));
    else if (mod == '+')
      rc = unset ? 0 : put(lx, out, w, word.n);
    else if (unset)
      rc = fail(lx, "%.*s: %s", (int)len, lx->s + start,
                *w   ? w
                : !v ? "is not allowed to be unset"
                     : "is not allowed to be empty");
    else
      rc = put(lx, out, v, strlen(v));
  }
  free(word.p);
  return lx->failed ? -1 : rc;
}

static int braced(struct lex *lx, struct df_buf *out) {
  lx->i++; /* '{' */
  if (lx->i >= lx->n)
    return fail(lx, "syntax error: missing '}'");
  if (strchr("{}:", lx->s[lx->i]))
    return fail(lx, "syntax error: bad substitution");
  size_t start = lx->i, len = name_len(lx);
  lx->i += len;
  if (lx->i >= lx->n)
    return fail(lx, "syntax error: missing '}'");
  char ch = lx->s[lx->i++];
  if (ch == '}')
    return put_value(lx, out, start, len);
  bool colon = ch == ':';
  if (colon) {
    if (lx->i >= lx->n)
      return fail(lx, "syntax error: missing '}'");
    ch = lx->s[lx->i++];
  }
  if (ch != '-' && ch != '+' && ch != '?')
    return fail(lx, "unsupported modifier (%s%c) in substitution",
                colon ? ":" : "", ch);
  return modifier(lx, out, start, len, ch, colon);
}

/* $NAME, ${...}; a '$' that starts no name is itself ("$(" stays "$("). */
static int dollar(struct lex *lx, struct df_buf *out) {
  lx->i++;
  if (lx->i < lx->n && lx->s[lx->i] == '{')
    return braced(lx, out);
  size_t start = lx->i, len = name_len(lx);
  lx->i += len;
  if (len == 0)
    return put(lx, out, "$", 1);
  return put_value(lx, out, start, len);
}

/* ---- the API ----------------------------------------------------------- */

const char *berth_word_env_get(const struct berth_word_env *env,
                               const char *name) {
  size_t len = strlen(name);
  for (size_t i = env ? env->n : 0; i-- > 0;) {
    const char *v = env->vars[i];
    const char *eq = strchr(v, '=');
    size_t k = eq ? (size_t)(eq - v) : strlen(v);
    if (k == len && memcmp(v, name, len) == 0)
      return eq ? eq + 1 : ""; /* "NAME" alone: set and empty, as Docker */
  }
  return NULL;
}

static int lex_run(struct lex *lxp, struct df_buf *out, struct split *sp,
                   berth_error **err) {
  struct lex lx = *lxp;
  const char *raw = lx.s;
  if (process(&lx, 0, out, sp) == 0 && !(sp && sp->oom))
    return 0;
  if (!lx.failed || !lx.msg) {
    free(lx.msg);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "expand words");
  }
  char shown[104], why[204];
  berth_error_set(err, BERTH_ERR_INVALID, 0, "failed to process \"%s\": %s",
                  df_shown(raw, lx.n, shown, 100),
                  df_shown(lx.msg, strlen(lx.msg), why, 200));
  free(lx.msg);
  return -1;
}

static int expand_one(struct lex *lx, char **out, berth_error **err) {
  struct df_buf b = {0};
  *out = NULL;
  if (lex_run(lx, &b, NULL, err) < 0) {
    free(b.p);
    return -1;
  }
  *out = b.p ? b.p : strdup("");
  if (!*out)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "expand words");
  return 0;
}

int berth_word_expand(const char *raw, char escape,
                      const struct berth_word_env *env, char **out,
                      berth_error **err) {
  struct lex lx = {.s = raw,
                   .n = strlen(raw),
                   .esc = escape,
                   .env = env,
                   .max = BERTH_WORD_MAX};
  return expand_one(&lx, out, err);
}

int berth_heredoc_expand(const char *body, char escape,
                         const struct berth_word_env *env, char **out,
                         berth_error **err) {
  struct lex lx = {.s = body,
                   .n = strlen(body),
                   .esc = escape,
                   .env = env,
                   .keep_quotes = true,
                   .max = BERTH_HEREDOC_MAX};
  return expand_one(&lx, out, err);
}

int berth_words_expand(const char *raw, char escape,
                       const struct berth_word_env *env, char ***out, size_t *n,
                       berth_error **err) {
  struct df_buf b = {0};
  struct split sp = {0};
  struct lex lx = {.s = raw,
                   .n = strlen(raw),
                   .esc = escape,
                   .env = env,
                   .max = BERTH_WORD_MAX};
  int rc = lex_run(&lx, &b, &sp, err);
  if (rc == 0) {
    split_end_word(&sp);
    if (sp.oom || (!sp.out.v && !(sp.out.v = calloc(1, sizeof(char *)))))
      rc = berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "expand words");
  }
  free(b.p);
  free(sp.w.p);
  if (rc < 0) {
    df_strv_clear(&sp.out);
    return -1;
  }
  *out = sp.out.v;
  *n = sp.out.n;
  return 0;
}
