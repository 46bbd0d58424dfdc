/* What every command prints with: errors, JSON, Docker's human sizes and
 * ages, the prune confirmation and its total. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "reference.h"

int cli_errorf(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("berth: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return status;
}

int cli_error(berth_error *err, int status) {
  cli_errorf(status, "%s", err ? err->msg : "unknown error");
  berth_error_free(err);
  return status;
}

int cli_prefixed_error(const char *cmd, berth_error *err, int status) {
  cli_errorf(status, "%s: %s", cmd, err ? err->msg : "unknown error");
  berth_error_free(err);
  return status;
}

void cli_print_json(json_t *j) {
  char *s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  if (s) {
    puts(s);
    free(s);
  }
}

int cli_engine_error(berth_error *err) { return cli_error(err, EXIT_USAGE); }

static void human_size(double bytes, int precision, char *out, size_t len) {
  static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (bytes >= 1000 && u + 1 < ARRAY_SIZE(units)) {
    bytes /= 1000;
    u++;
  }
  if (u == 0)
    snprintf(out, len, "%.0f%s", bytes, units[u]);
  else
    snprintf(out, len, "%.*g%s", precision, bytes, units[u]);
}

void cli_human_size(double bytes, char *out, size_t len) {
  human_size(bytes, 3, out, len);
}

void cli_human_size4(double bytes, char *out, size_t len) {
  human_size(bytes, 4, out, len);
}

void cli_human_ago(const char *rfc3339, long long unix_s, char *out,
                   size_t len) {
  struct tm tm = {0};
  if (rfc3339 && strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
    unix_s = (long long)timegm(&tm);
  if (unix_s <= 0) {
    snprintf(out, len, "N/A");
    return;
  }
  long long d = (long long)time(NULL) - unix_s;
  static const struct {
    long long secs;
    const char *name;
  } u[] = {{365LL * 86400, "year"}, {30LL * 86400, "month"},
           {7LL * 86400, "week"},   {86400, "day"},
           {3600, "hour"},          {60, "minute"}};
  for (size_t i = 0; i < ARRAY_SIZE(u); i++)
    if (d >= u[i].secs) {
      long long n = d / u[i].secs;
      snprintf(out, len, "%lld %s%s ago", n, u[i].name, n > 1 ? "s" : "");
      return;
    }
  snprintf(out, len, "%s", d < 2 ? "Less than a second ago" : "Seconds ago");
}

bool cli_confirm(const char *warning) {
  fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
  char line[16];
  return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

void cli_print_reclaimed(uint64_t freed) {
  char size[16];
  cli_human_size((double)freed, size, sizeof size);
  printf("Total reclaimed space: %s\n", size);
}

