/* Query values as Go's net/url reads them (Docker's clients encode with
 * url.Values: '+' for a space, %XX escapes) and Docker's value syntaxes
 * (booleans, integers, filters).  No HTTP library: the unit test and the
 * fuzzer call these directly. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api_query.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int api_unescape(char *s, bool plus) {
  char *w = s;
  for (const char *p = s; *p; p++) {
    if (*p == '+' && plus) {
      *w++ = ' ';
    } else if (*p == '%') {
      int hi = p[1] ? hexval(p[1]) : -1, lo = hi >= 0 ? hexval(p[2]) : -1;
      /* A NUL would cut the value short of what the client meant. */
      if (lo < 0 || (hi == 0 && lo == 0))
        return -1;
      *w++ = (char)(hi * 16 + lo);
      p += 2;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  return 0;
}

int api_parse_bool(const char *key, const char *v, bool def, bool *out,
                   berth_error **err) {
  if (!v) {
    *out = def;
    return 0;
  }
  /* Go's strconv.ParseBool, and "" (a key given without a value) as
   * false, as Docker's httputils.BoolValue. */
  static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
  static const char *const no[] = {"", "0", "f", "F", "false", "FALSE",
                                   "False"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (strcmp(v, yes[i]) == 0)
      return *out = true, 0;
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    if (strcmp(v, no[i]) == 0)
      return *out = false, 0;
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid value for %s: %s is not a boolean", key, v);
}

int api_parse_int(const char *key, const char *v, int64_t def, int64_t min,
                  int64_t max, int64_t *out, berth_error **err) {
  if (!v || !*v) {
    *out = def;
    return 0;
  }
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || end == v || isspace((unsigned char)*v))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid value for %s: %s is not an integer", key,
                           v);
  if (n < min || n > max)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid value for %s: %s is out of range "
                           "[%" PRId64 ", %" PRId64 "]",
                           key, v, min, max);
  *out = n;
  return 0;
}

/* {"v": true, ...} (API < 1.22's form, still sent by some clients) ->
 * ["v", ...]. */
static json_t *legacy_values(const char *key, json_t *obj, berth_error **err) {
  json_t *arr = json_array(), *b;
  const char *v;
  json_object_foreach(obj, v, b) {
    if (!json_is_boolean(b)) {
      json_decref(arr);
      berth_error_set(err, BERTH_ERR_INVALID, 0,
                      "invalid filter: %s.%s is not a boolean", key, v);
      return NULL;
    }
    if (json_is_true(b))
      json_array_append_new(arr, json_string(v));
  }
  return arr;
}

static int normalize_one(json_t *out, const char *key, json_t *val,
                         berth_error **err) {
  if (json_is_object(val)) {
    json_t *arr = legacy_values(key, val, err);
    return arr ? json_object_set_new(out, key, arr) : -1;
  }
  if (!json_is_array(val))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filter: %s is not a list of strings", key);
  size_t i;
  json_t *s;
  json_array_foreach(val, i, s) {
    if (!json_is_string(s))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid filter: %s[%zu] is not a string", key,
                             i);
  }
  return json_object_set(out, key, val);
}

int api_parse_filters(const char *text, json_t **out, berth_error **err) {
  *out = NULL;
  if (!text || !*text) {
    *out = json_object();
    return 0;
  }
  json_error_t je;
  json_t *in = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!in)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid filters: %d:%d: %s", je.line, je.column,
                           je.text);
  json_t *res = json_object();
  int rc = 0;
  if (!json_is_object(in)) {
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid filters: not a JSON object");
  } else {
    const char *key;
    json_t *val;
    json_object_foreach(in, key, val) {
      if (normalize_one(res, key, val, err) < 0) {
        rc = -1;
        break;
      }
    }
  }
  json_decref(in);
  if (rc < 0) {
    json_decref(res);
    return -1;
  }
  *out = res;
  return 0;
}

int api_parse_body_json(const char *body, size_t len, json_t **out,
                        berth_error **err) {
  *out = NULL;
  size_t i = 0;
  while (i < len && isspace((unsigned char)body[i]))
    i++;
  if (i == len) {
    *out = json_object();
    return 0;
  }
  json_error_t je;
  json_t *j = json_loadb(body, len, JSON_DECODE_ANY, &je);
  if (!j)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid JSON: %d:%d: %s", je.line, je.column,
                           je.text);
  if (json_is_null(j)) {
    *out = json_object();
    return 0;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid JSON: the body is not a JSON object");
  }
  *out = j;
  return 0;
}
