/* The engine: containers from images on the runtime library, with no
 * daemon.  Every `berth` command opens the engine, does its work under the
 * database's transactions and exits; a small monitor process per running
 * container (src/monitor) holds its stdio and log and reports its exit.
 *
 * Layout under the root (default /var/lib/berth, shared with images; its
 * own mode is left to its owner):
 *   berth.db[-wal|-shm] 0600: containers' records hold their env
 *   containers/<id>/   0700, as containers/: bundle (config.json, rootfs
 *                      mount point, upper/, work/, hosts, hostname,
 *                      resolv.conf), the json-file log ctr.log, and `exit`
 *                      written by the monitor
 *   volumes/<name>/_data  volumes/ and volumes/<name> 0700
 *   run/               the runtime's state (berth_ctx.state_root) */
#ifndef BERTH_ENGINE_ENGINE_H
#define BERTH_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"
#include "error.h"
#include "container.h"
#include "imgstore.h"
#include "log.h"

/* Where the engine keeps its state unless told otherwise. */
#define BERTH_DEFAULT_ROOT "/var/lib/berth"

struct berth_engine {
  char *root;
  char *run_root;       /* runtime state root */
  struct berth_imgstore *is;
  struct berth_db *db;  /* is->db */
  char *self_exe;       /* berth itself, for the monitor's helpers */
  char *monitor_exe;    /* berth-monitor */
  char *init_exe;       /* berth-init (--init) */
  char *runtime_exe;    /* berth-runtime: creates containers whose init
                           must run from a sealed copy (--pid container:) */
  char *const *envp;
  /* The parent cgroup of containers that name none: the engine's
   * configuration ($BERTH_CGROUP_PARENT of the environment it was opened
   * with; tests keep their cgroups apart with it), NULL for the
   * runtime's default. */
  char *cgroup_parent;
};

/* Opens the stores under root and migrates the engine's tables.
 * self_exe may be NULL (found from /proc/self/exe). */
int berth_engine_open(const char *root, char *const *envp,
                      struct berth_engine **out, berth_error **err);
void berth_engine_free(struct berth_engine *e);
/* The runtime library's context for this engine's containers (state under
 * run_root; log points at *log, which discards). */
void berth_engine_runtime_ctx(const struct berth_engine *e,
                              struct berth_ctx *ctx, berth_log *log);
int berth_engine_migrate(struct berth_db *db, berth_error **err);

/* Container states as Docker names them. */
#define BERTH_ST_CREATED "created"
#define BERTH_ST_RUNNING "running"
#define BERTH_ST_PAUSED "paused"
#define BERTH_ST_RESTARTING "restarting"
#define BERTH_ST_EXITED "exited"
#define BERTH_ST_REMOVING "removing"
#define BERTH_ST_DEAD "dead"

struct berth_ctr {
  char id[65];
  char *name;
  char image_id[72];
  char *image_name;
  int64_t created;      /* ns since the epoch */
  json_t *config;       /* the create request (Config + HostConfig) */
  char state[16];
  pid_t pid;            /* the container's init on the host */
  uint64_t pid_start;   /* its /proc start time: guards pid reuse */
  pid_t monitor_pid;
  uint64_t monitor_start;
  int exit_code;
  int64_t started_at, finished_at; /* ns */
  int restart_count;
  char *health;         /* NULL, "starting", "healthy", "unhealthy" */
  int health_failures;
  bool oom_killed;
  char *error;
  bool stopped_by_user;
  uint32_t id_base, id_count; /* host ids of its user namespace; count 0:
                                 the host's (--userns=host) */
};
void berth_ctr_free(struct berth_ctr *c);
/* Frees what one entry of an array owns (the entry stays, zeroed). */
void berth_ctr_clear(struct berth_ctr *c);
void berth_ctrs_free(struct berth_ctr *c, size_t n);
static inline void berth_ctr_freep(struct berth_ctr **c) {
  if (*c) {
    berth_ctr_free(*c);
    *c = NULL;
  }
}
#define _cleanup_ctr_ __attribute__((cleanup(berth_ctr_freep)))

#endif
