/* The content store: blobs in only with the right digest and size, atomic
 * and safe with concurrent writers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "fs.h"
#include "store.h"

static char root[64];

static int setup(void **state) {
  (void)state;
  strcpy(root, "/tmp/berth-test-store.XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(root, NULL);
}

static size_t count_dir(const char *sub) {
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", root, sub);
  DIR *d = opendir(p);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

static void test_put_get(void **state) {
  (void)state;
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  char d[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_store_put(s, "hello", 5, d, NULL), 0);
  assert_string_equal(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  assert_true(berth_store_has(s, d));
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(berth_store_get(s, d, 1024, &data, &len, NULL), 0);
  assert_int_equal(len, 5);
  assert_memory_equal(data, "hello", 5);
  free(data);
  char path[4200];
  assert_int_equal(berth_store_blob_path(s, d, path, sizeof(path), NULL), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0400);
  int fd = -1;
  uint64_t size = 0;
  assert_int_equal(berth_store_open_blob(s, d, &fd, &size, NULL), 0);
  assert_int_equal(size, 5);
  close(fd);
  assert_int_equal(berth_store_delete(s, d, NULL), 0);
  assert_false(berth_store_has(s, d));
  assert_int_equal(berth_store_delete(s, d, NULL), 0);
  berth_error *err = NULL;
  assert_int_equal(berth_store_get(s, d, 1024, &data, &len, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  berth_store_free(s);
}

static const char *hello = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

static void test_digest_mismatch_leaves_nothing(void **state) {
  (void)state;
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  struct berth_blob_writer *w = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_blob_writer_new(s, hello, 5, &w, NULL), 0);
  assert_int_equal(berth_blob_writer_write(w, "jello", 5, NULL), 0);
  assert_int_equal(berth_blob_writer_commit(w, &err), -1);
  assert_non_null(strstr(err->msg, "digest mismatch"));
  berth_error_free(err);
  err = NULL;
  berth_blob_writer_free(w);
  assert_false(berth_store_has(s, hello));
  assert_int_equal(count_dir("tmp"), 0);
  assert_int_equal(count_dir("blobs/sha256"), 0);

  /* More than announced: refused at once. */
  assert_int_equal(berth_blob_writer_new(s, hello, 3, &w, NULL), 0);
  assert_int_equal(berth_blob_writer_write(w, "hello", 5, &err), -1);
  assert_non_null(strstr(err->msg, "more than"));
  berth_error_free(err);
  err = NULL;
  berth_blob_writer_free(w);

  /* Fewer than announced: truncated. */
  assert_int_equal(berth_blob_writer_new(s, hello, 6, &w, NULL), 0);
  assert_int_equal(berth_blob_writer_write(w, "hello", 5, NULL), 0);
  assert_int_equal(berth_blob_writer_commit(w, &err), -1);
  assert_non_null(strstr(err->msg, "truncated"));
  berth_error_free(err);
  berth_blob_writer_free(w);
  assert_int_equal(count_dir("tmp"), 0);
  assert_int_equal(count_dir("blobs/sha256"), 0);
  berth_store_free(s);
}

static void test_bad_digest_is_not_a_path(void **state) {
  (void)state;
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  struct berth_blob_writer *w = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_blob_writer_new(s, "sha256:../../../etc/passwd", -1,
                                         &w, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  assert_false(berth_store_has(s, "sha256:../../../etc/passwd"));
  berth_store_free(s);
}

static void test_corrupt_blob_is_detected(void **state) {
  (void)state;
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  char d[BERTH_DIGEST_SIZE], path[4200];
  assert_int_equal(berth_store_put(s, "hello", 5, d, NULL), 0);
  assert_int_equal(berth_store_blob_path(s, d, path, sizeof(path), NULL), 0);
  chmod(path, 0600);
  int fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "HELLO", 5), 5);
  close(fd);
  char *data = NULL;
  size_t len;
  berth_error *err = NULL;
  assert_int_equal(berth_store_get(s, d, 1024, &data, &len, &err), -1);
  assert_non_null(strstr(err->msg, "corrupt"));
  assert_null(data);
  berth_error_free(err);
  berth_store_free(s);
}

/* Many processes storing the same and different blobs at once. */
static void test_concurrent_writers(void **state) {
  (void)state;
  enum { N = 8 };
  pid_t pids[N];
  for (int i = 0; i < N; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      struct berth_store *s = NULL;
      if (berth_store_open(root, &s, NULL) < 0)
        _exit(1);
      char big[200000], d[BERTH_DIGEST_SIZE];
      for (int r = 0; r < 20; r++) {
        memset(big, 'a' + (r % 3), sizeof(big)); /* shared by all */
        if (berth_store_put(s, big, sizeof(big), d, NULL) < 0)
          _exit(2);
        snprintf(big, sizeof(big), "own %d %d", i, r); /* distinct */
        if (berth_store_put(s, big, strlen(big), d, NULL) < 0)
          _exit(3);
      }
      berth_store_free(s);
      _exit(0);
    }
  }
  for (int i = 0; i < N; i++) {
    int st;
    assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
  }
  assert_int_equal(count_dir("tmp"), 0);
  assert_int_equal(count_dir("blobs/sha256"), 3 + N * 20);
  /* Every blob verifies. */
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  char big[200000], d[BERTH_DIGEST_SIZE];
  memset(big, 'b', sizeof(big));
  assert_int_equal(berth_digest_of(big, sizeof(big), d, NULL), 0);
  char *data = NULL;
  size_t len;
  assert_int_equal(berth_store_get(s, d, 1 << 20, &data, &len, NULL), 0);
  assert_int_equal(len, sizeof(big));
  free(data);
  berth_store_free(s);
}

static void test_clean_tmp(void **state) {
  (void)state;
  struct berth_store *s = NULL;
  assert_int_equal(berth_store_open(root, &s, NULL), 0);
  struct berth_blob_writer *w = NULL;
  assert_int_equal(berth_blob_writer_new(s, hello, 5, &w, NULL), 0);
  assert_int_equal(count_dir("tmp"), 1);
  /* A writer killed mid-blob leaves its temp file; it is swept later. */
  assert_int_equal(berth_store_clean_tmp(s, 0, NULL), 0);
  assert_int_equal(count_dir("tmp"), 0);
  berth_blob_writer_free(w);
  berth_store_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_digest_mismatch_leaves_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_digest_is_not_a_path, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_blob_is_detected, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_clean_tmp, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
