/* Credentials in the Engine API's X-Registry-Auth and X-Registry-Config
 * headers: what docker, docker-py and compose send, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"

static const char *H = "X-Registry-Auth";

static void expect_creds(const char *value, const char *user,
                         const char *pass) {
  struct berth_credentials c;
  berth_error *err = NULL;
  assert_int_equal(berth_auth_header_decode(H, value, &c, &err), 1);
  assert_string_equal(c.username, user);
  assert_string_equal(c.password, pass);
  berth_credentials_free(&c);
}

static void expect_invalid(const char *value, const char *what) {
  struct berth_credentials c;
  berth_error *err = NULL;
  assert_int_equal(berth_auth_header_decode(H, value, &c, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "invalid X-Registry-Auth header"));
  assert_non_null(strstr(err->msg, what));
  assert_null(c.username);
  berth_error_free(err);
}

static void test_clients_forms(void **state) {
  (void)state;
  /* {"username":"alice","password":"s3cret","serveraddress":"r:5000"}:
   * URL alphabet with padding (docker CLI), without, and standard. */
  expect_creds("eyJ1c2VybmFtZSI6ImFsaWNlIiwicGFzc3dvcmQiOiJzM2NyZXQiLCJzZX"
               "J2ZXJhZGRyZXNzIjoicjo1MDAwIn0=",
               "alice", "s3cret");
  expect_creds("eyJ1c2VybmFtZSI6ImFsaWNlIiwicGFzc3dvcmQiOiJzM2NyZXQiLCJzZX"
               "J2ZXJhZGRyZXNzIjoicjo1MDAwIn0",
               "alice", "s3cret");
  /* {"auth":"Ym9iOnA6dw=="} (bob:p:w, a colon in the password) */
  expect_creds("eyJhdXRoIjoiWW05aU9uQTZkdz09In0=", "bob", "p:w");
  /* {"username":"a?>","password":"~~~"}: '-' and '_' of the URL alphabet */
  expect_creds("eyJ1c2VybmFtZSI6ImE_PiIsInBhc3N3b3JkIjoifn5-In0=", "a?>",
               "~~~");
  expect_creds("eyJ1c2VybmFtZSI6ImE/PiIsInBhc3N3b3JkIjoifn5+In0=", "a?>",
               "~~~");
}

static void test_no_credentials(void **state) {
  (void)state;
  struct berth_credentials c;
  berth_error *err = NULL;
  /* docker sends "{}" when it has no login for the registry */
  assert_int_equal(berth_auth_header_decode(H, "e30=", &c, &err), 0);
  assert_null(c.username);
  assert_int_equal(berth_auth_header_decode(H, "", &c, &err), 0);
  assert_int_equal(berth_auth_header_decode(H, NULL, &c, &err), 0);
}

static void test_refused(void **state) {
  (void)state;
  expect_invalid("%%%", "not base64");
  expect_invalid("e3", "not a JSON object"); /* "{" */
  expect_invalid("WzFd", "not a JSON object"); /* [1] */
  expect_invalid("eyJ1c2VybmFtZSI6MX0=", "strings"); /* {"username":1} */
  expect_invalid("eyJhdXRoIjoiWW05aSJ9", "user:password"); /* auth "bob" */
  expect_invalid("QQ", "not a JSON object"); /* "A" */
  expect_invalid("Q", "not base64");         /* a lone sextet */
  char *big = malloc((256u << 10) + 8);
  assert_non_null(big);
  memset(big, 'A', (256u << 10) + 4);
  big[(256u << 10) + 4] = '\0';
  expect_invalid(big, "too long");
  free(big);
}

static void test_config_header(void **state) {
  (void)state;
  /* {"https://index.docker.io/v1/":{"username":"hub","password":"h"},
   *  "127.0.0.1:5000":{"auth":"YTpi"},"other":{}} */
  const char *v = "eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOi"
                  "JodWIiLCJwYXNzd29yZCI6ImgifSwiMTI3LjAuMC4xOjUwMDAiOnsiYXV0"
                  "aCI6IllUcGkifSwib3RoZXIiOnt9fQ==";
  json_t *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(
      berth_auth_config_header_decode("X-Registry-Config", v, &out, &err), 0);
  assert_int_equal(json_object_size(out), 2);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(out, "docker.io"), "username")),
                      "hub");
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(out, "127.0.0.1:5000"), "password")),
                      "b");
  json_decref(out);
  assert_int_equal(
      berth_auth_config_header_decode("X-Registry-Config", "WzFd", &out, &err),
      -1);
  assert_non_null(strstr(err->msg, "X-Registry-Config"));
  berth_error_free(err);
  json_decref(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clients_forms),
      cmocka_unit_test(test_no_credentials),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_config_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
