/* The parse tree of a template, shared by its parser, executor and
 * functions (template_parse.c, template_exec.c, template_funcs.c). */
#ifndef BERTH_LIB_TEMPLATE_INTERNAL_H
#define BERTH_LIB_TEMPLATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "template.h"

/* Bounds: a template is user input run once per row, so nesting and
 * output are limited to keep a hostile one from exhausting the stack or
 * memory. */
#define TMPL_MAX_DEPTH 64
#define TMPL_MAX_OUTPUT (64u << 20)
#define TMPL_MAX_RANGE_STEPS 10000000u

enum tnode_kind {
  TN_TEXT, TN_ACTION, TN_IF, TN_RANGE, TN_WITH, TN_LIST, TN_BREAK,
  TN_CONTINUE
};
enum targ_kind {
  TA_DOT,      /* .                  */
  TA_FIELD,    /* .A.B (fields on dot), or chain on base */
  TA_VAR,      /* $x.A.B             */
  TA_PIPE,     /* (pipeline).A.B     */
  TA_STRING,
  TA_NUMBER,
  TA_BOOL,
  TA_NIL,
  TA_FUNC,     /* an identifier: a function name */
};

struct tpipe;

struct targ {
  enum targ_kind kind;
  char *name;        /* variable or function name; string literal value */
  char **fields;     /* field chain */
  size_t nfields;
  double num;
  long long inum; /* is_int */
  bool is_int, boolean;
  struct tpipe *pipe; /* TA_PIPE */
};

struct tcmd {
  struct targ *args;
  size_t nargs;
};

struct tpipe {
  char *vars[2]; /* declared or assigned variables */
  size_t nvars;
  bool assign;   /* `=` rather than `:=` */
  struct tcmd *cmds;
  size_t ncmds;
  int line, col;
  char *text;    /* the action's source, for error messages */
};

struct tnode {
  enum tnode_kind kind;
  char *text; /* TN_TEXT */
  size_t len;
  struct tpipe *pipe;
  struct tnode *list, *else_list; /* TN_IF/RANGE/WITH bodies; TN_LIST */
  struct tnode **items;           /* TN_LIST */
  size_t nitems;
};

struct berth_template {
  struct tnode *root;
};

void tmpl_node_free(struct tnode *n);
void tmpl_pipe_free(struct tpipe *p);

/* A growable output buffer. */
struct tbuf {
  char *s;
  size_t len, cap;
  bool overflow;
};
void tbuf_put(struct tbuf *b, const char *s, size_t n);
void tbuf_puts(struct tbuf *b, const char *s);
/* Go's %v of v onto b. */
void tmpl_print_value(struct tbuf *b, json_t *v);
/* Go's truth: false, 0, nil, "" and empty collections are false. */
bool tmpl_truth(json_t *v);

/* Calls the function `name` over args (borrowed); returns a new reference
 * or NULL with *msg set to a static or malloc'd (*msg_owned) message. */
json_t *tmpl_call(const char *name, json_t **args, size_t nargs,
                  char **msg);
bool tmpl_func_exists(const char *name);
/* fmt.Sprintf's common verbs (template_printf.c). */
json_t *tmpl_printf(json_t **a, size_t n, char **msg);
/* qsort comparator over const char * elements. */
int tmpl_strcmp_p(const void *a, const void *b);

#endif
