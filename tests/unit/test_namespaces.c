#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "namespaces.h"

static int parse(const char *text, struct berth_namespaces *ns,
                 berth_error **err) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  int rc = berth_namespaces_parse(j, "linux", ns, err);
  json_decref(j);
  return rc;
}

static void test_flags_for_new_namespaces(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
                         "\"path\":\"/proc/1/ns/net\"},{\"type\":\"mount\"}]}",
                         &ns, &err), 0);
  assert_int_equal(berth_namespaces_clone_flags(&ns), CLONE_NEWPID | CLONE_NEWNS);
  assert_string_equal(ns.path[BERTH_NS_NET], "/proc/1/ns/net");
  berth_namespaces_free(&ns);
}

static void test_unknown_type_names_field(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}",
                         &ns, &err), -1);
  assert_string_equal(err->field, "linux.namespaces[1].type");
  assert_non_null(strstr(err->msg, "bogus"));
  berth_error_free(err);
  berth_namespaces_free(&ns);
}

static void test_duplicate_and_relative_path(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
                         &ns, &err), -1);
  assert_non_null(strstr(err->msg, "twice"));
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"ipc\",\"path\":\"x\"}]}",
                         &ns, &err), -1);
  assert_string_equal(err->field, "linux.namespaces[0].path");
  berth_error_free(err);
  berth_namespaces_free(&ns);
}

static void test_user_ns_needs_maps(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"user\"}]}", &ns, &err), -1);
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"user\"}],"
                         "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                         "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}",
                         &ns, &err), 0);
  assert_int_equal(ns.n_uid_maps, 1);
  assert_int_equal(ns.uid_maps[0].host_id, 100000);
  berth_namespaces_free(&ns);
}

static void test_time_offsets_need_time_ns(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"timeOffsets\":{\"monotonic\":{\"secs\":10}}}", &ns, &err), -1);
  assert_string_equal(err->field, "linux.timeOffsets");
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"time\"}],"
                         "\"timeOffsets\":{\"boottime\":{\"secs\":5,\"nanosecs\":7}}}",
                         &ns, &err), 0);
  assert_int_equal(ns.boottime_secs, 5);
  assert_int_equal(ns.boottime_nsecs, 7);
  berth_namespaces_free(&ns);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags_for_new_namespaces),
      cmocka_unit_test(test_unknown_type_names_field),
      cmocka_unit_test(test_duplicate_and_relative_path),
      cmocka_unit_test(test_user_ns_needs_maps),
      cmocka_unit_test(test_time_offsets_need_time_ns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
