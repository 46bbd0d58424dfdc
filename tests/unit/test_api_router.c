/* The API server's routing and query parsing (src/api/router.c,
 * src/api/query.c): version prefixes, {param} and {name*} patterns,
 * 404/405, Go's query decoding, Docker's booleans, integers, filters and
 * JSON bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/api_internal.h"
#include "api/api_query.h"

static int h(struct api_req *r) {
  (void)r;
  return 0;
}

/* The tables router.c finds (its weak references resolve to these). */
const struct api_route api_routes_ctr[] = {
    {"GET", "/containers/json", h, 0},
    {"POST", "/containers/create", h, 0},
    {"GET", "/containers/{id}/json", h, 0},
    {"POST", "/containers/{id}/start", h, 0},
    {"DELETE", "/containers/{id}", h, 0},
    {NULL, NULL, NULL, 0},
};
const struct api_route api_routes_images[] = {
    {"GET", "/images/json", h, 0},
    {"GET", "/images/{name*}/json", h, 0},
    {"DELETE", "/images/{name*}", h, 0},
    {"POST", "/images/{name*}/tag", h, 0},
    {NULL, NULL, NULL, 0},
};
const struct api_route api_routes_net[] = {
    {"POST", "/networks/{id}", h, 0}, /* before the literal: still loses */
    {"POST", "/networks/create", h, 0},
    {"POST", "/networks/{id}/connect", h, 0},
    {NULL, NULL, NULL, 0},
};

static struct api_req req(const char *method, const char *path) {
  return (struct api_req){.method = method, .path = path, .body_fd = -1};
}

static void free_params(struct api_req *r) {
  for (int i = 0; i < API_MAX_PARAMS; i++)
    free((char *)r->params[i]);
}

/* Finds method path; returns the route's pattern (NULL) and *status. */
static const char *find(const char *method, const char *path,
                        unsigned *status, char *p0, size_t len) {
  struct api_req r = req(method, path);
  const struct api_route *rt = api_route_find(&r, status);
  if (p0)
    snprintf(p0, len, "%s", r.params[0] ? r.params[0] : "");
  if (rt)
    free_params(&r);
  return rt ? rt->pattern : NULL;
}

static void test_version_prefix(void **state) {
  (void)state;
  unsigned v;
  assert_string_equal(api_strip_version("/v1.41/containers/json", &v),
                      "/containers/json");
  assert_int_equal(v, 141);
  assert_string_equal(api_strip_version("/version", &v), "/version");
  assert_int_equal(v, 141);
  assert_string_equal(api_strip_version("/v1.24/_ping", &v), "/_ping");
  assert_int_equal(v, 124);
  assert_string_equal(api_strip_version("/v1.30/x", &v), "/x");
  assert_int_equal(v, 130);
  assert_string_equal(api_strip_version("/v1.41", &v), "/");
  /* Out of range: NULL, with the version asked for. */
  assert_null(api_strip_version("/v1.50/version", &v));
  assert_int_equal(v, 150);
  assert_null(api_strip_version("/v1.42/version", &v));
  assert_null(api_strip_version("/v1.12/version", &v));
  assert_int_equal(v, 112);
  assert_null(api_strip_version("/v1.23/version", &v));
  assert_null(api_strip_version("/v2/version", &v));
  assert_null(api_strip_version("/v1/version", &v));
  assert_null(api_strip_version("/v1.999/version", &v));
  assert_null(api_strip_version("/v99999999999999999999.1/x", &v));
  /* A third component does not change the answer. */
  assert_string_equal(api_strip_version("/v1.41.7/x", &v), "/x");
  /* Not a prefix: paths of their own. */
  assert_string_equal(api_strip_version("/volumes", &v), "/volumes");
  assert_int_equal(v, 141);
  assert_string_equal(api_strip_version("/v1.41x/version", &v),
                      "/v1.41x/version");
  assert_string_equal(api_strip_version("/vx/version", &v), "/vx/version");
}

static void test_route_params(void **state) {
  (void)state;
  unsigned st;
  char p[256];
  assert_string_equal(find("GET", "/containers/json", &st, p, sizeof p),
                      "/containers/json");
  assert_string_equal(find("GET", "/containers/abc/json", &st, p, sizeof p),
                      "/containers/{id}/json");
  assert_string_equal(p, "abc");
  assert_string_equal(find("DELETE", "/containers/x1", &st, p, sizeof p),
                      "/containers/{id}");
  assert_string_equal(p, "x1");
  /* {name*}: one or more segments, the suffix matched from the end. */
  assert_string_equal(
      find("GET", "/images/localhost:5000/a/b:1/json", &st, p, sizeof p),
      "/images/{name*}/json");
  assert_string_equal(p, "localhost:5000/a/b:1");
  assert_string_equal(find("GET", "/images/json", &st, p, sizeof p),
                      "/images/json");
  assert_string_equal(find("GET", "/images/json/json", &st, p, sizeof p),
                      "/images/{name*}/json");
  assert_string_equal(p, "json");
  assert_string_equal(find("DELETE", "/images/a/b", &st, p, sizeof p),
                      "/images/{name*}");
  assert_string_equal(p, "a/b");
  assert_string_equal(find("POST", "/images/a/b/tag", &st, p, sizeof p),
                      "/images/{name*}/tag");
  assert_string_equal(p, "a/b");
  /* The most literal route wins, whatever the table order. */
  assert_string_equal(find("POST", "/networks/create", &st, p, sizeof p),
                      "/networks/create");
  assert_string_equal(find("POST", "/networks/n1", &st, p, sizeof p),
                      "/networks/{id}");
  assert_string_equal(find("POST", "/networks/n1/connect", &st, p, sizeof p),
                      "/networks/{id}/connect");
}

static void test_route_misses(void **state) {
  (void)state;
  unsigned st;
  assert_null(find("GET", "/nope", &st, NULL, 0));
  assert_int_equal(st, 404);
  assert_null(find("POST", "/containers/json", &st, NULL, 0));
  assert_int_equal(st, 405);
  assert_null(find("PUT", "/images/a/b", &st, NULL, 0));
  assert_int_equal(st, 405);
  /* Empty segments match neither literals nor parameters. */
  assert_null(find("GET", "/containers//json", &st, NULL, 0));
  assert_int_equal(st, 404);
  assert_null(find("GET", "/images/a//b/json", &st, NULL, 0));
  assert_int_equal(st, 404);
  assert_null(find("GET", "/containers/json/", &st, NULL, 0));
  assert_int_equal(st, 404);
  assert_null(find("GET", "/images//json", &st, NULL, 0));
  assert_null(find("GET", "containers/json", &st, NULL, 0));
  assert_int_equal(st, 404);
  /* More segments than the router keeps: 404, not a crash. */
  char deep[1024] = "";
  for (int i = 0; i < 100; i++)
    strcat(deep, "/a");
  assert_null(find("GET", deep, &st, NULL, 0));
  assert_int_equal(st, 404);
}

static void test_unescape(void **state) {
  (void)state;
  char q[] = "a+b%20c%2B%2f";
  assert_int_equal(api_unescape(q, true), 0);
  assert_string_equal(q, "a b c+/");
  char p[] = "a+b%3A";
  assert_int_equal(api_unescape(p, false), 0);
  assert_string_equal(p, "a+b:");
  const char *bad[] = {"%zz", "%4", "%", "a%00b", "%0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char b[16];
    snprintf(b, sizeof b, "%s", bad[i]);
    assert_int_equal(api_unescape(b, true), -1);
  }
}

static void test_bool_int(void **state) {
  (void)state;
  bool b = false;
  berth_error *err = NULL;
  assert_int_equal(api_parse_bool("force", NULL, true, &b, &err), 0);
  assert_true(b);
  const char *yes[] = {"1", "true", "True", "TRUE", "t"};
  for (size_t i = 0; i < 5; i++) {
    b = false;
    assert_int_equal(api_parse_bool("k", yes[i], false, &b, &err), 0);
    assert_true(b);
  }
  const char *no[] = {"0", "false", "False", ""};
  for (size_t i = 0; i < 4; i++) {
    b = true;
    assert_int_equal(api_parse_bool("k", no[i], true, &b, &err), 0);
    assert_false(b);
  }
  assert_int_equal(api_parse_bool("force", "yes", false, &b, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "force"));
  berth_error_free(err);
  err = NULL;
  int64_t n = 0;
  assert_int_equal(api_parse_int("t", NULL, 10, 0, 100, &n, &err), 0);
  assert_int_equal(n, 10);
  assert_int_equal(api_parse_int("t", "-5", 10, -10, 100, &n, &err), 0);
  assert_int_equal(n, -5);
  const char *bad[] = {"x", "1x", " 1", "101", "-11",
                       "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(api_parse_int("t", bad[i], 0, -10, 100, &n, &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_non_null(strstr(err->msg, "t"));
    berth_error_free(err);
    err = NULL;
  }
}

static char *dump(json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  return s;
}

static void test_filters(void **state) {
  (void)state;
  json_t *f;
  berth_error *err = NULL;
  assert_int_equal(api_parse_filters(NULL, &f, &err), 0);
  char *s = dump(f);
  assert_string_equal(s, "{}");
  free(s);
  assert_int_equal(
      api_parse_filters("{\"label\":[\"a=b\"],\"status\":[\"running\"]}", &f,
                        &err),
      0);
  s = dump(f);
  assert_string_equal(s, "{\"label\":[\"a=b\"],\"status\":[\"running\"]}");
  free(s);
  /* The older form: the values set to true, as a list. */
  assert_int_equal(
      api_parse_filters("{\"dangling\":{\"true\":true,\"x\":false}}", &f,
                        &err),
      0);
  s = dump(f);
  assert_string_equal(s, "{\"dangling\":[\"true\"]}");
  free(s);
  const char *bad[] = {"{", "[]", "\"x\"", "{\"a\":\"b\"}", "{\"a\":[1]}",
                       "{\"a\":{\"b\":1}}", "{\"a\":[],\"a\":[]}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(api_parse_filters(bad[i], &f, &err), -1);
    assert_null(f);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_non_null(strstr(err->msg, "filter"));
    berth_error_free(err);
    err = NULL;
  }
}

static void test_body_json(void **state) {
  (void)state;
  json_t *j;
  berth_error *err = NULL;
  const char *empty[] = {"", "  \n", "null"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(
        api_parse_body_json(empty[i], strlen(empty[i]), &j, &err), 0);
    assert_true(json_is_object(j));
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
  }
  const char *ok = "{\"Image\":\"bb\"}";
  assert_int_equal(api_parse_body_json(ok, strlen(ok), &j, &err), 0);
  assert_string_equal(json_string_value(json_object_get(j, "Image")), "bb");
  json_decref(j);
  const char *bad = "{\"Image\": ";
  assert_int_equal(api_parse_body_json(bad, strlen(bad), &j, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_memory_equal(err->msg, "invalid JSON: 1:", 16);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(api_parse_body_json("[1]", 3, &j, &err), -1);
  assert_non_null(strstr(err->msg, "not a JSON object"));
  berth_error_free(err);
  err = NULL;
  /* Only len bytes are the body. */
  assert_int_equal(api_parse_body_json("{}garbage", 2, &j, &err), 0);
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_prefix),
      cmocka_unit_test(test_route_params),
      cmocka_unit_test(test_route_misses),
      cmocka_unit_test(test_unescape),
      cmocka_unit_test(test_bool_int),
      cmocka_unit_test(test_filters),
      cmocka_unit_test(test_body_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
