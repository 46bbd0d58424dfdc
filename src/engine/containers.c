/* Container records: insert, find, list, state updates. */
#include "containers.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

#define CTR_COLUMNS                                                          \
  "id, name, image_id, image_name, created, config, state, pid, pid_start, " \
  "monitor_pid, monitor_start, exit_code, started_at, finished_at, "         \
  "restart_count, health, health_failures, oom_killed, error, "              \
  "stopped_by_user, id_base, id_count"

void berth_ctr_free(struct berth_ctr *c) {
  if (!c)
    return;
  berth_ctrs_free(c, 1);
}

void berth_ctr_clear(struct berth_ctr *c) {
  free(c->name);
  free(c->image_name);
  json_decref(c->config);
  free(c->health);
  free(c->error);
  memset(c, 0, sizeof *c);
}

void berth_ctrs_free(struct berth_ctr *c, size_t n) {
  if (!c)
    return;
  for (size_t i = 0; i < n; i++)
    berth_ctr_clear(&c[i]);
  free(c);
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? strdup(s) : NULL;
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t len) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  snprintf(out, len, "%s", s ? s : "");
}

static int read_row(sqlite3_stmt *st, struct berth_ctr *c, berth_error **err) {
  col_copy(st, 0, c->id, sizeof c->id);
  c->name = col_dup(st, 1);
  col_copy(st, 2, c->image_id, sizeof c->image_id);
  c->image_name = col_dup(st, 3);
  c->created = sqlite3_column_int64(st, 4);
  const char *cfg = (const char *)sqlite3_column_text(st, 5);
  c->config = cfg ? json_loads(cfg, 0, NULL) : NULL;
  col_copy(st, 6, c->state, sizeof c->state);
  c->pid = (pid_t)sqlite3_column_int64(st, 7);
  c->pid_start = (uint64_t)sqlite3_column_int64(st, 8);
  c->monitor_pid = (pid_t)sqlite3_column_int64(st, 9);
  c->monitor_start = (uint64_t)sqlite3_column_int64(st, 10);
  c->exit_code = sqlite3_column_int(st, 11);
  c->started_at = sqlite3_column_int64(st, 12);
  c->finished_at = sqlite3_column_int64(st, 13);
  c->restart_count = sqlite3_column_int(st, 14);
  c->health = col_dup(st, 15);
  c->health_failures = sqlite3_column_int(st, 16);
  c->oom_killed = sqlite3_column_int(st, 17) != 0;
  c->error = col_dup(st, 18);
  c->stopped_by_user = sqlite3_column_int(st, 19) != 0;
  c->id_base = (uint32_t)sqlite3_column_int64(st, 20);
  c->id_count = (uint32_t)sqlite3_column_int64(st, 21);
  if (!c->name || !c->image_name || !c->config)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "database: container `%s` has a damaged record",
                           c->id);
  return 0;
}

int berth_ctr_name_validate(const char *name, berth_error **err) {
  size_t n = strlen(name);
  bool ok = n > 0 && n <= 128 && isalnum((unsigned char)name[0]);
  for (size_t i = 1; ok && i < n; i++)
    ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
  if (!ok)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid container name `%s`: only "
                           "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                           name);
  return 0;
}

/* Docker's words (the docker CLI and compose show them as they are),
 * with the container that holds the name. */
static int name_in_use(struct berth_db *db, const char *name,
                       berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *q = NULL;
  const char *holder = "";
  if (berth_db_prepare(db, "SELECT id FROM containers WHERE name=?", &q,
                       NULL) == 0) {
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
      holder = (const char *)sqlite3_column_text(q, 0);
  }
  return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                         "Conflict. The container name \"/%s\" is already "
                         "in use by container \"%s\". You have to remove "
                         "(or rename) that container to be able to reuse "
                         "that name.",
                         name, holder);
}

int berth_ctr_insert(struct berth_db *db, const struct berth_ctr *c,
                     berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *cfg = json_dumps(c->config, JSON_COMPACT);
  if (!cfg)
    return berth_error_sys(err, "serialise container config");
  if (berth_db_prepare(db,
                       "INSERT INTO containers (id, name, image_id, "
                       "image_name, created, config, state) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, c->image_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, c->image_name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, c->created);
  sqlite3_bind_text(st, 6, cfg, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, c->state, -1, SQLITE_STATIC);
  if (berth_db_step_done(db, st, err) < 0) {
    if ((*err)->kind == BERTH_ERR_EXISTS) {
      berth_error_free(*err);
      *err = NULL;
      return name_in_use(db, c->name, err);
    }
    return -1;
  }
  return 0;
}

/* Runs a SELECT of CTR_COLUMNS with one text parameter; collects rows. */
static int query(struct berth_db *db, const char *where, const char *arg,
                 struct berth_ctr **out, size_t *n, size_t limit,
                 berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT " CTR_COLUMNS " FROM containers %s",
           where);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  struct berth_ctr *v = NULL;
  size_t count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && count < limit) {
    struct berth_ctr *nv = realloc(v, (count + 1) * sizeof *v);
    if (!nv) {
      berth_ctrs_free(v, count);
      return berth_error_sys(err, "allocate");
    }
    v = nv;
    memset(&v[count], 0, sizeof *v);
    if (read_row(st, &v[count++], err) < 0) {
      berth_ctrs_free(v, count);
      return -1;
    }
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    berth_ctrs_free(v, count);
    return berth_db_error(db, "read containers", err);
  }
  *out = v;
  *n = count;
  return 0;
}

int berth_ctr_get(struct berth_db *db, const char *id, struct berth_ctr **out,
                  berth_error **err) {
  size_t n;
  if (query(db, "WHERE id = ?", id, out, &n, 1, err) < 0)
    return -1;
  if (n == 0)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "No such container: %s", id);
  return 0;
}

static bool is_hex(const char *s) {
  for (; *s; s++)
    if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
      return false;
  return true;
}

int berth_ctr_find(struct berth_db *db, const char *ref,
                   struct berth_ctr **out, berth_error **err) {
  size_t n;
  if (!*ref)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "empty container name or id");
  if (query(db, "WHERE id = ?1 OR name = ?1", ref, out, &n, 1, err) < 0)
    return -1;
  if (n == 1)
    return 0;
  free(*out);
  if (is_hex(ref) && strlen(ref) < 64) {
    _cleanup_free_ char *pattern = NULL;
    if (asprintf(&pattern, "%s*", ref) < 0)
      return berth_error_sys(err, "allocate");
    if (query(db, "WHERE id GLOB ?", pattern, out, &n, 2, err) < 0)
      return -1;
    if (n == 1)
      return 0;
    berth_ctrs_free(*out, n);
    *out = NULL;
    if (n > 1)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "container id prefix `%s` is ambiguous", ref);
  }
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                         "No such container: %s", ref);
}

int berth_ctr_list(struct berth_db *db, struct berth_ctr **out, size_t *n,
                   berth_error **err) {
  return query(db, "ORDER BY created DESC", NULL, out, n, SIZE_MAX, err);
}

int berth_ctr_save_state(struct berth_db *db, const struct berth_ctr *c,
                         berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "UPDATE containers SET state=?, pid=?, pid_start=?, "
                       "monitor_pid=?, monitor_start=?, exit_code=?, "
                       "started_at=?, finished_at=?, restart_count=?, "
                       "health=?, health_failures=?, oom_killed=?, error=?, "
                       "stopped_by_user=? WHERE id=?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, c->state, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, c->pid);
  sqlite3_bind_int64(st, 3, (int64_t)c->pid_start);
  sqlite3_bind_int64(st, 4, c->monitor_pid);
  sqlite3_bind_int64(st, 5, (int64_t)c->monitor_start);
  sqlite3_bind_int(st, 6, c->exit_code);
  sqlite3_bind_int64(st, 7, c->started_at);
  sqlite3_bind_int64(st, 8, c->finished_at);
  sqlite3_bind_int(st, 9, c->restart_count);
  sqlite3_bind_text(st, 10, c->health, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 11, c->health_failures);
  sqlite3_bind_int(st, 12, c->oom_killed);
  sqlite3_bind_text(st, 13, c->error, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 14, c->stopped_by_user);
  sqlite3_bind_text(st, 15, c->id, -1, SQLITE_STATIC);
  return berth_db_step_done(db, st, err);
}

static int exec_id(struct berth_db *db, const char *sql, const char *a,
                   const char *b, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b)
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  return berth_db_step_done(db, st, err);
}

int berth_ctr_rename(struct berth_db *db, const char *id, const char *name,
                     berth_error **err) {
  if (exec_id(db, "UPDATE containers SET name=?2 WHERE id=?1", id, name,
              err) < 0) {
    if ((*err)->kind == BERTH_ERR_EXISTS) {
      berth_error_free(*err);
      *err = NULL;
      return name_in_use(db, name, err);
    }
    return -1;
  }
  return 0;
}

int berth_ctr_save_config(struct berth_db *db, const char *id, json_t *config,
                          berth_error **err) {
  _cleanup_free_ char *cfg = json_dumps(config, JSON_COMPACT);
  if (!cfg)
    return berth_error_sys(err, "serialise container config");
  return exec_id(db, "UPDATE containers SET config=?2 WHERE id=?1", id, cfg,
                 err);
}

int berth_ctr_delete(struct berth_db *db, const char *id, berth_error **err) {
  return exec_id(db, "DELETE FROM containers WHERE id=?", id, NULL, err);
}

int berth_ctr_count_using_image(struct berth_db *db, const char *image_id,
                                berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "SELECT count(*) FROM containers WHERE image_id=?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "count containers", err);
  return sqlite3_column_int(st, 0);
}
