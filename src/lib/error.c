#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    return NULL;
  return s;
}

static int set_v(berth_error **err, berth_error_kind kind, int errno_value,
                 const char *field, const char *fmt, va_list ap) {
  if (err == NULL || *err != NULL)
    return -1;
  berth_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  e->kind = kind;
  e->errno_value = errno_value;
  char *base = vformat(fmt, ap);
  if (base != NULL && errno_value != 0) {
    char *full = NULL;
    if (asprintf(&full, "%s: %s", base, strerror(errno_value)) >= 0) {
      free(base);
      base = full;
    }
  }
  e->msg = base ? base : strdup("out of memory");
  e->field = field ? strdup(field) : NULL;
  *err = e;
  return -1;
}

int berth_error_set(berth_error **err, berth_error_kind kind, int errno_value,
                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_v(err, kind, errno_value, NULL, fmt, ap);
  va_end(ap);
  return -1;
}

int berth_error_sys(berth_error **err, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  set_v(err, BERTH_ERR_SYSTEM, saved, NULL, fmt, ap);
  va_end(ap);
  errno = saved;
  return -1;
}

int berth_error_spec(berth_error **err, const char *field, const char *fmt,
                     ...) {
  va_list ap;
  va_start(ap, fmt);
  set_v(err, BERTH_ERR_SPEC, 0, field, fmt, ap);
  va_end(ap);
  return -1;
}

int berth_error_prefix(berth_error **err, const char *fmt, ...) {
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = vformat(fmt, ap);
  va_end(ap);
  char *full = NULL;
  if (prefix != NULL && asprintf(&full, "%s: %s", prefix, (*err)->msg) >= 0) {
    free((*err)->msg);
    (*err)->msg = full;
  }
  free(prefix);
  return -1;
}

void berth_error_free(berth_error *err) {
  if (err == NULL)
    return;
  free(err->msg);
  free(err->field);
  free(err);
}

int berth_error_code(const berth_error *err) {
  if (err == NULL || err->errno_value == 0)
    return -EIO;
  return -err->errno_value;
}

int berth_error_encode(const berth_error *err, char *buf, size_t len) {
  if (err == NULL || len == 0)
    return -1;
  int n = snprintf(buf, len, "%d %d %s", (int)err->kind, err->errno_value,
                   err->msg ? err->msg : "");
  if (n < 0)
    return -1;
  return (size_t)n >= len ? (int)len - 1 : n;
}

int berth_error_decode(const char *text, berth_error **err) {
  int kind = 0, errnum = 0, used = 0;
  if (sscanf(text, "%d %d %n", &kind, &errnum, &used) != 2 || used == 0 ||
      kind < 0 || kind >= BERTH_ERR__COUNT)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "%s", text);
  /* The message already names the errno: set it after formatting. */
  berth_error_set(err, (berth_error_kind)kind, 0, "%s", text + used);
  if (err && *err)
    (*err)->errno_value = errnum;
  return -1;
}
