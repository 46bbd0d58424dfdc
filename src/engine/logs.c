/* Reading json-file logs (see logs.h and monitor/logwriter.h).
 *
 * Memory stays bounded whatever the size of the files: lines are read in
 * chunks through one buffer, --tail scans backwards from the end, and a
 * line longer than anything the writer produces is skipped unread. */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* The writer's longest entry is ~96 KiB (16 KiB of text, each byte
 * escaped to six); anything much longer is not an entry. */
#define LINE_LIMIT (256 * 1024)
#define CHUNK (64 * 1024)
#define BUF_CAP (LINE_LIMIT + CHUNK)
#define TICK_MS 200
/* Bounds the search for path.N when counting rotated files. */
#define MAX_ROTATED 100000
#define NS_PER_SEC 1000000000LL

struct reader {
  const char *path;
  const struct berth_logs_opts *opts;
  int (*cb)(const struct berth_log_entry *e, void *data);
  void *data;
  char *buf;      /* BUF_CAP bytes */
  size_t len;     /* bytes of an unfinished line held at buf[0] */
  bool skipping;  /* inside an over-long line: drop bytes until '\n' */
  bool done;      /* an entry after --until was seen: nothing more to give */
  bool seen_file; /* some file of the log existed when we looked */
};

/* ---- time parsing ---- */

static bool take_digits(const char **p, const char *end, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (*p >= end || (**p < '0' || **p > '9'))
      return false;
    v = v * 10 + (*(*p)++ - '0');
  }
  *out = v;
  return true;
}

static bool take_char(const char **p, const char *end, const char *set) {
  if (*p >= end || !strchr(set, **p) || **p == '\0')
    return false;
  (*p)++;
  return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so parsing never depends on the TZ environment. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

/* Fraction digits after '.' as nanoseconds; digits past the ninth are
 * dropped (truncation, as Go does). */
static bool take_fraction(const char **p, const char *end, int64_t *ns) {
  int64_t v = 0, n = 0;
  const char *start = *p;
  while (*p < end && **p >= '0' && **p <= '9') {
    if (n < 9) {
      v = v * 10 + (**p - '0');
      n++;
    }
    (*p)++;
  }
  for (; n < 9; n++)
    v *= 10;
  *ns = v;
  return *p > start;
}

static bool secs_to_ns(int64_t sec, int64_t frac, int64_t *out) {
  int64_t v;
  if (__builtin_mul_overflow(sec, NS_PER_SEC, &v) ||
      __builtin_add_overflow(v, frac, &v))
    return false;
  *out = v;
  return true;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm). */
static bool parse_rfc3339(const char *s, size_t len, int64_t *out) {
  const char *p = s, *end = s + len;
  int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
  int64_t frac = 0;
  if (!take_digits(&p, end, 4, &y) || !take_char(&p, end, "-") ||
      !take_digits(&p, end, 2, &mo) || !take_char(&p, end, "-") ||
      !take_digits(&p, end, 2, &d) || !take_char(&p, end, "Tt") ||
      !take_digits(&p, end, 2, &h) || !take_char(&p, end, ":") ||
      !take_digits(&p, end, 2, &mi) || !take_char(&p, end, ":") ||
      !take_digits(&p, end, 2, &sec))
    return false;
  if (take_char(&p, end, ".") && !take_fraction(&p, end, &frac))
    return false;
  if (!take_char(&p, end, "Zz")) {
    if (p >= end || (*p != '+' && *p != '-'))
      return false;
    sign = *p++ == '-' ? -1 : 1;
    if (!take_digits(&p, end, 2, &oh) || !take_char(&p, end, ":") ||
        !take_digits(&p, end, 2, &om) || oh > 23 || om > 59)
      return false;
  }
  if (p != end || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
      h > 23 || mi > 59 || sec > 59)
    return false;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                 sign * (oh * 3600 + om * 60);
  return secs_to_ns(secs, frac, out);
}

/* "1700000000" or "1700000000.5": seconds since the epoch. */
static bool parse_unix(const char *s, int64_t *out) {
  const char *p = s, *end = s + strlen(s);
  int64_t sec = 0, frac = 0;
  if (p == end)
    return false;
  for (; p < end && *p >= '0' && *p <= '9'; p++)
    if (__builtin_mul_overflow(sec, 10, &sec) ||
        __builtin_add_overflow(sec, *p - '0', &sec))
      return false;
  if (p == s)
    return false;
  if (take_char(&p, end, ".") && !take_fraction(&p, end, &frac))
    return false;
  return p == end && secs_to_ns(sec, frac, out);
}

static const struct {
  const char *name;
  int64_t ns;
} duration_units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000},
    {"\xce\xbcs", 1000},
    {"ms", 1000000},
    {"s", NS_PER_SEC},
    {"m", 60 * NS_PER_SEC},
    {"h", 3600 * NS_PER_SEC},
};

/* The unit at p (longest match, so "ms" is not "m" then "s"). */
static int64_t take_unit(const char **p, const char *end) {
  int64_t best = 0;
  size_t best_len = 0;
  for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
    size_t n = strlen(duration_units[i].name);
    if (n > best_len && (size_t)(end - *p) >= n &&
        memcmp(*p, duration_units[i].name, n) == 0) {
      best = duration_units[i].ns;
      best_len = n;
    }
  }
  *p += best_len;
  return best;
}

/* One "1.5h" element of a Go duration, added to *total. */
static bool take_duration_elem(const char **p, const char *end,
                               int64_t *total) {
  int64_t whole = 0;
  uint64_t frac = 0, scale = 1;
  const char *start = *p;
  for (; *p < end && **p >= '0' && **p <= '9'; (*p)++)
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, **p - '0', &whole))
      return false;
  bool had_whole = *p > start;
  if (*p < end && **p == '.') {
    (*p)++;
    const char *fs = *p;
    for (; *p < end && **p >= '0' && **p <= '9'; (*p)++)
      if (scale < 1000000000000000000ULL) {
        frac = frac * 10 + (uint64_t)(**p - '0');
        scale *= 10;
      }
    if (!had_whole && *p == fs)
      return false;
  } else if (!had_whole)
    return false;
  int64_t unit = take_unit(p, end);
  if (unit == 0)
    return false;
  int64_t v = (int64_t)((unsigned __int128)frac * (uint64_t)unit / scale);
  int64_t w;
  return !__builtin_mul_overflow(whole, unit, &w) &&
         !__builtin_add_overflow(w, v, &w) &&
         !__builtin_add_overflow(*total, w, total);
}

/* Go's time.ParseDuration syntax: [-+]?(number unit)+ or "0". */
static bool parse_duration(const char *s, int64_t *out) {
  const char *p = s, *end = s + strlen(s);
  int64_t sign = 1, total = 0;
  if (p < end && (*p == '-' || *p == '+'))
    sign = *p++ == '-' ? -1 : 1;
  if (end - p == 1 && *p == '0') {
    *out = 0;
    return true;
  }
  if (p == end)
    return false;
  while (p < end)
    if (!take_duration_elem(&p, end, &total))
      return false;
  *out = sign * total;
  return true;
}

int berth_parse_log_time(const char *flag, const char *s, int64_t now_ns,
                         int64_t *out_ns, berth_error **err) {
  int64_t v, d;
  /* RFC 3339 is tried first: "2026-..." is never a Unix time or a
   * duration, and a bare number never RFC 3339. */
  if (parse_rfc3339(s, strlen(s), &v) || parse_unix(s, &v)) {
    *out_ns = v;
    return 0;
  }
  if (parse_duration(s, &d) && !__builtin_sub_overflow(now_ns, d, &v)) {
    *out_ns = v;
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s `%s`: expected an RFC 3339 time "
                         "(2026-11-23T10:00:00Z), a Unix time or a "
                         "duration (10m, 1h30m)",
                         flag, s);
}

/* ---- entries ---- */

/* Fills *e from one line (without its '\n'); returns the parsed document
 * the entry borrows from, or NULL when the line is not a valid entry. */
static json_t *parse_entry(const char *line, size_t len,
                           struct berth_log_entry *e) {
  /* The writer escapes NUL bytes of the output as \u0000. */
  json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
  if (!j)
    return NULL;
  json_t *log = json_object_get(j, "log");
  const char *stream = json_string_value(json_object_get(j, "stream"));
  json_t *time = json_object_get(j, "time");
  if (!json_is_string(log) || !stream || !json_is_string(time) ||
      (strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0) ||
      !parse_rfc3339(json_string_value(time), json_string_length(time),
                     &e->time_ns)) {
    json_decref(j);
    return NULL;
  }
  e->line = json_string_value(log);
  e->len = json_string_length(log);
  e->is_stderr = strcmp(stream, "stderr") == 0;
  e->time_text = json_string_value(time);
  return j;
}

enum verdict { TAKE, AFTER_UNTIL, BEFORE_SINCE };

static enum verdict judge(const struct reader *r,
                          const struct berth_log_entry *e) {
  if (r->opts->until_ns && e->time_ns > r->opts->until_ns)
    return AFTER_UNTIL;
  if (r->opts->since_ns && e->time_ns < r->opts->since_ns)
    return BEFORE_SINCE;
  return TAKE;
}

static int offer(struct reader *r, const char *line, size_t len,
                 berth_error **err) {
  struct berth_log_entry e;
  json_t *j = parse_entry(line, len, &e);
  if (!j)
    return 0;
  int rc = 0;
  enum verdict v = judge(r, &e);
  /* Entries are in time order: past --until nothing more qualifies. */
  if (v == AFTER_UNTIL)
    r->done = true;
  else if (v == TAKE && (rc = r->cb(&e, r->data)) < 0)
    berth_error_set(err, BERTH_ERR_SYSTEM, rc < -1 ? -rc : 0,
                    "deliver entry of log `%s`", r->path);
  json_decref(j);
  return rc < 0 ? rc : 0;
}

/* ---- forward reading ---- */

static int consume_lines(struct reader *r, berth_error **err) {
  size_t start = 0;
  char *nl;
  while (!r->done && (nl = memchr(r->buf + start, '\n', r->len - start))) {
    size_t end = (size_t)(nl - r->buf);
    if (r->skipping)
      r->skipping = false;
    else {
      int rc = offer(r, r->buf + start, end - start, err);
      if (rc < 0)
        return rc;
    }
    start = end + 1;
  }
  memmove(r->buf, r->buf + start, r->len - start);
  r->len -= start;
  if (r->len >= LINE_LIMIT) {
    r->skipping = true;
    r->len = 0;
  }
  return 0;
}

static void drop_partial(struct reader *r) {
  r->len = 0;
  r->skipping = false;
}

/* Delivers the complete lines of fd from its offset to EOF.  An
 * unfinished last line is kept for the next call unless `final` says the
 * file is complete, in which case it is a torn line and dropped. */
static int read_forward(struct reader *r, int fd, bool final,
                        berth_error **err) {
  while (!r->done) {
    ssize_t n = read(fd, r->buf + r->len, BUF_CAP - r->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berth_error_sys(err, "read log `%s`", r->path);
    if (n == 0)
      break;
    r->len += (size_t)n;
    int rc = consume_lines(r, err);
    if (rc < 0)
      return rc;
  }
  if (final)
    drop_partial(r);
  return 0;
}

/* ---- the set of files: path.N ... path.1, path ---- */

struct logset {
  int *fds; /* oldest first; fds[n-1] is `path`; -1 where missing */
  size_t n;
};

static void logset_close(struct logset *s) {
  for (size_t i = 0; s->fds && i < s->n; i++)
    if (s->fds[i] >= 0)
      close(s->fds[i]);
  free(s->fds);
  s->fds = NULL;
  s->n = 0;
}

static int rotated_name(char *buf, size_t size, const char *path, size_t i) {
  int n = snprintf(buf, size, "%s.%zu", path, i);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Opens name read-only; a missing file gives -1 without an error. */
static int open_log(const char *name, int *fd, berth_error **err) {
  *fd = open(name, O_RDONLY | O_CLOEXEC);
  if (*fd < 0 && errno != ENOENT)
    return berth_error_sys(err, "open log `%s`", name);
  return 0;
}

static size_t count_rotated(const char *path) {
  char name[PATH_MAX];
  struct stat st;
  size_t k = 0;
  while (k < MAX_ROTATED &&
         rotated_name(name, sizeof(name), path, k + 1) == 0 &&
         stat(name, &st) == 0)
    k++;
  return k;
}

/* Identity of a file for noticing rotation: 0 when missing. */
static ino_t path_ino(const char *path, dev_t *dev) {
  struct stat st;
  if (stat(path, &st) < 0)
    return 0;
  *dev = st.st_dev;
  return st.st_ino;
}

static ino_t fd_ino(int fd, dev_t *dev) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return 0;
  *dev = st.st_dev;
  return st.st_ino;
}

static int open_set_once(const char *path, struct logset *set,
                         berth_error **err) {
  char name[PATH_MAX];
  size_t k = count_rotated(path);
  set->fds = malloc((k + 1) * sizeof(int));
  if (!set->fds)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "read log `%s`",
                           path);
  set->n = k + 1;
  for (size_t i = 0; i <= k; i++)
    set->fds[i] = -1;
  for (size_t i = k; i >= 1; i--)
    if (rotated_name(name, sizeof(name), path, i) < 0 ||
        open_log(name, &set->fds[k - i], err) < 0)
      return -1;
  return open_log(path, &set->fds[k], err);
}

/* Opens every file of the log.  The writer may rotate meanwhile, which
 * would shift the names under us: a rotation always gives `path` a new
 * inode, so the set is consistent when that inode did not change while
 * the files were opened. */
static int open_set(const char *path, struct logset *set, berth_error **err) {
  for (int attempt = 0;; attempt++) {
    dev_t d0 = 0, d1 = 0, d2 = 0;
    ino_t before = path_ino(path, &d0);
    if (open_set_once(path, set, err) < 0) {
      logset_close(set);
      return -1;
    }
    ino_t opened = fd_ino(set->fds[set->n - 1], &d1);
    ino_t after = path_ino(path, &d2);
    if ((before == opened && opened == after && d0 == d1 && d1 == d2) ||
        attempt == 10)
      return 0;
    logset_close(set);
  }
}

/* ---- --tail: backwards ---- */

static int pread_full(int fd, char *buf, size_t n, off_t off) {
  while (n > 0) {
    ssize_t k = pread(fd, buf, n, off);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return k < 0 ? -1 : (errno = EIO, -1); /* truncated meanwhile */
    buf += k;
    n -= (size_t)k;
    off += k;
  }
  return 0;
}

struct tail_scan {
  int64_t need; /* entries still wanted */
  off_t start;  /* where forward delivery begins, once found */
};

/* Looks at one complete line [from, to) (without '\n') met backwards;
 * returns 1 when the scan is over. */
static int tail_line(struct reader *r, const char *line, size_t len, off_t from,
                     off_t to, struct tail_scan *ts) {
  struct berth_log_entry e;
  json_t *j = parse_entry(line, len, &e);
  if (!j)
    return 0;
  enum verdict v = judge(r, &e);
  json_decref(j);
  if (v == BEFORE_SINCE) {
    /* Time order again: everything further back is older still. */
    ts->start = to + 1;
    return 1;
  }
  if (v == TAKE && --ts->need == 0) {
    ts->start = from;
    return 1;
  }
  return 0;
}

/* Scans fd backwards from `end` counting qualifying entries.  Returns 1
 * with ts->start set when enough were found (or --since ended the
 * search), 0 at the start of the file.  Uses r->buf as a window on the
 * file: buf[i] holds the byte at wpos + i. */
static int tail_scan_file(struct reader *r, int fd, off_t end,
                          struct tail_scan *ts, berth_error **err) {
  off_t wpos = end, line_end = end;
  size_t len = 0;
  bool have_end = false, too_long = false;
  for (;;) {
    off_t search_end = have_end ? line_end - 1 : line_end;
    size_t slen = (size_t)(search_end - wpos);
    if (slen > len)
      slen = len;
    char *p = slen ? memrchr(r->buf, '\n', slen) : NULL;
    if (!p && wpos > 0) {
      size_t k = wpos < CHUNK ? (size_t)wpos : CHUNK;
      if (len + k > BUF_CAP) {
        too_long = true; /* the window holds only part of one line */
        len = 0;
      }
      memmove(r->buf + k, r->buf, len);
      if (pread_full(fd, r->buf, k, wpos - (off_t)k) < 0)
        return berth_error_sys(err, "read log `%s`", r->path);
      wpos -= (off_t)k;
      len += k;
      continue;
    }
    off_t line_start = p ? wpos + (p - r->buf) + 1 : 0;
    if (!have_end) {
      /* Bytes after the last '\n' are a torn or unfinished line. */
      if (!p)
        return 0;
      have_end = true;
      if (ts->need == 0) {
        ts->start = line_start;
        return 1;
      }
    } else if (!too_long && tail_line(r, r->buf + (line_start - wpos),
                                      (size_t)(line_end - 1 - line_start),
                                      line_start, line_end - 1, ts))
      return 1;
    too_long = false;
    if (have_end && !p)
      return 0; /* that was the first line of the file */
    line_end = line_start;
    len = (size_t)(line_start - wpos);
  }
}

/* Finds where delivery starts: (file index, offset). */
static int tail_start(struct reader *r, const struct logset *set, size_t *file,
                      off_t *off, berth_error **err) {
  struct tail_scan ts = {.need = r->opts->tail, .start = 0};
  *file = 0;
  *off = 0;
  for (size_t i = set->n; i-- > 0;) {
    struct stat st;
    if (set->fds[i] < 0)
      continue;
    if (fstat(set->fds[i], &st) < 0)
      return berth_error_sys(err, "stat log `%s`", r->path);
    int rc = tail_scan_file(r, set->fds[i], st.st_size, &ts, err);
    if (rc < 0)
      return rc;
    if (rc == 1 || ts.need == 0) {
      *file = i;
      *off = rc == 1 ? ts.start : 0;
      return 0;
    }
  }
  return 0;
}

/* ---- --follow ---- */

static int64_t clock_ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Watches the directory, not the file: rotation swaps the file under
 * its name, and a directory watch sees appends to whichever file is
 * current.  Without inotify the loop simply polls every TICK_MS. */
static int watch_dir(const char *path) {
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return -1;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return -1;
  uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                  IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE;
  if (inotify_add_watch(fd, dirname(copy), mask) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void wait_change(int ifd, int timeout_ms) {
  if (timeout_ms < 1)
    timeout_ms = 1;
  if (ifd < 0) {
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return;
  }
  struct pollfd pfd = {.fd = ifd, .events = POLLIN};
  if (poll(&pfd, 1, timeout_ms) > 0) {
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(ifd, ev, sizeof(ev)) > 0)
      ;
  }
}

/* Looks for cur among path.1, path.2, ...: returns 1 with *target and
 * *want naming the file before it (path.(k-1), or `path` when k is 1),
 * 0 when cur was not seen, with *target the oldest file seen. */
static int find_successor(const char *path, dev_t cdev, ino_t cino,
                          char *target, size_t size, ino_t *want) {
  char name[PATH_MAX];
  dev_t d = 0;
  snprintf(target, size, "%s", path);
  *want = path_ino(path, &d);
  for (size_t i = 1; i <= MAX_ROTATED; i++) {
    if (rotated_name(name, sizeof(name), path, i) < 0)
      return 0;
    ino_t ino = path_ino(name, &d);
    if (ino == 0)
      return 0;
    if (ino == cino && d == cdev)
      return 1;
    snprintf(target, size, "%s", name);
    *want = ino;
  }
  return 0;
}

/* The file that follows cur once `path` names another file: path.(k-1)
 * when cur is now path.k, `path` when cur is path.1, the oldest kept file
 * when cur was deleted (more rotations than files kept: the entries in
 * between are gone).  Returns an fd or -1 when nothing can be opened.
 *
 * The writer shifts names one rename at a time, leaving a gap that moves
 * down from the top; a scan that stops at the gap does not see cur.  So
 * "not seen" only counts once cur has no links left: until then it is
 * somewhere in the list and the scan is repeated. */
static int open_successor(const char *path, int cur) {
  char target[PATH_MAX];
  struct stat cst;
  if (fstat(cur, &cst) < 0)
    return open(path, O_RDONLY | O_CLOEXEC);
  for (int attempt = 0; attempt < 1000; attempt++) {
    dev_t d0 = 0, d = 0, pd = 0;
    ino_t want, p0 = path_ino(path, &d0);
    int found = find_successor(path, cst.st_dev, cst.st_ino, target,
                               sizeof(target), &want);
    if (!found && fstat(cur, &cst) == 0 && cst.st_nlink > 0) {
      struct timespec ms = {0, 1000 * 1000};
      nanosleep(&ms, NULL); /* a rotation is under way */
      continue;
    }
    int fd = open(target, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (fd_ino(fd, &pd) == want && path_ino(path, &d) == p0)
      return fd;
    close(fd); /* a rotation moved the names meanwhile: look again */
  }
  return open(path, O_RDONLY | O_CLOEXEC);
}

/* Restarts a file that was truncated in place under the reader. */
static void check_truncated(struct reader *r, int fd) {
  struct stat st;
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos > 0 && fstat(fd, &st) == 0 && st.st_size < pos) {
    lseek(fd, 0, SEEK_SET);
    drop_partial(r);
  }
}

/* Delivers the files of set from (first, off) on.  With follow, the
 * last file (`path`) may still grow: its unfinished line is kept and its
 * fd moved to *cur. */
static int read_set(struct reader *r, struct logset *set, size_t first,
                    off_t off, int *cur, berth_error **err) {
  bool follow = r->opts->follow;
  for (size_t i = 0; i < set->n; i++)
    r->seen_file |= set->fds[i] >= 0;
  for (size_t i = first; i < set->n && !r->done; i++) {
    int fd = set->fds[i];
    if (fd < 0)
      continue;
    if (lseek(fd, i == first ? off : 0, SEEK_SET) < 0)
      return berth_error_sys(err, "seek in log `%s`", r->path);
    bool last = i == set->n - 1;
    int rc = read_forward(r, fd, !(last && follow), err);
    if (rc < 0)
      return rc;
  }
  if (follow) {
    *cur = set->fds[set->n - 1];
    set->fds[set->n - 1] = -1;
  }
  return 0;
}

/* The log did not exist yet when the read began: once it does, every
 * file is new, including any rotated away before we looked. */
static int open_first(struct reader *r, int *cur, berth_error **err) {
  if (r->seen_file)
    return open_log(r->path, cur, err);
  struct logset set = {0};
  if (open_set(r->path, &set, err) < 0)
    return -1;
  int rc = read_set(r, &set, 0, 0, cur, err);
  logset_close(&set);
  return rc;
}

/* Reads what *cur has, and follows rotations to their end; *cur is the
 * file now current (-1 while `path` does not exist).  On error *cur is
 * closed and the error (or the callback's value) returned. */
static int catch_up(struct reader *r, int *cur, berth_error **err) {
  for (;;) {
    if (*cur < 0) {
      drop_partial(r);
      int rc = open_first(r, cur, err);
      if (rc < 0)
        return rc;
      if (*cur < 0)
        return 0;
    }
    check_truncated(r, *cur);
    dev_t d = 0, cd = 0;
    int rc = read_forward(r, *cur, false, err);
    if (rc < 0)
      goto fail;
    ino_t now = path_ino(r->path, &d);
    /* A missing path is a rotation in progress (or the log being
     * removed): keep the file until a new one appears. */
    if (r->done || now == 0 || (now == fd_ino(*cur, &cd) && d == cd))
      return 0;
    /* The writer never writes to a file again once it replaced it. */
    if ((rc = read_forward(r, *cur, true, err)) < 0)
      goto fail;
    int next = open_successor(r->path, *cur);
    close(*cur);
    *cur = next;
    drop_partial(r);
    continue;
  fail:
    close(*cur);
    *cur = -1;
    return rc;
  }
}

static bool keep_following(struct reader *r) {
  const struct berth_logs_opts *o = r->opts;
  if (o->until_ns && clock_ms(CLOCK_REALTIME) * 1000000 > o->until_ns)
    return false;
  return !o->still_running || o->still_running(r->data);
}

static int follow(struct reader *r, int cur, berth_error **err) {
  _cleanup_close_ int ifd = watch_dir(r->path);
  int64_t last_check = clock_ms(CLOCK_MONOTONIC);
  bool stopping = false;
  for (;;) {
    int rc = catch_up(r, &cur, err);
    if (rc < 0)
      return rc;
    if (stopping || r->done) {
      if (cur >= 0)
        close(cur);
      return 0;
    }
    wait_change(ifd, (int)(TICK_MS - (clock_ms(CLOCK_MONOTONIC) - last_check)));
    int64_t now = clock_ms(CLOCK_MONOTONIC);
    if (now - last_check >= TICK_MS) {
      last_check = now;
      stopping = !keep_following(r);
    }
  }
}

/* ---- entry point ---- */

static int deliver(struct reader *r, struct logset *set, berth_error **err) {
  size_t first = 0;
  off_t off = 0;
  if (r->opts->tail >= 0 && tail_start(r, set, &first, &off, err) < 0)
    return -1;
  if (r->opts->tail == 0 && !r->opts->follow)
    return 0;
  int cur = -1;
  int rc = read_set(r, set, first, off, &cur, err);
  if (rc < 0 || !r->opts->follow || r->done) {
    if (cur >= 0)
      close(cur);
    return rc;
  }
  return follow(r, cur, err);
}

int berth_logs_read(const char *path, const struct berth_logs_opts *opts,
                    int (*cb)(const struct berth_log_entry *e, void *data),
                    void *data, berth_error **err) {
  _cleanup_free_ char *buf = malloc(BUF_CAP);
  if (!buf)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "read log `%s`",
                           path);
  struct reader r = {
      .path = path, .opts = opts, .cb = cb, .data = data, .buf = buf};
  struct logset set = {0};
  if (open_set(path, &set, err) < 0)
    return -1;
  int rc = deliver(&r, &set, err);
  logset_close(&set);
  return rc;
}
