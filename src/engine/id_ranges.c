/* Host id ranges of containers' user namespaces. */
#include "id_ranges.h"

#include "cleanup.h"

/* Ids from 2^30 up: far above the uids of host users and of the
 * subordinate ranges useradd hands out (from 100000, 65536 each). */
#define IDRANGE_FIRST 0x40000000u
#define IDRANGE_LAST 0xfffeffffu

int berth_idrange_alloc(struct berth_db *db, const char *container_id,
                        uint32_t count, uint32_t *base, berth_error **err) {
  /* The lowest block not taken: the first block after a taken one whose
   * successor is free, or the first block itself. */
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(
          db,
          "SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM id_ranges WHERE start=?1)"
          " UNION ALL "
          "SELECT r.start + r.count FROM id_ranges r WHERE NOT EXISTS "
          "(SELECT 1 FROM id_ranges s WHERE s.start = r.start + r.count) "
          "ORDER BY 1 LIMIT 1",
          &st, err) < 0)
    return -1;
  sqlite3_bind_int64(st, 1, IDRANGE_FIRST);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "find a free id range", err);
  int64_t start = sqlite3_column_int64(st, 0);
  if (start + count - 1 > IDRANGE_LAST)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "no free host id range left for a user namespace");
  _cleanup_stmt_ sqlite3_stmt *ins = NULL;
  if (berth_db_prepare(db, "INSERT INTO id_ranges VALUES (?, ?, ?)", &ins,
                       err) < 0)
    return -1;
  sqlite3_bind_int64(ins, 1, start);
  sqlite3_bind_int64(ins, 2, count);
  sqlite3_bind_text(ins, 3, container_id, -1, SQLITE_STATIC);
  if (berth_db_step_done(db, ins, err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *up = NULL;
  if (berth_db_prepare(db,
                       "UPDATE containers SET id_base=?, id_count=? WHERE id=?",
                       &up, err) < 0)
    return -1;
  sqlite3_bind_int64(up, 1, start);
  sqlite3_bind_int64(up, 2, count);
  sqlite3_bind_text(up, 3, container_id, -1, SQLITE_STATIC);
  *base = (uint32_t)start;
  return berth_db_step_done(db, up, err);
}
