#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "logs.h"
#include "logwriter.h"

static char dir[] = "/tmp/berth-logs-XXXXXX";
static char logpath[256];

#define SEC 1000000000LL
/* 2026-11-23T09:12:01Z */
#define T0 1795425121LL

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/berth-logs-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(logpath, sizeof(logpath), "%s/ctr-json.log", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(dir, NULL);
}

/* ---- collecting what the reader delivers ---- */

struct got {
  char *line;
  size_t len;
  bool is_stderr;
  int64_t time_ns;
  char time_text[40];
};

struct sink {
  struct got *e;
  size_t n, cap;
  int stop_after; /* > 0: return -ECANCELED at this many entries */
  /* follow tests */
  bool (*running)(struct sink *s);
  int calls;
  struct berth_logwriter *w;
  atomic_bool writer_done;
};

static int collect(const struct berth_log_entry *e, void *data) {
  struct sink *s = data;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->e = realloc(s->e, s->cap * sizeof(*s->e));
  }
  struct got *g = &s->e[s->n++];
  g->line = malloc(e->len + 1);
  memcpy(g->line, e->line, e->len);
  g->line[e->len] = '\0';
  g->len = e->len;
  g->is_stderr = e->is_stderr;
  g->time_ns = e->time_ns;
  snprintf(g->time_text, sizeof(g->time_text), "%s", e->time_text);
  if (s->stop_after > 0 && s->n == (size_t)s->stop_after)
    return -ECANCELED;
  return 0;
}

static void sink_free(struct sink *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->e[i].line);
  free(s->e);
  s->e = NULL;
  s->n = s->cap = 0;
}

static int read_log(struct sink *s, const struct berth_logs_opts *o) {
  berth_error *err = NULL;
  int rc = berth_logs_read(logpath, o, collect, s, &err);
  if (rc < 0) {
    assert_non_null(err);
    berth_error_free(err);
  } else
    assert_null(err);
  return rc;
}

static const struct berth_logs_opts all = {.tail = -1};

/* ---- writing logs ---- */

static struct berth_logwriter *wopen(uint64_t max_size, int max_files) {
  struct berth_logwriter *w = malloc(sizeof(*w));
  assert_int_equal(berth_logwriter_open(w, logpath, max_size, max_files), 0);
  return w;
}

static void wclose(struct berth_logwriter *w) {
  berth_logwriter_close(w);
  free(w);
}

/* "line N\n" at T0 + N seconds; odd lines on stderr. */
static void put_line(struct berth_logwriter *w, int i) {
  char line[64];
  int n = snprintf(line, sizeof(line), "line %d\n", i);
  assert_int_equal(
      berth_logwriter_write(w, i % 2 ? BERTH_LOG_STDERR : BERTH_LOG_STDOUT,
                            line, (size_t)n, (T0 + i) * SEC),
      0);
}

static void write_lines(int from, int to, uint64_t max_size, int max_files) {
  struct berth_logwriter *w = wopen(max_size, max_files);
  for (int i = from; i < to; i++)
    put_line(w, i);
  wclose(w);
}

static void append_raw(const char *text) {
  FILE *f = fopen(logpath, "a");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The sink holds exactly "line from".."line to-1", in order. */
static void assert_lines(const struct sink *s, int from, int to) {
  for (int i = from; i < to && (size_t)(i - from) < s->n; i++) {
    char want[64];
    snprintf(want, sizeof(want), "line %d\n", i);
    const struct got *g = &s->e[i - from];
    if (strcmp(g->line, want) != 0)
      fail_msg("entry %d: got %s", i - from, g->line);
    assert_int_equal(g->is_stderr, i % 2 == 1);
    assert_int_equal(g->time_ns, (T0 + i) * SEC);
  }
  assert_int_equal(s->n, (size_t)(to - from));
}

/* ---- plain reads ---- */

static void test_read_all(void **state) {
  (void)state;
  write_lines(0, 5, 0, 1);
  struct sink s = {0};
  assert_int_equal(read_log(&s, &all), 0);
  assert_lines(&s, 0, 5);
  assert_string_equal(s.e[1].time_text, "2026-11-23T09:12:02.000000000Z");
  sink_free(&s);
}

static void test_exact_content_roundtrip(void **state) {
  (void)state;
  struct berth_logwriter *w = wopen(0, 1);
  const char text[] = "nul\0tab\tquote\"bs\\\xc3\xa9\n";
  assert_int_equal(berth_logwriter_write(w, BERTH_LOG_STDOUT, text,
                                         sizeof(text) - 1, 123456789),
                   0);
  assert_int_equal(
      berth_logwriter_write(w, BERTH_LOG_STDERR, "no newline", 10, 5 * SEC), 0);
  assert_int_equal(berth_logwriter_flush(w, 6 * SEC), 0);
  wclose(w);
  struct sink s = {0};
  assert_int_equal(read_log(&s, &all), 0);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.e[0].len, sizeof(text) - 1);
  assert_memory_equal(s.e[0].line, text, sizeof(text) - 1);
  assert_int_equal(s.e[0].time_ns, 123456789);
  assert_string_equal(s.e[0].time_text, "1970-01-01T00:00:00.123456789Z");
  assert_string_equal(s.e[1].line, "no newline");
  assert_true(s.e[1].is_stderr);
  assert_int_equal(s.e[1].time_ns, 6 * SEC);
  sink_free(&s);
}

static void test_missing_file_is_empty(void **state) {
  (void)state;
  struct sink s = {0};
  assert_int_equal(read_log(&s, &all), 0);
  assert_int_equal(s.n, 0);
  struct berth_logs_opts o = {.tail = 3};
  assert_int_equal(read_log(&s, &o), 0);
  assert_int_equal(s.n, 0);
}

static void test_tail(void **state) {
  (void)state;
  write_lines(0, 100, 0, 1);
  struct sink s = {0};
  struct berth_logs_opts o = {.tail = 10};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 90, 100);
  sink_free(&s);
  o.tail = 1;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 99, 100);
  sink_free(&s);
  o.tail = 0;
  assert_int_equal(read_log(&s, &o), 0);
  assert_int_equal(s.n, 0);
  o.tail = 1000;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 0, 100);
  sink_free(&s);
  o.tail = 100;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 0, 100);
  sink_free(&s);
}

/* Lines far longer than the read chunk make the backward scan grow its
 * window: 16 KiB of control bytes is ~96 KiB of JSON per line. */
static void test_tail_long_lines(void **state) {
  (void)state;
  struct berth_logwriter *w = wopen(0, 1);
  char *buf = malloc(BERTH_LOG_LINE_MAX);
  for (int i = 0; i < 10; i++) {
    memset(buf, 0x0e + i, BERTH_LOG_LINE_MAX - 1);
    buf[BERTH_LOG_LINE_MAX - 1] = '\n';
    assert_int_equal(
        berth_logwriter_write(w, 0, buf, BERTH_LOG_LINE_MAX, (T0 + i) * SEC),
        0);
  }
  wclose(w);
  struct stat st;
  assert_int_equal(stat(logpath, &st), 0);
  assert_true(st.st_size > 10 * 6 * (BERTH_LOG_LINE_MAX - 1));
  struct sink s = {0};
  struct berth_logs_opts o = {.tail = 3};
  assert_int_equal(read_log(&s, &o), 0);
  assert_int_equal(s.n, 3);
  for (int k = 0; k < 3; k++) {
    assert_int_equal(s.e[k].len, BERTH_LOG_LINE_MAX);
    memset(buf, 0x0e + 7 + k, BERTH_LOG_LINE_MAX - 1);
    assert_memory_equal(s.e[k].line, buf, BERTH_LOG_LINE_MAX - 1);
  }
  sink_free(&s);
  free(buf);
}

static void test_since_until(void **state) {
  (void)state;
  write_lines(0, 10, 0, 1);
  struct sink s = {0};
  struct berth_logs_opts o = {
      .tail = -1, .since_ns = (T0 + 3) * SEC, .until_ns = (T0 + 6) * SEC};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 3, 7);
  sink_free(&s);
  /* --tail counts entries inside the window */
  o.tail = 2;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 5, 7);
  sink_free(&s);
  o.tail = 50;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 3, 7);
  sink_free(&s);
  o = (struct berth_logs_opts){.tail = -1, .since_ns = (T0 + 8) * SEC + 1};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 9, 10);
  sink_free(&s);
  o = (struct berth_logs_opts){.tail = -1, .until_ns = T0 * SEC - 1};
  assert_int_equal(read_log(&s, &o), 0);
  assert_int_equal(s.n, 0);
}

static int count_rotated(void) {
  int k = 0;
  char p[300];
  struct stat st;
  for (;; k++) {
    snprintf(p, sizeof(p), "%s.%d", logpath, k + 1);
    if (stat(p, &st) < 0)
      return k;
  }
}

/* path.N .. path.1, path are read oldest first, for all and for tail. */
static void test_rotated_set_in_order(void **state) {
  (void)state;
  write_lines(0, 200, 700, 100);
  assert_true(count_rotated() >= 15);
  struct sink s = {0};
  assert_int_equal(read_log(&s, &all), 0);
  assert_lines(&s, 0, 200);
  sink_free(&s);
  struct berth_logs_opts o = {.tail = 45};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 155, 200);
  sink_free(&s);
  o.since_ns = (T0 + 20) * SEC;
  o.tail = -1;
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 20, 200);
  sink_free(&s);
}

/* With the oldest files dropped, what is left is still in order. */
static void test_rotated_set_with_drops(void **state) {
  (void)state;
  struct sink s = {0};
  write_lines(200, 300, 700, 3);
  assert_int_equal(count_rotated(), 2);
  assert_int_equal(read_log(&s, &all), 0);
  assert_true(s.n > 0 && s.n < 50);
  assert_lines(&s, 300 - (int)s.n, 300);
  sink_free(&s);
}

/* A crash can leave a torn last line; garbage lines and lines longer
 * than any entry are skipped too. */
static void test_malformed_lines_skipped(void **state) {
  (void)state;
  write_lines(0, 3, 0, 1);
  append_raw("not json\n{\"log\":\"x\"}\n{\"log\":1,\"stream\":\"stdout\","
             "\"time\":\"2026-11-23T09:12:01Z\"}\n"
             "{\"log\":\"x\",\"stream\":\"stdin\","
             "\"time\":\"2026-11-23T09:12:01Z\"}\n"
             "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n");
  char *big = malloc(300 * 1024 + 2);
  memset(big, 'x', 300 * 1024);
  strcpy(big + 300 * 1024, "\n");
  append_raw(big);
  free(big);
  write_lines(3, 5, 0, 1);
  append_raw("{\"log\":\"torn li");
  struct sink s = {0};
  assert_int_equal(read_log(&s, &all), 0);
  assert_lines(&s, 0, 5);
  sink_free(&s);
  struct berth_logs_opts o = {.tail = 3};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 2, 5);
  sink_free(&s);
}

static void test_callback_stops_read(void **state) {
  (void)state;
  write_lines(0, 10, 0, 1);
  struct sink s = {.stop_after = 4};
  berth_error *err = NULL;
  assert_int_equal(berth_logs_read(logpath, &all, collect, &s, &err),
                   -ECANCELED);
  assert_non_null(err);
  berth_error_free(err);
  assert_lines(&s, 0, 4);
  sink_free(&s);
}

/* ---- follow ---- */

static bool still_running(void *data) {
  struct sink *s = data;
  s->calls++;
  return s->running(s);
}

static bool until_writer_done(struct sink *s) {
  return !atomic_load(&s->writer_done);
}

#define FOLLOW_LINES 1500

/* Writes in bursts with pauses, rotating every ~27 entries, starting
 * while the reader already waits for the file to appear. */
static void *writer_thread(void *arg) {
  struct sink *s = arg;
  struct timespec pause = {0, 2 * 1000 * 1000};
  nanosleep(&pause, NULL);
  struct berth_logwriter *w = malloc(sizeof(*w));
  if (berth_logwriter_open(w, logpath, 2048, 100) < 0)
    abort();
  for (int i = 0; i < FOLLOW_LINES; i++) {
    char line[64];
    int n = snprintf(line, sizeof(line), "line %d\n", i);
    /* half a line now, the rest later: only whole lines reach the file */
    berth_logwriter_write(w, i % 2, line, 3, (T0 + i) * SEC);
    berth_logwriter_write(w, i % 2, line + 3, (size_t)n - 3, (T0 + i) * SEC);
    if (i % 25 == 0)
      nanosleep(&pause, NULL);
  }
  berth_logwriter_close(w);
  free(w);
  atomic_store(&s->writer_done, true);
  return NULL;
}

static void test_follow_with_writer_thread(void **state) {
  (void)state;
  struct sink s = {.running = until_writer_done};
  pthread_t t;
  struct berth_logs_opts o = {
      .tail = -1, .follow = true, .still_running = still_running};
  assert_int_equal(pthread_create(&t, NULL, writer_thread, &s), 0);
  int rc = read_log(&s, &o);
  pthread_join(t, NULL);
  assert_int_equal(rc, 0);
  assert_true(count_rotated() > 20);
  assert_true(s.calls >= 1);
  assert_lines(&s, 0, FOLLOW_LINES);
  sink_free(&s);
}

/* Scripted from still_running (every ~200 ms, on the reader's thread):
 * several rotations between two looks, so the file the reader holds is
 * path.2 or older by then. */
static bool scripted_rotations(struct sink *s) {
  switch (s->calls) {
  case 1:
    for (int i = 10; i < 20; i++)
      put_line(s->w, i);
    return true;
  case 2:
    for (int i = 20; i < 60; i++)
      put_line(s->w, i);
    return true;
  case 3:
    return true;
  default:
    for (int i = 60; i < 65; i++)
      put_line(s->w, i);
    return false; /* written before the "stop": still delivered */
  }
}

static void test_follow_multiple_rotations_between_polls(void **state) {
  (void)state;
  struct sink s = {.running = scripted_rotations};
  s.w = wopen(200, 40);
  for (int i = 0; i < 10; i++)
    put_line(s.w, i);
  struct berth_logs_opts o = {
      .tail = 4, .follow = true, .still_running = still_running};
  assert_int_equal(read_log(&s, &o), 0);
  wclose(s.w);
  assert_true(count_rotated() >= 10);
  assert_lines(&s, 6, 65);
  sink_free(&s);
}

/* max_files 1: the file is replaced, the reader drains the old one. */
static bool scripted_replace(struct sink *s) {
  if (s->calls == 1) {
    for (int i = 3; i < 6; i++)
      put_line(s->w, i);
    return true;
  }
  if (s->calls == 2)
    put_line(s->w, 6);
  return s->calls < 3;
}

static void test_follow_single_file_replaced(void **state) {
  (void)state;
  struct sink s = {.running = scripted_replace};
  s.w = wopen(200, 1);
  for (int i = 0; i < 3; i++)
    put_line(s.w, i);
  struct berth_logs_opts o = {
      .tail = -1, .follow = true, .still_running = still_running};
  assert_int_equal(read_log(&s, &o), 0);
  wclose(s.w);
  assert_int_equal(count_rotated(), 0);
  /* two entries fit in a file: lines 0 and 1 were gone before the read */
  assert_lines(&s, 2, 7);
  sink_free(&s);
}

/* The log appears only after the read began, rotated several times
 * before the reader looks again: nothing of it may be missed. */
static bool scripted_create(struct sink *s) {
  if (s->calls == 1) {
    write_lines(0, 10, 200, 40);
    assert_true(count_rotated() >= 3);
  }
  return s->calls < 2;
}

static void test_follow_log_created_later(void **state) {
  (void)state;
  struct sink s = {.running = scripted_create};
  struct berth_logs_opts o = {
      .tail = 5, .follow = true, .still_running = still_running};
  assert_int_equal(read_log(&s, &o), 0);
  assert_lines(&s, 0, 10);
  sink_free(&s);
}

/* --tail 0 with --follow: only what comes later; a partial line being
 * written when the read starts is delivered once complete. */
static bool scripted_tail0(struct sink *s) {
  if (s->calls == 1) {
    assert_int_equal(
        berth_logwriter_write(s->w, 0, "line 10\n", 8, (T0 + 10) * SEC), 0);
    return true;
  }
  return false;
}

static void test_follow_tail_zero(void **state) {
  (void)state;
  write_lines(0, 10, 0, 1);
  struct sink s = {.running = scripted_tail0};
  s.w = wopen(0, 1);
  struct berth_logs_opts o = {
      .tail = 0, .follow = true, .still_running = still_running};
  assert_int_equal(read_log(&s, &o), 0);
  wclose(s.w);
  assert_lines(&s, 10, 11);
  sink_free(&s);
}

/* ---- --since / --until values ---- */

static int64_t parse(const char *s, int64_t now) {
  int64_t v = 0;
  berth_error *err = NULL;
  if (berth_parse_log_time("--since", s, now, &v, &err) < 0) {
    fail_msg("%s: %s", s, err->msg);
  }
  return v;
}

static void test_parse_log_time(void **state) {
  (void)state;
  int64_t now = 1800000000LL * SEC;
  assert_int_equal(parse("2026-11-23T09:12:01Z", now), T0 * SEC);
  assert_int_equal(parse("2026-11-23T09:12:01.5Z", now), T0 * SEC + SEC / 2);
  assert_int_equal(parse("2026-11-23T09:12:01.123456789123Z", now),
                   T0 * SEC + 123456789);
  assert_int_equal(parse("2026-11-23T10:12:01+01:00", now), T0 * SEC);
  assert_int_equal(parse("2026-11-23T03:42:01-05:30", now), T0 * SEC);
  assert_int_equal(parse("2024-02-29T00:00:00Z", now), 1709164800LL * SEC);
  assert_int_equal(parse("1970-01-01T00:00:00Z", now), 0);
  assert_int_equal(parse("1700000000", now), 1700000000LL * SEC);
  assert_int_equal(parse("1700000000.5", now), 1700000000LL * SEC + SEC / 2);
  assert_int_equal(parse("1700000000.000000001", now), 1700000000LL * SEC + 1);
  assert_int_equal(parse("10m", now), now - 600 * SEC);
  assert_int_equal(parse("1h30m", now), now - 5400 * SEC);
  assert_int_equal(parse("1.5s", now), now - 1500000000LL);
  assert_int_equal(parse("500ms", now), now - 500000000LL);
  assert_int_equal(parse("2h45m30.5s", now), now - 9930500000000LL);
  assert_int_equal(parse("1us", now), now - 1000);
  assert_int_equal(parse("1\xc2\xb5s", now), now - 1000);
  assert_int_equal(parse("7ns", now), now - 7);
  assert_int_equal(parse(".5h", now), now - 1800 * SEC);
  assert_int_equal(parse("-1m", now), now + 60 * SEC);

  static const char *bad[] = {
      "",
      "abc",
      "10x",
      "1.2.3",
      "h",
      ".s",
      "1h30",
      "2026-13-01T00:00:00Z",
      "2026-02-29T00:00:00Z",
      "2026-11-23T10:00:00",
      "2026-11-23T24:00:00Z",
      "2026-11-23T10:00:00+1:00",
      "2026-11-23T10:00:00.Z",
      "1700000000.",
      "99999999999999999999",
      "9999999999h",
      "2026-11-23T10:00:00Zjunk",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    berth_error *err = NULL;
    int64_t v = 42;
    if (berth_parse_log_time("--until", bad[i], now, &v, &err) != -1)
      fail_msg("accepted `%s`", bad[i]);
    assert_non_null(err);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_non_null(strstr(err->msg, "--until"));
    assert_int_equal(v, 42);
    berth_error_free(err);
  }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_read_all),
      T(test_exact_content_roundtrip),
      T(test_missing_file_is_empty),
      T(test_tail),
      T(test_tail_long_lines),
      T(test_since_until),
      T(test_rotated_set_in_order),
      T(test_rotated_set_with_drops),
      T(test_malformed_lines_skipped),
      T(test_callback_stops_read),
      T(test_follow_with_writer_thread),
      T(test_follow_multiple_rotations_between_polls),
      T(test_follow_single_file_replaced),
      T(test_follow_log_created_later),
      T(test_follow_tail_zero),
      cmocka_unit_test(test_parse_log_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
