/* Heredocs (`RUN <<EOF`, `COPY <<a <<b /dest/`), as Docker's parser
 * finds them: the instruction line's words (split at unquoted blanks)
 * that read `[n]<<[-]WORD` open one each, in order; their bodies are the
 * lines after the instruction up to a line equal to WORD (with `<<-`:
 * after its leading tabs, which the body also loses).  A quote anywhere
 * in WORD ('EOF', "EOF", E"O"F) turns expansion of the body off. */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dockerfile_internal.h"

/* "[digits]<<[-]": its length, 0 when w does not start so. */
static size_t op_len(const char *w, size_t n, bool *chomp) {
  size_t i = 0;
  while (i < n && w[i] >= '0' && w[i] <= '9')
    i++;
  if (n - i < 2 || w[i] != '<' || w[i + 1] != '<')
    return 0;
  i += 2;
  *chomp = i < n && w[i] == '-';
  return i + *chomp;
}

/* WORD without its quotes and escapes (no expansion: Docker leaves an
 * unset $NAME as it is here).  -1: a quote left open; -2: no memory. */
static int unquote(const char *s, size_t n, struct df_buf *out) {
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == '\'' || ch == '"') {
      const char *end = memchr(s + i + 1, ch, n - i - 1);
      if (!end)
        return -1;
      for (i++; s + i < end; i++) {
        if (ch == '"' && s[i] == '\\' && s + i + 1 < end &&
            strchr("\"$\\", s[i + 1]))
          i++;
        if (df_buf_add(out, s + i, 1) < 0)
          return -2;
      }
      continue;
    }
    if (ch == '\\' && ++i == n)
      break;
    if (df_buf_add(out, s + i, 1) < 0)
      return -2;
  }
  return 0;
}

static size_t count_quotes(const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += s[i] == '\'' || s[i] == '"';
  return k;
}

/* The delimiter WORD (rest of the word after the operator). */
static int delimiter(const char *rest, size_t n, char **name, bool *expand) {
  struct df_buf b = {0};
  if (n == 0 || memchr(rest, '<', n))
    return 0;
  int rc = unquote(rest, n, &b);
  if (rc < 0 || b.n == 0) {
    free(b.p);
    return rc == -2 ? -1 : 0; /* '' names nothing: not a heredoc */
  }
  *expand = count_quotes(b.p, b.n) == count_quotes(rest, n);
  *name = b.p;
  return 1;
}

int df_heredoc_word(const char *w, size_t n, char **name, bool *chomp,
                    bool *expand) {
  size_t k = op_len(w, n, chomp);
  if (k == 0)
    return 0;
  return delimiter(w + k, n - k, name, expand);
}

/* ---- bodies ------------------------------------------------------------ */

static bool is_terminator(const char *s, size_t n, const char *name,
                          bool chomp) {
  while (chomp && n > 0 && *s == '\t')
    s++, n--;
  return n == strlen(name) && memcmp(s, name, n) == 0;
}

static int read_body(const struct df_ctx *c, struct df_reader *r,
                     struct berth_df_heredoc *h, bool chomp, int line,
                     berth_error **err) {
  struct df_buf b = {0};
  const char *s;
  size_t n;
  while (df_next_line(r, &s, &n)) {
    if (is_terminator(s, n, h->name, chomp)) {
      h->content = b.p ? b.p : strdup("");
      return h->content ? 0 : df_oom(err);
    }
    while (chomp && n > 0 && *s == '\t')
      s++, n--;
    if (df_buf_add(&b, s, n) < 0 || df_buf_add(&b, "\n", 1) < 0) {
      free(b.p);
      return df_oom(err);
    }
  }
  free(b.p);
  char shown[68];
  const char *nm = df_shown(h->name, strlen(h->name), shown, 64);
  return df_fail(c, line, err,
                 "unterminated heredoc <<%s: no line `%s` after it", nm, nm);
}

static int add_heredoc(const struct df_ctx *c, struct df_reader *r,
                       struct berth_df_instr *in, char *name, bool chomp,
                       bool expand, berth_error **err) {
  size_t k = in->n_heredocs; /* capacity: doubles from 4 */
  struct berth_df_heredoc *v = in->heredocs;
  if (k == 0 || (k >= 4 && (k & (k - 1)) == 0))
    v = realloc(in->heredocs, (k ? 2 * k : 4) * sizeof(*v));
  if (!v) {
    free(name);
    return df_oom(err);
  }
  in->heredocs = v;
  v[in->n_heredocs++] =
      (struct berth_df_heredoc){.name = name, .expand = expand};
  return read_body(c, r, &v[in->n_heredocs - 1], chomp, in->line, err);
}

/* The heredoc words[*i] opens (with "<< EOF": words[*i] and the next),
 * read from r. */
static int heredoc_at(const struct df_ctx *c, struct df_reader *r,
                      const struct df_strv *words, size_t *i,
                      struct berth_df_instr *in, berth_error **err) {
  const char *w = words->v[*i];
  size_t n = strlen(w);
  bool chomp = false, expand = false;
  char *name = NULL;
  size_t k = op_len(w, n, &chomp);
  if (k == 0)
    return 0;
  const char *rest = w + k;
  if (k == n && *i + 1 < words->n)
    rest = words->v[++*i]; /* "RUN << EOF": the next word */
  int rc = delimiter(rest, strlen(rest), &name, &expand);
  if (rc < 0)
    return df_oom(err);
  if (rc == 0)
    return 0;
  return add_heredoc(c, r, in, name, chomp, expand, err);
}

/* ---- the instruction's arguments --------------------------------------- */

static bool is_heredoc(const char *w) {
  _cleanup_free_ char *name = NULL;
  bool chomp, expand;
  return df_heredoc_word(w, strlen(w), &name, &chomp, &expand) > 0;
}

/* COPY/ADD: a source that opens a heredoc is that heredoc (Docker: even
 * one whose body it did not find, which then is empty), not a path:
 * drop it from the arguments. */
static void drop_heredoc_sources(struct berth_df_instr *in) {
  size_t k = 0;
  for (size_t i = 0; i < in->n_args; i++) {
    if (i + 1 < in->n_args && is_heredoc(in->args[i])) {
      free(in->args[i]);
      continue;
    }
    in->args[k++] = in->args[i];
  }
  in->n_args = k;
  in->args[k] = NULL;
}

/* ONBUILD: the trigger keeps its heredocs' bodies, as Docker stores it
 * ("RUN <<EOF\nbody\nEOF"), so the later build parses it whole. */
static int onbuild_text(struct berth_df_instr *in, berth_error **err) {
  struct df_buf b = {0};
  int rc = df_buf_add(&b, in->args[0], strlen(in->args[0]));
  for (size_t i = 0; rc == 0 && i < in->n_heredocs; i++) {
    const struct berth_df_heredoc *h = &in->heredocs[i];
    rc = df_buf_add(&b, "\n", 1) < 0 ||
                 df_buf_add(&b, h->content, strlen(h->content)) < 0 ||
                 df_buf_add(&b, h->name, strlen(h->name)) < 0
             ? -1
             : 0;
  }
  if (rc < 0) {
    free(b.p);
    return df_oom(err);
  }
  free(in->args[0]);
  in->args[0] = b.p;
  return 0;
}

int df_heredocs_read(const struct df_ctx *c, const char *line,
                     struct df_reader *r, struct berth_df_instr *in,
                     berth_error **err) {
  struct df_strv words = {0};
  bool open = false;
  int rc = 0;
  if (!strstr(line, "<<"))
    return 0;
  /* Docker splits the line with a backslash escape whatever the
   * Dockerfile's escape directive says. */
  if (df_split_words(line, '\\', &words, &open) < 0)
    rc = df_oom(err);
  for (size_t i = 0; rc == 0 && !open && i < words.n; i++)
    rc = heredoc_at(c, r, &words, &i, in, err);
  df_strv_clear(&words);
  if (rc < 0 || in->n_heredocs == 0)
    return rc;
  if (in->cmd == BERTH_DF_COPY || in->cmd == BERTH_DF_ADD)
    drop_heredoc_sources(in);
  if (in->cmd == BERTH_DF_ONBUILD)
    return onbuild_text(in, err);
  return 0;
}
