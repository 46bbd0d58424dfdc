/* Cgroups v1 and v2 behind one interface.
 *
 * The runtime creates the cgroup before the container's init is released,
 * enters the init's pid, and records berth_cgroup_path() in the state so
 * later commands (pause, ps, update, delete, exec) can reopen it.
 * Layout is detected at run time: pure v2 (/sys/fs/cgroup is cgroup2),
 * v1 controllers at /sys/fs/cgroup/<ctrl>, and hybrid (v1 controllers plus
 * a cgroup2 mount at /sys/fs/cgroup/unified, used for freeze/kill there). */
#ifndef BERTH_OCI_CGROUP_H
#define BERTH_OCI_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_device_rule {
  bool allow;
  char type;        /* 'a', 'c' or 'b' */
  int64_t major;    /* -1: wildcard */
  int64_t minor;    /* -1: wildcard */
  char access[4];   /* subset of "rwm" */
};

struct berth_weight_device {
  int64_t major, minor;
  int64_t weight, leaf_weight; /* -1 when unset */
};

struct berth_throttle_device {
  int64_t major, minor;
  uint64_t rate;
};

struct berth_hugepage_limit {
  char page_size[16]; /* "2MB", "1GB" as in hugetlb.<size>.limit_in_bytes */
  uint64_t limit;
};

/* linux.resources; every `has_*` says whether the field was present. */
struct berth_cgroup_resources {
  bool has_memory_limit, has_memory_reservation, has_memory_swap,
      has_memory_swappiness;
  int64_t memory_limit, memory_reservation, memory_swap; /* -1: unlimited */
  uint64_t memory_swappiness;
  bool disable_oom_killer;
  bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_idle,
      has_cpu_rt_period, has_cpu_rt_runtime;
  uint64_t cpu_shares, cpu_period, cpu_rt_period;
  int64_t cpu_quota, cpu_idle, cpu_rt_runtime;
  char *cpu_cpus, *cpu_mems;
  bool has_pids_limit;
  int64_t pids_limit; /* <= 0: unlimited */
  bool has_blkio_weight, has_blkio_leaf_weight;
  uint16_t blkio_weight, blkio_leaf_weight;
  struct berth_weight_device *weight_devices;
  size_t n_weight_devices;
  struct berth_throttle_device *throttle[4]; /* read bps, write bps, read iops, write iops */
  size_t n_throttle[4];
  struct berth_device_rule *devices;
  size_t n_devices;
  bool has_devices;  /* present (even empty): replace the device rules */
  struct berth_hugepage_limit *hugepages;
  size_t n_hugepages;
  json_t *unified;  /* linux.resources.unified (v2 key -> value), owned */
};

int berth_cgroup_resources_parse(json_t *res, const char *path,
                                 struct berth_cgroup_resources **out,
                                 berth_error **err);
void berth_cgroup_resources_free(struct berth_cgroup_resources *r);
/* Appends the device rules every container needs (default /dev nodes,
 * ptys, mknod), then `extra` (the spec's linux.devices), after the
 * config's own rules; *res is allocated when NULL. */
int berth_cgroup_add_default_devices(struct berth_cgroup_resources **res,
                                     const struct berth_device_rule *extra,
                                     size_t n_extra, berth_error **err);

struct berth_cgroup;

/* Creates the cgroup (in every v1 hierarchy and/or the v2 tree) and applies
 * the limits.  cgroups_path may be NULL/"" (default "/berth/<id>"); a
 * relative path is placed under "/berth".  "a:b:c" (systemd form) is
 * refused as unsupported.  On failure nothing is left behind. */
int berth_cgroup_create(const char *cgroups_path, const char *id,
                        const struct berth_cgroup_resources *r,
                        struct berth_cgroup **out, berth_error **err);
/* Reopens a cgroup from the path berth_cgroup_path() returned. */
int berth_cgroup_open(const char *path, struct berth_cgroup **out,
                      berth_error **err);
/* The normalised absolute path ("/berth/<id>") to record in the state. */
const char *berth_cgroup_path(const struct berth_cgroup *cg);
/* Moves pid into the cgroup in every hierarchy. */
int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid,
                       berth_error **err);
int berth_cgroup_freeze(const struct berth_cgroup *cg, bool freeze,
                        berth_error **err);
int berth_cgroup_is_frozen(const struct berth_cgroup *cg, bool *frozen,
                           berth_error **err);
/* Every pid in the cgroup (and its descendants); *pids is malloc'd. */
int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **pids, size_t *n,
                      berth_error **err);
/* Signals every process in the cgroup. */
int berth_cgroup_kill_all(const struct berth_cgroup *cg, int sig,
                          berth_error **err);
/* Applies new limits to a live cgroup (runtime `update`). */
int berth_cgroup_update(const struct berth_cgroup *cg,
                        const struct berth_cgroup_resources *r,
                        berth_error **err);
/* Kills what is left, waits (bounded) until empty, removes every dir. */
int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error **err);
void berth_cgroup_free(struct berth_cgroup *cg);
/* Which layout this host has: "v1", "v2" or "hybrid". */
const char *berth_cgroup_layout(void);

#endif
