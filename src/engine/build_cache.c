/* The build cache's entries and builder prune (see build_cache.h). */
#include "build_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "images.h"
#include "prune.h"

int berth_build_cache_get(struct berth_db *db, const char *key,
                          char image_id[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  /* The image's removal took its entries (ON DELETE CASCADE): an entry
   * found names an image that exists. */
  if (berth_db_prepare(db,
                       "UPDATE build_cache SET last_used = ?2 WHERE key = ?1"
                       " RETURNING image_id",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *id = sqlite3_column_text(st, 0);
    snprintf(image_id, BERTH_DIGEST_SIZE, "%s", id ? (const char *)id : "");
    rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? 1
                             : berth_db_error(db, "read the build cache", err);
  }
  return rc == SQLITE_DONE ? 0
                           : berth_db_error(db, "read the build cache", err);
}

int berth_build_cache_put(struct berth_db *db, const char *key,
                          const char *image_id, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "INSERT INTO build_cache (key, image_id, created,"
                       " last_used) VALUES (?1, ?2, ?3, ?3)"
                       " ON CONFLICT(key) DO UPDATE SET"
                       " image_id = excluded.image_id,"
                       " last_used = excluded.last_used",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
  if (berth_db_step_done(db, st, NULL) == 0)
    return 0;
  /* The only constraint that can fail is the image's foreign key. */
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                         "build cache: no such image: %s", image_id);
}

/* Unnamed, and an entry points at it or another image was built on it. */
#define CACHE_IMAGE(i)                                                         \
  "NOT EXISTS (SELECT 1 FROM tags WHERE image_id = " i ")"                     \
  " AND NOT EXISTS (SELECT 1 FROM repo_digests WHERE image_id = " i ")"        \
  " AND (EXISTS (SELECT 1 FROM build_cache WHERE image_id = " i ")"            \
  " OR EXISTS (SELECT 1 FROM image_parents WHERE parent_id = " i "))"

int berth_build_cache_holds(struct berth_db *db, const char *image_id,
                            berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "SELECT " CACHE_IMAGE("?1"), &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "read the build cache", err);
  return sqlite3_column_int(st, 0);
}

int64_t berth_build_cache_last_used(struct berth_db *db,
                                    const char *image_id) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "SELECT max(last_used) FROM build_cache"
                       " WHERE image_id = ?",
                       &st, NULL) < 0)
    return 0;
  sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
  return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

static int read_id(void *ctx, sqlite3_stmt *st, void *rec, berth_error **err) {
  (void)ctx;
  const unsigned char *s = sqlite3_column_text(st, 0);
  snprintf(rec, BERTH_DIGEST_SIZE, "%s", s ? (const char *)s : "");
  (void)err;
  return 0;
}

static void clear_nothing(void *rec) { (void)rec; }

/* The build cache images prune removes: all of them, or those no named
 * image descends from (the ancestors of named images, through
 * image_parents, keep the cache of their builds). */
static int prune_candidates(struct berth_db *db, bool all,
                            char (**out)[BERTH_DIGEST_SIZE], size_t *n,
                            berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(
          db,
          "WITH RECURSIVE kept(id) AS ("
          "  SELECT image_id FROM tags UNION SELECT image_id FROM repo_digests"
          "  UNION SELECT p.parent_id FROM image_parents p"
          "  JOIN kept ON p.image_id = kept.id)"
          " SELECT i.id FROM images i WHERE " CACHE_IMAGE("i.id")
          " AND (?1 OR i.id NOT IN (SELECT id FROM kept))"
          " ORDER BY i.added DESC, i.id",
          &st, err) < 0)
    return -1;
  sqlite3_bind_int(st, 1, all);
  return berth_db_rows(db, st, BERTH_DIGEST_SIZE, read_id, clear_nothing, NULL,
                       "list the build cache", (void **)out, n, err);
}

/* The entries of named images (those of images a container keeps stay:
 * the image is still there, and still what its step makes). */
static int drop_named_entries(struct berth_db *db, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "DELETE FROM build_cache WHERE image_id IN"
                       " (SELECT image_id FROM tags"
                       "  UNION SELECT image_id FROM repo_digests)",
                       &st, err) < 0)
    return -1;
  return berth_db_step_done(db, st, err);
}

int berth_build_cache_prune(struct berth_engine *e, bool all,
                            void (*fn)(void *arg, const char *image_id),
                            void *arg, uint64_t *reclaimed,
                            berth_error **err) {
  *reclaimed = 0;
  char(*ids)[BERTH_DIGEST_SIZE] = NULL;
  size_t n = 0;
  if (prune_candidates(e->db, all, &ids, &n, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    int gone = berth_image_delete_unused(e, ids[i], true, err);
    if (gone < 0)
      rc = -1;
    else if (gone && fn)
      fn(arg, ids[i]);
  }
  free(ids);
  if (rc == 0 && all)
    rc = drop_named_entries(e->db, err);
  if (rc == 0)
    rc = berth_imgstore_gc(e->is, reclaimed, err);
  return rc;
}

static void append_id(void *arg, const char *image_id) {
  json_array_append_new(arg, json_string(image_id));
}

int berth_build_cache_prune_report(struct berth_engine *e, bool all,
                                   json_t **report, berth_error **err) {
  json_t *ids = json_array();
  uint64_t freed = 0;
  int rc = berth_build_cache_prune(e, all, append_id, ids, &freed, err);
  /* Docker's prune reports give null, not [], when nothing went. */
  *report = json_pack("{s:o, s:I}", "CachesDeleted",
                      json_array_size(ids) ? ids
                                           : (json_decref(ids), json_null()),
                      "SpaceReclaimed", (json_int_t)freed);
  return rc;
}
