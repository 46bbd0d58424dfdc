/* The JSON types of a create request's known fields (Docker's decoder's
 * 400s), null fields, one-string commands, and HostConfig.Binds/Tmpfs
 * turned into Mounts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "create_check.h"

static json_t *checked(const char *json, berth_error **err, int *rc) {
  json_t *req = json_loads(json, 0, NULL);
  assert_non_null(req);
  *rc = berth_create_types_check(req, err);
  return req;
}

static void test_wrong_types_refused(void **state) {
  (void)state;
  static const struct {
    const char *json, *msg;
  } cases[] = {
      {"{\"HostConfig\":{\"Memory\":\"lots\"}}",
       "json: cannot unmarshal string into Go struct field HostConfig.Memory "
       "of type int64"},
      {"{\"Cmd\":[1]}", "Config.Cmd of type strslice.StrSlice"},
      {"{\"Env\":\"A=1\"}", "Config.Env of type []string"},
      {"{\"Labels\":{\"a\":1}}", "Config.Labels of type map[string]string"},
      {"{\"Tty\":1}", "unmarshal number into Go struct field Config.Tty"},
      {"{\"HostConfig\":[]}", "Config.HostConfig of type struct"},
      {"{\"HostConfig\":{\"Mounts\":[\"/a:/b\"]}}", "HostConfig.Mounts"},
      {"{\"HostConfig\":{\"Privileged\":\"yes\"}}", "HostConfig.Privileged"},
      {"{\"HostConfig\":{\"Binds\":[\"a:b:c:d\"]}}", "HostConfig.Binds"},
      {"{\"HostConfig\":{\"Tmpfs\":{\"relative\":\"\"}}}",
       "HostConfig.Tmpfs"},
      {"{\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Aliases\":"
       "\"a\"}}}}",
       "EndpointSettings.Aliases of type []string"},
      {"{\"NetworkingConfig\":{\"EndpointsConfig\":[]}}",
       "NetworkingConfig.EndpointsConfig"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    berth_error *err = NULL;
    int rc;
    json_t *req = checked(cases[i].json, &err, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(err);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    if (!strstr(err->msg, cases[i].msg))
      fail_msg("%s: %s", cases[i].json, err->msg);
    berth_error_free(err);
    json_decref(req);
  }
}

static void test_normalised(void **state) {
  (void)state;
  berth_error *err = NULL;
  int rc;
  json_t *req = checked(
      "{\"Cmd\":\"echo hi\",\"Entrypoint\":null,\"Unknown\":[1],"
      "\"HostConfig\":{\"Memory\":0,\"PidsLimit\":null,\"Nope\":\"x\","
      "\"Binds\":[\"vol:/data:ro\"],\"Tmpfs\":{\"/run\":\"size=1m\"}},"
      "\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Aliases\":null,"
      "\"IPAMConfig\":null,\"Links\":null}}}}",
      &err, &rc);
  assert_int_equal(rc, 0);
  /* A one-string command is one word, as Docker's StrSlice. */
  json_t *cmd = json_object_get(req, "Cmd");
  assert_int_equal(json_array_size(cmd), 1);
  assert_string_equal(json_string_value(json_array_get(cmd, 0)), "echo hi");
  /* null is absent; unknown fields stay (ignored, as Docker). */
  assert_null(json_object_get(req, "Entrypoint"));
  assert_non_null(json_object_get(req, "Unknown"));
  json_t *ep = json_object_get(
      json_object_get(json_object_get(req, "NetworkingConfig"),
                      "EndpointsConfig"),
      "n");
  assert_non_null(ep);
  assert_int_equal(json_object_size(ep), 0);
  json_t *hc = json_object_get(req, "HostConfig");
  assert_null(json_object_get(hc, "PidsLimit"));
  assert_null(json_object_get(hc, "Binds"));
  assert_null(json_object_get(hc, "Tmpfs"));
  json_t *m = json_object_get(hc, "Mounts");
  assert_int_equal(json_array_size(m), 2);
  json_t *v = json_array_get(m, 0), *t = json_array_get(m, 1);
  assert_string_equal(json_string_value(json_object_get(v, "Type")), "volume");
  assert_string_equal(json_string_value(json_object_get(v, "Source")), "vol");
  assert_string_equal(json_string_value(json_object_get(v, "Target")),
                      "/data");
  assert_true(json_is_true(json_object_get(v, "ReadOnly")));
  assert_string_equal(json_string_value(json_object_get(t, "Type")), "tmpfs");
  assert_string_equal(json_string_value(json_object_get(t, "Target")), "/run");
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(t, "TmpfsOptions"), "SizeBytes")),
                   1 << 20);
  /* Checked again, the result is unchanged. */
  json_t *again = json_deep_copy(req);
  assert_int_equal(berth_create_types_check(again, &err), 0);
  assert_true(json_equal(again, req));
  json_decref(again);
  json_decref(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrong_types_refused),
      cmocka_unit_test(test_normalised),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
