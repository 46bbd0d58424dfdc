/* berth's database: one SQLite file (WAL) shared by every berth process.
 *
 * There is no daemon, so the database is the only thing that serialises
 * concurrent `berth` commands: every change runs in an IMMEDIATE
 * transaction (the write lock is taken at BEGIN, so two writers never
 * deadlock upgrading read locks) and readers see a consistent snapshot.
 * The schema is versioned with PRAGMA user_version and migrated at open. */
#ifndef BERTH_IMAGE_DB_H
#define BERTH_IMAGE_DB_H

#include <sqlite3.h>

#include "error.h"

struct berth_db;

/* Opens (creating and migrating when needed) the database at path. */
int berth_db_open(const char *path, struct berth_db **out, berth_error **err);
/* Brings the tables of a component above the image store (the engine) to
 * version n: steps[i] migrates from version i to i + 1, in one
 * transaction; the version is kept in the table schema_versions. */
int berth_db_migrate(struct berth_db *db, const char *component,
                     const char *const *steps, int n, berth_error **err);
void berth_db_close(struct berth_db *db);
sqlite3 *berth_db_sqlite(struct berth_db *db);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  rollback never fails the caller:
 * it is what error paths call. */
int berth_db_begin(struct berth_db *db, berth_error **err);
int berth_db_commit(struct berth_db *db, berth_error **err);
void berth_db_rollback(struct berth_db *db);

/* Prepares sql; the error names the statement's first words. */
int berth_db_prepare(struct berth_db *db, const char *sql, sqlite3_stmt **out,
                     berth_error **err);
/* Steps a statement that returns no rows (SQLITE_DONE expected). */
int berth_db_step_done(struct berth_db *db, sqlite3_stmt *st,
                       berth_error **err);
/* An error from the last SQLite call on db, prefixed with `what`. */
int berth_db_error(struct berth_db *db, const char *what, berth_error **err);

/* Steps st to the end, growing an array of elem_size records: read fills
 * the zeroed record of each row (ctx passed through), clear frees what
 * one record owns.  On error every record read is cleared and freed and
 * the error names `what`.  *out and *n get the array and its length. */
typedef int (*berth_db_row_fn)(void *ctx, sqlite3_stmt *st, void *rec,
                               berth_error **err);
typedef void (*berth_db_clear_fn)(void *rec);
int berth_db_rows(struct berth_db *db, sqlite3_stmt *st, size_t elem_size,
                  berth_db_row_fn read, berth_db_clear_fn clear, void *ctx,
                  const char *what, void **out, size_t *n, berth_error **err);

static inline void berth_stmt_finalizep(sqlite3_stmt **st) {
  if (*st)
    sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(berth_stmt_finalizep)))

#endif
