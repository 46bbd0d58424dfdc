/* The Pike VM that runs a compiled .dockerignore expression: all NFA
 * states are advanced together, one rune of the path at a time, so a
 * match costs at most (path length x program size) steps whatever the
 * pattern (no backtracking a hostile pattern could make exponential). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignore_regex.h"
#include "path_match.h"

static bool in_class(const struct re_cls *c, uint32_t r) {
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r < c->r[mid].lo)
      hi = mid;
    else if (r > c->r[mid].hi)
      lo = mid + 1;
    else
      return true;
  }
  return false;
}

static bool is_word(int64_t r) {
  return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') ||
         (r >= 'a' && r <= 'z') || r == '_';
}

struct vm {
  const struct berth_re *re;
  uint32_t *mark, gen;
  uint32_t *stack;
  size_t len;
  bool matched;
};

/* Adds pc and every state reachable from it without reading, at byte
 * pos between runes prev and next (-1: none). */
static void add(struct vm *v, uint32_t *list, size_t *n, uint32_t pc,
                size_t pos, int64_t prev, int64_t next) {
  size_t sp = 0;
  v->stack[sp++] = pc;
  while (sp > 0) {
    pc = v->stack[--sp];
    if (v->mark[pc] == v->gen)
      continue;
    v->mark[pc] = v->gen;
    const struct re_inst *in = &v->re->prog[pc];
    bool pass;
    switch (in->op) {
    case I_JMP:
      v->stack[sp++] = in->x;
      break;
    case I_SPLIT:
      v->stack[sp++] = in->y;
      v->stack[sp++] = in->x;
      break;
    case I_ASSERT:
      pass = in->x == A_BEGIN  ? pos == 0
             : in->x == A_END  ? pos == v->len
             : in->x == A_WORD ? is_word(prev) != is_word(next)
                               : is_word(prev) == is_word(next);
      if (pass)
        v->stack[sp++] = pc + 1;
      break;
    case I_MATCH:
      v->matched = true;
      break;
    default:
      list[(*n)++] = pc;
    }
  }
}

static bool consumes(const struct berth_re *re, const struct re_inst *in,
                     uint32_t r) {
  switch (in->op) {
  case I_RUNE:
    return in->x == r;
  case I_CLASS:
    return in_class(&re->cls[in->x], r);
  default: /* I_ANY */
    return r != '\n';
  }
}

static bool run(struct vm *v, const char *s, uint32_t *cl, uint32_t *nl) {
  size_t nc = 0, w;
  int64_t prev = -1;
  int64_t next = v->len ? (int64_t)berth_utf8_decode(s, v->len, &w) : -1;
  v->gen++;
  add(v, cl, &nc, 0, 0, prev, next);
  for (size_t pos = 0; !v->matched && nc > 0 && pos < v->len;) {
    uint32_t r = berth_utf8_decode(s + pos, v->len - pos, &w);
    size_t nn = 0, w2;
    pos += w;
    prev = r;
    next = pos < v->len ? (int64_t)berth_utf8_decode(s + pos, v->len - pos, &w2)
                        : -1;
    v->gen++;
    for (size_t i = 0; i < nc; i++)
      if (consumes(v->re, &v->re->prog[cl[i]], r))
        add(v, nl, &nn, cl[i] + 1, pos, prev, next);
    uint32_t *t = cl;
    cl = nl, nl = t, nc = nn;
  }
  return v->matched;
}

bool berth_re_match(const struct berth_re *re, const char *s, size_t len) {
  /* Small programs (nearly all patterns) run on the stack; the buffers
   * are per call so that one compiled pattern may be shared by threads. */
  enum { SMALL = 256 };
  uint32_t small[SMALL * 6];
  size_t n = re->n;
  uint32_t *buf = n <= SMALL ? small : malloc(n * 6 * sizeof *buf);
  if (!buf)
    return false;
  memset(buf, 0, n * sizeof *buf);
  /* mark: n; stack: 3n (each state pushes at most two others); the
   * current and next state lists: n each. */
  struct vm v = {.re = re, .mark = buf, .stack = buf + n, .len = len};
  bool m = run(&v, s, buf + 4 * n, buf + 5 * n);
  if (buf != small)
    free(buf);
  return m;
}
