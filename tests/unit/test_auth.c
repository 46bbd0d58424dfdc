/* Registry credentials files in Docker's format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "auth.h"
#include "fs.h"

static char root[64], file_a[128], file_b[128];

static int setup(void **state) {
  (void)state;
  strcpy(root, "/tmp/berth-test-auth.XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(file_a, sizeof file_a, "%s/a/auth.json", root);
  snprintf(file_b, sizeof file_b, "%s/config.json", root);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(root, NULL);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_store_lookup_remove(void **state) {
  (void)state;
  assert_int_equal(berth_auth_store(file_a, "localhost:5000", "alice",
                                    "pa:ss", NULL), 0);
  struct stat st;
  assert_int_equal(stat(file_a, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600); /* secrets are not world-readable */
  const char *files[] = {file_b, file_a, NULL}; /* b is missing: skipped */
  struct berth_credentials c;
  assert_int_equal(berth_auth_lookup(files, "localhost:5000", &c, NULL), 1);
  assert_string_equal(c.username, "alice");
  assert_string_equal(c.password, "pa:ss"); /* only the first ':' splits */
  berth_credentials_free(&c);
  assert_int_equal(berth_auth_lookup(files, "other:5000", &c, NULL), 0);
  assert_int_equal(berth_auth_remove(file_a, "localhost:5000", NULL), 0);
  assert_int_equal(berth_auth_lookup(files, "localhost:5000", &c, NULL), 0);
  berth_error *err = NULL;
  assert_int_equal(berth_auth_remove(file_a, "localhost:5000", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
}

static void test_docker_config_and_other_keys_kept(void **state) {
  (void)state;
  /* Docker Hub under its legacy key; other settings must survive. */
  write_text(file_b, "{\"auths\":{\"https://index.docker.io/v1/\":"
                     "{\"auth\":\"Ym9iOmh1bnRlcjI=\"}},"
                     "\"credsStore\":\"none\"}");
  const char *files[] = {file_b, NULL};
  struct berth_credentials c;
  assert_int_equal(berth_auth_lookup(files, "docker.io", &c, NULL), 1);
  assert_string_equal(c.username, "bob");
  assert_string_equal(c.password, "hunter2");
  berth_credentials_free(&c);
  assert_int_equal(berth_auth_store(file_b, "r.example:443", "x", "y", NULL),
                   0);
  char *text;
  size_t len;
  assert_int_equal(berth_read_file(AT_FDCWD, file_b, 65536, &text, &len, NULL),
                   0);
  assert_non_null(strstr(text, "credsStore"));
  assert_non_null(strstr(text, "index.docker.io"));
  free(text);
}

static void test_bad_auth_values(void **state) {
  (void)state;
  const char *files[] = {file_b, NULL};
  struct berth_credentials c;
  berth_error *err = NULL;
  write_text(file_b, "{\"auths\":{\"h:1\":{\"auth\":\"!!!notbase64\"}}}");
  assert_int_equal(berth_auth_lookup(files, "h:1", &c, &err), -1);
  assert_non_null(strstr(err->msg, "base64"));
  berth_error_free(err);
  err = NULL;
  write_text(file_b, "{\"auths\":{\"h:1\":{\"auth\":\"bm9jb2xvbg==\"}}}");
  assert_int_equal(berth_auth_lookup(files, "h:1", &c, &err), -1);
  assert_non_null(strstr(err->msg, "user:password"));
  berth_error_free(err);
  err = NULL;
  write_text(file_b, "{\"auths\": [1,2");
  assert_int_equal(berth_auth_lookup(files, "h:1", &c, &err), -1);
  assert_non_null(strstr(err->msg, "config.json"));
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_store_lookup_remove, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_docker_config_and_other_keys_kept,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_auth_values, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
