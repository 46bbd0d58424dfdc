#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "logwriter.h"

static char dir[] = "/tmp/berth-logwriter-XXXXXX";
static char logpath[256];

/* 2026-11-23T09:12:01.123456789Z */
static int64_t t0(void) {
  struct tm tm = {.tm_year = 126,
                  .tm_mon = 10,
                  .tm_mday = 23,
                  .tm_hour = 9,
                  .tm_min = 12,
                  .tm_sec = 1};
  return (int64_t)timegm(&tm) * 1000000000LL + 123456789;
}

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/berth-logwriter-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(logpath, sizeof(logpath), "%s/ctr-json.log", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(dir, NULL);
}

struct entry {
  char *log;
  size_t len;
  char stream[8];
  char time[40];
};

struct entries {
  struct entry e[4096];
  size_t n;
};

static void entries_free(struct entries *es) {
  for (size_t i = 0; i < es->n; i++)
    free(es->e[i].log);
  es->n = 0;
}

static char *slurp(const char *path, size_t *len) {
  char *data = NULL;
  if (berth_read_file(AT_FDCWD, path, 64 << 20, &data, len, NULL) < 0)
    return NULL;
  return data;
}

/* Appends every line of path to es; each line must be a complete entry
 * with exactly the three fields, and the file must end with '\n'. */
static void read_entries(const char *path, struct entries *es) {
  size_t len;
  char *data = slurp(path, &len);
  assert_non_null(data);
  assert_true(len == 0 || data[len - 1] == '\n');
  char *p = data, *end = data + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    assert_non_null(nl);
    json_error_t jerr;
    json_t *j = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &jerr);
    if (!j)
      fail_msg("line does not parse: %s: %.*s", jerr.text, (int)(nl - p), p);
    assert_int_equal(json_object_size(j), 3);
    json_t *log = json_object_get(j, "log");
    assert_true(json_is_string(log));
    assert_true(es->n < 4096);
    struct entry *e = &es->e[es->n++];
    e->len = json_string_length(log);
    e->log = malloc(e->len + 1);
    memcpy(e->log, json_string_value(log), e->len + 1);
    snprintf(e->stream, sizeof(e->stream), "%s",
             json_string_value(json_object_get(j, "stream")));
    snprintf(e->time, sizeof(e->time), "%s",
             json_string_value(json_object_get(j, "time")));
    json_decref(j);
    p = nl + 1;
  }
  free(data);
}

static void assert_log(const struct entry *e, const char *text) {
  assert_int_equal(e->len, strlen(text));
  assert_memory_equal(e->log, text, e->len);
}

static void test_lines_and_exact_format(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(
      berth_logwriter_write(&w, BERTH_LOG_STDOUT, "hello\nworld\n", 12, t0()),
      0);
  assert_int_equal(
      berth_logwriter_write(&w, BERTH_LOG_STDERR, "oops\n", 5, t0() + 1), 0);
  berth_logwriter_close(&w);

  size_t len;
  char *raw = slurp(logpath, &len);
  assert_non_null(raw);
  const char *first = "{\"log\":\"hello\\n\",\"stream\":\"stdout\","
                      "\"time\":\"2026-11-23T09:12:01.123456789Z\"}\n";
  assert_memory_equal(raw, first, strlen(first));
  free(raw);

  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 3);
  assert_log(&es->e[0], "hello\n");
  assert_log(&es->e[1], "world\n");
  assert_log(&es->e[2], "oops\n");
  assert_string_equal(es->e[1].stream, "stdout");
  assert_string_equal(es->e[2].stream, "stderr");
  assert_string_equal(es->e[2].time, "2026-11-23T09:12:01.123456790Z");
  entries_free(es);
  free(es);
}

static void test_time_format(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  int64_t whole = t0() - 123456789;
  assert_int_equal(berth_logwriter_write(&w, 0, "a\n", 2, whole), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "b\n", 2, whole + 7), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "c\n", 2, 0), 0);
  berth_logwriter_close(&w);
  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 3);
  assert_string_equal(es->e[0].time, "2026-11-23T09:12:01.000000000Z");
  assert_string_equal(es->e[1].time, "2026-11-23T09:12:01.000000007Z");
  assert_string_equal(es->e[2].time, "1970-01-01T00:00:00.000000000Z");
  entries_free(es);
  free(es);
}

/* Partial lines wait for their newline; streams are held separately. */
static void test_partial_lines_held_and_flushed(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, BERTH_LOG_STDOUT, "hel", 3, t0()),
                   0);
  assert_int_equal(berth_logwriter_write(&w, BERTH_LOG_STDERR, "e1", 2, t0()),
                   0);
  struct stat st;
  assert_int_equal(stat(logpath, &st), 0);
  assert_int_equal(st.st_size, 0);
  assert_int_equal(
      berth_logwriter_write(&w, BERTH_LOG_STDERR, "\ne2", 3, t0() + 1), 0);
  assert_int_equal(
      berth_logwriter_write(&w, BERTH_LOG_STDOUT, "lo\nwor", 6, t0() + 2), 0);
  assert_int_equal(berth_logwriter_flush(&w, t0() + 3), 0);
  /* Flushing twice writes nothing more. */
  assert_int_equal(berth_logwriter_flush(&w, t0() + 4), 0);
  berth_logwriter_close(&w);

  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 4);
  assert_log(&es->e[0], "e1\n");
  assert_string_equal(es->e[0].stream, "stderr");
  assert_log(&es->e[1], "hello\n");
  assert_string_equal(es->e[1].stream, "stdout");
  assert_string_equal(es->e[1].time, "2026-11-23T09:12:01.123456791Z");
  /* flush order: stdout, then stderr */
  assert_log(&es->e[2], "wor");
  assert_string_equal(es->e[2].stream, "stdout");
  assert_log(&es->e[3], "e2");
  assert_string_equal(es->e[3].stream, "stderr");
  entries_free(es);
  free(es);
}

static void test_split_at_16k(void **state) {
  (void)state;
  const size_t M = BERTH_LOG_LINE_MAX;
  char *buf = malloc(3 * M);
  struct berth_logwriter *w = malloc(sizeof(*w));
  assert_int_equal(berth_logwriter_open(w, logpath, 0, 1), 0);
  /* 2M + 10 bytes and a newline, fed in odd pieces */
  memset(buf, 'a', 2 * M + 10);
  buf[2 * M + 10] = '\n';
  size_t total = 2 * M + 11, off = 0, step = 1000;
  while (off < total) {
    size_t n = total - off < step ? total - off : step;
    assert_int_equal(berth_logwriter_write(w, 0, buf + off, n, t0()), 0);
    off += n;
  }
  /* exactly M bytes with the newline: one entry */
  memset(buf, 'b', M - 1);
  buf[M - 1] = '\n';
  assert_int_equal(berth_logwriter_write(w, 0, buf, M, t0()), 0);
  /* a 3-byte character across the boundary is not cut in two */
  memset(buf, 'c', M - 1);
  memcpy(buf + M - 1, "\xe2\x82\xac\n", 4);
  assert_int_equal(berth_logwriter_write(w, 0, buf, M + 3, t0()), 0);
  berth_logwriter_close(w);

  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 6);
  assert_int_equal(es->e[0].len, M);
  assert_int_equal(es->e[1].len, M);
  assert_int_equal(es->e[2].len, 11);
  assert_int_equal(es->e[2].log[10], '\n');
  for (size_t i = 0; i < M; i++)
    if (es->e[0].log[i] != 'a' || es->e[1].log[i] != 'a')
      fail_msg("byte %zu changed", i);
  assert_int_equal(es->e[3].len, M);
  assert_int_equal(es->e[3].log[M - 1], '\n');
  assert_int_equal(es->e[4].len, M - 1);
  assert_log(&es->e[5], "\xe2\x82\xac\n");
  entries_free(es);
  free(es);
  free(buf);
  free(w);
}

/* Every byte below 0x20, quote, backslash and DEL survive the round
 * trip, using the short escapes where JSON has them. */
static void test_escapes_every_control_byte(void **state) {
  (void)state;
  char in[64];
  size_t n = 0;
  for (int c = 0; c < 0x20; c++)
    if (c != '\n')
      in[n++] = (char)c;
  in[n++] = '"';
  in[n++] = '\\';
  in[n++] = 0x7f;
  in[n++] = '/';
  in[n++] = '\n';
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, 1, in, n, t0()), 0);
  berth_logwriter_close(&w);

  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 1);
  assert_int_equal(es->e[0].len, n);
  assert_memory_equal(es->e[0].log, in, n);
  entries_free(es);
  free(es);

  size_t len;
  char *raw = slurp(logpath, &len);
  assert_non_null(strstr(raw, "\"log\":\"\\u0000\\u0001"));
  assert_non_null(strstr(raw, "\\u0007\\b\\t\\u000b\\f\\r\\u000e"));
  assert_non_null(strstr(raw, "\\u001f\\\"\\\\\x7f/\\n\""));
  for (size_t i = 0; i < len - 1; i++)
    if ((unsigned char)raw[i] < 0x20)
      fail_msg("raw control byte at %zu", i);
  free(raw);
}

/* Invalid UTF-8 becomes U+FFFD per byte (jansson rejects invalid UTF-8,
 * so parsing at all proves the output is valid JSON). */
static void test_invalid_utf8_replaced(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"\xff", "\xef\xbf\xbd"},
      {"\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong */
      {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xe2\x82"
       "A",
       "\xef\xbf\xbd\xef\xbf\xbd"
       "A"}, /* cut short */
      {"\x80", "\xef\xbf\xbd"},
      {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", /* valid: kept as is */
       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
      {"\xf0\x9f\x98", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* at end */
  };
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char line[32];
    int n = snprintf(line, sizeof(line), "<%s>\n", cases[i].in);
    assert_int_equal(berth_logwriter_write(&w, 0, line, (size_t)n, t0()), 0);
  }
  /* an unfinished character at EOF, written by flush */
  assert_int_equal(berth_logwriter_write(&w, 0, "z\xe2\x82", 3, t0()), 0);
  assert_int_equal(berth_logwriter_flush(&w, t0()), 0);
  berth_logwriter_close(&w);

  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  size_t nc = sizeof(cases) / sizeof(cases[0]);
  assert_int_equal(es->n, nc + 1);
  for (size_t i = 0; i < nc; i++) {
    char want[64];
    snprintf(want, sizeof(want), "<%s>\n", cases[i].out);
    assert_log(&es->e[i], want);
  }
  assert_log(&es->e[nc], "z\xef\xbf\xbd\xef\xbf\xbd");
  entries_free(es);
  free(es);
}

static void rotated(char *buf, size_t size, int i) {
  if (i == 0)
    snprintf(buf, size, "%s", logpath);
  else
    snprintf(buf, size, "%s.%d", logpath, i);
}

static bool exists(int i) {
  char p[300];
  struct stat st;
  rotated(p, sizeof(p), i);
  return stat(p, &st) == 0;
}

/* Same-size entries "line 0000\n".."line 0099\n": the kept files hold a
 * contiguous run ending at the last line, the rotated ones full. */
static void test_rotation_keeps_max_files(void **state) {
  (void)state;
  struct berth_logwriter w;
  const uint64_t max = 1000;
  assert_int_equal(berth_logwriter_open(&w, logpath, max, 3), 0);
  for (int i = 0; i < 100; i++) {
    char line[32];
    int n = snprintf(line, sizeof(line), "line %04d\n", i);
    assert_int_equal(berth_logwriter_write(&w, 0, line, (size_t)n, t0()), 0);
  }
  berth_logwriter_close(&w);
  assert_true(exists(0) && exists(1) && exists(2));
  assert_false(exists(3));
  char tmp[300];
  struct stat st;
  snprintf(tmp, sizeof(tmp), "%s.tmp", logpath);
  assert_int_equal(stat(tmp, &st), -1);

  struct entries *es = calloc(1, sizeof(*es));
  size_t counts[3];
  for (int f = 2; f >= 0; f--) {
    char p[300];
    rotated(p, sizeof(p), f);
    assert_int_equal(stat(p, &st), 0);
    assert_true((uint64_t)st.st_size <= max);
    size_t before = es->n;
    read_entries(p, es);
    counts[f] = es->n - before;
  }
  size_t esize = 0;
  {
    char p[300];
    rotated(p, sizeof(p), 2);
    stat(p, &st);
    esize = (size_t)st.st_size / counts[2];
  }
  size_t per_file = max / esize;
  assert_int_equal(counts[2], per_file);
  assert_int_equal(counts[1], per_file);
  size_t rest = 100 % per_file ? 100 % per_file : per_file;
  assert_int_equal(counts[0], rest);
  size_t first = 100 - es->n;
  for (size_t i = 0; i < es->n; i++) {
    char want[32];
    snprintf(want, sizeof(want), "line %04zu\n", first + i);
    assert_log(&es->e[i], want);
  }
  entries_free(es);
  free(es);
}

/* max_files 1: rotation starts the file afresh; an entry larger than
 * max_size still gets written, alone in its file, never rotating an
 * empty file away. */
static void test_rotation_single_file_and_big_entries(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 10, 0), 0);
  assert_int_equal(w.max_files, 1);
  assert_int_equal(berth_logwriter_write(&w, 0, "one\ntwo\n", 8, t0()), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "three\n", 6, t0()), 0);
  berth_logwriter_close(&w);
  assert_false(exists(1));
  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 1);
  assert_log(&es->e[0], "three\n");
  entries_free(es);

  assert_int_equal(unlink(logpath), 0);
  assert_int_equal(berth_logwriter_open(&w, logpath, 10, 5), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "a\nb\nc\n", 6, t0()), 0);
  berth_logwriter_close(&w);
  const char *want[] = {"a\n", "b\n", "c\n"};
  for (int f = 2; f >= 0; f--) {
    char p[300];
    rotated(p, sizeof(p), f);
    read_entries(p, es);
    assert_int_equal(es->n, 1);
    assert_log(&es->e[0], want[2 - f]);
    entries_free(es);
  }
  assert_false(exists(3));
  free(es);
}

/* Reopening appends, and the existing size counts toward max_size. */
static void test_reopen_appends(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "1\n2\n", 4, t0()), 0);
  berth_logwriter_close(&w);
  struct stat st;
  assert_int_equal(stat(logpath, &st), 0);
  uint64_t two = (uint64_t)st.st_size;

  assert_int_equal(berth_logwriter_open(&w, logpath, two + two / 4, 2), 0);
  assert_int_equal(w.size, two);
  assert_int_equal(berth_logwriter_write(&w, 0, "3\n", 2, t0()), 0);
  berth_logwriter_close(&w);
  struct entries *es = calloc(1, sizeof(*es));
  char p1[300];
  rotated(p1, sizeof(p1), 1);
  read_entries(p1, es);
  read_entries(logpath, es);
  assert_int_equal(es->n, 3);
  assert_log(&es->e[0], "1\n");
  assert_log(&es->e[1], "2\n");
  assert_log(&es->e[2], "3\n");
  entries_free(es);

  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "4\n", 2, t0()), 0);
  berth_logwriter_close(&w);
  read_entries(logpath, es);
  assert_int_equal(es->n, 2);
  assert_log(&es->e[1], "4\n");
  entries_free(es);
  free(es);
}

/* A torn last line left by a crash is ended, not glued to the next. */
static void test_reopen_after_torn_line(void **state) {
  (void)state;
  int fd = open(logpath, O_WRONLY | O_CREAT, 0640);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"log\":\"to", 10), 10);
  close(fd);
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(w.size, 11);
  assert_int_equal(berth_logwriter_write(&w, 0, "new\n", 4, t0()), 0);
  berth_logwriter_close(&w);
  size_t len;
  char *raw = slurp(logpath, &len);
  const char *want = "{\"log\":\"to\n{\"log\":\"new\\n\",";
  assert_memory_equal(raw, want, strlen(want));
  struct entries *es = calloc(1, sizeof(*es));
  char good[300];
  snprintf(good, sizeof(good), "%s.good", logpath);
  int gfd = open(good, O_WRONLY | O_CREAT, 0640);
  assert_int_equal(write(gfd, raw + 11, len - 11), (ssize_t)(len - 11));
  close(gfd);
  free(raw);
  read_entries(good, es);
  assert_int_equal(es->n, 1);
  assert_log(&es->e[0], "new\n");
  entries_free(es);
  free(es);
}

static void test_open_errors(void **state) {
  (void)state;
  struct berth_logwriter w;
  char p[300];
  snprintf(p, sizeof(p), "%s/missing/dir/log", dir);
  assert_int_equal(berth_logwriter_open(&w, p, 0, 1), -ENOENT);
  assert_null(w.path);
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, 7, "x\n", 2, 0), -EINVAL);
  berth_logwriter_close(&w);
}

/* A write cut short (here by RLIMIT_FSIZE) reports the error and leaves
 * no torn fragment: the file still parses, and later writes work.  In a
 * child, as the limit applies to the whole process. */
static void test_failed_write_leaves_no_fragment(void **state) {
  (void)state;
  struct berth_logwriter w;
  assert_int_equal(berth_logwriter_open(&w, logpath, 0, 1), 0);
  assert_int_equal(berth_logwriter_write(&w, 0, "ok\n", 3, t0()), 0);
  uint64_t size = w.size;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = size + 20, .rlim_max = RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
      _exit(2);
    if (berth_logwriter_write(&w, 0, "this entry is too long\n", 23, t0()) !=
        -EFBIG)
      _exit(3);
    if (w.size != size)
      _exit(4);
    rl.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &rl);
    if (berth_logwriter_write(&w, 0, "after\n", 6, t0()) != 0)
      _exit(5);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  berth_logwriter_close(&w);
  struct entries *es = calloc(1, sizeof(*es));
  read_entries(logpath, es);
  assert_int_equal(es->n, 2);
  assert_log(&es->e[0], "ok\n");
  assert_log(&es->e[1], "after\n");
  entries_free(es);
  free(es);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lines_and_exact_format, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_time_format, setup, teardown),
      cmocka_unit_test_setup_teardown(test_partial_lines_held_and_flushed,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_split_at_16k, setup, teardown),
      cmocka_unit_test_setup_teardown(test_escapes_every_control_byte, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invalid_utf8_replaced, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rotation_keeps_max_files, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rotation_single_file_and_big_entries,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reopen_appends, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reopen_after_torn_line, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_fragment,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
