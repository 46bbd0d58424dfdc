/* One Dockerfile instruction: its keyword, its flags (dockerfile_flags.c)
 * and its arguments, split the way Docker's parser splits each
 * instruction's arguments (JSON or shell form, key=value pairs, words),
 * then checked for shape (argument counts, FROM's stage name). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "dockerfile_internal.h"

typedef int (*args_fn)(const struct df_ctx *c, const char *args,
                       struct berth_df_instr *in, berth_error **err);

static int add(struct berth_df_instr *in, const char *p, size_t n,
               berth_error **err) {
  struct df_strv v = df_strv_of(in->args, in->n_args);
  if (df_strv_add(&v, p, n) < 0)
    return df_oom(err);
  in->args = v.v;
  in->n_args = v.n;
  return 0;
}

static int add_str(struct berth_df_instr *in, const char *s,
                   berth_error **err) {
  return add(in, s, strlen(s), err);
}

static const char *name_of(const struct berth_df_instr *in) {
  return berth_df_cmd_name(in->cmd);
}

/* Docker's JSON form: the arguments start with '[' and are a JSON array.
 * 1: an array of strings (in->args, in->json set); 0: not JSON (shell
 * form); -1: an array holding something else, which Docker refuses. */
static int maybe_json(const struct df_ctx *c, const char *args,
                      struct berth_df_instr *in, berth_error **err) {
  while (df_space(*args))
    args++;
  if (*args != '[')
    return 0;
  json_t *a = json_loads(args, JSON_DECODE_INT_AS_REAL, NULL);
  if (!json_is_array(a)) {
    json_decref(a);
    return 0;
  }
  size_t i;
  json_t *v;
  int rc = 1;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v)) {
      rc = df_fail(c, in->line, err,
                   "when using JSON array syntax, arrays "
                   "must be comprised of strings only");
      break;
    }
    if (add(in, json_string_value(v), json_string_length(v), err) < 0) {
      rc = -1;
      break;
    }
  }
  json_decref(a);
  in->json = rc > 0;
  return rc;
}

/* Docker's plain split at whitespace (FROM, EXPOSE, and COPY, ADD and
 * VOLUME in shell form): quotes do not group. */
static int split_blanks(const char *s, struct berth_df_instr *in,
                        berth_error **err) {
  while (*s) {
    while (df_space(*s))
      s++;
    size_t n = 0;
    while (s[n] && !df_space(s[n]))
      n++;
    if (n > 0 && add(in, s, n, err) < 0)
      return -1;
    s += n;
  }
  return 0;
}

/* df_split_words' state: Docker's parseWords, a character at a time. */
struct words_state {
  const char *s;
  size_t i, n;
  char esc, quote;
  bool in_quote, blank_ok;
  char *w;
  size_t wn;
};

static int words_put(struct words_state *ws, struct df_strv *out) {
  if (ws->blank_ok || ws->wn > 0)
    if (df_strv_add(out, ws->w, ws->wn) < 0)
      return -1;
  ws->wn = 0;
  ws->blank_ok = false;
  return 0;
}

/* One character of a word; returns 1 at the end of the word. */
static int words_char(struct words_state *ws) {
  char ch = ws->s[ws->i];
  if (!ws->in_quote && df_space(ch))
    return 1;
  if (!ws->in_quote && (ch == '\'' || ch == '"')) {
    ws->quote = ch;
    ws->blank_ok = ws->in_quote = true;
  } else if (ws->in_quote && ch == ws->quote) {
    ws->in_quote = false;
  }
  if (ch == ws->esc && (!ws->in_quote || ws->quote != '\'')) {
    if (ws->i + 1 == ws->n) {
      ws->in_quote = false; /* an escape at the very end is dropped */
      return 0;
    }
    ws->w[ws->wn++] = ch;
    ch = ws->s[++ws->i];
  }
  ws->w[ws->wn++] = ch;
  return 0;
}

int df_split_words(const char *s, char esc, struct df_strv *out, bool *open) {
  struct words_state ws = {.s = s, .n = strlen(s), .esc = esc};
  ws.w = malloc(ws.n + 1);
  if (!ws.w)
    return -1;
  for (ws.i = 0; ws.i < ws.n; ws.i++) {
    if (df_space(s[ws.i]) && !ws.in_quote && ws.wn == 0 && !ws.blank_ok)
      continue;
    if (words_char(&ws) == 1 && words_put(&ws, out) < 0)
      goto fail;
  }
  if (open)
    *open = ws.in_quote;
  if (words_put(&ws, out) < 0)
    goto fail;
  free(ws.w);
  return 0;
fail:
  free(ws.w);
  return -1;
}

static int words(const struct df_ctx *c, const char *s,
                 struct berth_df_instr *in, berth_error **err) {
  struct df_strv v = {0};
  if (df_split_words(s, c->escape, &v, NULL) < 0) {
    df_strv_clear(&v);
    return df_oom(err);
  }
  in->args = v.v;
  in->n_args = v.n;
  return 0;
}

/* ---- the instructions' argument forms ---------------------------------- */

static int need_some(const struct df_ctx *c, const struct berth_df_instr *in,
                     berth_error **err) {
  if (in->n_args > 0)
    return 0;
  return df_fail(c, in->line, err, "%s requires at least one argument",
                 name_of(in));
}

/* RUN, CMD, ENTRYPOINT, SHELL: JSON, or the rest of the line verbatim. */
static int args_command(const struct df_ctx *c, const char *args,
                        struct berth_df_instr *in, berth_error **err) {
  int j = maybe_json(c, args, in, err);
  if (j < 0)
    return -1;
  if (in->cmd == BERTH_DF_SHELL && j == 0 && *args)
    return df_fail(c, in->line, err,
                   "SHELL requires the arguments to be in JSON form");
  if (j == 0 && *args && add_str(in, args, err) < 0)
    return -1;
  /* CMD and ENTRYPOINT may be empty (they then reset the command). */
  if (in->cmd == BERTH_DF_RUN || in->cmd == BERTH_DF_SHELL)
    return need_some(c, in, err);
  return 0;
}

/* MAINTAINER, USER, WORKDIR, STOPSIGNAL: the rest of the line. */
static int args_one(const struct df_ctx *c, const char *args,
                    struct berth_df_instr *in, berth_error **err) {
  if (!*args)
    return df_fail(c, in->line, err, "%s requires exactly one argument",
                   name_of(in));
  return add_str(in, args, err);
}

static int args_expose(const struct df_ctx *c, const char *args,
                       struct berth_df_instr *in, berth_error **err) {
  if (split_blanks(args, in, err) < 0)
    return -1;
  return need_some(c, in, err);
}

static int args_arg(const struct df_ctx *c, const char *args,
                    struct berth_df_instr *in, berth_error **err) {
  if (words(c, args, in, err) < 0)
    return -1;
  return need_some(c, in, err);
}

/* Docker's stage names: ^[a-z][a-z0-9-_.]*$, compared in lower case. */
static int stage_name(const struct df_ctx *c, struct berth_df_instr *in,
                      berth_error **err) {
  char *name = in->args[2];
  bool ok = true;
  for (char *p = name; *p; p++) {
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
    ok = ok && ((*p >= 'a' && *p <= 'z') ||
                (p != name && ((*p >= '0' && *p <= '9') || *p == '-' ||
                               *p == '_' || *p == '.')));
  }
  if (ok)
    return 0;
  char shown[68];
  return df_fail(c, in->line, err,
                 "invalid name for build stage: \"%s\", name can't start "
                 "with a number or contain symbols",
                 df_shown(name, strlen(name), shown, 64));
}

static int args_from(const struct df_ctx *c, const char *args,
                     struct berth_df_instr *in, berth_error **err) {
  if (split_blanks(args, in, err) < 0)
    return -1;
  if (in->n_args == 3 && strcasecmp(in->args[1], "AS") == 0)
    return stage_name(c, in, err);
  if (in->n_args != 1)
    return df_fail(c, in->line, err,
                   "FROM requires either one or three arguments");
  return 0;
}

static int check_volumes(const struct df_ctx *c,
                         const struct berth_df_instr *in, berth_error **err) {
  if (need_some(c, in, err) < 0)
    return -1;
  for (size_t i = 0; i < in->n_args; i++) {
    const char *p = in->args[i];
    while (df_space(*p))
      p++;
    if (!*p)
      return df_fail(c, in->line, err,
                     "VOLUME specified can not be an empty string");
  }
  return 0;
}

/* COPY and ADD: sources and a destination, which is no heredoc. */
static int check_copy(const struct df_ctx *c, const struct berth_df_instr *in,
                      berth_error **err) {
  if (in->n_args == 0)
    return df_fail(c, in->line, err,
                   "%s requires at least two arguments "
                   "(sources and a destination)",
                   name_of(in));
  if (in->n_args == 1)
    return df_fail(c, in->line, err,
                   "%s requires at least two arguments, but only one was "
                   "provided. Destination could not be determined",
                   name_of(in));
  const char *dest = in->args[in->n_args - 1];
  _cleanup_free_ char *hd = NULL;
  bool chomp, expand;
  int h = df_heredoc_word(dest, strlen(dest), &hd, &chomp, &expand);
  if (h < 0)
    return df_oom(err);
  if (h > 0)
    return df_fail(c, in->line, err,
                   "%s cannot accept a heredoc as a "
                   "destination",
                   name_of(in));
  return 0;
}

/* COPY, ADD, VOLUME: JSON, or words split at whitespace. */
static int args_list(const struct df_ctx *c, const char *args,
                     struct berth_df_instr *in, berth_error **err) {
  int j = maybe_json(c, args, in, err);
  if (j < 0 || (j == 0 && split_blanks(args, in, err) < 0))
    return -1;
  if (in->cmd == BERTH_DF_VOLUME)
    return check_volumes(c, in, err);
  return check_copy(c, in, err);
}

/* ENV and LABEL: "K=V ..." words, or the legacy "K V" (the value is the
 * rest of the line). */
static int args_pairs_legacy(const struct df_ctx *c, const char *args,
                             struct berth_df_instr *in, berth_error **err) {
  size_t k = 0;
  while (args[k] && !df_space(args[k]))
    k++;
  const char *v = args + k;
  while (df_space(*v))
    v++;
  if (!*v)
    return df_fail(c, in->line, err, "%s must have two arguments", name_of(in));
  if (add(in, args, k, err) < 0 || add_str(in, v, err) < 0)
    return -1;
  return 0;
}

static int add_pair(const struct df_ctx *c, const char *w,
                    struct berth_df_instr *in, berth_error **err) {
  const char *eq = strchr(w, '=');
  char shown[68];
  if (!eq)
    return df_fail(c, in->line, err,
                   "Syntax error - can't find = in \"%s\". Must be of the "
                   "form: name=value",
                   df_shown(w, strlen(w), shown, 64));
  if (eq == w)
    return df_fail(c, in->line, err, "%s names can not be blank", name_of(in));
  if (add(in, w, (size_t)(eq - w), err) < 0 || add_str(in, eq + 1, err) < 0)
    return -1;
  return 0;
}

static int args_pairs(const struct df_ctx *c, const char *args,
                      struct berth_df_instr *in, berth_error **err) {
  struct df_strv w = {0};
  int rc = 0;
  if (df_split_words(args, c->escape, &w, NULL) < 0) {
    df_strv_clear(&w);
    return df_oom(err);
  }
  if (w.n == 0)
    rc = need_some(c, in, err);
  else if (!strchr(w.v[0], '='))
    rc = args_pairs_legacy(c, args, in, err);
  else
    for (size_t i = 0; rc == 0 && i < w.n; i++)
      rc = add_pair(c, w.v[i], in, err);
  df_strv_clear(&w);
  return rc;
}

/* HEALTHCHECK NONE, or CMD and a command (JSON or shell form). */
static int args_health(const struct df_ctx *c, const char *args,
                       struct berth_df_instr *in, berth_error **err) {
  size_t k = 0;
  while (args[k] && !df_space(args[k]))
    k++;
  const char *rest = args + k;
  while (df_space(*rest))
    rest++;
  char shown[68];
  if (k == 0)
    return need_some(c, in, err);
  if (k == 4 && strncasecmp(args, "NONE", 4) == 0) {
    if (*rest)
      return df_fail(c, in->line, err, "HEALTHCHECK NONE takes no arguments");
    return add_str(in, "NONE", err);
  }
  if (k != 3 || strncasecmp(args, "CMD", 3) != 0)
    return df_fail(c, in->line, err,
                   "Unknown type \"%s\" in HEALTHCHECK (try CMD)",
                   df_shown(args, k, shown, 64));
  if (add_str(in, "CMD", err) < 0)
    return -1;
  int j = maybe_json(c, rest, in, err);
  if (j < 0 || (j == 0 && *rest && add_str(in, rest, err) < 0))
    return -1;
  if (in->n_args < 2)
    return df_fail(c, in->line, err, "Missing command after HEALTHCHECK CMD");
  return df_flags_check_health(c, in, err);
}

static int args_onbuild(const struct df_ctx *c, const char *args,
                        struct berth_df_instr *in, bool *heredocs,
                        berth_error **err) {
  size_t k = 0;
  while (args[k] && !df_space(args[k]))
    k++;
  if (k == 0)
    return need_some(c, in, err);
  if (k == 7 && strncasecmp(args, "ONBUILD", 7) == 0)
    return df_fail(c, in->line, err,
                   "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if ((k == 4 && strncasecmp(args, "FROM", 4) == 0) ||
      (k == 10 && strncasecmp(args, "MAINTAINER", 10) == 0))
    return df_fail(c, in->line, err, "%s isn't allowed as an ONBUILD trigger",
                   k == 4 ? "FROM" : "MAINTAINER");
  /* The trigger runs in a later build: check it now as that build will. */
  struct berth_df_instr t = {.line = in->line};
  int rc = df_instr_parse(c, args, &t, heredocs, err);
  df_instr_clear(&t);
  if (rc < 0)
    return -1;
  return add_str(in, args, err);
}

static const args_fn args_of[] = {
    [BERTH_DF_FROM] = args_from,
    [BERTH_DF_RUN] = args_command,
    [BERTH_DF_CMD] = args_command,
    [BERTH_DF_LABEL] = args_pairs,
    [BERTH_DF_MAINTAINER] = args_one,
    [BERTH_DF_EXPOSE] = args_expose,
    [BERTH_DF_ENV] = args_pairs,
    [BERTH_DF_ADD] = args_list,
    [BERTH_DF_COPY] = args_list,
    [BERTH_DF_ENTRYPOINT] = args_command,
    [BERTH_DF_VOLUME] = args_list,
    [BERTH_DF_USER] = args_one,
    [BERTH_DF_WORKDIR] = args_one,
    [BERTH_DF_ARG] = args_arg,
    [BERTH_DF_ONBUILD] = NULL,
    [BERTH_DF_STOPSIGNAL] = args_one,
    [BERTH_DF_HEALTHCHECK] = args_health,
    [BERTH_DF_SHELL] = args_command,
};

/* ---- the instruction --------------------------------------------------- */

static int keyword(const struct df_ctx *c, const char *w, size_t n,
                   struct berth_df_instr *in, berth_error **err) {
  for (size_t i = 0; i < sizeof(args_of) / sizeof(args_of[0]); i++) {
    const char *name = berth_df_cmd_name((enum berth_df_cmd)i);
    if (strlen(name) == n && strncasecmp(name, w, n) == 0) {
      in->cmd = (enum berth_df_cmd)i;
      return 0;
    }
  }
  char shown[68];
  return df_fail(c, in->line, err, "unknown instruction: %s",
                 df_shown(w, n, shown, 64));
}

/* The line trimmed, as in->original; *rest after the keyword. */
static int original(const char *line, struct berth_df_instr *in, size_t *kw,
                    berth_error **err) {
  while (df_space(*line))
    line++;
  size_t n = strlen(line);
  while (n > 0 && df_space(line[n - 1]))
    n--;
  in->original = strndup(line, n);
  if (!in->original)
    return df_oom(err);
  *kw = 0;
  while (*kw < n && !df_space(line[*kw]))
    (*kw)++;
  return 0;
}

int df_instr_parse(const struct df_ctx *c, const char *line,
                   struct berth_df_instr *in, bool *heredocs,
                   berth_error **err) {
  size_t kw = 0;
  const char *args;
  *heredocs = false;
  if (original(line, in, &kw, err) < 0 ||
      keyword(c, in->original, kw, in, err) < 0 ||
      df_flags_parse(c, in->original + kw, in, &args, err) < 0)
    return -1;
  _cleanup_free_ char *trimmed = NULL;
  while (df_space(*args))
    args++;
  size_t n = strlen(args);
  while (n > 0 && df_space(args[n - 1]))
    n--;
  if (!(trimmed = strndup(args, n)))
    return df_oom(err);
  if (in->cmd == BERTH_DF_ONBUILD)
    return args_onbuild(c, trimmed, in, heredocs, err);
  if (args_of[in->cmd](c, trimmed, in, err) < 0)
    return -1;
  *heredocs =
      !in->json && (in->cmd == BERTH_DF_RUN || in->cmd == BERTH_DF_COPY ||
                    in->cmd == BERTH_DF_ADD);
  return 0;
}

void df_instr_clear(struct berth_df_instr *in) {
  free(in->original);
  for (size_t i = 0; i < in->n_flags; i++) {
    free(in->flags[i].name);
    free(in->flags[i].value);
  }
  free(in->flags);
  for (size_t i = 0; i < in->n_args; i++)
    free(in->args[i]);
  free(in->args);
  for (size_t i = 0; i < in->n_heredocs; i++) {
    free(in->heredocs[i].name);
    free(in->heredocs[i].content);
  }
  free(in->heredocs);
  memset(in, 0, sizeof(*in));
}
