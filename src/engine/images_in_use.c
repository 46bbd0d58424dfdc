/* rmi: the image layer decides, the engine says which containers use an
 * image. */
#include "images_in_use.h"

#include <stdio.h>
#include <string.h>

#include "cleanup.h"

/* Running (or paused, restarting) containers first: they make a hard
 * conflict.  The record's state is what counts here: a container whose
 * init died unnoticed still holds the image either way. */
static int image_users(void *arg, const char *image_id, char ctr[13],
                       bool *running, berth_error **err) {
  struct berth_engine *e = arg;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT id, state IN ('running', 'paused', "
                       "'restarting') AS up, count(*) OVER () FROM "
                       "containers WHERE image_id = ? ORDER BY up DESC, "
                       "created LIMIT 1",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return 0;
  if (rc != SQLITE_ROW)
    return berth_db_error(e->db, "find containers of the image", err);
  snprintf(ctr, 13, "%s", (const char *)sqlite3_column_text(st, 0));
  *running = sqlite3_column_int(st, 1) != 0;
  return sqlite3_column_int(st, 2);
}

int berth_engine_image_remove(struct berth_engine *e, const char *what,
                              bool force, bool noprune,
                              struct berth_rmi_report *out,
                              berth_error **err) {
  struct berth_rmi_opts o = {.force = force, .noprune = noprune,
                             .users = image_users, .users_arg = e};
  return berth_image_remove(e->is, what, &o, out, err);
}
