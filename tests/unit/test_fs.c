#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "valgrind_skip.h"

#include "fs.h"

static char tmpl[] = "/tmp/berth-fs-XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(tmpl) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(tmpl, NULL);
}

static void test_atomic_write_and_bounded_read(void **state) {
  (void)state;
  char p[256];
  snprintf(p, sizeof(p), "%s/f", tmpl);
  assert_int_equal(berth_write_file_atomic(p, "hello", 5, 0600, NULL), 0);
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(berth_read_file(AT_FDCWD, p, 5, &data, &len, NULL), 0);
  assert_string_equal(data, "hello");
  free(data);
  berth_error *err = NULL;
  assert_int_equal(berth_read_file(AT_FDCWD, p, 4, &data, &len, &err), -1);
  assert_non_null(strstr(err->msg, "larger than 4 bytes"));
  berth_error_free(err);
}

/* A symlink inside the root pointing at "/" or ".." must stay inside. */
static void test_open_in_root_confines_symlinks(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) */
  char root[128], link[256];
  snprintf(root, sizeof(root), "%s/root", tmpl);
  mkdir(root, 0755);
  snprintf(link, sizeof(link), "%s/escape", root);
  assert_int_equal(symlink("../../../../etc", link), 0);
  int rfd = open(root, O_PATH | O_DIRECTORY);
  assert_true(rfd >= 0);
  int fd = berth_mkdir_in_root(rfd, "escape/passwd-dir", 0755, 0, NULL);
  assert_true(fd >= 0);
  close(fd);
  struct stat st;
  /* Created inside the root at root/etc, not at the host's /etc. */
  char inside[300];
  snprintf(inside, sizeof(inside), "%s/etc/passwd-dir", root);
  assert_int_equal(stat(inside, &st), 0);
  assert_int_equal(stat("/etc/passwd-dir", &st), -1);
  close(rfd);
}

static void test_mkdir_p(void **state) {
  (void)state;
  char p[256];
  snprintf(p, sizeof(p), "%s/a/b/c", tmpl);
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
}

static void test_close_fds_keeps_listed(void **state) {
  (void)state;
  int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY),
      c = open("/dev/null", O_RDONLY);
  int keep[] = {b};
  berth_close_fds_from(a, keep, 1);
  assert_int_equal(fcntl(a, F_GETFD), -1);
  assert_true(fcntl(b, F_GETFD) >= 0);
  assert_int_equal(fcntl(c, F_GETFD), -1);
  close(b);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static void expect_content(const char *path, const char *want) {
  char *data = NULL;
  assert_int_equal(berth_read_file(AT_FDCWD, path, 4096, &data, NULL, NULL),
                   0);
  assert_string_equal(data, want);
  free(data);
}

/* Whoever can write the directory plants a symlink at the temporary name
 * the writer used to pick (FILE.tmp.<pid>): the write must not go through
 * it to the victim, and FILE must end up a regular file. */
static void test_atomic_write_ignores_planted_temp_names(void **state) {
  (void)state;
  char p[256], victim[256], planted[320];
  snprintf(p, sizeof(p), "%s/state.json", tmpl);
  snprintf(victim, sizeof(victim), "%s/victim", tmpl);
  write_text(victim, "untouched");
  snprintf(planted, sizeof(planted), "%s.tmp.%d", p, (int)getpid());
  assert_int_equal(symlink(victim, planted), 0);
  assert_int_equal(berth_write_file_replace(p, "new", 3, 0600, NULL), 0);
  assert_int_equal(berth_write_file_atomic(p, "newer", 5, 0600, NULL), 0);
  expect_content(victim, "untouched");
  struct stat st;
  assert_int_equal(lstat(p, &st), 0);
  assert_true(S_ISREG(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0600);
  expect_content(p, "newer");
  /* Control: the planted link does lead to the victim for a writer that
   * opens the name as the old code did. */
  assert_int_equal(lstat(planted, &st), 0);
  int fd = open(planted, O_WRONLY | O_TRUNC | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "x", 1), 1);
  close(fd);
  expect_content(victim, "x");
  unlink(planted);
  unlink(victim);
}

/* The temporary names are unpredictable: two writes of the same file use
 * different names, neither the old pid-based one (seen with inotify). */
static void test_atomic_write_temp_names_differ(void **state) {
  (void)state;
  char p[256], old_name[64];
  snprintf(p, sizeof(p), "%s/cfg", tmpl);
  snprintf(old_name, sizeof(old_name), "cfg.tmp.%d", (int)getpid());
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  assert_true(in >= 0);
  assert_true(inotify_add_watch(in, tmpl, IN_CREATE) >= 0);
  assert_int_equal(berth_write_file_replace(p, "a", 1, 0644, NULL), 0);
  assert_int_equal(berth_write_file_replace(p, "b", 1, 0644, NULL), 0);
  char buf[4096] __attribute__((aligned(8)));
  ssize_t n = read(in, buf, sizeof(buf));
  assert_true(n > 0);
  char names[2][NAME_MAX + 1];
  int k = 0;
  for (char *q = buf; q < buf + n && k < 2;) {
    struct inotify_event *ev = (struct inotify_event *)q;
    if (ev->len && strncmp(ev->name, "cfg.tmp.", 8) == 0)
      snprintf(names[k++], sizeof(names[0]), "%s", ev->name);
    q += sizeof(*ev) + ev->len;
  }
  close(in);
  assert_int_equal(k, 2);
  assert_string_not_equal(names[0], names[1]);
  assert_string_not_equal(names[0], old_name);
  assert_int_equal(strlen(names[0]), strlen("cfg.tmp.") + 16);
  expect_content(p, "b");
}

/* A child blocks in open(O_WRONLY) until the FIFO is opened for reading. */
static pid_t fifo_writer(const char *fifo) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(10);
    _exit(open(fifo, O_WRONLY) >= 0 ? 0 : 1);
  }
  usleep(100 * 1000);
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

static void test_open_regular(void **state) {
  (void)state;
  char f[256], l[256], fifo[256];
  snprintf(f, sizeof(f), "%s/reg", tmpl);
  snprintf(l, sizeof(l), "%s/link", tmpl);
  snprintf(fifo, sizeof(fifo), "%s/fifo", tmpl);
  write_text(f, "data");
  assert_int_equal(symlink(f, l), 0);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  berth_error *err = NULL;
  int fd = berth_open_regular(AT_FDCWD, f, 0, &err);
  assert_true(fd >= 0);
  char buf[8] = "";
  assert_int_equal(read(fd, buf, sizeof(buf)), 4);
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  close(fd);
  assert_int_equal(berth_open_regular(AT_FDCWD, l, 0, &err), -1);
  assert_int_equal(err->errno_value, ELOOP);
  berth_error_free(err);
  err = NULL;
  /* procfs "regular files" (/proc/kmsg blocks, others act) are refused. */
  assert_int_equal(berth_open_regular(AT_FDCWD, "/proc/self/status", 0, &err),
                   -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  err = NULL;
  /* The FIFO is refused without being opened at all. */
  pid_t w = fifo_writer(fifo);
  assert_int_equal(berth_open_regular(AT_FDCWD, fifo, 0, &err), -1);
  assert_int_equal(err->errno_value, EINVAL);
  berth_error_free(err);
  bool opened = exited_within(w, 300);
  int rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* control */
  bool control = exited_within(w, 3000);
  close(rfd);
  if (!control)
    kill(w, SIGKILL), waitpid(w, NULL, 0);
  assert_false(opened);
  assert_true(control);
  unlink(f), unlink(l), unlink(fifo);
}

/* The mode lands on the inode an O_PATH fd holds, not on a name. */
static void test_fchmod_any_on_path_fd(void **state) {
  (void)state;
  char fifo[256], moved[256];
  snprintf(fifo, sizeof(fifo), "%s/p", tmpl);
  snprintf(moved, sizeof(moved), "%s/p-moved", tmpl);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  int fd = open(fifo, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(rename(fifo, moved), 0);
  write_text(fifo, "decoy");
  chmod(fifo, 0600);
  assert_int_equal(berth_fchmod_any(fd, 0640), 0);
  close(fd);
  struct stat st;
  assert_int_equal(stat(moved, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);
  assert_int_equal(stat(fifo, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  unlink(fifo), unlink(moved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_atomic_write_and_bounded_read),
      cmocka_unit_test(test_open_in_root_confines_symlinks),
      cmocka_unit_test(test_mkdir_p),
      cmocka_unit_test(test_close_fds_keeps_listed),
      cmocka_unit_test(test_atomic_write_ignores_planted_temp_names),
      cmocka_unit_test(test_atomic_write_temp_names_differ),
      cmocka_unit_test(test_open_regular),
      cmocka_unit_test(test_fchmod_any_on_path_fd),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
