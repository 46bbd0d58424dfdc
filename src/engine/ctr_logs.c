/* A container's log read for a front end (see ctr_logs.h). */
#include "ctr_logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "start.h"

static int parse_tail(const char *s, int64_t *out, berth_error **err) {
  *out = -1;
  if (!s || !*s || strcmp(s, "all") == 0)
    return 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (*end || end == s || v < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid tail `%s`: a number of lines or \"all\"",
                           s);
  *out = v;
  return 0;
}

static int parse_bound(const char *flag, const char *s, int64_t now,
                       int64_t *out, berth_error **err) {
  *out = 0;
  if (!s || !*s)
    return 0;
  return berth_parse_log_time(flag, s, now, out, err);
}

int berth_ctr_logs_open(struct berth_engine *e, const char *ref,
                        const struct berth_ctr_logs_req *q,
                        struct berth_ctr_logs *out, berth_error **err) {
  *out = (struct berth_ctr_logs){.want_stdout = q->stdout_,
                                 .want_stderr = q->stderr_};
  if (!q->stdout_ && !q->stderr_)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "You must choose at least one stream");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  struct berth_logs_opts *o = &out->opts;
  o->follow = q->follow;
  if (parse_tail(q->tail, &o->tail, err) < 0 ||
      parse_bound("since", q->since, now, &o->since_ns, err) < 0 ||
      parse_bound("until", q->until, now, &o->until_ns, err) < 0)
    return -1;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  memcpy(out->id, c->id, sizeof out->id);
  out->tty = json_is_true(json_object_get(c->config, "Tty"));
  berth_ctr_dir(e, c->id, out->path, sizeof out->path);
  strncat(out->path, "/ctr.log", sizeof out->path - strlen(out->path) - 1);
  return 0;
}

struct reading {
  struct berth_engine *e;
  struct berth_ctr_logs *l;
  int (*cb)(const struct berth_log_entry *en, void *data);
  void *data;
};

/* A follow goes on while the container may still write: running, paused
 * or between restarts. */
static bool still_running(void *p) {
  struct reading *r = p;
  if (r->l->cancelled && r->l->cancelled(r->data))
    return false;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_get(r->e->db, r->l->id, &c, NULL) < 0)
    return false;
  berth_ctr_refresh(r->e, c, NULL);
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

static int deliver(const struct berth_log_entry *en, void *p) {
  struct reading *r = p;
  if (en->is_stderr ? !r->l->want_stderr : !r->l->want_stdout)
    return 0;
  return r->cb(en, r->data);
}

int berth_ctr_logs_read(struct berth_engine *e, struct berth_ctr_logs *l,
                        int (*cb)(const struct berth_log_entry *en,
                                  void *data),
                        void *data, berth_error **err) {
  struct reading r = {.e = e, .l = l, .cb = cb, .data = data};
  struct berth_logs_opts o = l->opts;
  o.still_running = o.follow ? still_running : NULL;
  return berth_logs_read(l->path, &o, deliver, &r, err);
}
