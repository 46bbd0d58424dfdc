/* Fuzzes what the API server reads from a request before any handler
 * runs, and the query helpers handlers call (src/api/router.c, query.c).
 * Input: line 1 a path, line 2 a query value, the rest a body.
 * Invariants: a stripped path is the decoded path or a tail of it
 * starting with '/'; a matched route's captures are non-empty, hold no empty
 * segment and appear in the path; filters come out as lists of strings;
 * every refusal is INVALID; nothing crashes or leaks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/api_query.h"

static int h(struct api_req *r) {
  (void)r;
  return 0;
}

/* Patterns of the shapes the handler files use. */
const struct api_route api_routes_images[] = {
    {"GET", "/images/json", h, 0},
    {"GET", "/images/{name*}/json", h, 0},
    {"DELETE", "/images/{name*}", h, 0},
    {"POST", "/images/{name*}/tag", h, 0},
    {NULL, NULL, NULL, 0},
};
const struct api_route api_routes_ctr[] = {
    {"GET", "/containers/{id}/json", h, 0},
    {"POST", "/containers/{id}/{verb}", h, 0},
    {"GET", "/containers/json", h, 0},
    {NULL, NULL, NULL, 0},
};

static void check_invalid(int rc, berth_error *err) {
  if (rc < 0 && (!err || err->kind != BERTH_ERR_INVALID))
    abort();
  berth_error_free(err);
}

static void route(char *path) {
  if (api_unescape(path, false) < 0)
    return;
  unsigned v, st;
  const char *rest = api_strip_version(path, &v);
  if (!rest)
    return;
  /* The path itself, or its tail after a prefix: from a '/' on. */
  size_t pl = strlen(path), rl = strlen(rest);
  if (rest != path && (rest[0] != '/' || (strcmp(rest, "/") != 0 &&
                                          (rl > pl ||
                                           strcmp(path + pl - rl, rest)))))
    abort();
  const char *methods[] = {"GET", "POST", "DELETE"};
  for (int m = 0; m < 3; m++) {
    struct api_req r = {.method = methods[m], .path = rest, .body_fd = -1};
    const struct api_route *rt = api_route_find(&r, &st);
    if (!rt && st != 404 && st != 405)
      abort();
    for (int i = 0; rt && i < API_MAX_PARAMS; i++) {
      const char *p = r.params[i];
      if (p && (!*p || strstr(p, "//") || p[0] == '/' ||
                !strstr(rest, p)))
        abort();
      free((char *)p);
    }
  }
}

static void query(char *value) {
  berth_error *err = NULL;
  if (api_unescape(value, true) < 0)
    return;
  bool b;
  check_invalid(api_parse_bool("k", value, false, &b, &err), err);
  err = NULL;
  int64_t n;
  check_invalid(api_parse_int("k", value, 0, -100, 100, &n, &err), err);
  err = NULL;
  json_t *f = NULL;
  int rc = api_parse_filters(value, &f, &err);
  check_invalid(rc, err);
  const char *key;
  json_t *vals;
  json_object_foreach(f, key, vals) {
    size_t i;
    json_t *s;
    if (!json_is_array(vals))
      abort();
    json_array_foreach(vals, i, s) {
      if (!json_is_string(s))
        abort();
    }
  }
  json_decref(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *in = malloc(size + 1);
  if (!in)
    return 0;
  memcpy(in, data, size);
  in[size] = '\0';
  char *nl = strchr(in, '\n');
  char *q = nl ? nl + 1 : NULL;
  if (nl)
    *nl = '\0';
  char *nl2 = q ? strchr(q, '\n') : NULL;
  const char *body = nl2 ? nl2 + 1 : "";
  if (nl2)
    *nl2 = '\0';
  size_t body_len = nl2 ? size - (size_t)(body - in) : 0;
  route(in);
  if (q)
    query(q);
  json_t *j = NULL;
  berth_error *err = NULL;
  int rc = api_parse_body_json(body, body_len, &j, &err);
  check_invalid(rc, err);
  if (rc == 0 && !json_is_object(j))
    abort();
  json_decref(j);
  free(in);
  return 0;
}
