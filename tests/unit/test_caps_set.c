/* The capability set from HostConfig: Docker's order of --cap-drop and
 * --cap-add, ALL in either, --privileged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <cmocka.h>

#include "caps_set.h"

static json_t *set_of(const char *hostconfig) {
  json_t *hc = json_loads(hostconfig, 0, NULL);
  assert_non_null(hc);
  json_t *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_caps_set(hc, &out, &err), 0);
  json_decref(hc);
  return out;
}

static bool has(json_t *set, const char *cap) {
  size_t i;
  json_t *v;
  json_array_foreach(set, i, v) if (strcmp(json_string_value(v), cap) == 0)
      return true;
  return false;
}

static void test_defaults(void **state) {
  (void)state;
  json_t *s = set_of("{}");
  assert_int_equal(json_array_size(s), 14);
  assert_true(has(s, "CAP_CHOWN"));
  assert_false(has(s, "CAP_SYS_ADMIN"));
  json_decref(s);
}

static void test_add_and_drop_same_keeps_it(void **state) {
  (void)state;
  json_t *s = set_of("{\"CapAdd\":[\"NET_ADMIN\"],\"CapDrop\":[\"net_admin\"]}");
  assert_true(has(s, "CAP_NET_ADMIN"));
  json_decref(s);
  s = set_of("{\"CapAdd\":[\"CHOWN\"],\"CapDrop\":[\"CAP_CHOWN\"]}");
  assert_true(has(s, "CAP_CHOWN"));
  json_decref(s);
  s = set_of("{\"CapDrop\":[\"CHOWN\"]}");
  assert_false(has(s, "CAP_CHOWN"));
  assert_true(has(s, "CAP_KILL"));
  json_decref(s);
}

static void test_all(void **state) {
  (void)state;
  json_t *s = set_of("{\"CapAdd\":[\"KILL\"],\"CapDrop\":[\"ALL\"]}");
  assert_int_equal(json_array_size(s), 1);
  assert_true(has(s, "CAP_KILL"));
  json_decref(s);
  s = set_of("{\"CapAdd\":[\"all\"],\"CapDrop\":[\"KILL\"]}");
  assert_false(has(s, "CAP_KILL"));
  if (prctl(PR_CAPBSET_READ, 21 /* CAP_SYS_ADMIN */, 0, 0, 0) == 1)
    assert_true(has(s, "CAP_SYS_ADMIN"));
  json_decref(s);
}

static void test_privileged_ignores_lists(void **state) {
  (void)state;
  json_t *s = set_of("{\"Privileged\":true,\"CapDrop\":[\"ALL\"]}");
  assert_true(json_array_size(s) > 14);
  json_decref(s);
}

static void test_unknown(void **state) {
  (void)state;
  json_t *hc = json_loads("{\"CapDrop\":[\"BOGUS\"]}", 0, NULL);
  json_t *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_caps_set(hc, &out, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "--cap-drop `BOGUS`"));
  assert_null(out);
  berth_error_free(err);
  json_decref(hc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_add_and_drop_same_keeps_it),
      cmocka_unit_test(test_all),
      cmocka_unit_test(test_privileged_ignores_lists),
      cmocka_unit_test(test_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
