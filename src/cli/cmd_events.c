/* berth events: the engine reads and filters the event log
 * (events.h); this prints what it hands over, following until stopped. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "engine.h"
#include "events.h"
#include "logs.h"
#include "rows.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "2026-11-23T10:00:00.123456789Z container start ID (image=x, name=y)" */
static void print_event_text(const struct berth_event *ev) {
  time_t s = (time_t)(ev->time_ns / 1000000000);
  struct tm tm;
  char t[32];
  gmtime_r(&s, &tm);
  strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  printf("%s.%09lldZ %s %s %s", t, (long long)(ev->time_ns % 1000000000),
         ev->type, ev->action, ev->actor);
  size_t n = json_object_size(ev->attributes), k = 0;
  const char **keys = calloc(n + 1, sizeof *keys);
  const char *key;
  json_t *v;
  json_object_foreach(ev->attributes, key, v) if (keys) keys[k++] = key;
  if (keys && n) {
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 0; i < n; i++) {
      json_t *val = json_object_get(ev->attributes, keys[i]);
      char *text = json_is_string(val)
                       ? strdup(json_string_value(val))
                       : json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
      printf("%s%s=%s", i ? ", " : " (", keys[i], text ? text : "");
      free(text);
    }
    putchar(')');
  }
  free(keys);
  putchar('\n');
}

/* --format json and {{json .}} print the Engine API's events.Message; a
 * template also reads its Go field names (.Status .ID .Time ...). */
static int print_event(const struct berth_event *ev, struct cli_format *f) {
  if (!f) {
    print_event_text(ev);
    return 0;
  }
  json_t *methods = NULL, *j = berth_event_message(ev, &methods);
  int rc = cli_format_row(f, j, methods);
  json_decref(j);
  json_decref(methods);
  return rc;
}

/* Signals that end a follow are blocked and waited for with the poll's
 * timeout, so the loop ends cleanly between two writes.  SIGPIPE is
 * ignored: a closed reader shows up as a failed fflush. */
static void block_stop_signals(sigset_t *set, sigset_t *old) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  sigprocmask(SIG_BLOCK, set, old);
  signal(SIGPIPE, SIG_IGN);
}

/* A pipe whose reader has gone reports POLLERR on its write end: a
 * follow that prints nothing for hours still ends with `| head`. */
static bool reader_gone(void) {
  struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static int events_loop(struct berth_engine *e,
                       const struct berth_event_query *q, int64_t after,
                       struct cli_format *format) {
  sigset_t set, old;
  block_stop_signals(&set, &old);
  int status = 0;
  for (;;) {
    int64_t polled_at = now_ns();
    struct berth_event *ev = NULL;
    size_t n = 0;
    bool more = false;
    berth_error *err = NULL;
    if (berth_events_next(e->db, q, &after, &ev, &n, &more, &err) < 0) {
      status = cli_error(err, 1);
      break;
    }
    for (size_t i = 0; i < n && !status; i++)
      if (print_event(&ev[i], format) < 0)
        status = EXIT_USAGE;
    berth_events_free(ev, n);
    if (status)
      break;
    if (fflush(stdout) != 0 || ferror(stdout) || reader_gone())
      break; /* the reader went away */
    if (more)
      continue;
    if (berth_events_done(q, polled_at))
      break;
    struct timespec tick = {0, 200000000};
    if (sigtimedwait(&set, NULL, &tick) > 0)
      break;
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return status;
}

int cmd_events(struct berth_cli *cli, int argc, char **argv) {
  const char *since = NULL, *until = NULL, *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"since", OPT_STRING, &since, NULL,
       "Show all events created since timestamp"},
      {"until", OPT_STRING, &until, NULL, "Stream events until this timestamp"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Filter output based on conditions provided"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w ||
      cli_args("events", nw, w, opts, ARRAY_SIZE(opts), pos, 0, &npos) < 0)
    return EXIT_USAGE;
  struct berth_event_query q = {0};
  berth_error *err = NULL;
  for (size_t i = 0; i < filters.n; i++)
    if (berth_event_filter_parse(&q.filter, filters.items[i], &err) < 0)
      return cli_prefixed_error("events", err, EXIT_USAGE);
  int64_t now = now_ns();
  if ((since &&
       berth_parse_log_time("--since", since, now, &q.since, &err) < 0) ||
      (until &&
       berth_parse_log_time("--until", until, now, &q.until, &err) < 0))
    return cli_error(err, EXIT_USAGE);
  struct cli_format f = {0};
  if (format && cli_format_open(&f, "events", format, NULL, NULL) < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  int64_t after = 0;
  int rc;
  if (cli_engine(cli, &e) < 0)
    rc = EXIT_USAGE;
  else if (berth_events_begin(e->db, &q, now, &after, &err) < 0)
    rc = cli_prefixed_error("events", err,
                            err->kind == BERTH_ERR_INVALID ? EXIT_USAGE : 1);
  else
    rc = events_loop(e, &q, after, format ? &f : NULL);
  cli_format_close(&f);
  return rc;
}
