#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"

int berth_json_parse(const char *name, const char *text, size_t len,
                     json_t **out, berth_error **err) {
  json_error_t jerr;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (j == NULL)
    return berth_error_set(err, BERTH_ERR_SPEC, 0, "%s:%d:%d: %s", name,
                           jerr.line, jerr.column, jerr.text);
  *out = j;
  return 0;
}

int berth_json_load_file(const char *file, size_t max_bytes, json_t **out,
                         char **text_out, berth_error **err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (berth_read_file(AT_FDCWD, file, max_bytes, &text, &len, err) < 0)
    return -1;
  if (berth_json_parse(file, text, len, out, err) < 0)
    return -1;
  if (text_out)
    *text_out = steal_pointer(&text);
  return 0;
}

void berth_path_key(char *buf, const char *base, const char *key) {
  /* Truncation is acceptable: paths only label error messages. */
  int n;
  if (base == NULL || base[0] == '\0')
    n = snprintf(buf, BERTH_PATH_MAX_LEN, "%s", key);
  else
    n = snprintf(buf, BERTH_PATH_MAX_LEN, "%s.%s", base, key);
  (void)n;
}

void berth_path_idx(char *buf, const char *base, size_t idx) {
  int n = snprintf(buf, BERTH_PATH_MAX_LEN, "%s[%zu]", base ? base : "", idx);
  (void)n;
}

/* ---- locating a path in raw text ------------------------------------
 * A small scanner that walks the document, building the path of each
 * value as it goes, and stops at the first value whose path matches.  It
 * assumes the text already parsed (jansson accepted it), so it is lenient. */

struct locator {
  const char *p, *end;
  const char *target;
  const char *found;
  int depth;
};

static void skip_ws(struct locator *l) {
  while (l->p < l->end && isspace((unsigned char)*l->p))
    l->p++;
}

/* Copies a JSON string's raw content (escapes kept) into buf. */
static void scan_string(struct locator *l, char *buf, size_t n) {
  size_t k = 0;
  l->p++; /* opening quote */
  while (l->p < l->end && *l->p != '"') {
    if (*l->p == '\\' && l->p + 1 < l->end) {
      if (buf && k + 1 < n)
        buf[k++] = l->p[1];
      l->p += 2;
      continue;
    }
    if (buf && k + 1 < n)
      buf[k++] = *l->p;
    l->p++;
  }
  if (l->p < l->end)
    l->p++;
  if (buf)
    buf[k] = '\0';
}

static void scan_value(struct locator *l, const char *path);

static void scan_object(struct locator *l, const char *path) {
  char key[256], child[BERTH_PATH_MAX_LEN];
  l->p++;
  for (;;) {
    skip_ws(l);
    if (l->p >= l->end || *l->p == '}' || l->found) {
      l->p++;
      return;
    }
    if (*l->p != '"')
      return;
    scan_string(l, key, sizeof(key));
    skip_ws(l);
    if (l->p < l->end && *l->p == ':')
      l->p++;
    berth_path_key(child, path, key);
    scan_value(l, child);
    if (l->found)
      return;
    skip_ws(l);
    if (l->p < l->end && *l->p == ',')
      l->p++;
  }
}

static void scan_array(struct locator *l, const char *path) {
  char child[BERTH_PATH_MAX_LEN];
  size_t idx = 0;
  l->p++;
  for (;;) {
    skip_ws(l);
    if (l->p >= l->end || *l->p == ']' || l->found) {
      l->p++;
      return;
    }
    berth_path_idx(child, path, idx++);
    scan_value(l, child);
    if (l->found)
      return;
    skip_ws(l);
    if (l->p < l->end && *l->p == ',')
      l->p++;
    else if (l->p < l->end && *l->p != ']')
      return;
  }
}

static void scan_value(struct locator *l, const char *path) {
  skip_ws(l);
  if (l->p >= l->end)
    return;
  if (strcmp(path, l->target) == 0) {
    l->found = l->p;
    return;
  }
  if (++l->depth > 256) /* jansson's own limit is lower; stay bounded */
    return;
  if (*l->p == '{')
    scan_object(l, path);
  else if (*l->p == '[')
    scan_array(l, path);
  else if (*l->p == '"')
    scan_string(l, NULL, 0);
  else
    while (l->p < l->end && !strchr(",]} \t\r\n", *l->p))
      l->p++;
  l->depth--;
}

int berth_json_locate(const char *text, const char *field, int *line,
                      int *col) {
  struct locator l = {.p = text, .end = text + strlen(text), .target = field};
  scan_value(&l, "");
  if (l.found == NULL)
    return -1;
  int ln = 1, c = 1;
  for (const char *q = text; q < l.found; q++) {
    if (*q == '\n') {
      ln++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = ln;
  *col = c;
  return 0;
}

void berth_json_annotate(berth_error *err, const char *name,
                         const char *text) {
  if (err == NULL || err->kind != BERTH_ERR_SPEC || err->field == NULL)
    return;
  char *full = NULL;
  int line, col;
  /* A missing field has no position of its own: point at its parent. */
  char parent[BERTH_PATH_MAX_LEN];
  snprintf(parent, sizeof(parent), "%s", err->field);
  int rc = -1;
  for (;;) {
    rc = berth_json_locate(text, parent, &line, &col);
    if (rc == 0 || parent[0] == '\0')
      break;
    char *cut = strrchr(parent, '.');
    char *br = strrchr(parent, '[');
    if (br && (!cut || br > cut))
      cut = br;
    if (cut)
      *cut = '\0';
    else
      parent[0] = '\0';
  }
  if (rc == 0)
    rc = asprintf(&full, "%s:%d:%d: %s: %s", name, line, col, err->field,
                  err->msg);
  else
    rc = asprintf(&full, "%s: %s: %s", name, err->field, err->msg);
  if (rc >= 0) {
    free(err->msg);
    err->msg = full;
  }
}

/* ---- typed getters --------------------------------------------------- */

static int lookup(json_t *obj, const char *key, json_t **v) {
  *v = obj ? json_object_get(obj, key) : NULL;
  return *v != NULL && !json_is_null(*v);
}

int bj_string(json_t *obj, const char *key, const char *path, bool required,
              char **out, berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  json_t *v;
  berth_path_key(p, path, key);
  if (!lookup(obj, key, &v)) {
    if (required)
      return berth_error_spec(err, p, "required string is missing");
    return 0;
  }
  if (!json_is_string(v))
    return berth_error_spec(err, p, "must be a string");
  const char *s = json_string_value(v);
  if (strlen(s) != json_string_length(v))
    return berth_error_spec(err, p, "must not contain NUL bytes");
  *out = strdup(s);
  return *out ? 1 : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
}

int bj_bool(json_t *obj, const char *key, const char *path, bool *out,
            berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  json_t *v;
  if (!lookup(obj, key, &v))
    return 0;
  if (!json_is_boolean(v)) {
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "must be true or false");
  }
  *out = json_is_true(v);
  return 1;
}

int bj_int64(json_t *obj, const char *key, const char *path, int64_t *out,
             berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  json_t *v;
  if (!lookup(obj, key, &v))
    return 0;
  if (!json_is_integer(v)) {
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "must be an integer");
  }
  *out = json_integer_value(v);
  return 1;
}

int bj_range(json_t *obj, const char *key, const char *path, int64_t min,
             int64_t max, int64_t *out, berth_error **err) {
  int64_t v;
  int rc = bj_int64(obj, key, path, &v, err);
  if (rc <= 0)
    return rc;
  if (v < min || v > max) {
    char p[BERTH_PATH_MAX_LEN];
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "%lld is out of range [%lld, %lld]",
                            (long long)v, (long long)min, (long long)max);
  }
  *out = v;
  return 1;
}

int bj_uint64(json_t *obj, const char *key, const char *path, uint64_t *out,
              berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  json_t *v;
  if (!lookup(obj, key, &v))
    return 0;
  berth_path_key(p, path, key);
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i < 0)
      return berth_error_spec(err, p, "must not be negative");
    *out = (uint64_t)i;
    return 1;
  }
  /* jansson parses integers beyond INT64_MAX as reals. */
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d >= 9223372036854775808.0 && d <= 18446744073709551615.0) {
      *out = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
      return 1;
    }
  }
  return berth_error_spec(err, p, "must be a non-negative integer");
}

size_t berth_strv_len(char *const *v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void berth_strv_free(char **v) {
  if (v == NULL)
    return;
  for (char **s = v; *s; s++)
    free(*s);
  free(v);
}

int bj_strv(json_t *obj, const char *key, const char *path, bool required,
            char ***out, berth_error **err) {
  char p[BERTH_PATH_MAX_LEN], ep[BERTH_PATH_MAX_LEN];
  json_t *v;
  berth_path_key(p, path, key);
  if (!lookup(obj, key, &v)) {
    if (required)
      return berth_error_spec(err, p, "required array is missing");
    return 0;
  }
  if (!json_is_array(v))
    return berth_error_spec(err, p, "must be an array of strings");
  size_t n = json_array_size(v);
  char **r = calloc(n + 1, sizeof(char *));
  if (r == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(v, i);
    if (!json_is_string(e) ||
        strlen(json_string_value(e)) != json_string_length(e)) {
      berth_strv_free(r);
      berth_path_idx(ep, p, i);
      return berth_error_spec(err, ep, "must be a string without NUL bytes");
    }
    r[i] = strdup(json_string_value(e));
    if (r[i] == NULL) {
      berth_strv_free(r);
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
    }
  }
  *out = r;
  return 1;
}

int bj_object(json_t *obj, const char *key, const char *path, json_t **out,
              berth_error **err) {
  json_t *v;
  if (!lookup(obj, key, &v))
    return 0;
  if (!json_is_object(v)) {
    char p[BERTH_PATH_MAX_LEN];
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "must be an object");
  }
  *out = v;
  return 1;
}

int bj_array(json_t *obj, const char *key, const char *path, json_t **out,
             berth_error **err) {
  json_t *v;
  if (!lookup(obj, key, &v))
    return 0;
  if (!json_is_array(v)) {
    char p[BERTH_PATH_MAX_LEN];
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "must be an array");
  }
  *out = v;
  return 1;
}
