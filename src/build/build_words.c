/* Variable expansion for the executor: instruction words through the
 * shell-word processor (shell_word.h) with the stage's variables, and
 * the raw substitution BuildKit applies to heredoc bodies (variables
 * only: quotes stay) and to the RUN lines it shows. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"

int stage_expand(struct stage_run *r, const char *raw, char **out,
                 berth_error **err) {
  struct berth_word_env env = slist_env(&r->vars);
  return berth_word_expand(raw, r->b->df.escape, &env, out, err);
}

int stage_expand_words(struct stage_run *r, const char *raw, char ***out,
                       size_t *n, berth_error **err) {
  struct berth_word_env env = slist_env(&r->vars);
  return berth_words_expand(raw, r->b->df.escape, &env, out, n, err);
}

static bool name_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool name_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}
 * starting at s ("${"); returns the length consumed, 0 when it is not
 * one of these (it is then copied as written). */
static size_t braced(FILE *f, const char *s, const struct slist *vars,
                     char escape, bool keep_unset) {
  const char *p = s + 2;
  if (!name_start(*p))
    return 0;
  while (name_char(*p))
    p++;
  size_t nlen = (size_t)(p - s - 2);
  char name[256];
  if (nlen >= sizeof name)
    return 0;
  memcpy(name, s + 2, nlen);
  name[nlen] = '\0';
  bool colon = *p == ':';
  char op = colon ? p[1] : *p;
  const char *word = colon ? p + 2 : p + 1;
  if (*p == '}')
    op = 0, word = p;
  else if (op != '-' && op != '+')
    return 0;
  const char *end = strchr(word, '}');
  if (!end)
    return 0;
  const char *v = slist_getenv(vars, name);
  bool set = v && (!colon || *v);
  _cleanup_free_ char *w = strndup(word, (size_t)(end - word));
  _cleanup_free_ char *wx =
      w ? build_expand_raw(w, vars, escape, keep_unset) : NULL;
  if (op == 0 && !v && keep_unset)
    fwrite(s, 1, (size_t)(end + 1 - s), f);
  else if (op == 0)
    fputs(v ? v : "", f);
  else if (op == '-')
    fputs(set ? v : (wx ? wx : ""), f);
  else
    fputs(set ? (wx ? wx : "") : "", f);
  return (size_t)(end + 1 - s);
}

char *build_expand_raw(const char *s, const struct slist *vars, char escape,
                       bool keep_unset) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  for (const char *p = s; *p;) {
    if (*p == escape && p[1] == '$') {
      fputs(keep_unset ? (char[]){escape, '$', 0} : "$", f);
      p += 2;
      continue;
    }
    if (*p == '$' && p[1] == '{') {
      size_t k = braced(f, p, vars, escape, keep_unset);
      if (k) {
        p += k;
        continue;
      }
    } else if (*p == '$' && name_start(p[1])) {
      const char *q = p + 1;
      while (name_char(*q))
        q++;
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)(q - p - 1), p + 1);
      const char *v = slist_getenv(vars, name);
      if (v || !keep_unset)
        fputs(v ? v : "", f);
      else
        fwrite(p, 1, (size_t)(q - p), f);
      p = q;
      continue;
    }
    fputc(*p++, f);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* The first line of a heredoc, "..." when it has more: BuildKit's
 * summary in a RUN's progress name. */
static char *heredoc_summary(const char *body) {
  while (isspace((unsigned char)*body))
    body++;
  size_t n = strcspn(body, "\n");
  const char *rest = body + n;
  while (isspace((unsigned char)*rest))
    rest++;
  char *s = NULL;
  if (asprintf(&s, "%.*s%s", (int)n, body, *rest ? "..." : "") < 0)
    return NULL;
  return s;
}

static char *upper_keyword(const char *text) {
  char *s = strdup(text);
  for (char *p = s; p && *p && !isspace((unsigned char)*p); p++)
    *p = (char)toupper((unsigned char)*p);
  return s;
}

char *stage_display(struct stage_run *r, const struct berth_df_instr *in) {
  _cleanup_free_ char *x = NULL;
  if (in->cmd == BERTH_DF_RUN) {
    x = build_expand_raw(in->original, &r->vars, r->b->df.escape, true);
    if (x && in->n_heredocs == 1) {
      _cleanup_free_ char *sum = heredoc_summary(in->heredocs[0].content);
      char *y = NULL;
      if (sum && asprintf(&y, "%s (%s)", x, sum) >= 0) {
        free(x);
        x = y;
      }
    }
  } else if (stage_expand(r, in->original, &x, NULL) < 0) {
    x = strdup(in->original);
  }
  return x ? upper_keyword(x) : NULL;
}
