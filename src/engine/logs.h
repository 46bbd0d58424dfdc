/* Reading a container's json-file log (written by the monitor, see
 * monitor/logwriter.h) for `berth logs`: rotated files oldest first,
 * --tail, --since/--until, and --follow until the container stops. */
#ifndef BERTH_ENGINE_LOGS_H
#define BERTH_ENGINE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct berth_log_entry {
  const char *line; /* the output, as written (usually ends in "\n") */
  size_t len;
  bool is_stderr;
  int64_t time_ns;
  const char *time_text; /* RFC 3339 with nanoseconds, as stored */
};

struct berth_logs_opts {
  int64_t tail;      /* entries from the end; -1 = all */
  int64_t since_ns;  /* 0 = no bound */
  int64_t until_ns;  /* 0 = no bound */
  bool follow;
  /* With follow: polled about every 200 ms; returning false ends the
   * read once everything written so far has been delivered. */
  bool (*still_running)(void *data);
};

/* Delivers entries of path (and path.N rotated files, oldest first) to
 * cb; cb returning negative stops the read (that value is returned).
 * A missing log file is an empty log.  Malformed lines are skipped (a
 * crash can leave a torn last line).  Follow survives rotation. */
int berth_logs_read(const char *path, const struct berth_logs_opts *opts,
                    int (*cb)(const struct berth_log_entry *e, void *data),
                    void *data, berth_error **err);

/* --since/--until values: RFC 3339 ("2026-11-23T10:00:00Z", with
 * fraction and offset), a Unix time ("1700000000" or "1700000000.5"), or
 * a duration before now ("10m", "1h30m").  Result in ns since the epoch. */
int berth_parse_log_time(const char *flag, const char *s, int64_t now_ns,
                         int64_t *out_ns, berth_error **err);

#endif
