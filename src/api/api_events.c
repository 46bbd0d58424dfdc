/* GET /events?since=&until=&filters=: the engine's event log (events.h)
 * as Docker's stream of events.Message documents, one JSON per line,
 * following until `until` passes or the client goes.  Bounds and filters
 * are checked before the answer starts, so bad ones are a 400, not a
 * stream that ends at once. */
#include <stdlib.h>
#include <time.h>

#include "api_internal.h"
#include "events.h"
#include "filter_kv.h"
#include "logs.h"
#include "rows.h"

/* How long a follow sleeps between two reads of the log (the CLI's
 * `events` polls as often). */
#define EVENTS_POLL_NS 200000000L

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct events_read {
  struct berth_event_query q;
  json_t *filters; /* the filters' values are borrowed by q */
  int64_t after;
};

static void events_read_free(void *p) {
  struct events_read *d = p;
  json_decref(d->filters);
  free(d);
}

static int filter_add(void *f, const char *key, const char *value,
                      berth_error **err) {
  return berth_event_filter_add(f, key, value, err);
}

/* Writes one batch; -1 when the client went or the log cannot be read
 * (the stream then just ends: its head has gone out already). */
static int write_batch(struct api_stream *s, struct berth_engine *e,
                       struct events_read *d, bool *more) {
  struct berth_event *ev = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_events_next(e->db, &d->q, &d->after, &ev, &n, more, &err) < 0) {
    berth_error_free(err);
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = api_stream_json(s, berth_event_message(&ev[i], NULL));
  berth_events_free(ev, n);
  return rc;
}

/* Sleeps one poll interval in short steps, so a client that goes is
 * noticed within a tenth of a second.  False when it went. */
static bool wait_poll(struct api_stream *s) {
  for (int i = 0; i < 4; i++) {
    if (api_stream_gone(s))
      return false;
    struct timespec t = {0, EVENTS_POLL_NS / 4};
    nanosleep(&t, NULL);
  }
  return !api_stream_gone(s);
}

static void events_produce(struct api_stream *s, void *data) {
  struct events_read *d = data;
  berth_error *err = NULL;
  struct berth_engine *e = api_stream_engine(s, &err);
  if (!e) {
    berth_error_free(err);
    return;
  }
  for (;;) {
    int64_t polled_at = now_ns();
    bool more = false;
    if (write_batch(s, e, d, &more) < 0)
      return;
    if (more)
      continue;
    if (berth_events_done(&d->q, polled_at) || !wait_poll(s))
      return;
  }
}

/* since/until: Docker sends Unix times ("1700000000.000000000"); the
 * engine's parser also takes RFC 3339 and durations, as the CLI does. */
static int parse_bounds(struct api_req *r, struct berth_event_query *q,
                        int64_t now, berth_error **err) {
  const char *since = api_query(r, "since"), *until = api_query(r, "until");
  if (since && *since &&
      berth_parse_log_time("since", since, now, &q->since, err) < 0)
    return -1;
  if (until && *until &&
      berth_parse_log_time("until", until, now, &q->until, err) < 0)
    return -1;
  return 0;
}

static int events_get(struct api_req *r) {
  berth_error *err = NULL;
  struct events_read *d = calloc(1, sizeof *d);
  if (!d)
    return api_reply_errorf(r, 500, "out of memory");
  int64_t now = now_ns();
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_filters(r, &d->filters, &err) < 0 ||
      berth_filter_map_each(d->filters, filter_add, &d->q.filter, &err) < 0 ||
      parse_bounds(r, &d->q, now, &err) < 0 ||
      berth_events_begin(e->db, &d->q, now, &d->after, &err) < 0) {
    events_read_free(d);
    return api_reply_error(r, err);
  }
  return api_reply_stream(r, 200, "application/json", events_produce, d,
                          events_read_free);
}

const struct api_route api_routes_events[] = {
    {"GET", "/events", events_get, 0},
    {NULL, NULL, NULL, 0},
};
