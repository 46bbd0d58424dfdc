#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "valgrind_skip.h"

#include "fs.h"
#include "userspec.h"

/* Each test gets a fresh rootfs: TMP/root, with TMP/outside as "the host"
 * next to it for escape attempts. */
struct fixture {
  char dir[64];
  char root[96];
  int root_fd;
};

static const char passwd_text[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "# a comment:x:5:5::/c:/bin/sh\n"
    "broken line without colons\n"
    "short:x:7\n"
    "badid:x:12abc:5::/bad:/bin/sh\n"
    "hugeid:x:4294967296:5::/huge:/bin/sh\n"
    "neg:x:-3:5::/neg:/bin/sh\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "nohome:x:1001:1001::\n"
    "1234:x:2000:2000::/home/numname:/bin/sh\n"
    "dup:x:3000:3000::/first:/bin/sh\n"
    "dup:x:3001:3001::/second:/bin/sh\n";

static const char group_text[] =
    "root:x:0:\n"
    "wheel:x:10:root,alice\n"
    "alice:x:1000:\n"
    "audio:x:29:bob,alice\n"
    "video:x:44:bob\n"
    "badgid:x:notanumber:alice\n"
    "hugegid:x:99999999999:alice\n"
    "truncated:x\n"
    "staff:x:50:alicex,xalice,alice2\n"
    "users:x:100:\n";

static void write_at(const char *root, const char *rel, const char *text) {
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", root, rel);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
  struct fixture *fx = calloc(1, sizeof(*fx));
  if (fx == NULL)
    return -1;
  snprintf(fx->dir, sizeof(fx->dir), "/tmp/berth-userspec-XXXXXX");
  if (mkdtemp(fx->dir) == NULL)
    return -1;
  snprintf(fx->root, sizeof(fx->root), "%s/root", fx->dir);
  char etc[128];
  snprintf(etc, sizeof(etc), "%s/etc", fx->root);
  if (mkdir(fx->root, 0755) < 0 || mkdir(etc, 0755) < 0)
    return -1;
  fx->root_fd = open(fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fx->root_fd < 0)
    return -1;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  struct fixture *fx = *state;
  close(fx->root_fd);
  int rc = berth_rm_rf(fx->dir, NULL);
  free(fx);
  return rc;
}

static void std_files(struct fixture *fx) {
  write_at(fx->root, "etc/passwd", passwd_text);
  write_at(fx->root, "etc/group", group_text);
}

/* Resolves and checks uid/gid/home; returns the groups for more checks. */
static void expect(struct fixture *fx, const char *spec, char *const *extra,
                   uint32_t uid, uint32_t gid, const char *home,
                   struct berth_userspec *u) {
  berth_error *err = NULL;
  int rc = berth_userspec_resolve(fx->root_fd, spec, extra, u, &err);
  if (rc < 0)
    fail_msg("resolve `%s`: %s", spec ? spec : "(null)", err->msg);
  assert_int_equal(u->uid, uid);
  assert_int_equal(u->gid, gid);
  assert_string_equal(u->home, home);
}

static void expect_error(struct fixture *fx, const char *spec,
                         char *const *extra, berth_error_kind kind,
                         const char *needle) {
  struct berth_userspec u;
  berth_error *err = NULL;
  assert_int_equal(berth_userspec_resolve(fx->root_fd, spec, extra, &u, &err),
                   -1);
  assert_non_null(err);
  assert_int_equal(err->kind, kind);
  if (strstr(err->msg, needle) == NULL)
    fail_msg("`%s`: message `%s` lacks `%s`", spec, err->msg, needle);
  assert_null(u.groups);
  assert_null(u.home);
  berth_error_free(err);
}

static bool has_group(const struct berth_userspec *u, uint32_t g) {
  for (size_t i = 0; i < u->n_groups; i++)
    if (u->groups[i] == g)
      return true;
  return false;
}

#define NEED_OPENAT2()                                                         \
  do {                                                                         \
    if (under_valgrind())                                                      \
      skip(); /* openat2(2) */                                                 \
  } while (0)

static void test_default_is_root(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  struct berth_userspec u;
  expect(fx, NULL, NULL, 0, 0, "/root", &u);
  /* root is listed in wheel. */
  assert_int_equal(u.n_groups, 1);
  assert_true(has_group(&u, 10));
  berth_userspec_clear(&u);
  expect(fx, "", NULL, 0, 0, "/root", &u);
  berth_userspec_clear(&u);
}

static void test_name_and_supplementary(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  struct berth_userspec u;
  expect(fx, "alice", NULL, 1000, 1000, "/home/alice", &u);
  /* wheel and audio list alice; staff lists only look-alike names; the
   * groups with malformed gids are skipped. */
  assert_int_equal(u.n_groups, 2);
  assert_true(has_group(&u, 10));
  assert_true(has_group(&u, 29));
  berth_userspec_clear(&u);
  /* The same user given by number gets the same groups. */
  expect(fx, "1000", NULL, 1000, 1000, "/home/alice", &u);
  assert_int_equal(u.n_groups, 2);
  berth_userspec_clear(&u);
}

static void test_explicit_group_forms(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  struct berth_userspec u;
  expect(fx, "alice:video", NULL, 1000, 44, "/home/alice", &u);
  /* An explicit group replaces the implicit supplementary groups. */
  assert_int_equal(u.n_groups, 0);
  berth_userspec_clear(&u);
  expect(fx, "alice:29", NULL, 1000, 29, "/home/alice", &u);
  berth_userspec_clear(&u);
  expect(fx, "1000:users", NULL, 1000, 100, "/home/alice", &u);
  berth_userspec_clear(&u);
  expect(fx, "4242:4343", NULL, 4242, 4343, "/", &u);
  berth_userspec_clear(&u);
  expect(fx, "daemon:", NULL, 1, 1, "/usr/sbin", &u);
  berth_userspec_clear(&u);
  expect(fx, ":video", NULL, 0, 44, "/root", &u);
  berth_userspec_clear(&u);
}

static void test_numeric_without_entry(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  struct berth_userspec u;
  expect(fx, "5555", NULL, 5555, 0, "/", &u);
  assert_int_equal(u.n_groups, 0);
  berth_userspec_clear(&u);
  expect(fx, "4294967294", NULL, 4294967294u, 0, "/", &u);
  berth_userspec_clear(&u);
  /* A name made of digits is matched by name too (first match wins). */
  expect(fx, "1234", NULL, 2000, 2000, "/home/numname", &u);
  berth_userspec_clear(&u);
  /* Entry without a home directory. */
  expect(fx, "nohome", NULL, 1001, 1001, "/", &u);
  berth_userspec_clear(&u);
  expect(fx, "dup", NULL, 3000, 3000, "/first", &u);
  berth_userspec_clear(&u);
}

static void test_malformed_lines_never_match(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  expect_error(fx, "short", NULL, BERTH_ERR_NOT_FOUND, "unable to find user");
  expect_error(fx, "badid", NULL, BERTH_ERR_NOT_FOUND, "`badid`");
  expect_error(fx, "hugeid", NULL, BERTH_ERR_NOT_FOUND, "`hugeid`");
  expect_error(fx, "neg", NULL, BERTH_ERR_NOT_FOUND, "`neg`");
  expect_error(fx, "# a comment", NULL, BERTH_ERR_NOT_FOUND, "comment");
  expect_error(fx, "broken line without colons", NULL, BERTH_ERR_NOT_FOUND,
               "passwd");
  expect_error(fx, "alice:badgid", NULL, BERTH_ERR_NOT_FOUND,
               "unable to find group `badgid`: no matching entries in group "
               "file");
  expect_error(fx, "alice:truncated", NULL, BERTH_ERR_NOT_FOUND, "truncated");
}

static void test_unknown_names(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  expect_error(fx, "foo", NULL, BERTH_ERR_NOT_FOUND,
               "unable to find user `foo`: no matching entries in passwd "
               "file");
  expect_error(fx, "alice:nogroup", NULL, BERTH_ERR_NOT_FOUND,
               "unable to find group `nogroup`");
  char *extra[] = {"audio", "nosuch", NULL};
  expect_error(fx, "alice", extra, BERTH_ERR_NOT_FOUND, "`nosuch`");
}

/* Ids are checked before any file is read: these run under valgrind. */
static void test_huge_and_negative_ids(void **state) {
  struct fixture *fx = *state;
  expect_error(fx, "4294967295", NULL, BERTH_ERR_INVALID, "0-4294967294");
  expect_error(fx, "99999999999999999999999", NULL, BERTH_ERR_INVALID,
               "user id");
  expect_error(fx, "-1", NULL, BERTH_ERR_INVALID, "`-1`");
  expect_error(fx, "0:4294967295", NULL, BERTH_ERR_INVALID, "group id");
  expect_error(fx, "0:-5", NULL, BERTH_ERR_INVALID, "`-5`");
  char *extra[] = {"4294967296", NULL};
  expect_error(fx, "0", extra, BERTH_ERR_INVALID, "`4294967296`");
  char *empty[] = {"", NULL};
  expect_error(fx, "0", empty, BERTH_ERR_INVALID, "empty");
}

static void test_group_add(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  std_files(fx);
  struct berth_userspec u;
  char *extra[] = {"video", "777", "users", "100", "audio", "0", NULL};
  expect(fx, "alice", extra, 1000, 1000, "/home/alice", &u);
  /* wheel, audio (implicit), video, 777, users; duplicates folded. */
  assert_int_equal(u.n_groups, 6);
  uint32_t want[] = {10, 29, 44, 777, 100, 0};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(u.groups[i], want[i]);
  berth_userspec_clear(&u);
  /* With an explicit group, --group-add still applies. */
  char *extra2[] = {"wheel", NULL};
  expect(fx, "4000:4000", extra2, 4000, 4000, "/", &u);
  assert_int_equal(u.n_groups, 1);
  assert_int_equal(u.groups[0], 10);
  berth_userspec_clear(&u);
}

static void test_missing_files(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  struct berth_userspec u;
  /* No /etc/passwd nor /etc/group: numeric ids still work. */
  expect(fx, NULL, NULL, 0, 0, "/", &u);
  berth_userspec_clear(&u);
  char *extra[] = {"12", NULL};
  expect(fx, "1000:1000", extra, 1000, 1000, "/", &u);
  assert_int_equal(u.n_groups, 1);
  berth_userspec_clear(&u);
  expect_error(fx, "alice", NULL, BERTH_ERR_NOT_FOUND, "passwd file");
  char *named[] = {"wheel", NULL};
  expect_error(fx, "0", named, BERTH_ERR_NOT_FOUND, "`wheel`");
}

/* /etc/passwd -> an absolute host path: the link must be resolved inside
 * the rootfs, so the host file (here a decoy next to the root, reached
 * by "../../") is never read. */
static void test_symlink_escape_stays_inside(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char host[160], link[160];
  snprintf(host, sizeof(host), "%s/shadow-like", fx->dir);
  write_at(fx->dir, "shadow-like", "evil:x:0:0::/host-secret:/bin/sh\n");
  /* Absolute link to the decoy's real host path, and a relative one that
   * climbs out of the root. */
  snprintf(link, sizeof(link), "%s/etc/passwd", fx->root);
  assert_int_equal(symlink(host, link), 0);
  snprintf(link, sizeof(link), "%s/etc/group", fx->root);
  /* On the host, root/etc/../../group-like is the decoy. */
  write_at(fx->dir, "group-like", "evilgrp:x:0:evil\n");
  assert_int_equal(symlink("../../group-like", link), 0);
  expect_error(fx, "evil", NULL, BERTH_ERR_NOT_FOUND, "`evil`");
  expect_error(fx, "0:evilgrp", NULL, BERTH_ERR_NOT_FOUND, "`evilgrp`");
  /* The same link resolved inside the root reads the rootfs's copy. */
  char inside[256];
  snprintf(inside, sizeof(inside), "%s%s", fx->root, fx->dir);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", inside);
  assert_int_equal(system(cmd), 0);
  char rel[300];
  snprintf(rel, sizeof(rel), "%s/shadow-like", fx->dir + 1);
  write_at(fx->root, rel, "inside:x:77:78::/in:/bin/sh\n");
  struct berth_userspec u;
  expect(fx, "inside", NULL, 77, 78, "/in", &u);
  berth_userspec_clear(&u);
  expect_error(fx, "evil", NULL, BERTH_ERR_NOT_FOUND, "`evil`");
}

/* /etc itself a symlink to an absolute host directory. */
static void test_etc_symlink_stays_inside(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char hostetc[128], etc[128];
  snprintf(hostetc, sizeof(hostetc), "%s/hostetc", fx->dir);
  assert_int_equal(mkdir(hostetc, 0755), 0);
  write_at(hostetc, "passwd", "hostuser:x:0:0::/host:/bin/sh\n");
  write_at(hostetc, "group", "hostgrp:x:0:hostuser\n");
  snprintf(etc, sizeof(etc), "%s/etc", fx->root);
  assert_int_equal(rmdir(etc), 0);
  assert_int_equal(symlink(hostetc, etc), 0);
  expect_error(fx, "hostuser", NULL, BERTH_ERR_NOT_FOUND, "`hostuser`");
  char *extra[] = {"hostgrp", NULL};
  expect_error(fx, "0", extra, BERTH_ERR_NOT_FOUND, "`hostgrp`");
}

static void test_not_regular_or_too_big(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char p[160];
  /* A FIFO would block a plain open/read forever. */
  snprintf(p, sizeof(p), "%s/etc/passwd", fx->root);
  assert_int_equal(mkfifo(p, 0644), 0);
  expect_error(fx, "0", NULL, BERTH_ERR_INVALID, "not a regular file");
  assert_int_equal(unlink(p), 0);
  /* A sparse file over 4 MiB. */
  int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
  close(fd);
  expect_error(fx, "0", NULL, BERTH_ERR_INVALID, "larger than");
  /* Exactly 4 MiB is fine (NULs only, so no entries). */
  assert_int_equal(truncate(p, 4 << 20), 0);
  struct berth_userspec u;
  expect(fx, "0", NULL, 0, 0, "/", &u);
  berth_userspec_clear(&u);
  /* /etc/passwd as a directory is an error, not an empty database. */
  assert_int_equal(unlink(p), 0);
  assert_int_equal(mkdir(p, 0755), 0);
  expect_error(fx, "0", NULL, BERTH_ERR_INVALID, "not a regular file");
}

static void test_no_trailing_newline(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  write_at(fx->root, "etc/passwd", "bob:x:5:6::/home/bob:/bin/sh");
  write_at(fx->root, "etc/group", "grp:x:9:bob");
  struct berth_userspec u;
  expect(fx, "bob", NULL, 5, 6, "/home/bob", &u);
  assert_int_equal(u.n_groups, 1);
  assert_int_equal(u.groups[0], 9);
  berth_userspec_clear(&u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_default_is_root, setup, teardown),
      cmocka_unit_test_setup_teardown(test_name_and_supplementary, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_explicit_group_forms, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_numeric_without_entry, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_malformed_lines_never_match, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unknown_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_huge_and_negative_ids, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_group_add, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_escape_stays_inside, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_etc_symlink_stays_inside, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_not_regular_or_too_big, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_no_trailing_newline, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
