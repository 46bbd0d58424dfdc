/* Go text/template: lexing and parsing into the tree of
 * template_internal.h.  Delimiters {{ }}, trim markers {{- -}},
 * comments {{/\* *\/}}, actions, if/else/range/with/end. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_internal.h"

enum tok {
  T_EOF, T_TEXT, T_LEFT, T_RIGHT, T_FIELD, T_VAR, T_IDENT, T_STRING,
  T_NUMBER, T_DOT, T_PIPE, T_LPAREN, T_RPAREN, T_DECLARE, T_ASSIGN,
  T_COMMA, T_IF, T_ELSE, T_END, T_RANGE, T_WITH, T_TRUE, T_FALSE, T_NIL,
  T_BREAK, T_CONTINUE,
};

struct token {
  enum tok t;
  const char *s; /* source */
  size_t n;
  bool spaced;   /* whitespace before it: ends a field chain */
  char *str;     /* T_STRING: the decoded value; T_TEXT: the trimmed text */
  size_t slen;
};

struct parser {
  const char *text, *p;
  bool in_action, trim_next;
  int paren;
  struct token la[4]; /* lookahead */
  size_t nla;
  const char *action_start;
  char *msg; /* first error */
  const char *err_at;
  int depth;
  int in_range; /* range bodies open: where break/continue may be */
};

static bool perr(struct parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool perr(struct parser *ps, const char *at, const char *fmt, ...) {
  if (ps->msg)
    return false;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&ps->msg, fmt, ap) < 0)
    ps->msg = NULL;
  va_end(ap);
  if (!ps->msg)
    ps->msg = strdup("out of memory");
  ps->err_at = at;
  return false;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static bool is_ident(char c) {
  return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Text up to the next "{{", trimmed as the markers around it ask. */
static void lex_text(struct parser *ps, struct token *t) {
  const char *start = ps->p, *open = strstr(start, "{{");
  const char *end = open ? open : start + strlen(start);
  if (ps->trim_next)
    while (start < end && is_space(*start))
      start++;
  ps->trim_next = false;
  const char *stop = end;
  if (open && open[2] == '-' && is_space(open[3]))
    while (stop > start && is_space(stop[-1]))
      stop--;
  t->t = T_TEXT;
  t->s = start;
  t->str = strndup(start, (size_t)(stop - start));
  t->slen = (size_t)(stop - start);
  ps->p = end;
}

/* "}}" or " -}}" at p (after whitespace was skipped when spaced). */
static size_t right_delim(const char *p, bool spaced) {
  if (p[0] == '}' && p[1] == '}')
    return 2;
  if (spaced && p[0] == '-' && p[1] == '}' && p[2] == '}')
    return 3;
  return 0;
}

static bool lex_quoted(struct parser *ps, struct token *t) {
  char q = *ps->p;
  const char *s = ps->p + 1;
  size_t cap = 16, n = 0;
  char *out = malloc(cap);
  for (; *s && *s != q; s++) {
    char c = *s;
    if (q == '"' && c == '\n')
      break;
    if (q != '`' && c == '\\') {
      s++;
      switch (*s) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case '\\': c = '\\'; break;
      case '"': c = '"'; break;
      case '\'': c = '\''; break;
      case 'x':
        if (isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
          char h[3] = {s[1], s[2], 0};
          c = (char)strtol(h, NULL, 16);
          s += 2;
          break;
        }
        /* fallthrough */
      default:
        free(out);
        return perr(ps, s - 1, "invalid syntax in quoted string");
      }
    }
    if (n + 2 > cap)
      out = realloc(out, cap *= 2);
    out[n++] = c;
  }
  if (*s != q) {
    free(out);
    return perr(ps, ps->p, "unterminated quoted string");
  }
  out[n] = '\0';
  if (q == '\'') { /* a character constant is a number, as in Go */
    t->t = T_NUMBER;
    char *num;
    if (n != 1 || asprintf(&num, "%d", (unsigned char)out[0]) < 0) {
      free(out);
      return perr(ps, ps->p, "malformed character constant");
    }
    free(out);
    t->str = num;
  } else {
    t->t = T_STRING;
    t->str = out;
    t->slen = n;
  }
  ps->p = s + 1;
  return true;
}

static const struct {
  const char *w;
  enum tok t;
} keywords[] = {{"if", T_IF},     {"else", T_ELSE},   {"end", T_END},
                {"range", T_RANGE}, {"with", T_WITH}, {"true", T_TRUE},
                {"false", T_FALSE}, {"nil", T_NIL}, {"break", T_BREAK},
                {"continue", T_CONTINUE}};

static bool lex_word(struct parser *ps, struct token *t) {
  const char *s = ps->p;
  char c = *s;
  if (c == '.' || c == '$') {
    s++;
    while (is_ident(*s))
      s++;
    t->t = c == '$' ? T_VAR : s == ps->p + 1 ? T_DOT : T_FIELD;
  } else if (isdigit((unsigned char)c) || c == '-' || c == '+') {
    char *end;
    strtod(s, &end);
    if (end == s || is_ident(*end))
      return perr(ps, s, "bad number syntax: %.*s", (int)(end - s + 1), s);
    s = end;
    t->t = T_NUMBER;
  } else if (is_ident(c)) {
    while (is_ident(*s))
      s++;
    t->t = T_IDENT;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
      if (strlen(keywords[i].w) == (size_t)(s - ps->p) &&
          strncmp(keywords[i].w, ps->p, (size_t)(s - ps->p)) == 0)
        t->t = keywords[i].t;
  } else {
    return perr(ps, s, "unexpected \"%c\" in command", c);
  }
  t->str = strndup(ps->p, (size_t)(s - ps->p));
  ps->p = s;
  return true;
}

static bool lex_comment(struct parser *ps) {
  const char *end = strstr(ps->p + 2, "*/");
  if (!end)
    return perr(ps, ps->p, "unclosed comment");
  const char *q = end + 2;
  bool spaced = false;
  while (is_space(*q))
    q++, spaced = true;
  size_t r = right_delim(q, spaced);
  if (!r)
    return perr(ps, end, "comment ends before closing delimiter");
  ps->trim_next = r == 3;
  ps->p = q + r;
  return true;
}

static bool lex_action(struct parser *ps, struct token *t) {
  bool spaced = false;
  while (is_space(*ps->p))
    ps->p++, spaced = true;
  t->spaced = spaced;
  t->s = ps->p;
  size_t r = right_delim(ps->p, spaced);
  if (r) {
    if (ps->paren)
      return perr(ps, ps->p, "unclosed left paren");
    t->t = T_RIGHT;
    ps->trim_next = r == 3;
    ps->p += r;
    ps->in_action = false;
    return true;
  }
  static const char single[] = "|(),";
  const char *c = strchr(single, *ps->p);
  if (*ps->p && c) {
    const enum tok kinds[] = {T_PIPE, T_LPAREN, T_RPAREN, T_COMMA};
    t->t = kinds[c - single];
    ps->paren += t->t == T_LPAREN ? 1 : t->t == T_RPAREN ? -1 : 0;
    if (ps->paren < 0)
      return perr(ps, ps->p, "unexpected right paren");
    ps->p++;
    return true;
  }
  if (ps->p[0] == ':' && ps->p[1] == '=') {
    t->t = T_DECLARE;
    ps->p += 2;
    return true;
  }
  if (ps->p[0] == '=') {
    t->t = T_ASSIGN;
    ps->p++;
    return true;
  }
  if (!*ps->p)
    return perr(ps, ps->p, "unclosed action");
  if (*ps->p == '"' || *ps->p == '`' || *ps->p == '\'')
    return lex_quoted(ps, t);
  return lex_word(ps, t);
}

/* The next token from the source. */
static bool lex(struct parser *ps, struct token *t) {
  *t = (struct token){.s = ps->p};
  if (ps->in_action)
    return lex_action(ps, t);
  while (!*ps->p || strncmp(ps->p, "{{", 2) != 0) {
    if (!*ps->p) {
      t->t = T_EOF;
      return true;
    }
    lex_text(ps, t);
    return true;
  }
  ps->action_start = ps->p;
  ps->p += 2;
  if (ps->p[0] == '-' && is_space(ps->p[1]))
    ps->p += 2;
  while (is_space(*ps->p) && ps->p[1] == '/' && ps->p[2] == '*')
    ps->p++;
  if (ps->p[0] == '/' && ps->p[1] == '*') {
    if (!lex_comment(ps))
      return false;
    return lex(ps, t);
  }
  t->t = T_LEFT;
  ps->in_action = true;
  ps->paren = 0;
  return true;
}

static char *steal_str(char **s) {
  char *v = *s;
  *s = NULL;
  return v;
}

static struct token *peek_n(struct parser *ps, size_t i) {
  while (ps->nla <= i) {
    if (ps->msg || !lex(ps, &ps->la[ps->nla])) {
      ps->la[ps->nla] = (struct token){.t = T_EOF, .s = ps->p};
      if (!ps->msg)
        perr(ps, ps->p, "lexer failed");
    }
    ps->nla++;
  }
  return &ps->la[i];
}
static struct token *peek(struct parser *ps) { return peek_n(ps, 0); }

/* Consumes the next token; the caller owns t->str. */
static struct token next(struct parser *ps) {
  struct token t = *peek(ps);
  memmove(ps->la, ps->la + 1, --ps->nla * sizeof ps->la[0]);
  return t;
}
static void skip(struct parser *ps) {
  struct token t = next(ps);
  free(t.str);
}

/* ---- the tree ---- */

static struct tnode *node_new(enum tnode_kind k) {
  struct tnode *n = calloc(1, sizeof *n);
  if (n)
    n->kind = k;
  return n;
}

static void arg_free(struct targ *a) {
  free(a->name);
  for (size_t i = 0; i < a->nfields; i++)
    free(a->fields[i]);
  free(a->fields);
  tmpl_pipe_free(a->pipe);
}

void tmpl_pipe_free(struct tpipe *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->nvars; i++)
    free(p->vars[i]);
  for (size_t c = 0; c < p->ncmds; c++) {
    for (size_t a = 0; a < p->cmds[c].nargs; a++)
      arg_free(&p->cmds[c].args[a]);
    free(p->cmds[c].args);
  }
  free(p->cmds);
  free(p->text);
  free(p);
}

void tmpl_node_free(struct tnode *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->nitems; i++)
    tmpl_node_free(n->items[i]);
  free(n->items);
  free(n->text);
  tmpl_pipe_free(n->pipe);
  tmpl_node_free(n->list);
  tmpl_node_free(n->else_list);
  free(n);
}

static bool list_add(struct tnode *list, struct tnode *item) {
  struct tnode **items =
      realloc(list->items, (list->nitems + 1) * sizeof *items);
  if (!items) {
    tmpl_node_free(item);
    return false;
  }
  list->items = items;
  items[list->nitems++] = item;
  return true;
}

static struct tpipe *parse_pipe(struct parser *ps, bool decl_ok,
                                enum tok end);

static void position(const char *text, const char *at, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (const char *p = text; at && p < at && *p; p++) {
    if (*p == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}


static bool add_field(struct targ *a, char *name) {
  char **f = realloc(a->fields, (a->nfields + 1) * sizeof *f);
  if (!f) {
    free(name);
    return false;
  }
  a->fields = f;
  f[a->nfields++] = name;
  return true;
}

/* Fields chained on a term with no space between: $x.A.B, (pipe).A. */
static bool parse_chain(struct parser *ps, struct targ *a) {
  while (peek(ps)->t == T_FIELD && !peek(ps)->spaced) {
    struct token t = next(ps);
    if (!add_field(a, strdup(t.str + 1))) {
      free(t.str);
      return false;
    }
    free(t.str);
  }
  return true;
}

static bool parse_term(struct parser *ps, struct targ *a) {
  struct token *pk = peek(ps);
  if (pk->t == T_LPAREN) {
    skip(ps);
    if (++ps->depth > TMPL_MAX_DEPTH)
      return perr(ps, pk->s, "parentheses nested too deeply");
    a->kind = TA_PIPE;
    a->pipe = parse_pipe(ps, false, T_RPAREN);
    ps->depth--;
    return a->pipe && parse_chain(ps, a);
  }
  struct token t = next(ps);
  bool ok = true;
  switch (t.t) {
  case T_DOT: a->kind = TA_DOT; break;
  case T_FIELD:
    a->kind = TA_FIELD;
    ok = add_field(a, strdup(t.str + 1)) && parse_chain(ps, a);
    break;
  case T_VAR:
    a->kind = TA_VAR;
    a->name = steal_str(&t.str);
    ok = parse_chain(ps, a);
    break;
  case T_STRING: a->kind = TA_STRING; a->name = steal_str(&t.str); break;
  case T_NUMBER: {
    a->kind = TA_NUMBER;
    char *end;
    a->num = strtod(t.str, &end);
    a->is_int = !strpbrk(t.str, ".eE") || strstr(t.str, "0x");
    if (a->is_int) {
      errno = 0;
      a->inum = strtoll(t.str, &end, 0);
      if (errno || *end)
        ok = perr(ps, t.s, "number out of range or malformed: %s", t.str);
    }
    break;
  }
  case T_TRUE: case T_FALSE:
    a->kind = TA_BOOL;
    a->boolean = t.t == T_TRUE;
    break;
  case T_NIL: a->kind = TA_NIL; break;
  case T_IDENT:
    if (!tmpl_func_exists(t.str))
      ok = perr(ps, t.s, "function \"%s\" not defined", t.str);
    a->kind = TA_FUNC;
    a->name = steal_str(&t.str);
    break;
  default:
    ok = perr(ps, t.s, "unexpected %s in operand",
              t.t == T_RIGHT ? "\"}}\"" : t.t == T_EOF ? "EOF"
                                                     : "token");
  }
  free(t.str);
  return ok;
}

static bool cmd_end(enum tok t, enum tok end) {
  return t == end || t == T_PIPE || t == T_EOF;
}

static bool parse_cmd(struct parser *ps, struct tcmd *c, enum tok end) {
  while (!ps->msg && !cmd_end(peek(ps)->t, end)) {
    struct targ *a = realloc(c->args, (c->nargs + 1) * sizeof *a);
    if (!a)
      return perr(ps, ps->p, "out of memory");
    c->args = a;
    a = &c->args[c->nargs++];
    *a = (struct targ){0};
    if (!parse_term(ps, a))
      return false;
    struct token *pk = peek(ps);
    if (!cmd_end(pk->t, end) && !pk->spaced && pk->t != T_LPAREN)
      return perr(ps, pk->s, "missing space between operands");
  }
  if (!c->nargs)
    return perr(ps, peek(ps)->s, "missing value for command");
  return !ps->msg;
}

/* `$x :=`, `$x =`, `$k, $v :=` before a pipeline. */
static bool parse_decl(struct parser *ps, struct tpipe *p, bool decl_ok) {
  struct token *a = peek(ps), *b = peek_n(ps, 1);
  if (a->t != T_VAR)
    return true;
  size_t nv = b->t == T_COMMA && decl_ok ? 2 : 1;
  struct token *op = peek_n(ps, nv == 2 ? 3 : 1);
  if (nv == 2 && peek_n(ps, 2)->t != T_VAR)
    return perr(ps, b->s, "too many declarations");
  if (op->t != T_DECLARE && op->t != T_ASSIGN)
    return nv == 2 ? perr(ps, op->s, "missing := after variables") : true;
  p->assign = op->t == T_ASSIGN;
  for (size_t i = 0; i < nv; i++) {
    struct token t = next(ps);
    p->vars[p->nvars++] = t.str;
    skip(ps); /* the comma, or := / = */
  }
  return true;
}

static struct tpipe *parse_pipe(struct parser *ps, bool decl_ok,
                                enum tok end) {
  struct tpipe *p = calloc(1, sizeof *p);
  if (!p)
    return perr(ps, ps->p, "out of memory"), NULL;
  const char *start = ps->action_start;
  if (!parse_decl(ps, p, decl_ok))
    goto fail;
  for (;;) {
    struct tcmd *c = realloc(p->cmds, (p->ncmds + 1) * sizeof *c);
    if (!c)
      goto fail;
    p->cmds = c;
    p->cmds[p->ncmds] = (struct tcmd){0};
    if (!parse_cmd(ps, &p->cmds[p->ncmds++], end))
      goto fail;
    if (p->ncmds > 1 && p->cmds[p->ncmds - 1].args[0].kind != TA_FUNC) {
      perr(ps, ps->p, "non executable command in pipeline stage %zu",
           p->ncmds);
      goto fail;
    }
    struct token t = next(ps);
    free(t.str);
    if (t.t == end)
      break;
    if (t.t != T_PIPE) {
      perr(ps, t.s, "unexpected %s in command",
           t.t == T_EOF ? "EOF" : "token");
      goto fail;
    }
  }
  if (start) {
    p->text = strndup(start, (size_t)(ps->p - start));
    position(ps->text, start, &p->line, &p->col);
  }
  return p;
fail:
  tmpl_pipe_free(p);
  return NULL;
}

enum ender { END_EOF, END_END, END_ELSE };

static struct tnode *parse_list(struct parser *ps, enum ender *ender);

/* if/range/with after its keyword: pipeline, body, else, end. */
static struct tnode *parse_control(struct parser *ps, enum tnode_kind k) {
  if (++ps->depth > TMPL_MAX_DEPTH)
    return perr(ps, ps->p, "control structures nested too deeply"), NULL;
  struct tnode *n = node_new(k);
  enum ender ender;
  if (!n || !(n->pipe = parse_pipe(ps, k == TN_RANGE, T_RIGHT)))
    goto fail;
  ps->in_range += k == TN_RANGE;
  n->list = parse_list(ps, &ender);
  ps->in_range -= k == TN_RANGE;
  if (!n->list)
    goto fail;
  if (ender == END_ELSE) {
    enum tok t = peek(ps)->t;
    if ((k == TN_IF && t == T_IF) || (k == TN_WITH && t == T_WITH)) {
      /* {{else if}}: a nested if that also consumes our {{end}} */
      skip(ps);
      n->else_list = node_new(TN_LIST);
      struct tnode *inner = parse_control(ps, k);
      if (!n->else_list || !inner || !list_add(n->else_list, inner))
        goto fail;
      ps->depth--;
      return n;
    }
    if (t != T_RIGHT) {
      perr(ps, peek(ps)->s, "unexpected token in {{else}}");
      goto fail;
    }
    skip(ps);
    if (!(n->else_list = parse_list(ps, &ender)))
      goto fail;
  }
  if (ender != END_END) {
    perr(ps, ps->p, ender == END_ELSE ? "expected end; found {{else}}"
                                      : "unexpected EOF");
    goto fail;
  }
  ps->depth--;
  return n;
fail:
  tmpl_node_free(n);
  return NULL;
}

/* One {{...}} after its left delimiter. */
static struct tnode *parse_action(struct parser *ps, enum ender *ender,
                                  bool *done) {
  struct token *pk = peek(ps);
  *done = false;
  switch (pk->t) {
  case T_END:
  case T_ELSE:
    *ender = pk->t == T_END ? END_END : END_ELSE;
    *done = true;
    skip(ps);
    if (*ender == END_END && peek(ps)->t != T_RIGHT)
      return perr(ps, peek(ps)->s, "unexpected token in end"), NULL;
    if (*ender == END_END)
      skip(ps);
    return NULL;
  case T_BREAK:
  case T_CONTINUE: {
    enum tnode_kind k = pk->t == T_BREAK ? TN_BREAK : TN_CONTINUE;
    const char *at = pk->s;
    skip(ps);
    if (!ps->in_range)
      return perr(ps, at, "{{%s}} outside {{range}}",
                  k == TN_BREAK ? "break" : "continue"), NULL;
    if (peek(ps)->t != T_RIGHT)
      return perr(ps, peek(ps)->s, "unexpected token after %s",
                  k == TN_BREAK ? "break" : "continue"), NULL;
    skip(ps);
    return node_new(k);
  }
  case T_IF: skip(ps); return parse_control(ps, TN_IF);
  case T_RANGE: skip(ps); return parse_control(ps, TN_RANGE);
  case T_WITH: skip(ps); return parse_control(ps, TN_WITH);
  default: {
    struct tnode *n = node_new(TN_ACTION);
    if (n && !(n->pipe = parse_pipe(ps, true, T_RIGHT))) {
      tmpl_node_free(n);
      return NULL;
    }
    return n;
  }
  }
}

static struct tnode *parse_list(struct parser *ps, enum ender *ender) {
  struct tnode *list = node_new(TN_LIST);
  *ender = END_EOF;
  while (list && !ps->msg) {
    struct token t = next(ps);
    if (t.t == T_EOF)
      return list;
    struct tnode *item = NULL;
    bool done = false;
    if (t.t == T_TEXT) {
      if ((item = node_new(TN_TEXT))) {
        item->text = steal_str(&t.str);
        item->len = t.slen;
      }
    } else if (t.t == T_LEFT) {
      item = parse_action(ps, ender, &done);
      if (done)
        return list;
    } else {
      perr(ps, t.s, "unexpected token");
    }
    free(t.str);
    if (!item || !list_add(list, item))
      break;
  }
  tmpl_node_free(list);
  return NULL;
}

int berth_template_parse(const char *text, struct berth_template **out,
                         berth_error **err) {
  struct parser ps = {.text = text, .p = text};
  enum ender ender;
  struct tnode *root = parse_list(&ps, &ender);
  if (root && ender != END_EOF)
    perr(&ps, ps.p, ender == END_END ? "unexpected {{end}}"
                                     : "unexpected {{else}}");
  for (size_t i = 0; i < ps.nla; i++)
    free(ps.la[i].str);
  if (ps.msg || !root) {
    int line, col;
    position(text, ps.err_at, &line, &col);
    berth_error_set(err, BERTH_ERR_INVALID, 0, "template: :%d:%d: %s", line,
                    col, ps.msg ? ps.msg : "out of memory");
    free(ps.msg);
    tmpl_node_free(root);
    return -1;
  }
  struct berth_template *t = calloc(1, sizeof *t);
  if (!t) {
    tmpl_node_free(root);
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "out of memory");
  }
  t->root = root;
  *out = t;
  return 0;
}

void berth_template_free(struct berth_template *t) {
  if (t)
    tmpl_node_free(t->root);
  free(t);
}
