/* `.dockerignore`, as Docker reads it (moby/patternmatcher's ignorefile
 * reader and PatternMatcher, the code `docker build` runs):
 *
 *  - lines split at '\n' (one '\r' before it dropped), a UTF-8 BOM
 *    dropped from the first; a line starting with '#' is a comment;
 *    white space trimmed; a leading '!' marks an exception; the pattern
 *    is cleaned (filepath.Clean) and one leading '/' dropped;
 *  - a pattern must be valid for filepath.Match (else the whole file is
 *    refused, as Docker refuses it);
 *  - it is matched by translating it to a regular expression: `*` any
 *    run of non-'/', `?` one non-'/', `**` any number of elements
 *    (`**` at the end: anything), '\' escapes, classes kept; a pattern
 *    without wildcards is compared as a string, one ending in `**` as a
 *    prefix, one starting with `**` as a suffix (Docker's shortcuts,
 *    which do not always agree with the expression: "**foo" matches
 *    "xfoo");
 *  - a path is ignored when the last pattern matching it or one of its
 *    parent directories is not an exception. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "context_internal.h"
#include "ignore_regex.h"
#include "path_match.h"

/* Docker reads lines with bufio.Scanner, which fails on 64 KiB ones. */
#define MAX_LINE (64 * 1024)
/* Longer than any path: refused rather than matched slowly. */
#define MAX_PATTERN 4096

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEX };

struct pattern {
  char *text; /* the cleaned pattern, without '!' */
  size_t len;
  bool exclusion;
  enum match_type type;
  struct berth_re *re;
};

struct berth_ignore {
  struct pattern *p;
  size_t n;
};

void berth_ignore_free(struct berth_ignore *ig) {
  if (!ig)
    return;
  for (size_t i = 0; i < ig->n; i++) {
    free(ig->p[i].text);
    berth_re_free(ig->p[i].re);
  }
  free(ig->p);
  free(ig);
}

/* Appends the expression for one pattern rune; *type as Docker's compile
 * keeps it. */
struct xlate {
  const char *p, *end;
  char *out;
  size_t o;
  enum match_type type;
};

static void put(struct xlate *x, const char *s) {
  size_t n = strlen(s);
  memcpy(x->out + x->o, s, n);
  x->o += n;
}

static uint32_t next_rune(struct xlate *x) {
  size_t w;
  uint32_t r = berth_utf8_decode(x->p, (size_t)(x->end - x->p), &w);
  x->p += w;
  return r;
}

static int peek(const struct xlate *x) {
  return x->p < x->end ? (unsigned char)*x->p : -1;
}

static void put_rune(struct xlate *x, uint32_t r) {
  x->o += berth_utf8_encode(r, x->out + x->o);
}

static void xlate_star(struct xlate *x, size_t i) {
  if (peek(x) != '*') {
    put(x, "[^/]*");
    x->type = M_REGEX;
    return;
  }
  x->p++;
  if (peek(x) == '/')
    x->p++;
  if (peek(x) < 0 && x->type == M_EXACT) {
    x->type = M_PREFIX;
  } else {
    put(x, peek(x) < 0 ? ".*" : "(.*/)?");
    x->type = M_REGEX;
  }
  if (i == 0)
    x->type = M_SUFFIX;
}

static void xlate_rune(struct xlate *x, size_t i) {
  uint32_t r = next_rune(x);
  if (r == '*') {
    xlate_star(x, i);
  } else if (r == '?') {
    put(x, "[^/]");
    x->type = M_REGEX;
  } else if (r < 0x80 && strchr(".+()|{}$", (int)r) && r) {
    x->out[x->o++] = '\\';
    put_rune(x, r);
  } else if (r == '\\') {
    x->out[x->o++] = '\\';
    if (peek(x) >= 0) {
      put_rune(x, next_rune(x));
      x->type = M_REGEX;
    }
  } else {
    if (r == '[' || r == ']')
      x->type = M_REGEX;
    put_rune(x, r);
  }
}

/* The pattern's type, and its expression when it needs one. */
static int compile_pattern(struct pattern *pt, const char **why) {
  struct xlate x = {.p = pt->text, .end = pt->text + pt->len, .type = M_EXACT};
  x.out = malloc(pt->len * 6 + 8);
  if (!x.out) {
    *why = "out of memory";
    return -1;
  }
  x.out[x.o++] = '^';
  /* Go's text/scanner skips a byte order mark at the very start. */
  if (pt->len >= 3 && memcmp(pt->text, "\xEF\xBB\xBF", 3) == 0)
    x.p += 3;
  for (size_t i = 0; x.p < x.end; i++)
    xlate_rune(&x, i);
  x.out[x.o++] = '$';
  pt->type = x.type;
  if (x.type == M_REGEX)
    pt->re = berth_re_compile(x.out, x.o, why);
  free(x.out);
  return x.type == M_REGEX && !pt->re ? -1 : 0;
}

static bool pattern_match(const struct pattern *pt, const char *s, size_t n) {
  const char *t = pt->text;
  size_t k = pt->len;
  switch (pt->type) {
  case M_EXACT:
    return n == k && memcmp(s, t, n) == 0;
  case M_PREFIX:
    return n >= k - 2 && memcmp(s, t, k - 2) == 0;
  case M_SUFFIX:
    t += 2, k -= 2;
    if (n >= k && memcmp(s + n - k, t, k) == 0)
      return true;
    return k > 0 && t[0] == '/' && n == k - 1 && memcmp(s, t + 1, n) == 0;
  default:
    return berth_re_match(pt->re, s, n);
  }
}

/* The ignorefile reader's cleaning of one line: NULL and *skip for a
 * comment or blank line. */
static char *clean_line(const char *s, size_t n, bool *skip) {
  *skip = n > 0 && s[0] == '#';
  berth_go_trim_space(&s, &n);
  if (*skip || n == 0) {
    *skip = true;
    return NULL;
  }
  bool invert = s[0] == '!';
  if (invert) {
    s++, n--;
    berth_go_trim_space(&s, &n);
  }
  _cleanup_free_ char *c = n ? berth_go_clean(s, n) : strdup("");
  if (!c)
    return NULL;
  const char *body = strlen(c) > 1 && c[0] == '/' ? c + 1 : c;
  char *out = malloc(strlen(body) + 2);
  if (out)
    strcpy(stpcpy(out, invert ? "!" : ""), body);
  return out;
}

/* PatternMatcher's reading of one cleaned line into pt. */
static int add_pattern(struct pattern *pt, const char *line, int lineno,
                       berth_error **err) {
  const char *s = line, *why = NULL;
  size_t n = strlen(line);
  berth_go_trim_space(&s, &n);
  _cleanup_free_ char *c = berth_go_clean(s, n);
  if (!c)
    return berth_error_sys(err, "allocate");
  if (c[0] == '!' && c[1] == '\0')
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "line %d: illegal exclusion pattern: \"!\"", lineno);
  pt->exclusion = c[0] == '!';
  const char *body = c + pt->exclusion;
  if (strlen(body) > MAX_PATTERN)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "line %d: pattern longer than %d bytes", lineno,
                           MAX_PATTERN);
  if (berth_go_match(body, ".") < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "line %d: syntax error in pattern `%s`", lineno,
                           body);
  pt->text = strdup(body);
  pt->len = strlen(body);
  if (!pt->text)
    return berth_error_sys(err, "allocate");
  if (compile_pattern(pt, &why) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "line %d: pattern `%s`: %s", lineno, body, why);
  return 0;
}

static int parse_line(struct berth_ignore *ig, const char *s, size_t n,
                      int lineno, berth_error **err) {
  if (n >= MAX_LINE)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "line %d is longer than %d bytes", lineno, MAX_LINE);
  if (lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    s += 3, n -= 3;
  bool skip;
  _cleanup_free_ char *line = clean_line(s, n, &skip);
  if (skip)
    return 0;
  if (!line)
    return berth_error_sys(err, "allocate");
  struct pattern *np = realloc(ig->p, (ig->n + 1) * sizeof *np);
  if (!np)
    return berth_error_sys(err, "allocate");
  ig->p = np;
  memset(&np[ig->n], 0, sizeof *np);
  if (add_pattern(&np[ig->n], line, lineno, err) < 0) {
    free(np[ig->n].text);
    berth_re_free(np[ig->n].re);
    return -1;
  }
  ig->n++;
  return 0;
}

int berth_ignore_parse(const char *text, size_t len, struct berth_ignore **out,
                       berth_error **err) {
  struct berth_ignore *ig = calloc(1, sizeof *ig);
  if (!ig)
    return berth_error_sys(err, "allocate");
  int lineno = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
    if (n > 0 && text[pos + n - 1] == '\r')
      n--;
    if (parse_line(ig, text + pos, n, ++lineno, err) < 0) {
      berth_ignore_free(ig);
      return -1;
    }
    pos = end + 1;
  }
  *out = ig;
  return 0;
}

size_t berth_ignore_count(const struct berth_ignore *ig) {
  return ig ? ig->n : 0;
}

bool berth_ignore_step(const struct berth_ignore *ig, const bool *parent_hits,
                       const char *rel, size_t len, bool *hits) {
  bool ignored = false;
  for (size_t i = 0; ig && i < ig->n; i++) {
    hits[i] =
        (parent_hits && parent_hits[i]) || pattern_match(&ig->p[i], rel, len);
    if (hits[i])
      ignored = !ig->p[i].exclusion;
  }
  return ignored;
}

bool berth_ignore_hits(const struct berth_ignore *ig, const char *rel,
                       bool *hits) {
  if (!ig || ig->n == 0)
    return false;
  memset(hits, 0, ig->n * sizeof *hits);
  if (!*rel || strcmp(rel, ".") == 0)
    return false; /* the context itself is never excluded */
  bool ignored = false;
  for (size_t end = 0;; end++) {
    if (rel[end] == '/' || rel[end] == '\0')
      ignored = berth_ignore_step(ig, hits, rel, end, hits);
    if (rel[end] == '\0')
      break;
  }
  return ignored;
}

bool berth_ignore_match(const struct berth_ignore *ig, const char *rel) {
  if (!ig || ig->n == 0)
    return false;
  /* Out of memory counts as ignored: never send what may be excluded. */
  bool *hits = calloc(ig->n, sizeof *hits);
  bool ignored = !hits || berth_ignore_hits(ig, rel, hits);
  free(hits);
  return ignored;
}

bool berth_ignore_may_reinclude_below(const struct berth_ignore *ig,
                                      const char *dir) {
  size_t d = strlen(dir);
  for (size_t i = 0; ig && i < ig->n; i++) {
    const struct pattern *pt = &ig->p[i];
    if (!pt->exclusion)
      continue;
    /* Only a pattern compared as a whole string is known to match one
     * path; any other could match below. */
    if (pt->type != M_EXACT ||
        (pt->len > d && memcmp(pt->text, dir, d) == 0 && pt->text[d] == '/'))
      return true;
  }
  return false;
}
