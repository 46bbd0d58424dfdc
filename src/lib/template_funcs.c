/* Go text/template: printing values as Go's fmt does, and the functions
 * (Go's builtins and Docker's additions). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_internal.h"

void tbuf_put(struct tbuf *b, const char *s, size_t n) {
  if (b->overflow)
    return;
  if (b->len + n + 1 > TMPL_MAX_OUTPUT) {
    b->overflow = true;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *s2 = realloc(b->s, cap);
    if (!s2) {
      b->overflow = true;
      return;
    }
    b->s = s2;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void tbuf_puts(struct tbuf *b, const char *s) { tbuf_put(b, s, strlen(s)); }

int tmpl_strcmp_p(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* %v of a float64: the shortest digits that read back, in %e form when
 * the exponent is below -4 or at least 6, as Go's fmt %v does (its
 * shortest 'g' decides with precision 6: 1e+06, 123456). */
static void print_real(struct tbuf *b, double d) {
  char s[64];
  if (isinf(d) || isnan(d)) {
    tbuf_puts(b, isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
    return;
  }
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(s, sizeof s, "%.*e", prec - 1, d);
    if (strtod(s, NULL) == d)
      break;
  }
  snprintf(s, sizeof s, "%.*e", prec - 1, d);
  int exp = atoi(strchr(s, 'e') + 1);
  if (exp < -4 || exp >= 6) {
    tbuf_puts(b, s);
    return;
  }
  int decimals = prec - 1 - exp;
  snprintf(s, sizeof s, "%.*f", decimals > 0 ? decimals : 0, d);
  tbuf_puts(b, s);
}

void tmpl_print_value(struct tbuf *b, json_t *v) {
  char num[32];
  switch (json_typeof(v)) {
  case JSON_STRING:
    tbuf_put(b, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    tbuf_puts(b, num);
    break;
  case JSON_REAL: print_real(b, json_real_value(v)); break;
  case JSON_TRUE: tbuf_puts(b, "true"); break;
  case JSON_FALSE: tbuf_puts(b, "false"); break;
  case JSON_NULL: tbuf_puts(b, "<nil>"); break;
  case JSON_ARRAY: {
    tbuf_puts(b, "[");
    for (size_t i = 0; i < json_array_size(v); i++) {
      if (i)
        tbuf_puts(b, " ");
      tmpl_print_value(b, json_array_get(v, i));
    }
    tbuf_puts(b, "]");
    break;
  }
  case JSON_OBJECT: { /* map[k:v ...], keys sorted as Go prints maps */
    size_t n = json_object_size(v), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys), *key;
    json_t *val;
    if (!keys) {
      b->overflow = true;
      return;
    }
    json_object_foreach(v, key, val) keys[i++] = key;
    qsort(keys, n, sizeof *keys, tmpl_strcmp_p);
    tbuf_puts(b, "map[");
    for (i = 0; i < n; i++) {
      tbuf_puts(b, i ? " " : "");
      tbuf_puts(b, keys[i]);
      tbuf_puts(b, ":");
      tmpl_print_value(b, json_object_get(v, keys[i]));
    }
    tbuf_puts(b, "]");
    free(keys);
    break;
  }
  }
}

char *berth_template_sprint(json_t *v) {
  struct tbuf b = {0};
  tmpl_print_value(&b, v);
  tbuf_put(&b, "", 0);
  if (b.overflow) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

bool tmpl_truth(json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING: return json_string_length(v) > 0;
  case JSON_INTEGER: return json_integer_value(v) != 0;
  case JSON_REAL: return json_real_value(v) != 0;
  case JSON_TRUE: return true;
  case JSON_ARRAY: return json_array_size(v) > 0;
  case JSON_OBJECT: return json_object_size(v) > 0;
  default: return false;
  }
}

/* ---- functions ---- */

typedef json_t *(*tfunc)(json_t **a, size_t n, char **msg);

static json_t *fail(char **msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static json_t *fail(char **msg, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(msg, fmt, ap) < 0)
    *msg = NULL;
  va_end(ap);
  return NULL;
}

static json_t *take(struct tbuf *b, char **msg) {
  if (b->overflow) {
    free(b->s);
    return fail(msg, "output too large");
  }
  json_t *r = json_stringn(b->s ? b->s : "", b->len);
  free(b->s);
  return r ? r : fail(msg, "invalid UTF-8 in result");
}

/* Sprint: a space between operands when neither is a string. */
static json_t *f_print(json_t **a, size_t n, char **msg) {
  struct tbuf b = {0};
  for (size_t i = 0; i < n; i++) {
    if (i && !json_is_string(a[i]) && !json_is_string(a[i - 1]))
      tbuf_puts(&b, " ");
    tmpl_print_value(&b, a[i]);
  }
  return take(&b, msg);
}

static json_t *f_println(json_t **a, size_t n, char **msg) {
  struct tbuf b = {0};
  for (size_t i = 0; i < n; i++) {
    tbuf_puts(&b, i ? " " : "");
    tmpl_print_value(&b, a[i]);
  }
  tbuf_puts(&b, "\n");
  return take(&b, msg);
}

static json_t *f_json(json_t **a, size_t n, char **msg) {
  if (n != 1)
    return fail(msg, "wrong number of args for json: want 1 got %zu", n);
  char *s = json_dumps(a[0], JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s)
    return fail(msg, "cannot encode as JSON");
  json_t *r = json_string(s);
  free(s);
  return r;
}

static bool as_int(json_t *v, long long *out) {
  if (json_is_integer(v))
    *out = json_integer_value(v);
  else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
           fabs(json_real_value(v)) < 9e18)
    *out = (long long)json_real_value(v);
  else
    return false;
  return true;
}

static json_t *f_index(json_t **a, size_t n, char **msg) {
  if (n < 1)
    return fail(msg, "wrong number of args for index: want at least 1");
  json_t *v = a[0];
  for (size_t i = 1; i < n; i++) {
    long long k;
    if (json_is_array(v)) {
      if (!as_int(a[i], &k))
        return fail(msg, "cannot index slice/array with type %s",
                    json_is_string(a[i]) ? "string" : "non-integer");
      if (k < 0 || (size_t)k >= json_array_size(v))
        return fail(msg, "index out of range: %lld", k);
      v = json_array_get(v, (size_t)k);
    } else if (json_is_object(v)) {
      if (!json_is_string(a[i]))
        return fail(msg, "value has type non-string; should be string");
      json_t *m = json_object_get(v, json_string_value(a[i]));
      if (!m) /* a missing key is the element type's zero value */
        return json_string("");
      v = m;
    } else if (json_is_null(v)) {
      return fail(msg, "index of untyped nil");
    } else {
      return fail(msg, "can't index item of type %s",
                  json_is_string(v) ? "string" : "scalar");
    }
  }
  return json_incref(v);
}

static json_t *f_len(json_t **a, size_t n, char **msg) {
  if (n != 1)
    return fail(msg, "wrong number of args for len: want 1 got %zu", n);
  if (json_is_string(a[0]))
    return json_integer((json_int_t)json_string_length(a[0]));
  if (json_is_array(a[0]))
    return json_integer((json_int_t)json_array_size(a[0]));
  if (json_is_object(a[0]))
    return json_integer((json_int_t)json_object_size(a[0]));
  return fail(msg, "len of type %s", json_is_null(a[0]) ? "nil" : "scalar");
}

static json_t *f_not(json_t **a, size_t n, char **msg) {
  if (n != 1)
    return fail(msg, "wrong number of args for not: want 1 got %zu", n);
  return json_boolean(!tmpl_truth(a[0]));
}

/* and/or return the deciding operand, as Go's do. */
static json_t *f_and(json_t **a, size_t n, char **msg) {
  if (n < 1)
    return fail(msg, "wrong number of args for and: want at least 1");
  for (size_t i = 0; i + 1 < n; i++)
    if (!tmpl_truth(a[i]))
      return json_incref(a[i]);
  return json_incref(a[n - 1]);
}

static json_t *f_or(json_t **a, size_t n, char **msg) {
  if (n < 1)
    return fail(msg, "wrong number of args for or: want at least 1");
  for (size_t i = 0; i + 1 < n; i++)
    if (tmpl_truth(a[i]))
      return json_incref(a[i]);
  return json_incref(a[n - 1]);
}

/* <0, 0, >0; 2 when the two cannot be compared. */
static int compare(json_t *x, json_t *y, bool ordered) {
  if (json_is_number(x) && json_is_number(y)) {
    double dx = json_number_value(x), dy = json_number_value(y);
    if (json_is_integer(x) && json_is_integer(y))
      return (json_integer_value(x) > json_integer_value(y)) -
             (json_integer_value(x) < json_integer_value(y));
    return (dx > dy) - (dx < dy);
  }
  if (json_is_string(x) && json_is_string(y))
    return strcmp(json_string_value(x), json_string_value(y)) < 0   ? -1
           : strcmp(json_string_value(x), json_string_value(y)) > 0 ? 1
                                                                    : 0;
  if (ordered)
    return 2;
  if (json_is_boolean(x) && json_is_boolean(y))
    return json_is_true(x) != json_is_true(y);
  if (json_is_null(x) || json_is_null(y))
    return !(json_is_null(x) && json_is_null(y));
  return 2;
}

static json_t *f_eq(json_t **a, size_t n, char **msg) {
  if (n < 2)
    return fail(msg, "missing argument for comparison");
  for (size_t i = 1; i < n; i++) {
    int c = compare(a[0], a[i], false);
    if (c == 2)
      return fail(msg, "incompatible types for comparison");
    if (c == 0)
      return json_true();
  }
  return json_false();
}

static json_t *f_ne(json_t **a, size_t n, char **msg) {
  json_t *r = n == 2 ? f_eq(a, n, msg) : fail(msg, "ne takes 2 arguments");
  if (!r)
    return NULL;
  bool v = json_is_true(r);
  json_decref(r);
  return json_boolean(!v);
}

static json_t *order(json_t **a, size_t n, char **msg, int want_lo,
                     int want_hi) {
  if (n != 2)
    return fail(msg, "comparison takes 2 arguments");
  int c = compare(a[0], a[1], true);
  if (c == 2)
    return fail(msg, "incompatible types for comparison");
  return json_boolean(c >= want_lo && c <= want_hi);
}
static json_t *f_lt(json_t **a, size_t n, char **m) { return order(a, n, m, -1, -1); }
static json_t *f_le(json_t **a, size_t n, char **m) { return order(a, n, m, -1, 0); }
static json_t *f_gt(json_t **a, size_t n, char **m) { return order(a, n, m, 1, 1); }
static json_t *f_ge(json_t **a, size_t n, char **m) { return order(a, n, m, 0, 1); }

/* The string form of an argument (Docker's string functions take any
 * value through fmt). */
static char *str_arg(json_t *v) { return berth_template_sprint(v); }

static json_t *map_chars(json_t **a, size_t n, char **msg, int (*f)(int),
                         const char *name) {
  if (n != 1)
    return fail(msg, "wrong number of args for %s: want 1 got %zu", name, n);
  char *s = str_arg(a[0]);
  if (!s)
    return fail(msg, "output too large");
  for (char *p = s; *p; p++)
    *p = (char)f((unsigned char)*p);
  json_t *r = json_string(s);
  free(s);
  return r ? r : fail(msg, "invalid UTF-8");
}
static json_t *f_upper(json_t **a, size_t n, char **m) {
  return map_chars(a, n, m, toupper, "upper");
}
static json_t *f_lower(json_t **a, size_t n, char **m) {
  return map_chars(a, n, m, tolower, "lower");
}

/* strings.Title: the first letter of every word in upper case. */
static json_t *f_title(json_t **a, size_t n, char **msg) {
  if (n != 1)
    return fail(msg, "wrong number of args for title: want 1 got %zu", n);
  char *s = str_arg(a[0]);
  if (!s)
    return fail(msg, "output too large");
  bool start = true;
  for (char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (start && islower(c))
      *p = (char)toupper(c);
    start = !(isalnum(c) || c == '_' || c >= 0x80 || c == '\'');
  }
  json_t *r = json_string(s);
  free(s);
  return r ? r : fail(msg, "invalid UTF-8");
}

static json_t *f_join(json_t **a, size_t n, char **msg) {
  if (n != 2 || !json_is_array(a[0]) || !json_is_string(a[1]))
    return fail(msg, "join wants a list and a separator string");
  struct tbuf b = {0};
  for (size_t i = 0; i < json_array_size(a[0]); i++) {
    if (i)
      tbuf_puts(&b, json_string_value(a[1]));
    tmpl_print_value(&b, json_array_get(a[0], i));
  }
  return take(&b, msg);
}

static json_t *f_split(json_t **a, size_t n, char **msg) {
  if (n != 2 || !json_is_string(a[0]) || !json_is_string(a[1]))
    return fail(msg, "split wants a string and a separator string");
  const char *s = json_string_value(a[0]), *sep = json_string_value(a[1]);
  size_t seplen = strlen(sep);
  json_t *r = json_array();
  while (r) {
    /* an empty separator splits after each UTF-8 sequence */
    const char *hit = seplen ? strstr(s, sep) : NULL;
    size_t len = seplen ? (hit ? (size_t)(hit - s) : strlen(s)) : 1;
    if (!seplen) {
      if (!*s)
        break;
      while (((unsigned char)s[len] & 0xc0) == 0x80)
        len++;
    }
    json_array_append_new(r, json_stringn_nocheck(s, len));
    if (seplen && !hit)
      break;
    s += len + seplen;
  }
  return r ? r : fail(msg, "out of memory");
}

/* Docker's truncate: the first n bytes. */
static json_t *f_truncate(json_t **a, size_t n, char **msg) {
  long long len;
  if (n != 2 || !as_int(a[1], &len) || len < 0)
    return fail(msg, "truncate wants a string and a length");
  char *s = str_arg(a[0]);
  if (!s)
    return fail(msg, "output too large");
  if ((size_t)len < strlen(s))
    s[len] = '\0';
  json_t *r = json_string(s);
  free(s);
  return r ? r : fail(msg, "truncated inside a UTF-8 sequence");
}

/* Docker's pad: spaces before and after a non-empty string. */
static json_t *f_pad(json_t **a, size_t n, char **msg) {
  long long pre, post;
  if (n != 3 || !as_int(a[1], &pre) || !as_int(a[2], &post) || pre < 0 ||
      post < 0 || pre > 4096 || post > 4096)
    return fail(msg, "pad wants a string and two counts up to 4096");
  char *s = str_arg(a[0]);
  if (!s)
    return fail(msg, "output too large");
  struct tbuf b = {0};
  for (long long i = 0; *s && i < pre; i++)
    tbuf_puts(&b, " ");
  tbuf_puts(&b, s);
  for (long long i = 0; *s && i < post; i++)
    tbuf_puts(&b, " ");
  free(s);
  return take(&b, msg);
}



static const struct {
  const char *name;
  tfunc fn;
} funcs[] = {
    {"and", f_and},     {"or", f_or},       {"not", f_not},
    {"eq", f_eq},       {"ne", f_ne},       {"lt", f_lt},
    {"le", f_le},       {"gt", f_gt},       {"ge", f_ge},
    {"len", f_len},     {"index", f_index}, {"print", f_print},
    {"printf", tmpl_printf}, {"println", f_println}, {"json", f_json},
    {"upper", f_upper}, {"lower", f_lower}, {"title", f_title},
    {"join", f_join},   {"split", f_split}, {"truncate", f_truncate},
    {"pad", f_pad},
};

bool tmpl_func_exists(const char *name) {
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
    if (strcmp(funcs[i].name, name) == 0)
      return true;
  return false;
}

json_t *tmpl_call(const char *name, json_t **args, size_t nargs,
                  char **msg) {
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
    if (strcmp(funcs[i].name, name) == 0)
      return funcs[i].fn(args, nargs, msg);
  return fail(msg, "function \"%s\" not defined", name);
}
