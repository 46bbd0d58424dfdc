/* Docker's json-file log format, written with libc only (see logwriter.h).
 *
 * Every entry is encoded completely into one buffer and handed to a
 * single write() on an O_APPEND descriptor, so a reader never sees two
 * entries interleaved and a crash can leave at most one torn last line. */
#include "logwriter.h"
#include "tempname.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Worst case every byte becomes a six-character escape ("\u001b" or
 * "\ufffd"); the rest is the fixed JSON around the text and the time. */
#define ENTRY_MAX (BERTH_LOG_LINE_MAX * 6 + 128)

/* Result of looking at the UTF-8 sequence that starts at s. */
enum { UTF8_INVALID = 0, UTF8_TRUNCATED = -1 };

/* Returns the length (1-4) of the valid UTF-8 sequence at s, UTF8_INVALID,
 * or UTF8_TRUNCATED when the n bytes are a valid but unfinished prefix.
 * RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  int need;
  unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    need = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 3;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else
    return UTF8_INVALID;
  for (int i = 1; i < need; i++) {
    if ((size_t)i >= n)
      return UTF8_TRUNCATED;
    unsigned char b = s[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
      return UTF8_INVALID;
  }
  return need;
}

/* Bytes at the end of buf that start a valid but unfinished UTF-8
 * character: held back when a long line is split, so the character is
 * not cut in two (which would turn it into two U+FFFD). */
static size_t utf8_unfinished_tail(const char *buf, size_t len) {
  size_t from = len > 3 ? len - 3 : 1;
  for (size_t i = from; i < len; i++)
    if (utf8_seq((const unsigned char *)buf + i, len - i) == UTF8_TRUNCATED)
      return len - i;
  return 0;
}

static char *put_str(char *o, const char *s) {
  size_t n = strlen(s);
  memcpy(o, s, n);
  return o + n;
}

/* JSON string contents (RFC 8259 section 7): quote, backslash and every
 * byte below 0x20 must be escaped.  Bytes that are not UTF-8 become
 * U+FFFD, one per byte, as Go's encoding/json (and so Docker) does. */
static char *escape_json(char *o, const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c >= 0x80) {
      int k = utf8_seq(s + i, n - i);
      if (k <= 0) {
        o = put_str(o, "\\ufffd");
        i++;
      } else {
        memcpy(o, s + i, (size_t)k);
        o += k;
        i += (size_t)k;
      }
      continue;
    }
    i++;
    switch (c) {
    case '"':
      o = put_str(o, "\\\"");
      break;
    case '\\':
      o = put_str(o, "\\\\");
      break;
    case '\n':
      o = put_str(o, "\\n");
      break;
    case '\r':
      o = put_str(o, "\\r");
      break;
    case '\t':
      o = put_str(o, "\\t");
      break;
    case '\b':
      o = put_str(o, "\\b");
      break;
    case '\f':
      o = put_str(o, "\\f");
      break;
    default:
      if (c < 0x20) {
        o = put_str(o, "\\u00");
        *o++ = hex[c >> 4];
        *o++ = hex[c & 0xf];
      } else
        *o++ = (char)c;
    }
  }
  return o;
}

/* RFC 3339 in UTC with exactly nine fraction digits, like Docker's
 * RFC3339NanoFixed, so stored times sort as text.  out has >= 40 bytes. */
static void format_time(char *out, size_t size, int64_t time_ns) {
  int64_t sec = time_ns / 1000000000, ns = time_ns % 1000000000;
  if (ns < 0) {
    ns += 1000000000;
    sec--;
  }
  time_t t = (time_t)sec;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    memset(&tm, 0, sizeof(tm));
  snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)ns);
}

static size_t encode_entry(char *out, enum berth_log_stream s, const char *data,
                           size_t len, int64_t time_ns) {
  char tbuf[64];
  format_time(tbuf, sizeof(tbuf), time_ns);
  char *o = put_str(out, "{\"log\":\"");
  o = escape_json(o, (const unsigned char *)data, len);
  o = put_str(o, s == BERTH_LOG_STDERR
                     ? "\",\"stream\":\"stderr\",\"time\":\""
                     : "\",\"stream\":\"stdout\",\"time\":\"");
  o = put_str(o, tbuf);
  o = put_str(o, "\"}\n");
  return (size_t)(o - out);
}

static int open_log(const char *path) {
  /* Read access only for the torn-line check below. */
  int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  return fd < 0 ? -errno : fd;
}

static int numbered(char *buf, size_t size, const char *path, int n) {
  int r = snprintf(buf, size, "%s.%d", path, n);
  return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

/* Shifts path.1 .. path.(max-2) up by one, dropping path.(max-1).  A gap
 * (ENOENT) is normal: fewer rotations have happened than max_files. */
static int shift_rotated(const struct berth_logwriter *w) {
  char from[PATH_MAX], to[PATH_MAX];
  int r = numbered(to, sizeof(to), w->path, w->max_files - 1);
  if (r < 0)
    return r;
  if (unlink(to) < 0 && errno != ENOENT)
    return -errno;
  for (int i = w->max_files - 2; i >= 1; i--) {
    if ((r = numbered(from, sizeof(from), w->path, i)) < 0 ||
        (r = numbered(to, sizeof(to), w->path, i + 1)) < 0)
      return r;
    if (rename(from, to) < 0 && errno != ENOENT)
      return -errno;
  }
  return 0;
}

/* The new file is created under a temporary name and renamed over path,
 * and the old one is hard-linked to path.1 first, so `path` always names
 * a complete log file: a follower never finds it missing mid-rotation,
 * it only sees it replaced by another inode. */
static int rotate(struct berth_logwriter *w) {
  char tmp[PATH_MAX], first[PATH_MAX];
  int r;
  if (w->max_files > 1 && (r = shift_rotated(w)) < 0)
    return r;
  /* An unguessable name, never a planted symlink (lib/tempname.h). */
  int fd = berth_temp_create(AT_FDCWD, w->path, O_APPEND, 0640, tmp,
                             sizeof(tmp));
  if (fd < 0)
    return fd;
  if (w->max_files > 1) {
    if ((r = numbered(first, sizeof(first), w->path, 1)) < 0)
      goto fail;
    /* Without hard links (some FUSE file systems) path briefly vanishes. */
    if (link(w->path, first) < 0 && rename(w->path, first) < 0) {
      r = -errno;
      goto fail;
    }
  }
  if (rename(tmp, w->path) < 0) {
    r = -errno;
    goto fail;
  }
  close(w->fd);
  w->fd = fd;
  w->size = 0;
  return 0;
fail:
  close(fd);
  unlink(tmp);
  return r;
}

/* A failed write must not leave a fragment that would glue itself to the
 * next entry and make both unreadable: cut the file back to its size. */
static int write_all(struct berth_logwriter *w, const char *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(w->fd, buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      if (done > 0 && ftruncate(w->fd, (off_t)w->size) < 0)
        w->size += done;
      return -e;
    }
    done += (size_t)n;
  }
  w->size += len;
  return 0;
}

static int emit(struct berth_logwriter *w, enum berth_log_stream s,
                const char *data, size_t len, int64_t time_ns) {
  /* Up to ~96 KiB, but only the pages an entry fills are touched, which
   * keeps the monitor's resident size small for ordinary lines. */
  char out[ENTRY_MAX];
  size_t n = encode_entry(out, s, data, len, time_ns);
  /* An entry larger than max_size on its own goes into an empty file
   * rather than rotating forever. */
  if (w->max_size && w->size > 0 && w->size + n > w->max_size) {
    int r = rotate(w);
    if (r < 0)
      return r;
  }
  return write_all(w, out, n);
}

/* A crash of an earlier writer can leave a torn last line; ending it with
 * a newline keeps the next entry from being glued to it (readers skip
 * the fragment as a malformed line). */
static int end_torn_line(int fd, uint64_t size) {
  char last;
  if (size == 0)
    return 0;
  ssize_t n = pread(fd, &last, 1, (off_t)size - 1);
  if (n < 0)
    return -errno;
  if (n == 0 || last == '\n')
    return 0;
  n = write(fd, "\n", 1);
  return n == 1 ? 1 : n < 0 ? -errno : -EIO;
}

int berth_logwriter_open(struct berth_logwriter *w, const char *path,
                         uint64_t max_size, int max_files) {
  memset(w->pending_len, 0, sizeof(w->pending_len));
  w->fd = -1;
  w->path = strdup(path);
  if (!w->path)
    return -ENOMEM;
  w->max_size = max_size;
  w->max_files = max_files < 1 ? 1 : max_files;
  int fd = open_log(path);
  struct stat st;
  int torn = 0;
  if (fd >= 0 && (fstat(fd, &st) < 0 ||
                  (torn = end_torn_line(fd, (uint64_t)st.st_size)) < 0)) {
    int e = torn < 0 ? torn : -errno;
    close(fd);
    fd = e;
  }
  if (fd < 0) {
    free(w->path);
    w->path = NULL;
    return fd;
  }
  w->fd = fd;
  w->size = (uint64_t)st.st_size + (uint64_t)torn;
  return 0;
}

/* Emits the full pending buffer of a stream as an entry without newline,
 * keeping an unfinished UTF-8 character for the next entry. */
static int emit_full(struct berth_logwriter *w, enum berth_log_stream s,
                     int64_t time_ns) {
  char *p = w->pending[s];
  size_t keep = utf8_unfinished_tail(p, BERTH_LOG_LINE_MAX);
  size_t n = BERTH_LOG_LINE_MAX - keep;
  int r = emit(w, s, p, n, time_ns);
  memmove(p, p + n, keep);
  w->pending_len[s] = keep;
  return r;
}

int berth_logwriter_write(struct berth_logwriter *w, enum berth_log_stream s,
                          const char *data, size_t len, int64_t time_ns) {
  if (s != BERTH_LOG_STDOUT && s != BERTH_LOG_STDERR)
    return -EINVAL;
  int ret = 0;
  while (len > 0) {
    size_t *plen = &w->pending_len[s];
    size_t room = BERTH_LOG_LINE_MAX - *plen;
    size_t n = len < room ? len : room;
    const char *nl = memchr(data, '\n', n);
    int r = 0;
    if (nl) {
      size_t k = (size_t)(nl - data) + 1;
      if (*plen == 0) {
        r = emit(w, s, data, k, time_ns); /* common case: no copy */
      } else {
        memcpy(w->pending[s] + *plen, data, k);
        r = emit(w, s, w->pending[s], *plen + k, time_ns);
        *plen = 0;
      }
      n = k;
    } else {
      memcpy(w->pending[s] + *plen, data, n);
      *plen += n;
      if (*plen == BERTH_LOG_LINE_MAX)
        r = emit_full(w, s, time_ns);
    }
    /* Keep going after an error: later lines may still fit (ENOSPC can
     * clear), and the caller has no way to resubmit part of a buffer. */
    if (r < 0 && ret == 0)
      ret = r;
    data += n;
    len -= n;
  }
  return ret;
}

int berth_logwriter_flush(struct berth_logwriter *w, int64_t time_ns) {
  int ret = 0;
  for (int s = BERTH_LOG_STDOUT; s <= BERTH_LOG_STDERR; s++) {
    if (w->pending_len[s] == 0)
      continue;
    int r = emit(w, (enum berth_log_stream)s, w->pending[s], w->pending_len[s],
                 time_ns);
    w->pending_len[s] = 0;
    if (r < 0 && ret == 0)
      ret = r;
  }
  return ret;
}

void berth_logwriter_close(struct berth_logwriter *w) {
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  free(w->path);
  w->path = NULL;
}
