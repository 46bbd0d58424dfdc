/* Docker's json-file log driver, written by the container monitor: one
 * JSON object per line, {"log":"...","stream":"stdout","time":"..."},
 * with rotation by size (--log-opt max-size, max-file).
 *
 * Only libc: the monitor is a small static program that must stay under
 * 1 MiB of RSS, so no JSON library.  Errors are negative errno values. */
#ifndef BERTH_MONITOR_LOGWRITER_H
#define BERTH_MONITOR_LOGWRITER_H

#include <stddef.h>
#include <stdint.h>

enum berth_log_stream { BERTH_LOG_STDOUT, BERTH_LOG_STDERR };

/* Docker splits output into entries of at most 16 KiB. */
#define BERTH_LOG_LINE_MAX 16384

struct berth_logwriter {
  int fd;
  char *path;
  uint64_t size;      /* bytes in the current file */
  uint64_t max_size;  /* 0 = never rotate */
  int max_files;      /* files kept including the current one; >= 1 */
  /* Partial lines held until their newline (or the 16 KiB bound). */
  char pending[2][BERTH_LOG_LINE_MAX];
  size_t pending_len[2];
};

/* Opens (appending to) path.  max_size 0 disables rotation; max_files < 1
 * is taken as 1 (rotation then truncates). */
int berth_logwriter_open(struct berth_logwriter *w, const char *path,
                         uint64_t max_size, int max_files);
/* Adds output of a stream: each complete line becomes an entry (with its
 * "\n"); a line reaching BERTH_LOG_LINE_MAX bytes is written as an entry
 * without a newline.  time is the entry's time in nanoseconds since the
 * epoch (the caller reads the clock once per read()). */
int berth_logwriter_write(struct berth_logwriter *w, enum berth_log_stream s,
                          const char *data, size_t len, int64_t time_ns);
/* Writes held partial lines (at EOF of the streams). */
int berth_logwriter_flush(struct berth_logwriter *w, int64_t time_ns);
void berth_logwriter_close(struct berth_logwriter *w);
/* Rotation: path -> path.1 -> ... -> path.(max_files-1); the oldest
 * dropped.  Done before an entry that would pass max_size. */

#endif
