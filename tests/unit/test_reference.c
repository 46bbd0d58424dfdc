/* Image references: Docker's normalisation, and refusals with reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reference.h"

static void expect_norm(const char *in, const char *full, const char *fam) {
  struct berth_ref r;
  berth_error *err = NULL;
  if (berth_ref_parse(in, &r, &err) < 0)
    fail_msg("%s: %s", in, err->msg);
  char *s = berth_ref_string(&r), *f = berth_ref_familiar(&r);
  assert_string_equal(s, full);
  assert_string_equal(f, fam);
  free(s);
  free(f);
  berth_ref_free(&r);
}

static void test_normalisation(void **state) {
  (void)state;
  expect_norm("busybox", "docker.io/library/busybox:latest", "busybox:latest");
  expect_norm("busybox:1.36", "docker.io/library/busybox:1.36",
              "busybox:1.36");
  expect_norm("library/busybox", "docker.io/library/busybox:latest",
              "busybox:latest");
  expect_norm("docker.io/busybox", "docker.io/library/busybox:latest",
              "busybox:latest");
  expect_norm("user/app:v1.0-rc_2", "docker.io/user/app:v1.0-rc_2",
              "user/app:v1.0-rc_2");
  expect_norm("localhost:5000/a/b", "localhost:5000/a/b:latest",
              "localhost:5000/a/b:latest");
  expect_norm("localhost/x", "localhost/x:latest", "localhost/x:latest");
  expect_norm("127.0.0.1:5000/ns/name:tag", "127.0.0.1:5000/ns/name:tag",
              "127.0.0.1:5000/ns/name:tag");
  expect_norm("[::1]:5000/img", "[::1]:5000/img:latest",
              "[::1]:5000/img:latest");
  expect_norm("quay.io/a.b/c__d/e-f--g:T",
              "quay.io/a.b/c__d/e-f--g:T", "quay.io/a.b/c__d/e-f--g:T");
  const char *dg =
      "sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c";
  char in[256], full[256], fam[256];
  snprintf(in, sizeof(in), "busybox@%s", dg);
  snprintf(full, sizeof(full), "docker.io/library/busybox@%s", dg);
  snprintf(fam, sizeof(fam), "busybox@%s", dg);
  expect_norm(in, full, fam);
  snprintf(in, sizeof(in), "host:1/n:t@%s", dg);
  snprintf(full, sizeof(full), "host:1/n:t@%s", dg);
  expect_norm(in, full, full);
}

static void expect_bad(const char *in, const char *why) {
  struct berth_ref r;
  berth_error *err = NULL;
  assert_int_equal(berth_ref_parse(in, &r, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  if (strstr(err->msg, why) == NULL)
    fail_msg("%s: `%s` lacks `%s`", in, err->msg, why);
  berth_error_free(err);
}

static void test_refusals(void **state) {
  (void)state;
  expect_bad("", "empty");
  expect_bad("Busybox", "lowercase");
  expect_bad("busybox:", "tag");
  expect_bad("busybox:-x", "tag");
  expect_bad("busybox@sha256:abc", "digest");
  expect_bad("busy_-box", "repository name");
  expect_bad("a//b", "repository name");
  expect_bad("a/b/", "repository name");
  expect_bad("-a", "repository name");
  expect_bad("host:99999999/x", "registry");
  expect_bad("bad_host.com:5000/x", "registry");
  expect_bad("busybox:a b", "tag");
  expect_bad(":Rb", "repository name"); /* found by fuzz_reference */
  expect_bad("@sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c", "repository name");
  char long_name[400];
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  expect_bad(long_name, "255");
}

static void test_loopback(void **state) {
  (void)state;
  assert_true(berth_ref_registry_is_loopback("localhost:5000"));
  assert_true(berth_ref_registry_is_loopback("localhost"));
  assert_true(berth_ref_registry_is_loopback("127.0.0.1:5000"));
  assert_true(berth_ref_registry_is_loopback("[::1]:5000"));
  assert_false(berth_ref_registry_is_loopback("localhost.evil.com"));
  assert_false(berth_ref_registry_is_loopback("docker.io"));
  assert_false(berth_ref_registry_is_loopback("1270.0.0.1"));
  assert_true(berth_ref_registry_is_loopback("127.1.2.3"));
  assert_true(berth_ref_registry_is_loopback("LocalHost:80"));
  /* DNS names that merely start like a loopback address resolve anywhere. */
  assert_false(berth_ref_registry_is_loopback("127.example.com"));
  assert_false(berth_ref_registry_is_loopback("127.example.com:5000"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1.evil.test"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1.evil.test:5000"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1x"));
  assert_false(berth_ref_registry_is_loopback("127.1"));
  assert_false(berth_ref_registry_is_loopback("128.0.0.1"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1:"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1:5000x"));
  assert_false(berth_ref_registry_is_loopback("127.0.0.1:123456"));
  assert_false(berth_ref_registry_is_loopback("[::1].evil.test"));
  assert_false(berth_ref_registry_is_loopback("[::2]:5000"));
  assert_false(berth_ref_registry_is_loopback("[::1"));
  assert_false(berth_ref_registry_is_loopback("localhost:5000.evil"));
  assert_false(berth_ref_registry_is_loopback(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalisation),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_loopback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
