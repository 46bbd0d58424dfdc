/* Capabilities and credentials: parsing, and applying them for real in a
 * forked child, read back from /proc/self/status and get*id(). */
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "caps.h"
#include "json.h"

#define BIT(c) (UINT64_C(1) << (c))

static int parse(const char *text, struct berth_creds *c, char ***unknown,
                 berth_error **err) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  int rc = berth_creds_parse(j, "process", c, unknown, err);
  json_decref(j);
  return rc;
}

static void test_names_round_trip(void **state) {
  (void)state;
  assert_int_equal(berth_cap_from_name("CAP_CHOWN"), 0);
  assert_int_equal(berth_cap_from_name("CAP_SYS_ADMIN"), 21);
  assert_int_equal(berth_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
  assert_int_equal(berth_cap_from_name("CAP_NOPE"), -1);
  assert_string_equal(berth_cap_name(13), "CAP_NET_RAW");
  assert_null(berth_cap_name(64));
  assert_true(berth_cap_last() >= 40);
  json_t *k = berth_caps_known();
  assert_int_equal(json_array_size(k), 41);
  json_decref(k);
}

static void test_parse_sets_and_user(void **state) {
  (void)state;
  struct berth_creds c;
  char **unknown = NULL;
  berth_error *err = NULL;
  assert_int_equal(
      parse("{\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
            "\"additionalGids\":[5,6]},\"noNewPrivileges\":true,"
            "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
            "\"effective\":[\"CAP_KILL\"],\"ambient\":[\"CAP_FUTURE\"]}}",
            &c, &unknown, &err),
      0);
  assert_int_equal(c.uid, 1000);
  assert_int_equal(c.gid, 100);
  assert_true(c.has_umask);
  assert_int_equal(c.umask, 022);
  assert_int_equal(c.n_additional_gids, 2);
  assert_int_equal(c.additional_gids[1], 6);
  assert_true(c.no_new_privileges);
  assert_true(c.has_caps);
  assert_int_equal(c.caps.bounding, BIT(5) | BIT(0));
  assert_int_equal(c.caps.effective, BIT(5));
  assert_int_equal(c.caps.permitted, 0);
  assert_int_equal(c.caps.ambient, 0);
  /* Unknown names are warnings, reported once each. */
  assert_non_null(unknown);
  assert_string_equal(unknown[0], "CAP_FUTURE");
  assert_null(unknown[1]);
  berth_strv_free(unknown);
  berth_creds_free(&c);
}

static void expect_error(const char *text, const char *field) {
  struct berth_creds c;
  berth_error *err = NULL;
  assert_int_equal(parse(text, &c, NULL, &err), -1);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, field);
  berth_error_free(err);
}

static void test_parse_errors_name_field(void **state) {
  (void)state;
  expect_error("{\"user\":{\"uid\":-1,\"gid\":0}}", "process.user.uid");
  expect_error("{\"user\":{\"uid\":0,\"gid\":\"x\"}}", "process.user.gid");
  expect_error("{\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}",
               "process.user.umask");
  expect_error("{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"a\"]}}",
               "process.user.additionalGids[1]");
  expect_error("{\"capabilities\":{\"effective\":[\"CAP_KILL\",7]}}",
               "process.capabilities.effective[1]");
  expect_error("{\"capabilities\":{\"permitted\":\"CAP_KILL\"}}",
               "process.capabilities.permitted");
  expect_error("{\"noNewPrivileges\":1}", "process.noNewPrivileges");
}

static unsigned long long status_field(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long long v = ~0ULL;
  size_t n = strlen(name);
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, name, n) == 0 && line[n] == ':')
      v = strtoull(line + n + 1, NULL, 16);
  if (f)
    fclose(f);
  return v;
}

struct applied {
  int rc;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  int ngroups;
  gid_t groups[8];
  unsigned long long eff, prm, inh, bnd, amb;
  mode_t umask;
};

/* Applies creds in a child and reads back what the kernel says. */
static struct applied apply_in_child(const struct berth_creds *c) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct applied a = {0};
    berth_error *err = NULL;
    a.rc = berth_creds_apply(c, &err);
    getresuid(&a.ruid, &a.euid, &a.suid);
    getresgid(&a.rgid, &a.egid, &a.sgid);
    a.ngroups = getgroups(8, a.groups);
    a.eff = status_field("CapEff");
    a.prm = status_field("CapPrm");
    a.inh = status_field("CapInh");
    a.bnd = status_field("CapBnd");
    a.amb = status_field("CapAmb");
    a.umask = umask(0);
    _exit(write(p[1], &a, sizeof(a)) == sizeof(a) ? 0 : 1);
  }
  close(p[1]);
  struct applied a;
  assert_int_equal(read(p[0], &a, sizeof(a)), sizeof(a));
  close(p[0]);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return a;
}

static void test_apply_switches_user_and_sets(void **state) {
  (void)state;
  gid_t groups[] = {2000, 2001};
  struct berth_creds c = {
      .uid = 1000, .gid = 1001, .additional_gids = groups,
      .n_additional_gids = 2, .has_umask = true, .umask = 027,
      .has_caps = true,
      .caps = {.bounding = BIT(5) | BIT(0) | BIT(10),
               .effective = BIT(5) | BIT(10),
               .permitted = BIT(5) | BIT(10),
               .inheritable = BIT(10),
               .ambient = BIT(10)}};
  struct applied a = apply_in_child(&c);
  assert_int_equal(a.rc, 0);
  assert_int_equal(a.ruid, 1000);
  assert_int_equal(a.euid, 1000);
  assert_int_equal(a.suid, 1000);
  assert_int_equal(a.rgid, 1001);
  assert_int_equal(a.sgid, 1001);
  assert_int_equal(a.ngroups, 2);
  assert_int_equal(a.groups[0], 2000);
  assert_int_equal(a.groups[1], 2001);
  assert_int_equal(a.eff, BIT(5) | BIT(10));
  assert_int_equal(a.prm, BIT(5) | BIT(10));
  assert_int_equal(a.inh, BIT(10));
  assert_int_equal(a.bnd, BIT(5) | BIT(0) | BIT(10));
  assert_int_equal(a.amb, BIT(10));
  assert_int_equal(a.umask, 027);
}

static void test_apply_without_caps_drops_everything(void **state) {
  (void)state;
  struct berth_creds c = {.uid = 0, .gid = 0};
  struct applied a = apply_in_child(&c);
  assert_int_equal(a.rc, 0);
  assert_int_equal(a.euid, 0);
  assert_int_equal(a.ngroups, 0);
  assert_int_equal(a.eff, 0);
  assert_int_equal(a.prm, 0);
  assert_int_equal(a.bnd, 0);
}

static void test_apply_effective_outside_permitted_fails(void **state) {
  (void)state;
  struct berth_creds c = {
      .uid = 0, .gid = 0, .has_caps = true,
      .caps = {.bounding = BIT(5), .effective = BIT(5) | BIT(0),
               .permitted = BIT(5)}};
  struct applied a = apply_in_child(&c);
  assert_int_equal(a.rc, -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_parse_sets_and_user),
      cmocka_unit_test(test_parse_errors_name_field),
      cmocka_unit_test(test_apply_switches_user_and_sets),
      cmocka_unit_test(test_apply_without_caps_drops_everything),
      cmocka_unit_test(test_apply_effective_outside_permitted_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
