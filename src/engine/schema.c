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
    /* 2: networks, the containers' endpoints on them (the address
     * leases: one row per container and network, released with the
     * container) and the ports published while a container runs.
     * host and none are rows too (driver host/null, no bridge), as
     * Docker lists them.  An address is never leased twice: the
     * UNIQUE constraints decide under concurrent creates. */
    "CREATE TABLE networks ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  driver TEXT NOT NULL,"
    "  bridge TEXT UNIQUE,"
    "  subnet TEXT,"
    "  gateway TEXT,"
    "  subnet6 TEXT,"
    "  gateway6 TEXT,"
    "  internal INTEGER NOT NULL DEFAULT 0,"
    "  labels TEXT NOT NULL DEFAULT '{}',"
    "  options TEXT NOT NULL DEFAULT '{}',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE endpoints ("
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  network_id TEXT NOT NULL REFERENCES networks(id),"
    "  ifname TEXT NOT NULL,"
    "  host_if TEXT NOT NULL UNIQUE,"
    "  ip TEXT NOT NULL,"
    "  ip6 TEXT,"
    "  mac TEXT NOT NULL,"
    "  aliases TEXT NOT NULL DEFAULT '[]',"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (container_id, network_id),"
    "  UNIQUE (network_id, ip),"
    "  UNIQUE (network_id, ip6),"
    "  UNIQUE (container_id, ifname));"
    "CREATE INDEX endpoints_network ON endpoints(network_id);"
    "CREATE TABLE port_maps ("
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  proto TEXT NOT NULL,"
    "  host_ip TEXT NOT NULL,"
    "  host_port INTEGER NOT NULL,"
    "  ctr_ip TEXT NOT NULL,"
    "  ctr_ip6 TEXT,"
    "  ctr_port INTEGER NOT NULL,"
    "  PRIMARY KEY (proto, host_ip, host_port));"
    "CREATE INDEX port_maps_container ON port_maps(container_id);",
    /* 3: the build cache (src/build/build_image.h): a step's key (its
     * parent image, instruction and inputs) -> the image it made; the
     * image's removal drops the entry.  build_file_hashes remembers the
     * content digest of context files by (path, device, inode, size,
     * mtime, ctime) so a rebuild with an unchanged context reads no
     * file (src/build/context.h). */
    "CREATE TABLE build_cache ("
    "  key TEXT PRIMARY KEY,"
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  last_used INTEGER NOT NULL);"
    "CREATE INDEX build_cache_image ON build_cache(image_id);"
    "CREATE TABLE build_file_hashes ("
    "  path TEXT PRIMARY KEY,"
    "  dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
    "  digest TEXT NOT NULL,"
    "  last_used INTEGER NOT NULL);",
};

int berth_engine_migrate(struct berth_db *db, berth_error **err) {
  return berth_db_migrate(db, "engine", engine_steps,
                          (int)ARRAY_SIZE(engine_steps), err);
}
