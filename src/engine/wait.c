/* Waits with Docker's conditions, from the records and the event log: a
 * "die" event is recorded for every exit (also of a --rm container, whose
 * record then goes), so "the next exit" is the first die event of the
 * container after the log's position at begin. */
#include "wait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "db.h"
#include "start.h"

int berth_wait_cond_parse(const char *s, enum berth_wait_cond *out,
                          berth_error **err) {
  static const char *const names[] = {"not-running", "next-exit", "removed"};
  if (!s || !*s) {
    *out = BERTH_WAIT_NOT_RUNNING;
    return 0;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (enum berth_wait_cond)i;
      return 0;
    }
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid condition `%s`: not-running, next-exit or "
                         "removed",
                         s);
}

static int64_t newest_seq(struct berth_db *db, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *q = NULL;
  if (berth_db_prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events", &q,
                       err) < 0)
    return -1;
  return sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
}

/* The exit code of id's first die event after seq: 1 found, 0 none. */
static int die_after(struct berth_db *db, const char *id, int64_t seq,
                     int *code, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *q = NULL;
  if (berth_db_prepare(db,
                       "SELECT json_extract(attributes, '$.exitCode') FROM "
                       "events WHERE type='container' AND action='die' AND "
                       "actor=?1 AND seq>?2 ORDER BY seq LIMIT 1",
                       &q, err) < 0)
    return -1;
  sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, seq);
  if (sqlite3_step(q) != SQLITE_ROW)
    return 0;
  const char *v = (const char *)sqlite3_column_text(q, 0);
  *code = v ? atoi(v) : 0;
  return 1;
}

int berth_ctr_wait_begin(struct berth_engine *e, const char *ref,
                         enum berth_wait_cond cond, struct berth_wait *w,
                         berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  /* The position first: an exit between it and the lookup still counts. */
  int64_t seq = newest_seq(e->db, err);
  if (seq < 0 || berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  memcpy(w->id, c->id, sizeof w->id);
  w->cond = cond;
  w->after_seq = seq;
  return 0;
}

static bool active(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

/* One look: 1 when the condition holds (*code set), 0 not yet. */
static int look(struct berth_engine *e, const struct berth_wait *w,
                int *code, berth_error **err) {
  struct berth_ctr *c = NULL;
  berth_error *gone = NULL;
  int rc = die_after(e->db, w->id, w->after_seq, code, err);
  if (rc != 0 && w->cond == BERTH_WAIT_NEXT_EXIT)
    return rc;
  if (berth_ctr_get(e->db, w->id, &c, &gone) < 0) {
    if (gone->kind != BERTH_ERR_NOT_FOUND) {
      *err = gone;
      return -1;
    }
    berth_error_free(gone);
    /* Gone: its last exit, if it ever ran. */
    char id[65];
    if (rc == 0 && berth_event_last_exit(e->db, w->id, id, code, err) != 1)
      *code = 0;
    return 1;
  }
  if (w->cond == BERTH_WAIT_NOT_RUNNING &&
      berth_ctr_refresh(e, c, NULL) == 0 && !active(c)) {
    *code = c->exit_code;
    rc = 1;
  } else {
    rc = 0;
  }
  berth_ctr_free(c);
  return rc;
}

int berth_ctr_wait_end(struct berth_engine *e, const struct berth_wait *w,
                       bool (*gone)(void *arg), void *arg, int *code,
                       berth_error **err) {
  for (int i = 0;; i++) {
    int rc = look(e, w, code, err);
    if (rc != 0)
      return rc < 0 ? -1 : 0;
    if (gone && gone(arg))
      return berth_error_set(err, BERTH_ERR_TIMEOUT, 0,
                             "wait for `%.12s`: the client went away", w->id);
    /* Short naps first: most waits are for a short-lived run. */
    usleep(i < 100 ? 5000 : 50000);
  }
}
