/* The event log: writing events, and reading back the exit status of
 * containers that are gone. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

#define EVENTS_KEPT 10000

/* A container's attributes as Docker's events carry them: its labels,
 * then name and image (they outlive the record).  NULL when there is no
 * such container (or *err when the read failed and err is given). */
static json_t *ctr_attributes(struct berth_db *db, const char *id,
                              berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *q = NULL;
  if (berth_db_prepare(db,
                       "SELECT name, image_name, json_extract(config, "
                       "'$.Labels') FROM containers WHERE id=?",
                       &q, err) < 0)
    return NULL;
  sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(q) != SQLITE_ROW)
    return NULL;
  const char *labels = (const char *)sqlite3_column_text(q, 2);
  json_t *a = labels ? json_loads(labels, 0, NULL) : NULL;
  if (!json_is_object(a)) {
    json_decref(a);
    a = json_object();
  }
  const char *k;
  json_t *v, *tmp;
  json_object_foreach_safe(a, tmp, k, v) if (!json_is_string(v))
      json_object_del(a, k);
  json_object_set_new(a, "name",
                      json_string((const char *)sqlite3_column_text(q, 0)));
  json_object_set_new(a, "image",
                      json_string((const char *)sqlite3_column_text(q, 1)));
  return a;
}

int berth_event_add(struct berth_db *db, const char *type, const char *action,
                    const char *actor, json_t *attributes,
                    berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  json_t *own = NULL;
  if (!attributes && strcmp(type, "container") == 0)
    attributes = own = ctr_attributes(db, actor, NULL);
  _cleanup_free_ char *attrs =
      attributes ? json_dumps(attributes, JSON_COMPACT) : NULL;
  json_decref(own);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (berth_db_prepare(db,
                       "INSERT INTO events (time, type, action, actor, "
                       "attributes) VALUES (?, ?, ?, ?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_int64(st, 1, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
  sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, attrs ? attrs : "{}", -1, SQLITE_STATIC);
  if (berth_db_step_done(db, st, err) < 0)
    return -1;
  /* The log is bounded: every 1000th event drops all but the newest
   * EVENTS_KEPT (Docker keeps a bounded ring in memory). */
  sqlite3_int64 seq = sqlite3_last_insert_rowid(berth_db_sqlite(db));
  if (seq % 1000 == 0) {
    _cleanup_stmt_ sqlite3_stmt *trim = NULL;
    if (berth_db_prepare(db, "DELETE FROM events WHERE seq <= ?", &trim,
                         err) < 0)
      return -1;
    sqlite3_bind_int64(trim, 1, seq - EVENTS_KEPT);
    return berth_db_step_done(db, trim, err);
  }
  return 0;
}

int berth_event_add_ctr(struct berth_db *db, const char *action,
                        const char *id, json_t *extra, berth_error **err) {
  json_t *attrs = ctr_attributes(db, id, NULL);
  if (!attrs)
    attrs = json_object();
  if (extra)
    json_object_update(attrs, extra);
  int rc = berth_event_add(db, "container", action, id, attrs, err);
  json_decref(attrs);
  return rc;
}

int berth_event_add_die(struct berth_db *db, const char *id, int exit_code,
                        berth_error **err) {
  berth_error *own = NULL;
  json_t *attrs = ctr_attributes(db, id, &own);
  if (!attrs) {
    if (own) {
      if (err && !*err)
        *err = own;
      else
        berth_error_free(own);
      return -1;
    }
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "no such container: `%s`", id);
  }
  char code[16];
  snprintf(code, sizeof code, "%d", exit_code);
  /* Docker's attributes are strings, exitCode too. */
  json_object_set_new(attrs, "exitCode", json_string(code));
  int rc = berth_event_add(db, "container", "die", id, attrs, err);
  json_decref(attrs);
  return rc;
}

/* The newest die event matching `where` (?1 is the reference); *n gets
 * how many distinct containers match. */
static int last_die(struct berth_db *db, const char *where, const char *ref,
                    char id[65], int *code, int *n, berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT actor, json_extract(attributes, '$.exitCode'), "
           "(SELECT COUNT(DISTINCT actor) FROM events WHERE type='container'"
           " AND action='die' AND %s) FROM events WHERE type='container' AND "
           "action='die' AND %s ORDER BY seq DESC LIMIT 1",
           where, where);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
  *n = 0;
  if (sqlite3_step(st) != SQLITE_ROW ||
      sqlite3_column_type(st, 1) == SQLITE_NULL)
    return 0;
  snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
  *code = atoi((const char *)sqlite3_column_text(st, 1));
  *n = sqlite3_column_int(st, 2);
  return 1;
}

int berth_event_last_exit(struct berth_db *db, const char *ref, char id[65],
                          int *code, berth_error **err) {
  /* As berth_ctr_find: the full id, then the name, then a prefix that
   * only one container had. */
  static const char *const where[] = {
      "actor = ?1",
      "json_extract(attributes, '$.name') = ?1",
      "substr(actor, 1, length(?1)) = ?1",
  };
  if (!ref || !*ref)
    return 0;
  for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
    int n, rc = last_die(db, where[i], ref, id, code, &n, err);
    if (rc != 0)
      return rc < 0 ? -1 : n == 1 || i < 2 ? 1 : 0;
  }
  return 0;
}
