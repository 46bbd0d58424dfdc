/* Limits and freezing on the cgroup2 tree. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup_internal.h"

static int setf(const struct cg_hierarchy *h, const char *file,
                berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int setf(const struct cg_hierarchy *h, const char *file,
                berth_error **err, const char *fmt, ...) {
  char value[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof(value), fmt, ap);
  va_end(ap);
  if (!cg_exists(h->dir, file))
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "cannot set %s: its controller is not enabled "
                           "for `%s`", file, h->dir);
  return cg_write(h->dir, file, value, err);
}

int cg_v2_enable_controllers(const char *parent, berth_error **err) {
  static const char *const wanted[] = {"cpu", "cpuset", "io", "memory",
                                       "pids", "hugetlb"};
  char avail[512], enable[128] = "";
  if (cg_read(parent, "cgroup.controllers", avail, sizeof(avail), err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
    size_t len = strlen(wanted[i]);
    for (const char *c = avail; *c;) {
      size_t l = strcspn(c, " ");
      if (l == len && strncmp(c, wanted[i], len) == 0) {
        size_t used = strlen(enable);
        snprintf(enable + used, sizeof(enable) - used, "%s+%s",
                 used ? " " : "", wanted[i]);
      }
      c += l + (c[l] == ' ');
    }
  }
  if (enable[0] == '\0')
    return 0;
  return cg_write(parent, "cgroup.subtree_control", enable, err);
}

static int apply_memory(const struct cg_hierarchy *h,
                        const struct berth_cgroup_resources *r,
                        berth_error **err) {
  if (r->has_memory_limit) {
    int rc = r->memory_limit < 0
                 ? setf(h, "memory.max", err, "max")
                 : setf(h, "memory.max", err, "%lld",
                        (long long)r->memory_limit);
    if (rc < 0)
      return -1;
  }
  if (r->has_memory_reservation) {
    int rc = r->memory_reservation < 0
                 ? setf(h, "memory.low", err, "0")
                 : setf(h, "memory.low", err, "%lld",
                        (long long)r->memory_reservation);
    if (rc < 0)
      return -1;
  }
  /* The spec's swap is memory plus swap; v2 limits swap alone. */
  if (r->has_memory_swap) {
    int rc = 0;
    if (r->memory_swap < 0)
      rc = setf(h, "memory.swap.max", err, "max");
    else if (r->has_memory_limit && r->memory_limit > 0)
      rc = setf(h, "memory.swap.max", err, "%lld",
                (long long)(r->memory_swap - r->memory_limit));
    if (rc < 0)
      return -1;
  }
  if (r->has_memory_swappiness || r->disable_oom_killer)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "memory swappiness and disableOOMKiller do not "
                           "exist in cgroup v2");
  return 0;
}

static int apply_cpu(const struct cg_hierarchy *h,
                     const struct berth_cgroup_resources *r,
                     berth_error **err) {
  /* shares 2..262144 map linearly onto weight 1..10000. */
  if (r->has_cpu_shares &&
      setf(h, "cpu.weight", err, "%llu",
           (unsigned long long)(1 + ((r->cpu_shares - 2) * 9999) / 262142)) < 0)
    return -1;
  if (r->has_cpu_quota || r->has_cpu_period) {
    unsigned long long period = r->has_cpu_period ? r->cpu_period : 100000;
    int rc = (!r->has_cpu_quota || r->cpu_quota < 0)
                 ? setf(h, "cpu.max", err, "max %llu", period)
                 : setf(h, "cpu.max", err, "%lld %llu",
                        (long long)r->cpu_quota, period);
    if (rc < 0)
      return -1;
  }
  if (r->has_cpu_idle &&
      setf(h, "cpu.idle", err, "%lld", (long long)r->cpu_idle) < 0)
    return -1;
  if (r->has_cpu_rt_period || r->has_cpu_rt_runtime)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "realtime CPU limits do not exist in cgroup v2");
  if (r->cpu_cpus && r->cpu_cpus[0] &&
      setf(h, "cpuset.cpus", err, "%s", r->cpu_cpus) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0] &&
      setf(h, "cpuset.mems", err, "%s", r->cpu_mems) < 0)
    return -1;
  return 0;
}

/* blkio weight 10..1000 onto io weight 1..10000. */
static unsigned io_weight(unsigned w) { return 1 + (w - 10) * 9999 / 990; }

static int apply_io(const struct cg_hierarchy *h,
                    const struct berth_cgroup_resources *r,
                    berth_error **err) {
  if (r->has_blkio_weight &&
      setf(h, "io.weight", err, "default %u", io_weight(r->blkio_weight)) < 0)
    return -1;
  for (size_t i = 0; i < r->n_weight_devices; i++) {
    const struct berth_weight_device *w = &r->weight_devices[i];
    if (w->weight >= 0 &&
        setf(h, "io.weight", err, "%lld:%lld %u", (long long)w->major,
             (long long)w->minor, io_weight((unsigned)w->weight)) < 0)
      return -1;
  }
  static const char *const keys[4] = {"rbps", "wbps", "riops", "wiops"};
  for (int k = 0; k < 4; k++)
    for (size_t i = 0; i < r->n_throttle[k]; i++) {
      const struct berth_throttle_device *t = &r->throttle[k][i];
      if (setf(h, "io.max", err, "%lld:%lld %s=%llu", (long long)t->major,
               (long long)t->minor, keys[k],
               (unsigned long long)t->rate) < 0)
        return -1;
    }
  return 0;
}

static int apply_unified(const struct cg_hierarchy *h,
                         const struct berth_cgroup_resources *r,
                         berth_error **err) {
  const char *key;
  json_t *v;
  json_object_foreach(r->unified, key, v) {
    if (setf(h, key, err, "%s", json_string_value(v)) < 0)
      return -1;
  }
  return 0;
}

int cg_v2_apply(const struct cg_hierarchy *h,
                const struct berth_cgroup_resources *r, bool full,
                berth_error **err) {
  if (full) {
    if (apply_memory(h, r, err) < 0 || apply_cpu(h, r, err) < 0 ||
        apply_io(h, r, err) < 0)
      return -1;
    if (r->has_pids_limit) {
      int rc = r->pids_limit > 0
                   ? setf(h, "pids.max", err, "%lld", (long long)r->pids_limit)
                   : setf(h, "pids.max", err, "max");
      if (rc < 0)
        return -1;
    }
    char file[64];
    for (size_t i = 0; i < r->n_hugepages; i++) {
      snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepages[i].page_size);
      if (setf(h, file, err, "%llu",
               (unsigned long long)r->hugepages[i].limit) < 0)
        return -1;
    }
  }
  return r->unified ? apply_unified(h, r, err) : 0;
}

int cg_v2_is_frozen(const struct cg_hierarchy *h, bool *frozen,
                    berth_error **err) {
  char events[512];
  *frozen = false;
  if (cg_read(h->dir, "cgroup.events", events, sizeof(events), err) < 0)
    return -1;
  *frozen = strstr(events, "frozen 1") != NULL;
  return 0;
}

int cg_v2_freeze(const struct cg_hierarchy *h, bool freeze,
                 berth_error **err) {
  if (h == NULL)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "no cgroup2 hierarchy");
  if (cg_write(h->dir, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
    return -1;
  /* cgroup.freeze only requests; cgroup.events reports completion. */
  for (int i = 0; i < 1000; i++) {
    bool frozen;
    if (cg_v2_is_frozen(h, &frozen, err) < 0)
      return -1;
    if (frozen == freeze)
      return 0;
    nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
  }
  return berth_error_set(err, BERTH_ERR_TIMEOUT, EBUSY,
                         "cgroup `%s` did not become %s", h->dir,
                         freeze ? "frozen" : "thawed");
}
