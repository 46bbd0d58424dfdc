/* Dockerfile text -> instructions: lines, parser directives,
 * continuations and comments (the instructions themselves are split in
 * dockerfile_instr.c, their flags in dockerfile_flags.c, heredocs in
 * dockerfile_heredoc.c).  The rules are those of Docker's (BuildKit's)
 * parser, which `docker build` users write their files for. */
#include "dockerfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "dockerfile_internal.h"

static const char *const cmd_names[] = {
    [BERTH_DF_FROM] = "FROM",
    [BERTH_DF_RUN] = "RUN",
    [BERTH_DF_CMD] = "CMD",
    [BERTH_DF_LABEL] = "LABEL",
    [BERTH_DF_MAINTAINER] = "MAINTAINER",
    [BERTH_DF_EXPOSE] = "EXPOSE",
    [BERTH_DF_ENV] = "ENV",
    [BERTH_DF_ADD] = "ADD",
    [BERTH_DF_COPY] = "COPY",
    [BERTH_DF_ENTRYPOINT] = "ENTRYPOINT",
    [BERTH_DF_VOLUME] = "VOLUME",
    [BERTH_DF_USER] = "USER",
    [BERTH_DF_WORKDIR] = "WORKDIR",
    [BERTH_DF_ARG] = "ARG",
    [BERTH_DF_ONBUILD] = "ONBUILD",
    [BERTH_DF_STOPSIGNAL] = "STOPSIGNAL",
    [BERTH_DF_HEALTHCHECK] = "HEALTHCHECK",
    [BERTH_DF_SHELL] = "SHELL",
};

const char *berth_df_cmd_name(enum berth_df_cmd cmd) {
  if ((size_t)cmd >= ARRAY_SIZE(cmd_names) || !cmd_names[cmd])
    return "?";
  return cmd_names[cmd];
}

const char *berth_df_flag(const struct berth_df_instr *in, const char *name,
                          bool *present) {
  for (size_t i = 0; i < in->n_flags; i++) {
    if (strcmp(in->flags[i].name, name) == 0) {
      if (present)
        *present = true;
      return in->flags[i].value;
    }
  }
  if (present)
    *present = false;
  return NULL;
}

/* ---- shared helpers (dockerfile_internal.h) ---------------------------- */

bool df_next_line(struct df_reader *r, const char **line, size_t *n) {
  if (r->pos >= r->len)
    return false;
  const char *s = r->text + r->pos;
  const char *nl = memchr(s, '\n', r->len - r->pos);
  size_t len = nl ? (size_t)(nl - s) : r->len - r->pos;
  r->pos += len + (nl != NULL);
  if (len > 0 && s[len - 1] == '\r')
    len--;
  r->lineno++;
  *line = s;
  *n = len;
  return true;
}

int df_fail(const struct df_ctx *c, int line, berth_error **err,
            const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  int rc = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (rc < 0)
    return df_oom(err);
  if (line > 0)
    berth_error_set(err, BERTH_ERR_INVALID, 0, "%s:%d: %s", c->name, line, msg);
  else
    berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: %s", c->name, msg);
  free(msg);
  return -1;
}

int df_oom(berth_error **err) {
  return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "parse the Dockerfile");
}

const char *df_shown(const char *s, size_t n, char *buf, size_t max) {
  size_t k = n < max ? n : max;
  for (size_t i = 0; i < k; i++) {
    unsigned char ch = (unsigned char)s[i];
    buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  if (n > max)
    memcpy(buf + k, "...", 3), k += 3;
  buf[k] = '\0';
  return buf;
}

/* Capacity: the smallest 8 * 2^k holding n + 1 pointers (df_strv_of
 * relies on it). */
int df_strv_add(struct df_strv *s, const char *p, size_t n) {
  if (s->n + 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    char **v = realloc(s->v, cap * sizeof(*v));
    if (!v)
      return -1;
    s->v = v;
    s->cap = cap;
  }
  char *copy = strndup(p, n);
  if (!copy)
    return -1;
  s->v[s->n++] = copy;
  s->v[s->n] = NULL;
  return 0;
}

struct df_strv df_strv_of(char **v, size_t n) {
  struct df_strv s = {v, n, 0};
  if (v)
    for (s.cap = 8; s.cap < n + 1;)
      s.cap *= 2;
  return s;
}

void df_strv_clear(struct df_strv *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  *s = (struct df_strv){0};
}

/* ---- lines and directives ---------------------------------------------- */

struct df_state {
  struct df_ctx ctx;
  struct df_reader r;
  struct berth_dockerfile *out;
  size_t cap;
  bool directives_done, seen_from;
  bool seen[3]; /* escape, syntax, check */
};

static const char *const directive_names[] = {"escape", "syntax", "check"};

/* Go's regexp \s, which Docker's directive pattern uses. */
static bool re_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

static bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_alnum(char ch) {
  return is_alpha(ch) || (ch >= '0' && ch <= '9');
}

/* Matches Docker's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`. */
static bool directive_split(const char *s, size_t n, const char **key,
                            size_t *klen, const char **val, size_t *vlen) {
  size_t i = 1;
  if (n == 0 || s[0] != '#')
    return false;
  while (i < n && re_space(s[i]))
    i++;
  if (i >= n || !is_alpha(s[i]))
    return false;
  *key = s + i;
  while (i < n && is_alnum(s[i]))
    i++;
  *klen = (size_t)(s + i - *key);
  while (i < n && re_space(s[i]))
    i++;
  if (i >= n || s[i] != '=')
    return false;
  for (i++; i < n && re_space(s[i]);)
    i++;
  while (n > i && re_space(s[n - 1]))
    n--;
  *val = s + i;
  *vlen = n - i;
  return *vlen > 0;
}

static int directive_known(const char *key, size_t klen) {
  for (size_t i = 0; i < ARRAY_SIZE(directive_names); i++)
    if (strlen(directive_names[i]) == klen &&
        strncasecmp(directive_names[i], key, klen) == 0)
      return (int)i;
  return -1;
}

/* Directives (`# escape=``, `# syntax=...`) count only before the first
 * line that is not one; after it they are plain comments. */
static int directive(struct df_state *st, const char *s, size_t n,
                     berth_error **err) {
  const char *key, *val;
  size_t klen, vlen;
  if (st->directives_done)
    return 0;
  int k = directive_split(s, n, &key, &klen, &val, &vlen)
              ? directive_known(key, klen)
              : -1;
  if (k < 0) {
    st->directives_done = true;
    return 0;
  }
  if (st->seen[k])
    return df_fail(&st->ctx, st->r.lineno, err,
                   "only one %s parser directive can be used",
                   directive_names[k]);
  st->seen[k] = true;
  if (k != 0)
    return 0; /* syntax= and check= are accepted and ignored */
  if (vlen != 1 || (val[0] != '\\' && val[0] != '`')) {
    char shown[68];
    return df_fail(&st->ctx, st->r.lineno, err,
                   "invalid escape token '%s' does not match ` or \\",
                   df_shown(val, vlen, shown, 64));
  }
  st->ctx.escape = val[0];
  return 0;
}

/* unicode.IsSpace for the bytes Docker's left trim meets in practice. */
static void ltrim(const char **s, size_t *n) {
  while (*n > 0 && df_space(**s))
    (*s)++, (*n)--;
}

/* The escape character at the end of a line, maybe followed by blanks,
 * continues the instruction on the next line; both are removed. */
static bool continues(const struct df_ctx *c, const char *s, size_t *n) {
  size_t k = *n;
  while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
    k--;
  if (k == 0 || s[k - 1] != c->escape)
    return false;
  *n = k - 1;
  return true;
}

int df_buf_add(struct df_buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return -1;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}

/* Appends the continuation lines; comment lines and blank lines between
 * them are skipped (Docker allows both inside an instruction). */
static int join_lines(struct df_state *st, struct df_buf *b) {
  const char *s;
  size_t n;
  while (df_next_line(&st->r, &s, &n)) {
    const char *t = s;
    size_t tn = n;
    ltrim(&t, &tn);
    if (tn == 0 || t[0] == '#')
      continue;
    bool more = continues(&st->ctx, s, &n);
    if (df_buf_add(b, s, n) < 0)
      return -1;
    if (!more)
      break;
  }
  return 0;
}

/* ---- instructions ------------------------------------------------------ */

static struct berth_df_instr *new_instr(struct df_state *st) {
  struct berth_dockerfile *df = st->out;
  if (df->n == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 16;
    struct berth_df_instr *v = realloc(df->instrs, cap * sizeof(*v));
    if (!v)
      return NULL;
    df->instrs = v;
    st->cap = cap;
  }
  struct berth_df_instr *in = &df->instrs[df->n];
  memset(in, 0, sizeof(*in));
  return in;
}

/* Only ARG may come before the first FROM (Docker: "no build stage in
 * current context"). */
static int check_stage(struct df_state *st, const struct berth_df_instr *in,
                       berth_error **err) {
  if (in->cmd == BERTH_DF_FROM)
    st->seen_from = true;
  if (st->seen_from || in->cmd == BERTH_DF_ARG)
    return 0;
  return df_fail(&st->ctx, in->line, err,
                 "%s before the first FROM: no build stage in current context",
                 berth_df_cmd_name(in->cmd));
}

static int add_instr(struct df_state *st, const char *line, int start,
                     berth_error **err) {
  struct berth_df_instr *in = new_instr(st);
  bool heredocs = false;
  if (!in)
    return df_oom(err);
  in->line = start;
  if (df_instr_parse(&st->ctx, line, in, &heredocs, err) < 0) {
    df_instr_clear(in);
    return -1;
  }
  st->out->n++; /* owned by the Dockerfile from here on */
  if (heredocs && df_heredocs_read(&st->ctx, line, &st->r, in, err) < 0)
    return -1;
  return check_stage(st, in, err);
}

/* One instruction from its first line on (s: left-trimmed, not a
 * comment). */
static int instruction(struct df_state *st, const char *s, size_t n,
                       berth_error **err) {
  bool more = continues(&st->ctx, s, &n);
  if (!more && n == 0)
    return 0;
  int start = st->r.lineno;
  _cleanup_free_ char *line = NULL;
  struct df_buf b = {0};
  if (df_buf_add(&b, s, n) < 0 || (more && join_lines(st, &b) < 0)) {
    free(b.p);
    return df_oom(err);
  }
  line = b.p;
  return add_instr(st, line, start, err);
}

static int parse_lines(struct df_state *st, berth_error **err) {
  const char *s;
  size_t n;
  while (df_next_line(&st->r, &s, &n)) {
    if (st->r.lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
      s += 3, n -= 3; /* a UTF-8 byte order mark */
    ltrim(&s, &n);
    if (directive(st, s, n, err) < 0)
      return -1;
    if (n > 0 && s[0] == '#')
      continue;
    if (instruction(st, s, n, err) < 0)
      return -1;
  }
  return 0;
}

static int check_whole(struct df_state *st, berth_error **err) {
  if (st->out->n == 0)
    return df_fail(&st->ctx, 0, err, "file with no instructions");
  if (!st->seen_from)
    return df_fail(&st->ctx, 0, err, "no FROM instruction: no stage to build");
  return 0;
}

static int check_bytes(const struct df_ctx *c, const char *text, size_t len,
                       berth_error **err) {
  if (len > BERTH_DOCKERFILE_MAX)
    return df_fail(c, 0, err, "larger than %u bytes", BERTH_DOCKERFILE_MAX);
  const char *nul = len ? memchr(text, '\0', len) : NULL;
  if (!nul)
    return 0;
  int line = 1;
  for (const char *p = text; p < nul; p++)
    line += *p == '\n';
  return df_fail(c, line, err, "NUL byte in the file (not a text file?)");
}

int berth_dockerfile_parse(const char *text, size_t len, const char *name,
                           struct berth_dockerfile *out, berth_error **err) {
  struct df_state st = {
      .ctx = {.name = name ? name : "Dockerfile", .escape = '\\'},
      .r = {.text = text, .len = len},
      .out = out,
  };
  memset(out, 0, sizeof(*out));
  out->escape = '\\';
  if (check_bytes(&st.ctx, text, len, err) < 0)
    return -1;
  if (parse_lines(&st, err) < 0 || check_whole(&st, err) < 0) {
    berth_dockerfile_free(out);
    return -1;
  }
  out->escape = st.ctx.escape;
  return 0;
}

void berth_dockerfile_free(struct berth_dockerfile *df) {
  if (!df)
    return;
  for (size_t i = 0; i < df->n; i++)
    df_instr_clear(&df->instrs[i]);
  free(df->instrs);
  df->instrs = NULL;
  df->n = 0;
}
