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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <signal.h>
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

/* /etc/passwd -> an absolute host path, or a relative one climbing out:
 * the files are never followed when they are symlinks themselves (a link
 * into the container's /proc or to a device would otherwise be opened),
 * so neither the host decoy nor anything else is read: a clear error. */
static void test_symlinked_files_are_not_followed(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char host[160], link[160];
  snprintf(host, sizeof(host), "%s/shadow-like", fx->dir);
  write_at(fx->dir, "shadow-like", "evil:x:0:0::/host-secret:/bin/sh\n");
  snprintf(link, sizeof(link), "%s/etc/passwd", fx->root);
  assert_int_equal(symlink(host, link), 0);
  expect_error(fx, "evil", NULL, BERTH_ERR_INVALID, "symbolic link");
  expect_error(fx, "0", NULL, BERTH_ERR_INVALID, "`/etc/passwd`");
  /* Even a link whose target lies inside the rootfs is not followed. */
  assert_int_equal(unlink(link), 0);
  write_at(fx->root, "etc/passwd.real", "inside:x:77:78::/in:/bin/sh\n");
  assert_int_equal(symlink("passwd.real", link), 0);
  expect_error(fx, "inside", NULL, BERTH_ERR_INVALID, "symbolic link");
  assert_int_equal(unlink(link), 0);
  write_at(fx->root, "etc/passwd", "inside:x:77:78::/in:/bin/sh\n");
  /* On the host, root/etc/../../group-like is the decoy. */
  snprintf(link, sizeof(link), "%s/etc/group", fx->root);
  write_at(fx->dir, "group-like", "evilgrp:x:0:evil\n");
  assert_int_equal(symlink("../../group-like", link), 0);
  expect_error(fx, "0:evilgrp", NULL, BERTH_ERR_INVALID, "`/etc/group`");
  /* Control: the same files as regular files are read. */
  assert_int_equal(unlink(link), 0);
  write_at(fx->root, "etc/group", "evilgrp:x:5:evil\n");
  struct berth_userspec u;
  expect(fx, "inside:evilgrp", NULL, 77, 5, "/in", &u);
  berth_userspec_clear(&u);
}

/* A child blocks in open(O_WRONLY) on the FIFO until someone opens it for
 * reading: whether it is still blocked tells whether the FIFO was opened. */
static pid_t fifo_writer(const char *fifo) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(10); /* never outlive the test */
    int fd = open(fifo, O_WRONLY);
    _exit(fd >= 0 ? 0 : 1);
  }
  usleep(100 * 1000); /* let it reach open() */
  return pid;
}

static bool exited_within(pid_t pid, int ms) {
  for (int i = 0; i < ms / 10; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return true;
    usleep(10 * 1000);
  }
  return false;
}

/* A FIFO planted at /etc/group (and /etc/passwd) is refused without being
 * opened: no open(2) of it at all, blocking or not. */
static void test_fifo_never_opened(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char p[160];
  write_at(fx->root, "etc/passwd", "alice:x:5:5::/a:/bin/sh\n");
  snprintf(p, sizeof(p), "%s/etc/group", fx->root);
  assert_int_equal(mkfifo(p, 0644), 0);
  pid_t w = fifo_writer(p);
  expect_error(fx, "alice", NULL, BERTH_ERR_INVALID, "not a regular file");
  bool opened = exited_within(w, 300);
  /* Control: a non-blocking open for reading, as the engine used to do,
   * releases the writer. */
  int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  assert_true(fd >= 0);
  bool control = exited_within(w, 3000);
  close(fd);
  if (!control)
    kill(w, SIGKILL), waitpid(w, NULL, 0);
  assert_false(opened);
  assert_true(control);
}

/* A device node at /etc/passwd is refused without being opened: the
 * engine runs as host root outside the container's device cgroup, and
 * opening some devices acts (a tape rewinds, a tty becomes controlling).
 * Major 60 is reserved for local use and has no driver here, so an open
 * would fail with ENXIO (or EACCES on a nodev mount): the error says
 * whether the open reached the kernel's device lookup. */
static void test_device_node_refused(void **state) {
  NEED_OPENAT2();
  struct fixture *fx = *state;
  char p[160];
  snprintf(p, sizeof(p), "%s/etc/passwd", fx->root);
  if (mknod(p, S_IFCHR | 0644, makedev(60, 0)) < 0)
    skip(); /* not root */
  /* Control: opening it reaches the device lookup. */
  int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  assert_int_equal(fd, -1);
  assert_true(errno == ENXIO || errno == EACCES);
  expect_error(fx, "0", NULL, BERTH_ERR_INVALID, "not a regular file");
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
      cmocka_unit_test_setup_teardown(test_symlinked_files_are_not_followed,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_node_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_fifo_never_opened, setup,
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
