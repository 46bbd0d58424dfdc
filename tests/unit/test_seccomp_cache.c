/* The compiled-seccomp cache: a hit returns what was stored for exactly
 * that profile; a different profile, a damaged or foreign-writable entry,
 * a symlink, or a directory others can write are misses that fall back to
 * compiling, and a program loaded from the cache is enforced. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "json.h"
#include "seccomp_cache.h"
#include "seccomp_filter.h"
#include "valgrind_skip.h"

#define DENY_MKDIR                                                             \
  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"            \
  "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}"
#define DENY_GETPID                                                            \
  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"                           \
  "[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":[{\"names\":[\"getpid\"],"       \
  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}"

struct fixture {
  char dir[64];   /* a private parent */
  char cache[96]; /* the cache inside it, created by the code under test */
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/berth-sccache.XXXXXX");
  if (mkdtemp(f->dir) == NULL)
    return -1;
  snprintf(f->cache, sizeof(f->cache), "%s/" BERTH_SECCOMP_CACHE_NAME, f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  berth_rm_rf(f->dir, NULL);
  free(f);
  return 0;
}

static struct berth_seccomp *parse(const char *text) {
  json_t *j = NULL;
  assert_int_equal(berth_json_parse("t", text, strlen(text), &j, NULL), 0);
  struct berth_seccomp *s = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_seccomp_parse(j, "linux.seccomp", &s, &err), 0);
  json_decref(j);
  return s;
}

static void compile(const char *text, const char *cache,
                    struct berth_seccomp_prog *prog) {
  struct berth_seccomp *s = parse(text);
  berth_error *err = NULL;
  if (berth_seccomp_compile(s, cache, prog, &err) < 0)
    fail_msg("compile: %s", err->msg);
  berth_seccomp_free(s);
}

static bool same(const struct berth_seccomp_prog *a,
                 const struct berth_seccomp_prog *b) {
  return a->len == b->len &&
         memcmp(a->filter, b->filter, a->len * sizeof(*a->filter)) == 0;
}

/* The cache's only entry. */
static void entry_path(const struct fixture *f, char *out, size_t size) {
  DIR *d = opendir(f->cache);
  assert_non_null(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    snprintf(out, size, "%s/%s", f->cache, de->d_name);
    n++;
  }
  closedir(d);
  assert_int_equal(n, 1);
}

static void test_hit_returns_stored_program(void **state) {
  struct fixture *f = *state;
  struct berth_seccomp_prog fresh, first, again, other;
  compile(DENY_MKDIR, NULL, &fresh);
  compile(DENY_MKDIR, f->cache, &first); /* miss: compiles and stores */
  assert_true(same(&fresh, &first));
  struct stat st;
  assert_int_equal(stat(f->cache, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  compile(DENY_MKDIR, f->cache, &again);
  assert_true(same(&fresh, &again));
  /* Prove the second compile came from the file: plant getpid's program
   * under mkdir's key and get it back. */
  compile(DENY_GETPID, NULL, &other);
  assert_int_equal(other.flags, 2); /* flags come from the profile */
  struct berth_seccomp *s = parse(DENY_MKDIR);
  size_t len;
  char *key = berth_seccomp_key(s, &len);
  berth_seccomp_cache_store(f->cache, key, len, &other);
  struct berth_seccomp_prog planted;
  berth_error *err = NULL;
  assert_int_equal(berth_seccomp_compile(s, f->cache, &planted, &err), 0);
  assert_true(same(&planted, &other));
  assert_int_equal(planted.flags, 0); /* DENY_MKDIR has no flags */
  free(key);
  berth_seccomp_free(s);
  berth_seccomp_prog_free(&fresh);
  berth_seccomp_prog_free(&first);
  berth_seccomp_prog_free(&again);
  berth_seccomp_prog_free(&other);
  berth_seccomp_prog_free(&planted);
}

static void test_keys_differ_by_profile(void **state) {
  (void)state;
  struct berth_seccomp *a = parse(DENY_MKDIR), *b = parse(DENY_GETPID);
  size_t la, lb;
  char *ka = berth_seccomp_key(a, &la), *kb = berth_seccomp_key(b, &lb);
  assert_true(la != lb || memcmp(ka, kb, la) != 0);
  assert_non_null(strstr(ka, "mkdirat"));
  assert_non_null(strstr(ka, "libseccomp "));
  free(ka);
  free(kb);
  berth_seccomp_free(a);
  berth_seccomp_free(b);
}

/* Flip one byte at `offset` from the end of the entry. */
static void damage(const char *path, off_t from_end) {
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  off_t end = lseek(fd, 0, SEEK_END);
  unsigned char c;
  assert_int_equal(pread(fd, &c, 1, end - from_end), 1);
  c ^= 0x40;
  assert_int_equal(pwrite(fd, &c, 1, end - from_end), 1);
  close(fd);
}

static void expect_miss_after(struct fixture *f, void (*spoil)(const char *)) {
  struct berth_seccomp_prog fresh, first, other, after;
  compile(DENY_MKDIR, NULL, &fresh);
  compile(DENY_GETPID, NULL, &other);
  compile(DENY_MKDIR, f->cache, &first);
  char path[256];
  entry_path(f, path, sizeof(path));
  /* Plant a wrong program under the right key, then spoil the entry: a
   * miss recompiles and so returns mkdir's real program. */
  struct berth_seccomp *s = parse(DENY_MKDIR);
  size_t len;
  char *key = berth_seccomp_key(s, &len);
  berth_seccomp_cache_store(f->cache, key, len, &other);
  spoil(path);
  berth_error *err = NULL;
  assert_int_equal(berth_seccomp_compile(s, f->cache, &after, &err), 0);
  assert_true(same(&after, &fresh));
  free(key);
  berth_seccomp_free(s);
  berth_seccomp_prog_free(&fresh);
  berth_seccomp_prog_free(&first);
  berth_seccomp_prog_free(&other);
  berth_seccomp_prog_free(&after);
}

static void spoil_program(const char *p) { damage(p, 3); }
static void spoil_key(const char *p) {
  /* The key's first byte follows the 24-byte header (magic, key length,
   * instruction count, padding, checksum). */
  int fd = open(p, O_RDWR);
  assert_true(fd >= 0);
  unsigned char c;
  assert_int_equal(pread(fd, &c, 1, 24), 1);
  c ^= 0x01;
  assert_int_equal(pwrite(fd, &c, 1, 24), 1);
  close(fd);
}
static void spoil_truncate(const char *p) {
  assert_int_equal(truncate(p, 30), 0);
}
static void spoil_mode(const char *p) { assert_int_equal(chmod(p, 0622), 0); }
static void spoil_symlink(const char *p) {
  char moved[300];
  snprintf(moved, sizeof(moved), "%s.real", p);
  assert_int_equal(rename(p, moved), 0);
  assert_int_equal(symlink(moved, p), 0);
}

static void test_damaged_entries_are_misses(void **state) {
  expect_miss_after(*state, spoil_program);
  expect_miss_after(*state, spoil_key);
  expect_miss_after(*state, spoil_truncate);
}

static void test_untrusted_entries_are_misses(void **state) {
  expect_miss_after(*state, spoil_mode);
}

static void test_symlinked_entry_is_a_miss(void **state) {
  expect_miss_after(*state, spoil_symlink);
}

static void test_shared_directory_is_not_used(void **state) {
  struct fixture *f = *state;
  assert_int_equal(mkdir(f->cache, 0700), 0);
  assert_int_equal(chmod(f->cache, 0777), 0);
  struct berth_seccomp_prog prog;
  compile(DENY_MKDIR, f->cache, &prog);
  berth_seccomp_prog_free(&prog);
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", f->cache);
  assert_int_equal(system(cmd), 0); /* nothing written there */
}

static void test_cached_program_is_enforced(void **state) {
  if (under_valgrind())
    skip();
  struct fixture *f = *state;
  struct berth_seccomp_prog warm, prog;
  compile(DENY_MKDIR, f->cache, &warm);
  compile(DENY_MKDIR, f->cache, &prog);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (berth_seccomp_load(&prog, NULL) < 0)
      _exit(250);
    long r = syscall(SYS_mkdir, "/proc/berth-nope", 0700);
    syscall(SYS_exit_group, r < 0 ? errno : 0);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), ENOSYS);
  berth_seccomp_prog_free(&warm);
  berth_seccomp_prog_free(&prog);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hit_returns_stored_program, setup,
                                      teardown),
      cmocka_unit_test(test_keys_differ_by_profile),
      cmocka_unit_test_setup_teardown(test_damaged_entries_are_misses, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_untrusted_entries_are_misses, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_symlinked_entry_is_a_miss, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_shared_directory_is_not_used, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cached_program_is_enforced, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
