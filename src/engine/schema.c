/* The engine's tables in berth's database (the image store's tables are
 * migrated by image/db.c; these by component "engine"). */
#include "engine.h"

#include "cleanup.h"

/* Never edit a released step: add one. */
static const char *const engine_steps[] = {
    /* 1: containers, their host id ranges, volumes and events.
     * config holds the create request as Docker's Engine API takes it
     * (Config fields plus HostConfig), so `start` rebuilds the bundle from
     * it and `inspect` shows it.  image_id is not a foreign key: `rmi -f`
     * may remove an image a container was created from, as in Docker. */
    "CREATE TABLE containers ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  image_id TEXT NOT NULL,"
    "  image_name TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  config TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  pid_start INTEGER NOT NULL DEFAULT 0,"
    "  monitor_pid INTEGER NOT NULL DEFAULT 0,"
    "  monitor_start INTEGER NOT NULL DEFAULT 0,"
    "  exit_code INTEGER NOT NULL DEFAULT 0,"
    "  started_at INTEGER NOT NULL DEFAULT 0,"
    "  finished_at INTEGER NOT NULL DEFAULT 0,"
    "  restart_count INTEGER NOT NULL DEFAULT 0,"
    "  health TEXT,"
    "  health_failures INTEGER NOT NULL DEFAULT 0,"
    "  oom_killed INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  stopped_by_user INTEGER NOT NULL DEFAULT 0,"
    "  id_base INTEGER NOT NULL DEFAULT 0,"
    "  id_count INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX containers_image ON containers(image_id);"
    /* Each container in its own user namespace gets a block of host ids
     * no other container has; the block is freed with the container. */
    "CREATE TABLE id_ranges ("
    "  start INTEGER PRIMARY KEY,"
    "  count INTEGER NOT NULL,"
    "  container_id TEXT NOT NULL UNIQUE"
    "    REFERENCES containers(id) ON DELETE CASCADE);"
    "CREATE TABLE volumes ("
    "  name TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  labels TEXT NOT NULL DEFAULT '{}',"
    "  anonymous INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE container_volumes ("
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  volume TEXT NOT NULL REFERENCES volumes(name),"
    "  target TEXT NOT NULL,"
    "  PRIMARY KEY (container_id, target));"
    "CREATE INDEX container_volumes_volume ON container_volumes(volume);"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  attributes TEXT NOT NULL DEFAULT '{}');",
};

int berth_engine_migrate(struct berth_db *db, berth_error **err) {
  return berth_db_migrate(db, "engine", engine_steps,
                          (int)ARRAY_SIZE(engine_steps), err);
}
