/* Opening, migrating and transactions of berth's SQLite database. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"

struct berth_db {
  sqlite3 *h;
};

/* Each entry migrates from version i to i + 1.  Never edit a released
 * entry: add one. */
static const char *const migrations[] = {
    /* 1: images and their names. An image is identified by its config
     * digest (as Docker's image id); its manifest and layers are blobs of
     * the content store, its layers unpacked into snapshots by chain id. */
    "CREATE TABLE images ("
    "  id TEXT PRIMARY KEY,"
    "  manifest_digest TEXT NOT NULL,"
    "  manifest_media_type TEXT NOT NULL,"
    "  index_digest TEXT,"
    "  os TEXT NOT NULL, architecture TEXT NOT NULL, variant TEXT,"
    "  created TEXT,"
    "  size INTEGER NOT NULL,"
    "  added INTEGER NOT NULL);"
    "CREATE TABLE image_layers ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  blob TEXT NOT NULL, media_type TEXT NOT NULL, blob_size INTEGER NOT NULL,"
    "  diff_id TEXT NOT NULL, chain_id TEXT NOT NULL,"
    "  unpacked_size INTEGER NOT NULL,"
    "  PRIMARY KEY (image_id, idx));"
    "CREATE INDEX image_layers_chain ON image_layers(chain_id);"
    "CREATE INDEX image_layers_blob ON image_layers(blob);"
    /* name: "docker.io/library/busybox:latest"; one image per name. */
    "CREATE TABLE tags ("
    "  name TEXT PRIMARY KEY,"
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
    "CREATE INDEX tags_image ON tags(image_id);"
    /* name: "docker.io/library/busybox@sha256:..." as pulled or pushed. */
    "CREATE TABLE repo_digests ("
    "  name TEXT PRIMARY KEY,"
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
    "CREATE INDEX repo_digests_image ON repo_digests(image_id);",
    /* 2: the image a build step made an image from (Docker's "Parent"):
     * an untagged image others were built on is intermediate (`images`
     * hides it without -a), and builder prune keeps the ancestors of
     * named images.  parent_id is no foreign key: a parent may go first
     * (records are self-contained), and its id means the same image if
     * it comes back. */
    "CREATE TABLE image_parents ("
    "  image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,"
    "  parent_id TEXT NOT NULL);"
    "CREATE INDEX image_parents_parent ON image_parents(parent_id);",
};

int berth_db_error(struct berth_db *db, const char *what, berth_error **err) {
  int code = sqlite3_extended_errcode(db->h);
  berth_error_kind kind = BERTH_ERR_SYSTEM;
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
    kind = BERTH_ERR_TIMEOUT;
  else if ((code & 0xff) == SQLITE_CONSTRAINT)
    kind = BERTH_ERR_EXISTS;
  return berth_error_set(err, kind, 0, "database: %s: %s", what,
                         sqlite3_errmsg(db->h));
}

static int exec_sql(struct berth_db *db, const char *sql, const char *what,
                    berth_error **err) {
  if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
    return berth_db_error(db, what, err);
  return 0;
}

static int user_version(struct berth_db *db, int *out, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "PRAGMA user_version", &st, err) < 0)
    return -1;
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "read schema version", err);
  *out = sqlite3_column_int(st, 0);
  return 0;
}

static int migrate(struct berth_db *db, berth_error **err) {
  int v;
  if (user_version(db, &v, err) < 0)
    return -1;
  int latest = (int)ARRAY_SIZE(migrations);
  if (v == latest)
    return 0; /* the common case: no write lock taken at all */
  if (berth_db_begin(db, err) < 0)
    return -1;
  /* Re-read under the write lock: another berth may have migrated. */
  if (user_version(db, &v, err) < 0)
    goto fail;
  if (v > latest) {
    berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                    "database schema version %d is newer than this berth "
                    "(%d): upgrade berth",
                    v, latest);
    goto fail;
  }
  for (; v < latest; v++) {
    char pragma[64];
    if (exec_sql(db, migrations[v], "migrate schema", err) < 0)
      goto fail;
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
    if (exec_sql(db, pragma, "set schema version", err) < 0)
      goto fail;
  }
  return berth_db_commit(db, err);
fail:
  berth_db_rollback(db);
  return -1;
}

/* Components above the image store (the engine) keep their own version in
 * schema_versions, so each layer migrates only the tables it owns. */
static int component_version(struct berth_db *db, const char *component,
                             int *out, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (exec_sql(db,
               "CREATE TABLE IF NOT EXISTS schema_versions ("
               "  component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
               "create schema_versions", err) < 0 ||
      berth_db_prepare(db,
                       "SELECT version FROM schema_versions WHERE component=?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return berth_db_error(db, "read schema version", err);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  return 0;
}

static int set_component_version(struct berth_db *db, const char *component,
                                 int v, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "INSERT OR REPLACE INTO schema_versions VALUES (?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, v);
  return berth_db_step_done(db, st, err);
}

int berth_db_migrate(struct berth_db *db, const char *component,
                     const char *const *steps, int n, berth_error **err) {
  int v;
  /* Unlocked read first: the common case takes no write lock at all. */
  if (component_version(db, component, &v, err) < 0)
    return -1;
  if (v == n)
    return 0;
  if (berth_db_begin(db, err) < 0)
    return -1;
  if (component_version(db, component, &v, err) < 0)
    goto fail;
  if (v > n) {
    berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                    "database schema of `%s` version %d is newer than this "
                    "berth (%d): upgrade berth",
                    component, v, n);
    goto fail;
  }
  for (; v < n; v++)
    if (exec_sql(db, steps[v], "migrate schema", err) < 0 ||
        set_component_version(db, component, v + 1, err) < 0)
      goto fail;
  return berth_db_commit(db, err);
fail:
  berth_db_rollback(db);
  return -1;
}

/* The database holds containers' configs (their env carries secrets):
 * 0600.  SQLite creates it 0644 (less the umask) and gives the -wal and
 * -shm files the database file's mode, so the file is made (or, when an
 * earlier berth made it readable, tightened along with its -wal and -shm)
 * before SQLite opens it. */
static int private_db_file(const char *path, berth_error **err) {
  _cleanup_close_ int fd =
      open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return berth_error_sys(err, "open database `%s`", path);
  if ((st.st_mode & 07777) == 0600)
    return 0;
  if (fchmod(fd, 0600) < 0)
    return berth_error_sys(err, "chmod `%s`", path);
  static const char *const suffixes[] = {"-wal", "-shm"};
  for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
    char side[4096];
    snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
    if (chmod(side, 0600) < 0 && errno != ENOENT)
      return berth_error_sys(err, "chmod `%s`", side);
  }
  return 0;
}

int berth_db_open(const char *path, struct berth_db **out, berth_error **err) {
  if (private_db_file(path, err) < 0)
    return -1;
  struct berth_db *db = calloc(1, sizeof *db);
  if (!db)
    return berth_error_sys(err, "allocate database handle");
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
              SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
    berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open database `%s`: %s", path,
                    db->h ? sqlite3_errmsg(db->h) : "out of memory");
    berth_db_close(db);
    return -1;
  }
  /* Other berth processes hold the write lock for milliseconds; waiting
   * is right, failing is not.  WAL lets readers run during writes;
   * synchronous=NORMAL is durable across crashes of berth (not of the
   * machine's power, where the last transaction may be lost but the
   * database stays consistent). */
  sqlite3_busy_timeout(db->h, 30000);
  /* berth processes are short and many: by default the last one to close
   * the database checkpoints the WAL into it (two fsyncs) and deletes the
   * WAL, which the next process then recreates (another two fsyncs, of the
   * WAL header and the directory).  Keep the WAL and let the automatic
   * checkpoint fold it in during some later commit: every commit is still
   * in the WAL, so nothing changes for crashes.  The first process to open
   * the database reads every frame of the WAL to rebuild its index, so the
   * checkpoint comes every 64 pages (a `run --rm` writes about 25) rather
   * than SQLite's 1000: 1000 frames took 2 ms to read. */
  int one = 1;
  sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_file_control(db->h, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
  /* Some contention SQLite reports at once, without its busy handler:
   * while another process opening the database switches it to WAL or
   * rebuilds the WAL index, for instance.  Those quick failures are
   * retried (a genuine busy timeout takes 30 s and is not). */
  for (int attempt = 0;; attempt++) {
    berth_error *e = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (exec_sql(db,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 "PRAGMA wal_autocheckpoint = 64;"
                 "PRAGMA foreign_keys = ON;",
                 "configure", &e) == 0 &&
        migrate(db, &e) == 0)
      break;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
              (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (e->kind == BERTH_ERR_TIMEOUT && ms < 1000 && attempt < 200) {
      berth_error_free(e);
      struct timespec pause = {0, 5 * 1000 * 1000};
      nanosleep(&pause, NULL);
      continue;
    }
    if (err && *err == NULL)
      *err = e;
    else
      berth_error_free(e);
    berth_error_prefix(err, "open database `%s`", path);
    berth_db_close(db);
    return -1;
  }
  *out = db;
  return 0;
}

void berth_db_close(struct berth_db *db) {
  if (!db)
    return;
  sqlite3_close(db->h);
  free(db);
}

sqlite3 *berth_db_sqlite(struct berth_db *db) { return db->h; }

int berth_db_begin(struct berth_db *db, berth_error **err) {
  return exec_sql(db, "BEGIN IMMEDIATE", "begin transaction", err);
}

int berth_db_commit(struct berth_db *db, berth_error **err) {
  if (exec_sql(db, "COMMIT", "commit", err) < 0) {
    berth_db_rollback(db);
    return -1;
  }
  return 0;
}

void berth_db_rollback(struct berth_db *db) {
  if (!sqlite3_get_autocommit(db->h))
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int berth_db_prepare(struct berth_db *db, const char *sql, sqlite3_stmt **out,
                     berth_error **err) {
  if (sqlite3_prepare_v2(db->h, sql, -1, out, NULL) != SQLITE_OK) {
    char what[48];
    snprintf(what, sizeof what, "prepare `%.32s`", sql);
    return berth_db_error(db, what, err);
  }
  return 0;
}

int berth_db_step_done(struct berth_db *db, sqlite3_stmt *st,
                       berth_error **err) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    char what[48];
    snprintf(what, sizeof what, "`%.32s`", sqlite3_sql(st));
    return berth_db_error(db, what, err);
  }
  return 0;
}

static void rows_free(char *v, size_t count, size_t elem_size,
                      berth_db_clear_fn clear) {
  for (size_t i = 0; i < count; i++)
    clear(v + i * elem_size);
  free(v);
}

int berth_db_rows(struct berth_db *db, sqlite3_stmt *st, size_t elem_size,
                  berth_db_row_fn read, berth_db_clear_fn clear, void *ctx,
                  const char *what, void **out, size_t *n, berth_error **err) {
  char *v = NULL;
  size_t count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *nv = realloc(v, (count + 1) * elem_size);
    if (!nv) {
      rows_free(v, count, elem_size, clear);
      return berth_error_sys(err, "allocate");
    }
    v = nv;
    memset(v + count * elem_size, 0, elem_size);
    if (read(ctx, st, v + count++ * elem_size, err) < 0) {
      rows_free(v, count, elem_size, clear);
      return -1;
    }
  }
  if (rc != SQLITE_DONE) {
    rows_free(v, count, elem_size, clear);
    return berth_db_error(db, what, err);
  }
  *out = v;
  *n = count;
  return 0;
}
