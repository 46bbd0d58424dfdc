#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static const char doc[] = "{\n"
                          "  \"a\": 1,\n"
                          "  \"linux\": {\n"
                          "    \"namespaces\": [\n"
                          "      {\"type\": \"pid\"},\n"
                          "      {\"type\": \"bogus\"}\n"
                          "    ]\n"
                          "  },\n"
                          "  \"s\": \"x\\\"y\"\n"
                          "}\n";

static void test_locate_nested(void **state) {
  (void)state;
  int line = 0, col = 0;
  assert_int_equal(berth_json_locate(doc, "linux.namespaces[1].type", &line, &col), 0);
  assert_int_equal(line, 6);
  assert_int_equal(col, 16);
  assert_int_equal(berth_json_locate(doc, "a", &line, &col), 0);
  assert_int_equal(line, 2);
  assert_int_equal(berth_json_locate(doc, "s", &line, &col), 0);
  assert_int_equal(line, 9);
  assert_int_equal(berth_json_locate(doc, "linux.nope", &line, &col), -1);
}

static void test_annotate_uses_parent_for_missing(void **state) {
  (void)state;
  berth_error *err = NULL;
  berth_error_spec(&err, "linux.namespaces[0].path", "missing");
  berth_json_annotate(err, "config.json", doc);
  assert_string_equal(err->msg, "config.json:5:7: linux.namespaces[0].path: missing");
  berth_error_free(err);
}

static void test_parse_error_has_position(void **state) {
  (void)state;
  json_t *j = NULL;
  berth_error *err = NULL;
  const char *bad = "{\n  \"a\": [1,,]\n}";
  assert_int_equal(berth_json_parse("c.json", bad, strlen(bad), &j, &err), -1);
  assert_non_null(strstr(err->msg, "c.json:2:"));
  berth_error_free(err);
}

static void test_duplicate_keys_rejected(void **state) {
  (void)state;
  json_t *j = NULL;
  berth_error *err = NULL;
  const char *dup = "{\"a\":1,\"a\":2}";
  assert_int_equal(berth_json_parse("d", dup, strlen(dup), &j, &err), -1);
  berth_error_free(err);
}

static void test_getters(void **state) {
  (void)state;
  berth_error *err = NULL;
  json_t *o = json_pack("{s:s,s:i,s:b,s:[s,s],s:i}", "s", "v", "i", 7, "b", 1,
                        "v", "x", "y", "neg", -1);
  char *s = NULL;
  assert_int_equal(bj_string(o, "s", "p", true, &s, &err), 1);
  assert_string_equal(s, "v");
  free(s);
  assert_int_equal(bj_string(o, "missing", "p", false, &s, &err), 0);
  assert_int_equal(bj_string(o, "i", "p", false, &s, &err), -1);
  assert_string_equal(err->field, "p.i");
  berth_error_free(err);
  err = NULL;
  int64_t i;
  assert_int_equal(bj_range(o, "i", "", 0, 5, &i, &err), -1);
  assert_non_null(strstr(err->msg, "out of range"));
  berth_error_free(err);
  err = NULL;
  uint64_t u;
  assert_int_equal(bj_uint64(o, "neg", "", &u, &err), -1);
  berth_error_free(err);
  err = NULL;
  char **v = NULL;
  assert_int_equal(bj_strv(o, "v", "", true, &v, &err), 1);
  assert_int_equal(berth_strv_len(v), 2);
  berth_strv_free(v);
  bool b = false;
  assert_int_equal(bj_bool(o, "b", "", &b, &err), 1);
  assert_true(b);
  json_decref(o);
}

/* Go writes uint64 fields (an unlimited rlimit) as plain integers, which
 * jansson alone refuses; they must parse and read back exactly. */
static void test_uint64_beyond_int64(void **state) {
  (void)state;
  json_t *j = NULL;
  berth_error *err = NULL;
  const char *t = "{\"s\": \"18446744073709551615\", \"m\": 18446744073709551615,"
                  " \"n\": -9223372036854775808, \"big\": 99999999999999999999999}";
  assert_int_equal(berth_json_parse("t", t, strlen(t), &j, &err), 0);
  uint64_t v = 0;
  assert_int_equal(bj_uint64(j, "m", "", &v, &err), 1);
  assert_true(v == UINT64_MAX);
  assert_string_equal(json_string_value(json_object_get(j, "s")),
                      "18446744073709551615");
  assert_true(json_integer_value(json_object_get(j, "n")) == INT64_MIN);
  assert_int_equal(bj_uint64(j, "big", "", &v, &err), -1);
  assert_string_equal(err->field, "big");
  berth_error_free(err);
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_locate_nested),
      cmocka_unit_test(test_annotate_uses_parent_for_missing),
      cmocka_unit_test(test_parse_error_has_position),
      cmocka_unit_test(test_duplicate_keys_rejected),
      cmocka_unit_test(test_getters),
      cmocka_unit_test(test_uint64_beyond_int64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
