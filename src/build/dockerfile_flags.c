/* An instruction's flags ("COPY --from=build --chown=app a b"): split off
 * the arguments as Docker's extractBuilderFlags does (leading words that
 * start with "--"; a lone "--" ends them; quotes and backslashes inside a
 * flag word are removed), then checked against the flags the instruction
 * takes, as Docker's BFlags does.  Values are not expanded here. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "dockerfile_internal.h"
#include "flags.h"

enum flag_type {
  FLAG_STRING,  /* --name=value, once */
  FLAG_STRINGS, /* --name=value, repeatable (RUN --mount) */
  FLAG_BOOL,    /* --name, --name=true, --name=false */
};

static const struct {
  enum berth_df_cmd cmd;
  const char *name;
  enum flag_type type;
} known_flags[] = {
    {BERTH_DF_FROM, "platform", FLAG_STRING},
    /* RUN's flags are parsed here; build.c decides which it supports. */
    {BERTH_DF_RUN, "mount", FLAG_STRINGS},
    {BERTH_DF_RUN, "network", FLAG_STRING},
    {BERTH_DF_RUN, "security", FLAG_STRING},
    {BERTH_DF_COPY, "from", FLAG_STRING},
    {BERTH_DF_COPY, "chown", FLAG_STRING},
    {BERTH_DF_COPY, "chmod", FLAG_STRING},
    {BERTH_DF_COPY, "link", FLAG_BOOL},
    {BERTH_DF_ADD, "chown", FLAG_STRING},
    {BERTH_DF_ADD, "chmod", FLAG_STRING},
    {BERTH_DF_ADD, "link", FLAG_BOOL},
    {BERTH_DF_ADD, "checksum", FLAG_STRING},
    {BERTH_DF_ADD, "keep-git-dir", FLAG_BOOL},
    {BERTH_DF_HEALTHCHECK, "interval", FLAG_STRING},
    {BERTH_DF_HEALTHCHECK, "timeout", FLAG_STRING},
    {BERTH_DF_HEALTHCHECK, "start-period", FLAG_STRING},
    {BERTH_DF_HEALTHCHECK, "start-interval", FLAG_STRING},
    {BERTH_DF_HEALTHCHECK, "retries", FLAG_STRING},
};

/* ---- splitting --------------------------------------------------------- */

struct flag_scan {
  const char *s;
  size_t i, n;
  char *w; /* the current word, quotes and backslashes removed */
  size_t wn;
  bool blank_ok;
};

/* Reads one flag word from s[i] (which starts with "--"); i ends on the
 * blank after it or at the end. */
static void scan_word(struct flag_scan *fs) {
  char quote = 0;
  fs->wn = 0;
  fs->blank_ok = false;
  for (; fs->i < fs->n; fs->i++) {
    char ch = fs->s[fs->i];
    if (!quote && df_space(ch))
      return;
    if (!quote && (ch == '\'' || ch == '"')) {
      quote = ch;
      fs->blank_ok = true;
      continue;
    }
    if (quote && ch == quote) {
      quote = 0;
      continue;
    }
    if (ch == '\\') {
      if (fs->i + 1 == fs->n) {
        quote = 0; /* a backslash at the end is dropped */
        continue;
      }
      ch = fs->s[++fs->i];
    }
    fs->w[fs->wn++] = ch;
  }
}

static bool starts_flag(const struct flag_scan *fs) {
  return fs->i + 1 < fs->n && fs->s[fs->i] == '-' && fs->s[fs->i + 1] == '-';
}

/* Collects the flag words; *rest: where the arguments start. */
static int split_flags(const char *s, struct df_strv *words,
                       const char **rest) {
  struct flag_scan fs = {.s = s, .n = strlen(s)};
  if (!(fs.w = malloc(fs.n + 1)))
    return -1;
  *rest = s + fs.n;
  while (fs.i < fs.n) {
    if (df_space(s[fs.i])) {
      fs.i++;
      continue;
    }
    if (!starts_flag(&fs)) {
      *rest = s + fs.i;
      break;
    }
    scan_word(&fs);
    if (fs.wn == 2 && memcmp(fs.w, "--", 2) == 0) {
      *rest = s + fs.i; /* "--" ends the flags */
      break;
    }
    if ((fs.blank_ok || fs.wn > 0) && df_strv_add(words, fs.w, fs.wn) < 0) {
      free(fs.w);
      return -1;
    }
  }
  free(fs.w);
  return 0;
}

/* ---- checking ---------------------------------------------------------- */

static int flag_type_of(enum berth_df_cmd cmd, const char *name, size_t len) {
  for (size_t i = 0; i < ARRAY_SIZE(known_flags); i++)
    if (known_flags[i].cmd == cmd && strlen(known_flags[i].name) == len &&
        memcmp(known_flags[i].name, name, len) == 0)
      return (int)known_flags[i].type;
  return -1;
}

static bool seen_before(const struct berth_df_instr *in, const char *name) {
  for (size_t i = 0; i < in->n_flags; i++)
    if (strcmp(in->flags[i].name, name) == 0)
      return true;
  return false;
}

/* The value a flag of this type may have; the message when it may not. */
static const char *value_problem(enum flag_type type, const char *value) {
  if (type == FLAG_BOOL) {
    if (value && !*value)
      return "missing a value on flag";
    if (value && strcasecmp(value, "true") != 0 &&
        strcasecmp(value, "false") != 0)
      return "expecting a boolean value (true or false) for flag";
    return NULL;
  }
  return value ? NULL : "missing a value on flag";
}

/* in->flags grows by doubling: 4 entries, then 8 when the 5th comes... */
static int add_flag(struct berth_df_instr *in, char *name, char *value) {
  size_t n = in->n_flags;
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
    struct berth_df_flag *v = realloc(in->flags, (n ? 2 * n : 4) * sizeof(*v));
    if (!v)
      return -1;
    in->flags = v;
  }
  in->flags[in->n_flags++] = (struct berth_df_flag){name, value};
  return 0;
}

static int check_flag(const struct df_ctx *c, struct berth_df_instr *in,
                      const char *word, berth_error **err) {
  const char *name = word + 2, *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  char shown[68];
  int type = flag_type_of(in->cmd, name, len);
  if (type < 0)
    return df_fail(c, in->line, err, "unknown flag: --%s",
                   df_shown(name, len, shown, 64));
  _cleanup_free_ char *n = strndup(name, len);
  _cleanup_free_ char *v = eq ? strdup(eq + 1) : NULL;
  if (!n || (eq && !v))
    return df_oom(err);
  if (type != FLAG_STRINGS && seen_before(in, n))
    return df_fail(c, in->line, err, "duplicate flag specified: --%s", n);
  const char *problem = value_problem((enum flag_type)type, v);
  if (problem)
    return df_fail(c, in->line, err, "%s --%s", problem, n);
  if (add_flag(in, n, v) < 0)
    return df_oom(err);
  n = v = NULL; /* owned by in->flags */
  return 0;
}

int df_flags_parse(const struct df_ctx *c, const char *rest,
                   struct berth_df_instr *in, const char **args,
                   berth_error **err) {
  struct df_strv words = {0};
  int rc = 0;
  if (split_flags(rest, &words, args) < 0)
    rc = df_oom(err);
  for (size_t i = 0; rc == 0 && i < words.n; i++)
    rc = check_flag(c, in, words.v[i], err);
  df_strv_clear(&words);
  return rc;
}

/* ---- HEALTHCHECK's values ---------------------------------------------- */

static const char *const health_durations[] = {
    "interval", "timeout", "start-period", "start-interval"};

/* Docker: a Go duration, 0 (the default) or at least 1ms. */
static int check_duration(const struct df_ctx *c,
                          const struct berth_df_instr *in, const char *name,
                          berth_error **err) {
  const char *v = berth_df_flag(in, name, NULL);
  char flag[32];
  int64_t ns;
  berth_error *e = NULL;
  if (!v || !*v)
    return 0;
  snprintf(flag, sizeof(flag), "--%s", name);
  if (berth_parse_duration(flag, v, &ns, &e) < 0) {
    int rc = df_fail(c, in->line, err, "%s", e ? e->msg : flag);
    berth_error_free(e);
    return rc;
  }
  if (ns != 0 && ns < 1000000)
    return df_fail(c, in->line, err, "%s cannot be less than 1ms", flag);
  return 0;
}

static int check_retries(const struct df_ctx *c,
                         const struct berth_df_instr *in, berth_error **err) {
  const char *v = berth_df_flag(in, "retries", NULL);
  char shown[68];
  if (!v || !*v)
    return 0;
  if (df_space(*v))
    return df_fail(c, in->line, err, "invalid --retries `%s`: not a number",
                   df_shown(v, strlen(v), shown, 64));
  char *end;
  errno = 0;
  long long r = strtoll(v, &end, 10);
  if (errno || *end || end == v || r > INT32_MAX || r < INT32_MIN)
    return df_fail(c, in->line, err, "invalid --retries `%s`: not a number",
                   df_shown(v, strlen(v), shown, 64));
  if (r < 0)
    return df_fail(c, in->line, err, "--retries cannot be negative (%lld)", r);
  return 0;
}

int df_flags_check_health(const struct df_ctx *c,
                          const struct berth_df_instr *in, berth_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(health_durations); i++)
    if (check_duration(c, in, health_durations[i], err) < 0)
      return -1;
  return check_retries(c, in, err);
}
