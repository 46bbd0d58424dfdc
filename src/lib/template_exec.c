/* Go text/template: executing a parsed tree over a JSON dot. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_internal.h"

struct var {
  char *name;
  json_t *v;
};

struct exec {
  struct tbuf out;
  struct var *vars;
  size_t nvars, cap;
  const struct tpipe *at; /* the action being run, for messages */
  char *msg;
  unsigned long steps;
  json_t *root, *methods;
  bool header; /* Docker's HeaderFunctions */
  enum tnode_kind jump; /* TN_BREAK or TN_CONTINUE pending, else 0 */
};

static bool xerr(struct exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool xerr(struct exec *x, const char *fmt, ...) {
  if (x->msg)
    return false;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&x->msg, fmt, ap) < 0)
    x->msg = NULL;
  va_end(ap);
  if (!x->msg)
    x->msg = strdup("out of memory");
  return false;
}

static bool var_push(struct exec *x, const char *name, json_t *v) {
  if (x->nvars == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 8;
    struct var *n = realloc(x->vars, cap * sizeof *n);
    if (!n)
      return xerr(x, "out of memory");
    x->vars = n;
    x->cap = cap;
  }
  x->vars[x->nvars++] = (struct var){strdup(name), json_incref(v)};
  return true;
}

static void var_pop_to(struct exec *x, size_t mark) {
  while (x->nvars > mark) {
    x->nvars--;
    free(x->vars[x->nvars].name);
    json_decref(x->vars[x->nvars].v);
  }
}

static struct var *var_find(struct exec *x, const char *name) {
  for (size_t i = x->nvars; i-- > 0;)
    if (strcmp(x->vars[i].name, name) == 0)
      return &x->vars[i];
  return NULL;
}

static const char *type_name(json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "map";
  case JSON_ARRAY: return "slice";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "int";
  case JSON_REAL: return "float64";
  case JSON_TRUE: case JSON_FALSE: return "bool";
  default: return "nil";
  }
}

/* Follows fields from v (a new reference is returned, v is consumed). */
static json_t *walk(struct exec *x, json_t *v, char **fields, size_t n) {
  for (size_t i = 0; v && i < n; i++) {
    json_t *next = NULL;
    if (json_is_object(v))
      next = json_object_get(v, fields[i]);
    if (!next) {
      if (json_is_null(v))
        xerr(x, "nil pointer evaluating .%s", fields[i]);
      else if (json_is_object(v))
        xerr(x, "can't evaluate field %s", fields[i]);
      else
        xerr(x, "can't evaluate field %s in type %s", fields[i],
             type_name(v));
      json_decref(v);
      return NULL;
    }
    json_incref(next);
    json_decref(v);
    v = next;
  }
  return v;
}

static json_t *eval_pipe(struct exec *x, const struct tpipe *p, json_t *dot);

static json_t *eval_arg(struct exec *x, const struct targ *a, json_t *dot) {
  switch (a->kind) {
  case TA_DOT: return json_incref(dot);
  case TA_FIELD: {
    /* a method without arguments: a field the row's JSON does not have */
    json_t *m = dot == x->root && !json_object_get(dot, a->fields[0])
                    ? json_object_get(x->methods, a->fields[0])
                    : NULL;
    if (m && !json_is_object(m))
      return walk(x, json_incref(m), a->fields + 1, a->nfields - 1);
    return walk(x, json_incref(dot), a->fields, a->nfields);
  }
  case TA_VAR: {
    struct var *v = var_find(x, a->name);
    if (!v)
      return xerr(x, "undefined variable \"%s\"", a->name), NULL;
    return walk(x, json_incref(v->v), a->fields, a->nfields);
  }
  case TA_PIPE:
    return walk(x, eval_pipe(x, a->pipe, dot), a->fields, a->nfields);
  case TA_STRING: return json_string(a->name);
  case TA_NUMBER:
    return a->is_int ? json_integer((json_int_t)a->inum) : json_real(a->num);
  case TA_BOOL: return json_boolean(a->boolean);
  case TA_NIL: return json_null();
  case TA_FUNC: {
    char *msg = NULL;
    json_t *r = tmpl_call(a->name, NULL, 0, &msg);
    if (!r)
      xerr(x, "error calling %s: %s", a->name, msg ? msg : "failed");
    free(msg);
    return r;
  }
  }
  return NULL;
}

/* `.Label "k"`: a method of Docker's row types, from the methods table,
 * on the top-level dot only (as those methods are the row's). */
static json_t *call_method(struct exec *x, const struct targ *a,
                           json_t **args, size_t nargs, json_t *dot) {
  const char *m = a->nfields ? a->fields[a->nfields - 1] : "";
  bool on_root = (a->kind == TA_FIELD && a->nfields == 1 && dot == x->root) ||
                 (a->kind == TA_VAR && a->nfields == 1 &&
                  strcmp(a->name, "$") == 0);
  json_t *table = json_object_get(x->methods, m);
  if (on_root && x->header && json_is_string(table)) /* a header's title */
    return json_incref(table);
  if (!on_root || !json_is_object(table))
    return xerr(x, "can't give argument to non-function %s%s",
                a->nfields ? "." : "operand", m), NULL;
  if (nargs != 1 || !json_is_string(args[0]))
    return xerr(x, "wrong arguments for %s: want 1 string", m), NULL;
  json_t *v = json_object_get(table, json_string_value(args[0]));
  return v ? json_incref(v) : json_string("");
}

/* Docker's HeaderFunctions: in a table's header these show the title. */
static bool header_passthrough(const char *fn) {
  static const char *const names[] = {"json",  "upper", "lower",    "title",
                                      "split", "join",  "truncate", "pad"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i], fn) == 0)
      return true;
  return false;
}

/* and/or evaluate their operands only until one decides, as Go's do
 * (`and .State.Health .State.Health.Status` is safe without a check). */
static json_t *eval_and_or(struct exec *x, const struct tcmd *c, json_t *dot,
                           bool is_and) {
  json_t *v = NULL;
  for (size_t i = 1; i < c->nargs; i++) {
    json_decref(v);
    if (!(v = eval_arg(x, &c->args[i], dot)))
      return NULL;
    if (tmpl_truth(v) != is_and)
      break;
  }
  if (!v)
    xerr(x, "wrong number of args for %s: want at least 1",
         is_and ? "and" : "or");
  return v;
}

/* One command of a pipeline; `final` is the previous stage's value. */
static json_t *eval_cmd(struct exec *x, const struct tcmd *c, json_t *dot,
                        json_t *final) {
  const struct targ *first = &c->args[0];
  if (first->kind == TA_FUNC && !final &&
      (strcmp(first->name, "and") == 0 || strcmp(first->name, "or") == 0))
    return eval_and_or(x, c, dot, first->name[0] == 'a');
  size_t nargs = c->nargs - 1 + (final ? 1 : 0);
  if (first->kind != TA_FUNC && nargs == 0)
    return eval_arg(x, first, dot);
  json_t **args = calloc(nargs + 1, sizeof *args);
  json_t *r = NULL;
  size_t got = 0;
  if (!args)
    return xerr(x, "out of memory"), NULL;
  for (size_t i = 1; i < c->nargs; i++, got++)
    if (!(args[got] = eval_arg(x, &c->args[i], dot)))
      goto out;
  if (final)
    args[got++] = json_incref(final);
  if (first->kind != TA_FUNC) {
    r = call_method(x, first, args, nargs, dot);
  } else if (x->header && nargs >= 1 && header_passthrough(first->name)) {
    r = json_incref(args[0]);
  } else {
    char *msg = NULL;
    if (!(r = tmpl_call(first->name, args, nargs, &msg)))
      xerr(x, "error calling %s: %s", first->name, msg ? msg : "failed");
    free(msg);
  }
out:
  for (size_t i = 0; i < got; i++)
    json_decref(args[i]);
  free(args);
  return r;
}

static json_t *eval_pipe(struct exec *x, const struct tpipe *p, json_t *dot) {
  json_t *v = NULL;
  for (size_t i = 0; i < p->ncmds; i++) {
    json_t *next = eval_cmd(x, &p->cmds[i], dot, v);
    json_decref(v);
    if (!(v = next))
      return NULL;
  }
  for (size_t i = 0; i < p->nvars; i++) {
    struct var *old = p->assign ? var_find(x, p->vars[i]) : NULL;
    if (p->assign && !old) {
      json_decref(v);
      return xerr(x, "undefined variable \"%s\"", p->vars[i]), NULL;
    }
    if (old) {
      json_decref(old->v);
      old->v = json_incref(v);
    } else if (!var_push(x, p->vars[i], v)) {
      json_decref(v);
      return NULL;
    }
  }
  return v;
}

static bool exec_node(struct exec *x, const struct tnode *n, json_t *dot);

static bool exec_list(struct exec *x, const struct tnode *n, json_t *dot) {
  size_t mark = x->nvars;
  bool ok = true;
  for (size_t i = 0; ok && !x->jump && n && i < n->nitems; i++)
    ok = exec_node(x, n->items[i], dot);
  var_pop_to(x, mark);
  return ok;
}

static bool range_one(struct exec *x, const struct tnode *n, json_t *key,
                      json_t *val) {
  size_t mark = x->nvars;
  const struct tpipe *p = n->pipe;
  bool ok = true;
  if (p->nvars == 1)
    ok = var_push(x, p->vars[0], val);
  else if (p->nvars == 2)
    ok = var_push(x, p->vars[0], key) && var_push(x, p->vars[1], val);
  ok = ok && exec_list(x, n->list, val);
  var_pop_to(x, mark);
  return ok;
}

/* After one element: false when a {{break}} ends the range. */
static bool range_goes_on(struct exec *x) {
  bool on = x->jump != TN_BREAK;
  x->jump = 0;
  return on;
}

static bool exec_range(struct exec *x, const struct tnode *n, json_t *v,
                       json_t *dot) {
  bool ok = true;
  if (json_is_array(v) && json_array_size(v)) {
    for (size_t i = 0; ok && i < json_array_size(v); i++) {
      json_t *k = json_integer((json_int_t)i);
      ok = range_one(x, n, k, json_array_get(v, i));
      json_decref(k);
      if (!range_goes_on(x))
        break;
    }
  } else if (json_is_object(v) && json_object_size(v)) {
    /* Go ranges over a map in key order */
    size_t nk = json_object_size(v), i = 0;
    const char **keys = calloc(nk, sizeof *keys), *key;
    json_t *val;
    if (!keys)
      return xerr(x, "out of memory");
    json_object_foreach(v, key, val) keys[i++] = key;
    qsort(keys, nk, sizeof *keys, tmpl_strcmp_p);
    for (i = 0; ok && i < nk; i++) {
      json_t *k = json_string(keys[i]);
      ok = range_one(x, n, k, json_object_get(v, keys[i]));
      json_decref(k);
      if (!range_goes_on(x))
        break;
    }
    free(keys);
  } else if (json_is_array(v) || json_is_object(v) || json_is_null(v)) {
    ok = exec_list(x, n->else_list, dot);
  } else {
    ok = xerr(x, "range can't iterate over %s", type_name(v));
  }
  return ok;
}

static bool exec_node(struct exec *x, const struct tnode *n, json_t *dot) {
  if (++x->steps > TMPL_MAX_RANGE_STEPS)
    return xerr(x, "template ran too long");
  if (n->kind == TN_TEXT) {
    tbuf_put(&x->out, n->text, n->len);
    return !x->out.overflow || xerr(x, "output too large");
  }
  if (n->kind == TN_LIST)
    return exec_list(x, n, dot);
  if (n->kind == TN_BREAK || n->kind == TN_CONTINUE) {
    x->jump = n->kind;
    return true;
  }
  x->at = n->pipe;
  size_t mark = x->nvars;
  json_t *v = eval_pipe(x, n->pipe, dot);
  bool ok = v != NULL;
  if (ok && n->kind == TN_ACTION) {
    if (!n->pipe->nvars)
      tmpl_print_value(&x->out, v);
    ok = !x->out.overflow || xerr(x, "output too large");
    mark = x->nvars; /* a declaration stays in scope */
  } else if (ok && n->kind == TN_IF) {
    ok = exec_list(x, tmpl_truth(v) ? n->list : n->else_list, dot);
  } else if (ok && n->kind == TN_WITH) {
    ok = tmpl_truth(v) ? exec_list(x, n->list, v)
                       : exec_list(x, n->else_list, dot);
  } else if (ok && n->kind == TN_RANGE) {
    var_pop_to(x, mark); /* range binds its variables per element */
    ok = exec_range(x, n, v, dot);
  }
  var_pop_to(x, mark);
  json_decref(v);
  return ok;
}

static int run(const struct berth_template *t, json_t *dot, json_t *methods,
               bool header, char **out, size_t *len, berth_error **err) {
  struct exec x = {.root = dot, .methods = methods, .header = header};
  bool ok = var_push(&x, "$", dot) && exec_list(&x, t->root, dot);
  var_pop_to(&x, 0);
  free(x.vars);
  if (!ok) {
    const struct tpipe *p = x.at;
    if (p && p->text) {
      /* the action as typed, without its delimiters */
      const char *a = p->text + 2, *z = p->text + strlen(p->text) - 2;
      if (z < a)
        z = a;
      while (a < z && (*a == '-' || *a == ' ' || *a == '\t' || *a == '\n'))
        a++;
      while (z > a && (z[-1] == '-' || z[-1] == ' ' || z[-1] == '\t' ||
                       z[-1] == '\n'))
        z--;
      berth_error_set(err, BERTH_ERR_INVALID, 0,
                      "template: :%d:%d: executing at <%.*s>: %s", p->line,
                      p->col, (int)(z - a), a, x.msg ? x.msg : "failed");
    }
    else
      berth_error_set(err, BERTH_ERR_INVALID, 0, "template: %s",
                      x.msg ? x.msg : "failed");
    free(x.msg);
    free(x.out.s);
    return -1;
  }
  tbuf_put(&x.out, "", 0);
  *out = x.out.s ? x.out.s : strdup("");
  *len = x.out.len;
  return 0;
}

int berth_template_exec(const struct berth_template *t, json_t *dot,
                        json_t *methods, char **out, size_t *len,
                        berth_error **err) {
  return run(t, dot, methods, false, out, len, err);
}

int berth_template_exec_header(const struct berth_template *t, json_t *titles,
                               json_t *methods, char **out, size_t *len,
                               berth_error **err) {
  return run(t, titles, methods, true, out, len, err);
}
