/* The digest of COPY sources: stable where COPY's result is the same
 * (mtimes, creation order, ignored files), different for every change
 * COPY would carry (a byte, mode, owner, xattr, link target, name, the
 * set of files), and, with the stat cache, computed for an unchanged
 * context without reading a single file.
 *
 * "Without reading" is observed with fanotify: every directory of the
 * context is marked for FAN_OPEN and FAN_ACCESS of its files, and the
 * events of this process are counted.  The cold digest must produce
 * events (the control: the probe sees reads), the cached one none. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
// cmocka needs the headers above first.
#include <cmocka.h>

#include "context.h"
#include "valgrind_skip.h"
#include "db.h"
#include "engine.h"
#include "fs.h"

static char base[64], ctxdir[128];
static struct berth_db *db;

static int setup(void **state) {
  (void)state;
  strcpy(base, "/tmp/berth-test-digest.XXXXXX");
  if (!mkdtemp(base))
    return -1;
  snprintf(ctxdir, sizeof ctxdir, "%s/ctx", base);
  char dbpath[128];
  snprintf(dbpath, sizeof dbpath, "%s/berth.db", base);
  return mkdir(ctxdir, 0755) || berth_db_open(dbpath, &db, NULL) ||
         berth_engine_migrate(db, NULL);
}

static int teardown(void **state) {
  (void)state;
  berth_db_close(db);
  return berth_rm_rf(base, NULL);
}

static void path_of(char *out, size_t len, const char *dir, const char *rel) {
  snprintf(out, len, "%s/%s", dir, rel);
}

static void put_in(const char *dir, const char *rel, const char *text) {
  char path[512];
  path_of(path, sizeof path, dir, rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  assert_int_equal(berth_mkdir_p(path, 0755, NULL), 0);
  *slash = '/';
  assert_int_equal(
      berth_write_file_replace(path, text, strlen(text), 0644, NULL), 0);
}

static void put(const char *rel, const char *text) {
  put_in(ctxdir, rel, text);
}

static struct berth_context *open_dir(const char *dir) {
  struct berth_context *ctx = NULL;
  berth_error *err = NULL;
  if (berth_context_open_dir(dir, NULL, &ctx, &err) < 0)
    fail_msg("open context: %s", err->msg);
  return ctx;
}

/* The digest of `srcs` (space-separated rels) in a fresh context of dir. */
static void digest_in(const char *dir, struct berth_db *d, const char *srcs,
                      char out[BERTH_DIGEST_SIZE]) {
  struct berth_context *ctx = open_dir(dir);
  char *copy = strdup(srcs), *rels[8], *save = NULL;
  size_t n = 0;
  for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
    rels[n++] = t;
  berth_error *err = NULL;
  if (berth_context_digest(ctx, d, rels, n, out, &err) < 0)
    fail_msg("digest: %s", err->msg);
  free(copy);
  berth_context_free(ctx);
}

static void digest(const char *srcs, char out[BERTH_DIGEST_SIZE]) {
  digest_in(ctxdir, db, srcs, out);
}

static void tree(const char *dir) {
  put_in(dir, "Dockerfile", "FROM scratch\n");
  put_in(dir, ".dockerignore", "**/*.tmp\nbuild\n!build/keep\n");
  put_in(dir, "src/a.c", "int a;\n");
  put_in(dir, "src/b.c", "int b;\n");
  put_in(dir, "src/sub/c.c", "int c;\n");
  put_in(dir, "build/keep", "kept\n");
  put_in(dir, "build/drop", "dropped\n");
  char p[512];
  path_of(p, sizeof p, dir, "src/link");
  assert_int_equal(symlink("a.c", p), 0);
}

/* Changes something, then digests again and compares. */
static void expect_change(const char *what, const char *before, bool changes) {
  char after[BERTH_DIGEST_SIZE];
  digest(". src", after);
  if ((strcmp(before, after) != 0) != changes)
    fail_msg("%s: digest %s", what, changes ? "unchanged" : "changed");
  /* The cache must agree with a fresh hash of everything. */
  char fresh[BERTH_DIGEST_SIZE];
  digest_in(ctxdir, NULL, ". src", fresh);
  assert_string_equal(after, fresh);
}

static void test_digest_stable(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  tree(ctxdir);
  char one[BERTH_DIGEST_SIZE], two[BERTH_DIGEST_SIZE];
  digest(". src", one);
  digest(". src", two);
  assert_string_equal(one, two);
  assert_int_equal(strncmp(one, "sha256:", 7), 0);
  /* The same content made in another order at other times. */
  char other[128];
  snprintf(other, sizeof other, "%s/other", base);
  put_in(other, "build/drop", "dropped\n");
  put_in(other, "src/sub/c.c", "int c;\n");
  put_in(other, "src/b.c", "int b;\n");
  put_in(other, "src/a.c", "int a;\n");
  put_in(other, "build/keep", "kept\n");
  put_in(other, ".dockerignore", "**/*.tmp\nbuild\n!build/keep\n");
  put_in(other, "Dockerfile", "FROM scratch\n");
  char p[512];
  path_of(p, sizeof p, other, "src/link");
  assert_int_equal(symlink("a.c", p), 0);
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  path_of(p, sizeof p, other, "src/a.c");
  assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
  assert_int_equal(chmod(other, 0755), 0);
  digest_in(other, db, ". src", two);
  assert_string_equal(one, two);
  /* Different sources, different digests. */
  digest("src", two);
  assert_string_not_equal(one, two);
}

static void test_digest_sensitive(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  tree(ctxdir);
  char before[BERTH_DIGEST_SIZE], p[512], q[512];
  digest(". src", before);
#define STEP(what, changes, action)                                            \
  do {                                                                         \
    digest(". src", before);                                                   \
    action;                                                                    \
    expect_change(what, before, changes);                                      \
  } while (0)
  path_of(p, sizeof p, ctxdir, "src/a.c");
  STEP("a byte, same size", true, put("src/a.c", "int A;\n"));
  STEP("mode", true, assert_int_equal(chmod(p, 0600), 0));
  STEP("owner", true, assert_int_equal(chown(p, 1234, 0), 0));
  STEP("group", true, assert_int_equal(chown(p, 1234, 5678), 0));
  if (setxattr(p, "user.t", "1", 1, 0) == 0) {
    STEP("xattr value", true,
         assert_int_equal(setxattr(p, "user.t", "2", 1, 0), 0));
    STEP("xattr removed", true, assert_int_equal(removexattr(p, "user.t"), 0));
  }
  path_of(q, sizeof q, ctxdir, "src/link");
  STEP(
      "link target", true,
      (assert_int_equal(unlink(q), 0), assert_int_equal(symlink("b.c", q), 0)));
  path_of(q, sizeof q, ctxdir, "src/renamed.c");
  path_of(p, sizeof p, ctxdir, "src/b.c");
  STEP("name", true, assert_int_equal(rename(p, q), 0));
  STEP("new file", true, put("src/new.c", ""));
  STEP("removed file", true, assert_int_equal(unlink(q), 0));
  STEP("new empty dir", true, assert_int_equal(mkdir(q, 0755), 0));
  path_of(p, sizeof p, ctxdir, "src/sub");
  STEP("dir mode", true, assert_int_equal(chmod(p, 0700), 0));
  path_of(p, sizeof p, ctxdir, "src/hard");
  path_of(q, sizeof q, ctxdir, "src/a.c");
  STEP("hard link", true, assert_int_equal(link(q, p), 0));
  /* What COPY would not carry. */
  struct timespec t[2] = {{1, 0}, {1, 0}};
  STEP("mtime", false, assert_int_equal(utimensat(AT_FDCWD, q, t, 0), 0));
  STEP("ignored file", false, put("src/x.tmp", "junk"));
  STEP("ignored change", false, put("src/x.tmp", "other junk"));
  STEP("excluded dir", false, put("build/drop", "changed\n"));
  STEP("re-included file", true, put("build/keep", "changed\n"));
#undef STEP
  char src1[BERTH_DIGEST_SIZE], src2[BERTH_DIGEST_SIZE];
  digest("src", src1);
  put("README", "not in src");
  digest("src", src2);
  assert_string_equal(src1, src2); /* a file outside the sources */
}

/* A file rewritten with the same size and its mtime put back: only the
 * ctime tells, and the cache must see it. */
static void test_digest_cache_not_fooled(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  tree(ctxdir);
  struct timespec pause = {0, 200000000};
  nanosleep(&pause, NULL); /* older than the racy window: cached */
  char one[BERTH_DIGEST_SIZE], two[BERTH_DIGEST_SIZE], p[512];
  digest("src", one);
  path_of(p, sizeof p, ctxdir, "src/a.c");
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  put("src/a.c", "int z;\n");
  struct timespec t[2] = {st.st_atim, st.st_mtim};
  assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
  digest("src", two);
  assert_string_not_equal(one, two);
}

static void test_digest_symlink_sources(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  tree(ctxdir);
  char outside[200], p[512], one[BERTH_DIGEST_SIZE], two[BERTH_DIGEST_SIZE];
  snprintf(outside, sizeof outside, "%s/outside", base);
  assert_int_equal(berth_write_file_replace(outside, "1", 1, 0644, NULL), 0);
  /* A link inside a source is digested as a link: its target's content
   * does not count. */
  path_of(p, sizeof p, ctxdir, "src/out");
  assert_int_equal(symlink(outside, p), 0);
  digest("src", one);
  assert_int_equal(berth_write_file_replace(outside, "2", 1, 0644, NULL), 0);
  digest("src", two);
  assert_string_equal(one, two);
  /* A source that is a link is followed inside the context... */
  path_of(p, sizeof p, ctxdir, "alias");
  assert_int_equal(symlink("src", p), 0);
  digest("alias", one);
  put("src/a.c", "changed\n");
  digest("alias", two);
  assert_string_not_equal(one, two);
  /* ...and refused when it leads out. */
  struct berth_context *ctx = open_dir(ctxdir);
  char *rels[] = {"src/out"};
  berth_error *err = NULL;
  assert_int_equal(berth_context_digest(ctx, db, rels, 1, one, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "points outside the build context"));
  berth_error_free(err);
  berth_context_free(ctx);
}

/* ---- no file read on an unchanged context ---- */

static int watch(int fan, const char *dir) {
  if (fanotify_mark(fan, FAN_MARK_ADD,
                    FAN_OPEN | FAN_ACCESS | FAN_EVENT_ON_CHILD, AT_FDCWD,
                    dir) < 0)
    return -1;
  return 0;
}

/* File opens and reads by this process since the last call. */
static int reads_seen(int fan) {
  char buf[8192];
  int n = 0;
  ssize_t len;
  while ((len = read(fan, buf, sizeof buf)) > 0) {
    struct fanotify_event_metadata *m = (void *)buf;
    for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
      if (m->fd >= 0)
        close(m->fd);
      n += m->pid == getpid();
    }
  }
  return n;
}

static void test_digest_unchanged_reads_nothing(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  enum { DIRS = 30, FILES = 100 };
  int fan =
      fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_CLOEXEC, O_RDONLY);
  if (fan < 0)
    skip(); /* needs CAP_SYS_ADMIN */
  put("Dockerfile", "FROM scratch\n");
  char rel[64], dir[300];
  for (int d = 0; d < DIRS; d++)
    for (int f = 0; f < FILES; f++) {
      snprintf(rel, sizeof rel, "d%02d/f%03d", d, f);
      put(rel, rel);
    }
  struct timespec pause = {0, 200000000};
  nanosleep(&pause, NULL); /* older than the racy window */
  assert_int_equal(watch(fan, ctxdir), 0);
  for (int d = 0; d < DIRS; d++) {
    snprintf(dir, sizeof dir, "%s/d%02d", ctxdir, d);
    assert_int_equal(watch(fan, dir), 0);
  }
  char one[BERTH_DIGEST_SIZE], two[BERTH_DIGEST_SIZE];
  struct berth_context *ctx = open_dir(ctxdir);
  char *rels[] = {"."};
  (void)reads_seen(fan); /* opening the context read its Dockerfile */
  assert_int_equal(berth_context_digest(ctx, db, rels, 1, one, NULL), 0);
  /* CONTROL: the cold digest reads every file, and the probe sees it. */
  assert_true(reads_seen(fan) >= DIRS * FILES);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(berth_context_digest(ctx, db, rels, 1, two, NULL), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_int_equal(reads_seen(fan), 0);
  assert_string_equal(one, two);
  print_message("cached digest of %d files: %.1f ms\n", DIRS * FILES,
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  /* CONTROL: without the cache every file is read again. */
  assert_int_equal(berth_context_digest(ctx, NULL, rels, 1, two, NULL), 0);
  assert_true(reads_seen(fan) >= DIRS * FILES);
  /* One changed file: only it is read. */
  put("d07/f042", "changed");
  (void)reads_seen(fan);
  assert_int_equal(berth_context_digest(ctx, db, rels, 1, two, NULL), 0);
  int n = reads_seen(fan);
  assert_true(n >= 1 && n <= 3); /* its open and its reads */
  assert_string_not_equal(one, two);
  berth_context_free(ctx);
  close(fan);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_digest_stable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_digest_sensitive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_digest_cache_not_fooled, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_digest_symlink_sources, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_digest_unchanged_reads_nothing,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
