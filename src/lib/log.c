#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[] = {"error", "warning", "info", "debug"};

void berth_log_write(const berth_log *log, berth_log_level level,
                     const char *fmt, ...) {
  if (log == NULL || log->fd < 0 || level > log->max_level)
    return;
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int rc = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (rc < 0)
    return;
  char ts[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
  char *line = NULL;
  if (log->json) {
    json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg",
                          msg, "time", ts);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
      rc = asprintf(&line, "%s\n", s);
    free(s);
    json_decref(o);
  } else {
    /* Quote the message as runc does so multi-word text stays one field. */
    json_t *q = json_string(msg);
    char *s = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
    if (s)
      rc = asprintf(&line, "time=\"%s\" level=%s msg=%s\n", ts,
                    level_names[level], s);
    free(s);
    json_decref(q);
  }
  if (line != NULL && rc >= 0) {
    ssize_t w = write(log->fd, line, strlen(line));
    (void)w;
  }
  free(line);
  free(msg);
}
