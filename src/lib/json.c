#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"

/* Whether the digits text[start..end) exceed int64 (jansson's integer). */
static bool int_too_big(const char *text, size_t start, size_t end) {
  bool neg = text[start] == '-';
  size_t d = start + (neg ? 1 : 0), n = end - d;
  const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
  if (n != 19)
    return n > 19;
  return memcmp(text + d, lim, 19) > 0;
}

/* jansson refuses integers beyond int64, but Go writes uint64 fields (an
 * unlimited rlimit is 18446744073709551615) as plain integers.  Rewrites
 * each such integer outside strings as a real ("...615.0"), which
 * bj_uint64() maps back.  Returns NULL when nothing needed rewriting. */
static char *widen_big_ints(const char *text, size_t len, size_t *out_len) {
  char *out = malloc(len * 2 + 1);
  if (out == NULL)
    return NULL;
  size_t o = 0, i = 0;
  bool in_str = false, changed = false;
  while (i < len) {
    char c = text[i];
    if (in_str) {
      out[o++] = c;
      if (c == '\\' && i + 1 < len)
        out[o++] = text[++i];
      else if (c == '"')
        in_str = false;
      i++;
      continue;
    }
    if (c == '"') {
      in_str = true;
      out[o++] = text[i++];
      continue;
    }
    if (c == '-' || isdigit((unsigned char)c)) {
      size_t start = i++;
      while (i < len && isdigit((unsigned char)text[i]))
        i++;
      memcpy(out + o, text + start, i - start);
      o += i - start;
      bool integral = i >= len || (text[i] != '.' && text[i] != 'e' &&
                                   text[i] != 'E');
      if (integral && int_too_big(text, start, i)) {
        memcpy(out + o, ".0", 2);
        o += 2;
        changed = true;
      }
      continue;
    }
    out[o++] = text[i++];
  }
  if (!changed) {
    free(out);
    return NULL;
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

int berth_json_parse(const char *name, const char *text, size_t len,
                     json_t **out, berth_error **err) {
  json_error_t jerr;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (j == NULL && strstr(jerr.text, "too big integer")) {
    size_t wlen = 0;
    _cleanup_free_ char *wide = widen_big_ints(text, len, &wlen);
    json_error_t jerr2;
    if (wide)
      j = json_loadb(wide, wlen, JSON_REJECT_DUPLICATES, &jerr2);
  }
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
  /* Integers beyond INT64_MAX arrive as reals (see widen_big_ints). */
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
