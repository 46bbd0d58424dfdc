/* The executor's small helpers: string lists and progress events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build_internal.h"
#include "cleanup.h"

static int grow(struct slist *l, berth_error **err) {
  if (l->n + 2 <= l->cap)
    return 0;
  size_t cap = l->cap ? l->cap * 2 : 8;
  char **v = realloc(l->v, cap * sizeof *v);
  if (!v)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  l->v = v;
  l->cap = cap;
  return 0;
}

static int take(struct slist *l, char *s, berth_error **err) {
  if (!s)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  if (grow(l, err) < 0) {
    free(s);
    return -1;
  }
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
  return 0;
}

int slist_add(struct slist *l, const char *s, berth_error **err) {
  return take(l, strdup(s), err);
}

int slist_addf(struct slist *l, berth_error **err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int rc = vasprintf(&s, fmt, ap);
  va_end(ap);
  return take(l, rc < 0 ? NULL : s, err);
}

int slist_copy(struct slist *dst, const struct slist *src,
                 berth_error **err) {
  for (size_t i = 0; i < src->n; i++)
    if (slist_add(dst, src->v[i], err) < 0)
      return -1;
  return 0;
}

void slist_free(struct slist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  *l = (struct slist){0};
}

static bool names(const char *entry, const char *k) {
  size_t kl = strlen(k);
  return strncmp(entry, k, kl) == 0 && (entry[kl] == '=' || !entry[kl]);
}

int slist_setenv(struct slist *l, const char *k, const char *v,
                   berth_error **err) {
  char *s = NULL;
  if (asprintf(&s, "%s=%s", k, v) < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  for (size_t i = 0; i < l->n; i++)
    if (names(l->v[i], k)) {
      free(l->v[i]);
      l->v[i] = s;
      return 0;
    }
  return take(l, s, err);
}

const char *slist_getenv(const struct slist *l, const char *k) {
  for (size_t i = l->n; i-- > 0;)
    if (names(l->v[i], k))
      return strchr(l->v[i], '=') ? strchr(l->v[i], '=') + 1 : NULL;
  return NULL;
}

bool slist_has_name(const struct slist *l, const char *k) {
  for (size_t i = 0; i < l->n; i++)
    if (names(l->v[i], k))
      return true;
  return false;
}

struct berth_word_env slist_env(const struct slist *l) {
  return (struct berth_word_env){.vars = l->v, .n = l->n};
}

json_t *slist_json(const struct slist *l) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < l->n; i++)
    json_array_append_new(a, json_string(l->v[i]));
  return a;
}

int slist_from_json(struct slist *l, json_t *arr, berth_error **err) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    if (json_is_string(v) && slist_add(l, json_string_value(v), err) < 0)
      return -1;
  }
  return 0;
}

/* ---- progress ---- */

double build_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void build_event(struct build *b, enum berth_build_event_kind kind, int n,
                 const char *text, size_t len, double seconds) {
  if (!b->o->progress)
    return;
  struct berth_build_event ev = {.kind = kind, .n = n, .text = text,
                                 .len = text && !len ? strlen(text) : len,
                                 .seconds = seconds};
  b->o->progress(b->o->progress_arg, &ev);
}

int build_step_begin(struct build *b, const char *text) {
  int n = ++b->step;
  build_event(b, BERTH_BUILD_STEP, n, text, 0, 0);
  return n;
}

void build_msgf(struct build *b, int n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *s = NULL;
  int rc = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (rc >= 0)
    build_event(b, BERTH_BUILD_MESSAGE, n, s, (size_t)rc, 0);
}

int build_at(struct build *b, const struct berth_df_instr *in,
             berth_error **err) {
  /* An error of a stage built on demand (COPY --from) already names its
   * own line. */
  if (b->located)
    return -1;
  b->located = true;
  const char *name = b->ctx && b->ctx->dockerfile_name
                         ? b->ctx->dockerfile_name
                         : "Dockerfile";
  return berth_error_prefix(err, "%s:%d", name, in->line);
}
