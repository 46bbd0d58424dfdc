/* Observing containers: resource usage read from their cgroups (for
 * `berth stats`) and the event log (for `berth events`). */
#ifndef BERTH_ENGINE_STATS_H
#define BERTH_ENGINE_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* One sample of a container's usage.  cpu_ns and host_cpu_ns are
 * cumulative: CPU % needs two samples (see berth_stats_cpu_percent). */
struct berth_stats {
  uint64_t cpu_ns;      /* CPU time of every process in the cgroup */
  uint64_t host_cpu_ns; /* CPU time of the whole host (/proc/stat) */
  unsigned online_cpus;
  uint64_t mem_usage; /* usage minus inactive page cache, as Docker */
  uint64_t mem_limit; /* the host's memory when unlimited */
  uint64_t pids;
  uint64_t blk_read, blk_write;
  uint64_t net_rx, net_tx; /* of the init's network namespace, without lo */
};

/* Samples the cgroup at cgroup_path (as recorded in the runtime state,
 * "/berth/<id>"), under the host's cgroup v1 hierarchies or its v2 tree,
 * and, when pid > 0, the network counters of that process.  Counters a
 * host does not have (no blkio controller) are left 0. */
int berth_stats_read(const char *cgroup_path, pid_t pid,
                     struct berth_stats *out, berth_error **err);

/* Samples a running container (its cgroup from the runtime state under
 * e->run_root).  STATE error when it is not running. */
int berth_ctr_stats(struct berth_engine *e, const struct berth_ctr *c,
                    struct berth_stats *out, berth_error **err);

/* The cgroup of a running container as its runtime state records it
 * ("/berth/<id>", checked to stay inside the hierarchy); *out malloc'd.
 * STATE error when it is not running. */
int berth_ctr_cgroup_path(struct berth_engine *e, const struct berth_ctr *c,
                          char **out, berth_error **err);
/* The host's CPU time (user through softirq of /proc/stat) in ns. */
int berth_stats_host_cpu(uint64_t *ns, berth_error **err);

/* Docker's CPU %: the container's share of the host's CPU time between
 * two samples, times the number of CPUs (100% = one CPU busy). */
double berth_stats_cpu_percent(const struct berth_stats *prev,
                               const struct berth_stats *cur);

/* "v1" or "v2": the layout berth_stats_read reads. */
const char *berth_stats_cgroup_version(void);

struct berth_event {
  int64_t seq; /* increasing: resume a follow after it */
  int64_t time_ns;
  char *type, *action, *actor;
  /* The recorded attributes, completed with the container's current
   * "name" and "image" when the record did not carry them. */
  json_t *attributes;
};
void berth_events_free(struct berth_event *ev, size_t n);

/* Events recorded after after_seq whose time is in [since_ns, until_ns]
 * (0: no bound), oldest first, at most max (> 0).  *out is malloc'd. */
int berth_events_list(struct berth_db *db, int64_t after_seq, int64_t since_ns,
                      int64_t until_ns, size_t max, struct berth_event **out,
                      size_t *n, berth_error **err);
/* The seq of the newest event (0 when none): a follow starting now
 * resumes after it. */
int berth_events_last_seq(struct berth_db *db, int64_t *seq, berth_error **err);

#endif
