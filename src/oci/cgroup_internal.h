/* Shared by cgroup.c, cgroup_v1.c, cgroup_v2.c and cgroup_bpf.c. */
#ifndef BERTH_OCI_CGROUP_INTERNAL_H
#define BERTH_OCI_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup.h"

#define CG_MAX_HIERARCHIES 16

enum cg_layout { CG_V1, CG_V2, CG_HYBRID };

/* One mounted hierarchy: a v1 controller set or the cgroup2 tree. */
struct cg_hierarchy {
  char mount[128];   /* e.g. /sys/fs/cgroup/memory */
  char controllers[96]; /* v1 super options, e.g. "cpu,cpuacct"; "" for v2 */
  bool v2;
  char dir[512];     /* mount + cgroup path */
  bool created;      /* we made dir (undo/destroy) */
};

struct berth_cgroup {
  char path[384];    /* "/berth/<id>" relative to every hierarchy root */
  enum cg_layout layout;
  struct cg_hierarchy h[CG_MAX_HIERARCHIES];
  size_t n;
};

/* The hierarchy holding v1 controller `name`, or NULL. */
struct cg_hierarchy *cg_v1_find(const struct berth_cgroup *cg,
                                const char *name);
/* The cgroup2 hierarchy (v2, or the unified tree in hybrid), or NULL. */
struct cg_hierarchy *cg_v2(const struct berth_cgroup *cg);

/* Writes value to dir/file; the error names the file, dir and value. */
int cg_write(const char *dir, const char *file, const char *value,
             berth_error **err);
/* Reads dir/file into buf (NUL-terminated, trailing newline removed). */
int cg_read(const char *dir, const char *file, char *buf, size_t len,
            berth_error **err);
bool cg_exists(const char *dir, const char *file);

int cg_v1_apply(const struct berth_cgroup *cg,
                const struct berth_cgroup_resources *r, berth_error **err);
/* v1 cpuset refuses tasks while cpuset.cpus/mems are empty: copies the
 * parent's values into dir when its own are empty. */
int cg_v1_prepare_cpuset(const char *dir, berth_error **err);
int cg_v1_freeze(const struct berth_cgroup *cg, bool freeze,
                 berth_error **err);
int cg_v1_is_frozen(const struct berth_cgroup *cg, bool *frozen,
                    berth_error **err);

/* Enables in parent/cgroup.subtree_control every controller a container
 * uses that the parent offers (pure v2 only: never on a hybrid host's
 * shared unified tree). */
int cg_v2_enable_controllers(const char *parent, berth_error **err);
/* full: every resource (pure v2); otherwise only linux.resources.unified
 * (the unified tree of a hybrid host). */
int cg_v2_apply(const struct cg_hierarchy *h,
                const struct berth_cgroup_resources *r, bool full,
                berth_error **err);
int cg_v2_freeze(const struct cg_hierarchy *h, bool freeze, berth_error **err);
int cg_v2_is_frozen(const struct cg_hierarchy *h, bool *frozen,
                    berth_error **err);

/* Replaces the eBPF device program of a cgroup2 directory with one built
 * from the rules (last match wins, default deny). */
int cg_bpf_set_devices(const char *dir, const struct berth_device_rule *rules,
                       size_t n, berth_error **err);

#endif
