/* Which credential files and CA a registry gets (registry_options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fs.h"
#include "registry_options.h"

static char root[64], certs_a[128], certs_b[128];

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  strcpy(root, "/tmp/berth-test-regopts.XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(certs_a, sizeof certs_a, "%s/containers-certs.d", root);
  snprintf(certs_b, sizeof certs_b, "%s/docker-certs.d", root);
  unsetenv("REGISTRY_AUTH_FILE");
  unsetenv("XDG_RUNTIME_DIR");
  unsetenv("DOCKER_CONFIG");
  unsetenv("BERTH_REGISTRY_TIMEOUT");
  unsetenv("BERTH_REGISTRY_RETRIES");
  setenv("HOME", "/home/u", 1);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(root, NULL);
}

static void assert_files(const struct berth_registry_setup *s,
                         const char *const *want) {
  size_t i = 0;
  for (; want[i]; i++) {
    assert_non_null(s->opts.auth_files[i]);
    assert_string_equal(s->opts.auth_files[i], want[i]);
  }
  assert_null(s->opts.auth_files[i]);
}

static void test_auth_files_in_podman_order(void **state) {
  (void)state;
  struct berth_registry_setup s;
  assert_int_equal(berth_registry_options_for("r:5000", NULL, &s, NULL), 0);
  assert_files(&s, (const char *[]){"/home/u/.docker/config.json", NULL});
  berth_registry_setup_free(&s);
  setenv("REGISTRY_AUTH_FILE", "/a/auth.json", 1);
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  setenv("DOCKER_CONFIG", "/d", 1);
  assert_int_equal(berth_registry_options_for("r:5000", NULL, &s, NULL), 0);
  assert_files(&s, (const char *[]){"/a/auth.json",
                                    "/run/user/7/containers/auth.json",
                                    "/d/config.json", NULL});
  berth_registry_setup_free(&s);
  /* --authfile is the only file: the environment's are not read. */
  struct berth_registry_flags f = {.authfile = "/flag.json"};
  assert_int_equal(berth_registry_options_for("r:5000", &f, &s, NULL), 0);
  assert_files(&s, (const char *[]){"/flag.json", NULL});
  berth_registry_setup_free(&s);
}

static void test_login_file_and_name(void **state) {
  (void)state;
  char *file = berth_registry_login_file(NULL);
  assert_string_equal(file, "/home/u/.docker/config.json");
  free(file);
  setenv("REGISTRY_AUTH_FILE", "/a/auth.json", 1);
  file = berth_registry_login_file(NULL);
  assert_string_equal(file, "/a/auth.json");
  free(file);
  struct berth_registry_flags f = {.authfile = "/flag.json"};
  file = berth_registry_login_file(&f);
  assert_string_equal(file, "/flag.json");
  free(file);
  char name[256];
  berth_registry_login_name("https://index.docker.io/v1/", name, sizeof name);
  assert_string_equal(name, "docker.io");
  berth_registry_login_name("localhost:5000", name, sizeof name);
  assert_string_equal(name, "localhost:5000");
  berth_registry_login_name("http://10.0.0.5:5000/v2/", name, sizeof name);
  assert_string_equal(name, "10.0.0.5:5000");
}

static void test_ca_from_certs_dirs_then_cert_dir(void **state) {
  (void)state;
  char dir[256], ca_a[300], ca_b[300];
  const char *dirs[] = {certs_a, certs_b, NULL};
  snprintf(dir, sizeof dir, "%s/r:5000", certs_b);
  assert_int_equal(berth_mkdir_p(dir, 0755, NULL), 0);
  snprintf(ca_b, sizeof ca_b, "%s/ca.crt", dir);
  write_text(ca_b, "b");
  struct berth_registry_flags f = {.certs_dirs = dirs};
  struct berth_registry_setup s;
  /* Only the second directory has it; another registry has none. */
  assert_int_equal(berth_registry_options_for("r:5000", &f, &s, NULL), 0);
  assert_string_equal(s.opts.ca_file, ca_b);
  berth_registry_setup_free(&s);
  assert_int_equal(berth_registry_options_for("other:5000", &f, &s, NULL), 0);
  assert_null(s.opts.ca_file);
  berth_registry_setup_free(&s);
  /* The first directory wins when both have it. */
  snprintf(dir, sizeof dir, "%s/r:5000", certs_a);
  assert_int_equal(berth_mkdir_p(dir, 0755, NULL), 0);
  snprintf(ca_a, sizeof ca_a, "%s/ca.crt", dir);
  write_text(ca_a, "a");
  assert_int_equal(berth_registry_options_for("r:5000", &f, &s, NULL), 0);
  assert_string_equal(s.opts.ca_file, ca_a);
  berth_registry_setup_free(&s);
  /* --cert-dir replaces the search, even when its ca.crt is missing. */
  f.cert_dir = "/nowhere";
  assert_int_equal(berth_registry_options_for("r:5000", &f, &s, NULL), 0);
  assert_string_equal(s.opts.ca_file, "/nowhere/ca.crt");
  berth_registry_setup_free(&s);
}

static void test_names_leaving_certs_d_refused(void **state) {
  (void)state;
  const char *bad[] = {"", ".", "..", "../../etc", "a/b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct berth_registry_setup s;
    berth_error *err = NULL;
    assert_int_equal(berth_registry_options_for(bad[i], NULL, &s, &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
}

static void test_tls_credentials_and_tuning(void **state) {
  (void)state;
  setenv("BERTH_REGISTRY_TIMEOUT", "7", 1);
  setenv("BERTH_REGISTRY_RETRIES", "0", 1);
  struct berth_registry_flags f = {.insecure = true, .username = "alice",
                                   .password = "pw"};
  struct berth_registry_setup s;
  assert_int_equal(berth_registry_options_for("r:5000", &f, &s, NULL), 0);
  assert_true(s.opts.insecure);
  assert_string_equal(s.opts.username, "alice");
  assert_string_equal(s.opts.password, "pw");
  assert_int_equal(s.opts.stall_timeout_s, 7);
  assert_int_equal(s.opts.retries, -1); /* 0 asked: none, not the default */
  berth_registry_setup_free(&s);
  unsetenv("BERTH_REGISTRY_TIMEOUT");
  unsetenv("BERTH_REGISTRY_RETRIES");
  assert_int_equal(berth_registry_options_for("r:5000", NULL, &s, NULL), 0);
  assert_false(s.opts.insecure);
  assert_int_equal(s.opts.stall_timeout_s, 0);
  assert_int_equal(s.opts.retries, 0);
  berth_registry_setup_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_auth_files_in_podman_order, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_login_file_and_name, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_ca_from_certs_dirs_then_cert_dir,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_names_leaving_certs_d_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_credentials_and_tuning, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
