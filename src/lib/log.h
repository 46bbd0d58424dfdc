/* Log lines for --log/--log-format, in runc's shapes:
 *   text: time="2026-01-02T03:04:05Z" level=error msg="..."
 *   json: {"level":"error","msg":"...","time":"2026-01-02T03:04:05Z"}
 * The logger is a value passed by the caller; there is no global logger. */
#ifndef BERTH_LIB_LOG_H
#define BERTH_LIB_LOG_H

#include <stdbool.h>

typedef enum { BERTH_LOG_ERROR, BERTH_LOG_WARN, BERTH_LOG_INFO,
               BERTH_LOG_DEBUG } berth_log_level;

typedef struct berth_log {
  int fd;            /* -1: logging off */
  bool json;
  berth_log_level max_level;
} berth_log;

void berth_log_write(const berth_log *log, berth_log_level level,
                     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
