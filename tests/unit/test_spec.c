#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "spec.h"

static char bundle[] = "/tmp/berth-spec-XXXXXX";

static int setup(void **state) {
  (void)state;
  if (!mkdtemp(bundle))
    return -1;
  char p[64];
  snprintf(p, sizeof(p), "%s/rootfs", bundle);
  return mkdir(p, 0755);
}

static int teardown(void **state) {
  (void)state;
  char p[64];
  snprintf(p, sizeof(p), "%s/rootfs", bundle);
  rmdir(p);
  return rmdir(bundle);
}

#define BASE_PROCESS                                                           \
  "\"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\","                   \
  " \"user\": {\"uid\": 0, \"gid\": 0}}"
#define BASE_LINUX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"uts\"}]}"

static int parse(const char *text, struct berth_spec **out, berth_error **err) {
  return berth_spec_parse("config.json", text, strlen(text), bundle, out, err);
}

static void test_minimal_config(void **state) {
  (void)state;
  const char *t = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", "
                  "\"readonly\": true}, \"hostname\": \"h\", " BASE_PROCESS ", " BASE_LINUX "}";
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(t, &s, &err), 0);
  char expect[128];
  snprintf(expect, sizeof(expect), "%s/rootfs", bundle);
  assert_string_equal(s->root_path, expect);
  assert_true(s->root_readonly);
  assert_string_equal(s->process->args[0], "/bin/true");
  assert_string_equal(s->hostname, "h");
  berth_spec_free(s);
}

static void expect_error(const char *t, const char *needle) {
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(t, &s, &err), -1);
  assert_non_null(err);
  if (strstr(err->msg, needle) == NULL)
    fail_msg("error `%s` does not contain `%s`", err->msg, needle);
  berth_error_free(err);
}

static void test_errors_name_line_column_and_field(void **state) {
  (void)state;
  expect_error("{\n\"ociVersion\": \"1.0.2\",\n\"root\": {\"path\": \"rootfs\"},\n"
               BASE_PROCESS ",\n\"linux\": {\"namespaces\": [{\"type\": \"mount\"},\n"
               "  {\"type\": \"nope\"}]}}",
               "config.json:6:12: linux.namespaces[1].type: unknown namespace type `nope`");
  expect_error("{\"ociVersion\": \"2.0.0\"}", "ociVersion");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"missing\"}}",
               "root.path");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               "\"process\": {\"args\": [], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, "
               BASE_LINUX "}", "process.args");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               "\"process\": {\"args\": [\"x\"], \"cwd\": \"rel\", \"user\": {\"uid\": 0, \"gid\": 0}}, "
               BASE_LINUX "}", "process.cwd");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               "\"hostname\": \"h\", " BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}",
               "hostname");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
               "\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}}",
               "linux.sysctl.net.ipv4.ip_forward");
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"ipc\"}], "
               "\"sysctl\": {\"kernel.panic\": \"1\"}}}",
               "not namespaced");
  expect_error("{\"ociVersion\": 1}", "ociVersion: must be a string");
  expect_error("{\"ociVersion\": \"1.0.2\",, }", "config.json:1:");
  expect_error("[]", "must be a JSON object");
}

static void test_sysctl_with_namespace_is_accepted(void **state) {
  (void)state;
  const char *t = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
                  BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, "
                  "{\"type\": \"network\"}, {\"type\": \"ipc\"}], \"sysctl\": "
                  "{\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"1000\"}}}";
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(t, &s, &err), 0);
  assert_int_equal(s->n_sysctl, 2);
  berth_spec_free(s);
}

#define NS_CONFIG(ns, extra)                                                   \
  "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, " BASE_PROCESS  \
  extra ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, " ns "]"

/* A namespace joined by path is fine for sysctls and the hostname unless
 * it is the runtime's own (here: this process's). */
static void test_own_namespace_needed(void **state) {
  (void)state;
  expect_error(NS_CONFIG("{\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}",
                         "") ", \"sysctl\": {\"net.core.somaxconn\": \"5\"}}}",
               "linux.sysctl.net.core.somaxconn: sysctl `net.core.somaxconn` needs "
               "the container's own network namespace: `/proc/self/ns/net` is "
               "the runtime's");
  expect_error(NS_CONFIG("{\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}",
                         "") ", \"sysctl\": {\"kernel.shmmax\": \"5\"}}}",
               "the runtime's");
  expect_error(NS_CONFIG("{\"type\": \"network\"}", "")
               ", \"sysctl\": {\"fs.mqueue.msg_max\": \"5\"}}}",
               "needs the container's own ipc namespace, and linux.namespaces "
               "has none");
  expect_error(NS_CONFIG("{\"type\": \"uts\", \"path\": \"/proc/self/ns/uts\"}",
                         ", \"hostname\": \"h\"") "}}",
               "hostname: setting the hostname needs the container's own uts");
  /* Joined namespaces that are not ours (pid 1's are refused too, so a
   * path nobody can stat stands in): accepted, and marked for the check
   * on the fd when they are joined. */
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  const char *t = NS_CONFIG("{\"type\": \"network\", \"path\": \"/nonexistent\"}, "
                            "{\"type\": \"ipc\"}",
                            "") ", \"sysctl\": {\"net.core.somaxconn\": \"5\", "
                            "\"kernel.shmmax\": \"5\"}}}";
  assert_int_equal(parse(t, &s, &err), 0);
  assert_int_equal(s->own_ns, (1u << BERTH_NS_NET) | (1u << BERTH_NS_IPC));
  berth_spec_free(s);
}

/* config-linux.md: an absent namespace type is inherited from the runtime,
 * the mount namespace too; a new user namespace could not mount there. */
static void test_mount_namespace_may_be_inherited(void **state) {
  (void)state;
  const char *t = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
                  BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}";
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(parse(t, &s, &err), 0);
  assert_false(s->ns.present[BERTH_NS_MNT]);
  berth_spec_free(s);
  expect_error("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
               BASE_PROCESS ", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], "
               "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], "
               "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}}",
               "linux.namespaces: a user namespace needs a mount namespace of its own");
}

static void test_default_spec_parses(void **state) {
  (void)state;
  for (int rootless = 0; rootless < 2; rootless++) {
    json_t *d = berth_spec_default(rootless, 1000, 1000);
    char *t = json_dumps(d, 0);
    json_decref(d);
    struct berth_spec *s = NULL;
    berth_error *err = NULL;
    int rc = parse(t, &s, &err);
    if (rc < 0)
      fail_msg("default spec (rootless=%d) fails: %s", rootless, err->msg);
    assert_int_equal(s->ns.present[BERTH_NS_USER], rootless);
    berth_spec_free(s);
    free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_config),
      cmocka_unit_test(test_errors_name_line_column_and_field),
      cmocka_unit_test(test_sysctl_with_namespace_is_accepted),
      cmocka_unit_test(test_own_namespace_needed),
      cmocka_unit_test(test_mount_namespace_may_be_inherited),
      cmocka_unit_test(test_default_spec_parses),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
