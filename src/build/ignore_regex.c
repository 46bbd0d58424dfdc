/* A small regular-expression engine for `.dockerignore` patterns.
 *
 * Docker matches a pattern by translating it to a Go regular expression
 * (RE2 syntax, Perl flags); what that translation leaves in place, such
 * as a class holding `*` ("[*]" becomes "[[^/]*]") or an escaped letter
 * ("\d" is a digit class), is part of what a .dockerignore means.  So the
 * translated text is compiled here with RE2's rules for the constructs
 * it can contain, and matched by a Pike VM (a set of NFA states advanced
 * rune by rune), which takes time linear in the path: no pattern from a
 * hostile context can make matching exponential. */
#include "ignore_regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path_match.h"

#define MAX_RUNE 0x10FFFFu
#define MAX_DEPTH 100

/* The parse tree: items of a sequence are linked by `next`. */
enum kind { N_LIT, N_CLASS, N_ANY, N_GROUP, N_STAR, N_QUEST, N_PLUS, N_ASSERT };

struct node {
  uint8_t kind;
  uint32_t val; /* LIT rune, CLASS index, ASSERT kind */
  int kid, next;
};

struct parser {
  const char *s, *end;
  struct node *nodes;
  size_t n, cap;
  struct berth_re *re;
  const char *why;
  int depth;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return true;
  size_t c = *cap ? *cap * 2 : 16;
  while (c < need)
    c *= 2;
  void *np = realloc(*p, c * size);
  if (!np)
    return false;
  *p = np;
  *cap = c;
  return true;
}

static int fail(struct parser *P, const char *why) {
  if (!P->why)
    P->why = why;
  return -1;
}

/* ---- classes ---- */

static int add_range(struct parser *P, struct re_cls *c, uint32_t lo,
                     uint32_t hi) {
  if (!grow((void **)&c->r, &c->cap, c->n + 1, sizeof *c->r))
    return fail(P, "out of memory");
  c->r[c->n++] = (struct re_range){lo, hi};
  return 0;
}

static int cmp_range(const void *a, const void *b) {
  const struct re_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges; with `negate`, replaces the set by its complement. */
static int normalize(struct parser *P, struct re_cls *c, bool negate) {
  qsort(c->r, c->n, sizeof *c->r, cmp_range);
  size_t w = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (w > 0 && c->r[i].lo <= c->r[w - 1].hi + 1) {
      if (c->r[i].hi > c->r[w - 1].hi)
        c->r[w - 1].hi = c->r[i].hi;
    } else {
      c->r[w++] = c->r[i];
    }
  }
  c->n = w;
  if (!negate)
    return 0;
  struct re_cls out = {0};
  uint32_t next = 0;
  int rc = 0;
  for (size_t i = 0; i < c->n && rc == 0; i++) {
    if (c->r[i].lo > next)
      rc = add_range(P, &out, next, c->r[i].lo - 1);
    next = c->r[i].hi + 1;
  }
  if (rc == 0 && next <= MAX_RUNE)
    rc = add_range(P, &out, next, MAX_RUNE);
  free(c->r);
  *c = out;
  return rc;
}

/* Adds the ranges of a named set (pairs lo,hi; 0-terminated past the
 * first pair), complemented when negate. */
static int add_set(struct parser *P, struct re_cls *c, const uint32_t *set,
                   bool negate) {
  struct re_cls tmp = {0};
  for (size_t i = 0; i == 0 || set[i]; i += 2)
    if (add_range(P, &tmp, set[i], set[i + 1]) < 0)
      return -1;
  int rc = normalize(P, &tmp, negate);
  for (size_t i = 0; rc == 0 && i < tmp.n; i++)
    rc = add_range(P, c, tmp.r[i].lo, tmp.r[i].hi);
  free(tmp.r);
  return rc;
}

static const uint32_t DIGIT[] = {'0', '9', 0};
static const uint32_t SPACE[] = {'\t', '\n', '\f', '\f', '\r',
                                 '\r', ' ',  ' ',  0};
static const uint32_t WORD[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z', 0};

/* \d \D \s \S \w \W at P->s: 1 when one was added, 0 when none is there. */
static int perl_class(struct parser *P, struct re_cls *c) {
  if (P->end - P->s < 2 || P->s[0] != '\\')
    return 0;
  const char *k = strchr("dDsSwW", P->s[1]);
  if (!k || !P->s[1])
    return 0;
  static const uint32_t *const sets[] = {DIGIT, SPACE, WORD};
  int i = (int)(k - "dDsSwW");
  P->s += 2;
  return add_set(P, c, sets[i / 2], i % 2) < 0 ? -1 : 1;
}

static const struct {
  const char *name;
  uint32_t set[14];
} posix[] = {
    {"alnum", {'0', '9', 'A', 'Z', 'a', 'z', 0}},
    {"alpha", {'A', 'Z', 'a', 'z', 0}},
    {"ascii", {0, 0x7F, 0}},
    {"blank", {'\t', '\t', ' ', ' ', 0}},
    {"cntrl", {0, 0x1F, 0x7F, 0x7F, 0}},
    {"digit", {'0', '9', 0}},
    {"graph", {'!', '~', 0}},
    {"lower", {'a', 'z', 0}},
    {"print", {' ', '~', 0}},
    {"punct", {'!', '/', ':', '@', '[', '`', '{', '~', 0}},
    {"space", {'\t', '\r', ' ', ' ', 0}},
    {"upper", {'A', 'Z', 0}},
    {"word", {'0', '9', 'A', 'Z', '_', '_', 'a', 'z', 0}},
    {"xdigit", {'0', '9', 'A', 'F', 'a', 'f', 0}},
};

/* "[:alpha:]" or "[:^alpha:]" at P->s (RE2 looks for the closing ":]"
 * anywhere after it). */
static int named_class(struct parser *P, struct re_cls *c) {
  if (P->end - P->s <= 2 || P->s[0] != '[' || P->s[1] != ':')
    return 0;
  const char *close = memmem(P->s + 2, (size_t)(P->end - P->s - 2), ":]", 2);
  if (!close)
    return 0;
  const char *name = P->s + 2;
  bool negate = *name == '^';
  name += negate;
  size_t len = (size_t)(close - name);
  for (size_t i = 0; i < sizeof posix / sizeof posix[0]; i++)
    if (strlen(posix[i].name) == len && memcmp(posix[i].name, name, len) == 0) {
      P->s = close + 2;
      return add_set(P, c, posix[i].set, negate) < 0 ? -1 : 1;
    }
  return fail(P, "invalid character class range");
}

/* ---- escapes ---- */

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A one-character escape at P->s ("\." "\n" "\101" "\x41"). */
static int escape_rune(struct parser *P, uint32_t *r) {
  if (P->end - P->s < 2)
    return fail(P, "trailing backslash at end of expression");
  char c = P->s[1];
  const char *t = P->s + 2;
  if ((unsigned char)c < 0x80 && !(c >= '0' && c <= '9') &&
      !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) {
    *r = (unsigned char)c;
  } else if (c == '0' ||
             (c >= '1' && c <= '7' && t < P->end && *t >= '0' && *t <= '7')) {
    *r = (uint32_t)(c - '0');
    for (int i = 1; i < 3 && t < P->end && *t >= '0' && *t <= '7'; i++)
      *r = *r * 8 + (uint32_t)(*t++ - '0');
  } else if (c == 'x' && P->end - t >= 2 && hexval(t[0]) >= 0 &&
             hexval(t[1]) >= 0) {
    *r = (uint32_t)(hexval(t[0]) * 16 + hexval(t[1]));
    t += 2;
  } else if (c && strchr("afnrtv", c)) {
    static const char map[] = "\a\f\n\r\t\v";
    *r = (unsigned char)map[strchr("afnrtv", c) - "afnrtv"];
  } else {
    return fail(P, "invalid escape sequence");
  }
  P->s = t;
  return 0;
}

static int class_char(struct parser *P, uint32_t *r) {
  if (P->s >= P->end)
    return fail(P, "missing closing ]");
  if (*P->s == '\\')
    return escape_rune(P, r);
  size_t w;
  *r = berth_utf8_decode(P->s, (size_t)(P->end - P->s), &w);
  P->s += w;
  return 0;
}

/* One element of a class: a named or Perl class, a rune or a range. */
static int class_item(struct parser *P, struct re_cls *c) {
  int k = named_class(P, c);
  if (k == 0 && P->end - P->s >= 2 && P->s[0] == '\\' &&
      (P->s[1] == 'p' || P->s[1] == 'P'))
    return fail(P, "Unicode classes (\\p) are not supported");
  if (k == 0)
    k = perl_class(P, c);
  if (k != 0)
    return k < 0 ? -1 : 0;
  uint32_t lo, hi;
  if (class_char(P, &lo) < 0)
    return -1;
  hi = lo;
  if (P->end - P->s >= 2 && P->s[0] == '-' && P->s[1] != ']') {
    P->s++;
    if (class_char(P, &hi) < 0)
      return -1;
    if (hi < lo)
      return fail(P, "invalid character class range");
  }
  return add_range(P, c, lo, hi);
}

static int new_node(struct parser *P, uint8_t kind, uint32_t val) {
  if (!grow((void **)&P->nodes, &P->cap, P->n + 1, sizeof *P->nodes))
    return fail(P, "out of memory");
  P->nodes[P->n] = (struct node){kind, val, -1, -1};
  return (int)P->n++;
}

static int new_class(struct parser *P, struct re_cls *c) {
  struct berth_re *re = P->re;
  struct re_cls *nc = realloc(re->cls, (re->ncls + 1) * sizeof *nc);
  if (!nc) {
    free(c->r);
    return fail(P, "out of memory");
  }
  re->cls = nc;
  nc[re->ncls] = *c;
  return new_node(P, N_CLASS, (uint32_t)re->ncls++);
}

/* "[...]" at P->s. */
static int parse_class(struct parser *P) {
  struct re_cls c = {0};
  P->s++;
  bool negate = P->s < P->end && *P->s == '^';
  P->s += negate;
  for (bool first = true; P->s >= P->end || *P->s != ']' || first;
       first = false)
    if (class_item(P, &c) < 0) {
      free(c.r);
      return -1;
    }
  P->s++;
  if (normalize(P, &c, negate) < 0) {
    free(c.r);
    return -1;
  }
  return new_class(P, &c);
}

/* ---- sequences ---- */

struct seq {
  int head, tail;
};

static int append(struct parser *P, struct seq *q, int node) {
  if (node < 0)
    return -1;
  if (q->tail >= 0)
    P->nodes[q->tail].next = node;
  else
    q->head = node;
  q->tail = node;
  return 0;
}

/* "\A" "\z" "\b" "\B" "\Q...\E", a Perl class, or a one-rune escape. */
static int parse_backslash(struct parser *P, struct seq *q) {
  static const char asserts[] = "AzbB";
  const char *a =
      P->end - P->s >= 2 && P->s[1] ? strchr(asserts, P->s[1]) : NULL;
  if (a) {
    P->s += 2;
    return append(P, q, new_node(P, N_ASSERT, (uint32_t)(a - asserts)));
  }
  if (P->end - P->s >= 2 && P->s[1] == 'Q') {
    const char *lit = P->s + 2;
    const char *e = memmem(lit, (size_t)(P->end - lit), "\\E", 2);
    const char *stop = e ? e : P->end;
    size_t w;
    for (; lit < stop; lit += w)
      if (append(P, q,
                 new_node(P, N_LIT,
                          berth_utf8_decode(lit, (size_t)(stop - lit), &w))) <
          0)
        return -1;
    P->s = e ? e + 2 : P->end;
    return 0;
  }
  if (P->end - P->s >= 2 && (P->s[1] == 'p' || P->s[1] == 'P'))
    return fail(P, "Unicode classes (\\p) are not supported");
  if (P->end - P->s >= 2 && P->s[1] == 'C')
    return fail(P, "invalid escape sequence");
  struct re_cls c = {0};
  int k = perl_class(P, &c);
  if (k > 0 && normalize(P, &c, false) == 0)
    return append(P, q, new_class(P, &c));
  free(c.r);
  uint32_t r;
  if (k < 0 || escape_rune(P, &r) < 0)
    return -1;
  return append(P, q, new_node(P, N_LIT, r));
}

/* `*`, `+` or `?` after the last item: the item is moved to a new node
 * and its place becomes the repetition, so the links stay. */
static int repeat(struct parser *P, struct seq *q, bool *last_was_repeat) {
  if (q->tail < 0)
    return fail(P, "missing argument to repetition operator");
  if (*last_was_repeat)
    return fail(P, "invalid nested repetition operator");
  char c = *P->s++;
  if (P->s < P->end && *P->s == '?')
    P->s++; /* non-greedy: the same yes/no answer */
  int moved = new_node(P, 0, 0);
  if (moved < 0)
    return -1;
  struct node *t = &P->nodes[q->tail];
  P->nodes[moved] = *t;
  P->nodes[moved].next = -1;
  t = &P->nodes[q->tail];
  t->kind = c == '*' ? N_STAR : c == '+' ? N_PLUS : N_QUEST;
  t->kid = moved;
  *last_was_repeat = true;
  return 0;
}

static int parse_seq(struct parser *P, struct seq *q);

static int parse_group(struct parser *P, struct seq *q) {
  if (++P->depth > MAX_DEPTH)
    return fail(P, "expression nests too deeply");
  P->s++;
  if (P->s < P->end && *P->s == '?')
    return fail(P, "unsupported group");
  struct seq inner = {-1, -1};
  if (parse_seq(P, &inner) < 0)
    return -1;
  if (P->s >= P->end || *P->s != ')')
    return fail(P, "missing closing )");
  P->s++;
  P->depth--;
  int g = new_node(P, N_GROUP, 0);
  if (g >= 0)
    P->nodes[g].kid = inner.head;
  return append(P, q, g);
}

static int parse_item(struct parser *P, struct seq *q) {
  size_t w;
  switch (*P->s) {
  case '(':
    return parse_group(P, q);
  case '[':
    return append(P, q, parse_class(P));
  case '.':
    P->s++;
    return append(P, q, new_node(P, N_ANY, 0));
  case '^':
  case '$':
    return append(P, q,
                  new_node(P, N_ASSERT, *P->s++ == '^' ? A_BEGIN : A_END));
  case '\\':
    return parse_backslash(P, q);
  case '|':
    return fail(P, "alternation is not supported");
  default:
    return append(P, q,
                  new_node(
                      P, N_LIT,
                      berth_utf8_decode(P->s, (size_t)(P->end - P->s), &w))) < 0
               ? -1
               : (P->s += w, 0);
  }
}

static int parse_seq(struct parser *P, struct seq *q) {
  bool last_was_repeat = false;
  while (P->s < P->end && *P->s != ')') {
    if (strchr("*+?", *P->s)) {
      if (repeat(P, q, &last_was_repeat) < 0)
        return -1;
      continue;
    }
    last_was_repeat = false;
    if (parse_item(P, q) < 0)
      return -1;
  }
  return 0;
}

/* ---- compilation to NFA instructions ---- */

static int emit(struct parser *P, uint8_t op, uint32_t x, uint32_t y) {
  struct berth_re *re = P->re;
  if (!grow((void **)&re->prog, &re->cap, re->n + 1, sizeof *re->prog))
    return fail(P, "out of memory");
  re->prog[re->n] = (struct re_inst){op, x, y};
  return (int)re->n++;
}

static int compile_seq(struct parser *P, int node);

static int compile_node(struct parser *P, const struct node *nd) {
  static const uint8_t simple[] = {[N_LIT] = I_RUNE,
                                   [N_CLASS] = I_CLASS,
                                   [N_ANY] = I_ANY,
                                   [N_ASSERT] = I_ASSERT};
  struct berth_re *re = P->re;
  int l;
  switch (nd->kind) {
  case N_GROUP:
    return compile_seq(P, nd->kid);
  case N_STAR:
  case N_QUEST:
    if ((l = emit(P, I_SPLIT, 0, 0)) < 0 || compile_seq(P, nd->kid) < 0)
      return -1;
    if (nd->kind == N_STAR && emit(P, I_JMP, (uint32_t)l, 0) < 0)
      return -1;
    re->prog[l].x = (uint32_t)l + 1;
    re->prog[l].y = (uint32_t)re->n;
    return 0;
  case N_PLUS:
    l = (int)re->n;
    if (compile_seq(P, nd->kid) < 0)
      return -1;
    return emit(P, I_SPLIT, (uint32_t)l, (uint32_t)re->n + 1) < 0 ? -1 : 0;
  default:
    return emit(P, simple[nd->kind], nd->val, 0) < 0 ? -1 : 0;
  }
}

/* A group's or repetition's kid is one node (its siblings belong to the
 * enclosing sequence) except for a group, whose kid heads a sequence. */
static int compile_seq(struct parser *P, int node) {
  for (int i = node; i >= 0; i = P->nodes[i].next)
    if (compile_node(P, &P->nodes[i]) < 0)
      return -1;
  return 0;
}

void berth_re_free(struct berth_re *re) {
  if (!re)
    return;
  for (size_t i = 0; i < re->ncls; i++)
    free(re->cls[i].r);
  free(re->cls);
  free(re->prog);
  free(re);
}

struct berth_re *berth_re_compile(const char *text, size_t len,
                                  const char **why) {
  struct berth_re *re = calloc(1, sizeof *re);
  struct parser P = {.s = text, .end = text + len, .re = re};
  struct seq q = {-1, -1};
  int rc = re ? parse_seq(&P, &q) : fail(&P, "out of memory");
  if (rc == 0 && P.s < P.end)
    rc = fail(&P, "unexpected )");
  if (rc == 0)
    rc = compile_seq(&P, q.head);
  if (rc == 0)
    rc = emit(&P, I_MATCH, 0, 0) < 0 ? -1 : 0;
  free(P.nodes);
  if (rc < 0) {
    *why = P.why ? P.why : "invalid expression";
    berth_re_free(re);
    return NULL;
  }
  return re;
}
