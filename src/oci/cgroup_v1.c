/* Limits, devices and freezing on v1 hierarchies. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup_internal.h"

/* Writes value into a controller's file of the container; a missing
 * controller or file is an error naming both, never silently skipped. */
static int set(const struct berth_cgroup *cg, const char *ctrl,
               const char *file, const char *value, berth_error **err) {
  const struct cg_hierarchy *h = cg_v1_find(cg, ctrl);
  if (h == NULL)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "cannot set %s: the %s cgroup controller is not "
                           "mounted", file, ctrl);
  berth_error *e = NULL;
  if (cg_write(h->dir, file, value, &e) == 0)
    return 0;
  if (e->errno_value == ENOENT) {
    berth_error_free(e);
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "cannot set %s: this kernel has no such file",
                           file);
  }
  if (err && *err == NULL)
    *err = e;
  else
    berth_error_free(e);
  return -1;
}

static int setf(const struct berth_cgroup *cg, const char *ctrl,
                const char *file, berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int setf(const struct berth_cgroup *cg, const char *ctrl,
                const char *file, berth_error **err, const char *fmt, ...) {
  char value[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof(value), fmt, ap);
  va_end(ap);
  return set(cg, ctrl, file, value, err);
}

int cg_v1_prepare_cpuset(const char *dir, berth_error **err) {
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  char parent[640], value[512];
  snprintf(parent, sizeof(parent), "%s", dir);
  char *slash = strrchr(parent, '/');
  if (slash == NULL)
    return 0;
  *slash = '\0';
  for (size_t i = 0; i < 2; i++) {
    if (cg_read(dir, files[i], value, sizeof(value), err) < 0)
      return -1;
    if (value[0] != '\0')
      continue;
    if (cg_read(parent, files[i], value, sizeof(value), err) < 0)
      return -1;
    /* A parent made by someone else may be unset too: fill it first (the
     * hierarchy's root always has values, so this ends). */
    if (value[0] == '\0') {
      if (cg_v1_prepare_cpuset(parent, err) < 0 ||
          cg_read(parent, files[i], value, sizeof(value), err) < 0)
        return -1;
    }
    if (cg_write(dir, files[i], value, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_memory(const struct berth_cgroup *cg,
                        const struct berth_cgroup_resources *r,
                        berth_error **err) {
  const struct cg_hierarchy *h = cg_v1_find(cg, "memory");
  bool memsw = h && cg_exists(h->dir, "memory.memsw.limit_in_bytes");
  if (r->has_memory_limit) {
    berth_error *first = NULL;
    /* The limit may not exceed memory+swap, and memory+swap may not go
     * below the limit: which to write first depends on the direction. */
    if (setf(cg, "memory", "memory.limit_in_bytes", &first, "%lld",
             (long long)r->memory_limit) < 0) {
      if (!(memsw && r->has_memory_swap && first->errno_value == EINVAL)) {
        if (err && *err == NULL)
          *err = first;
        else
          berth_error_free(first);
        return -1;
      }
      berth_error_free(first);
      if (setf(cg, "memory", "memory.memsw.limit_in_bytes", err, "%lld",
               (long long)r->memory_swap) < 0 ||
          setf(cg, "memory", "memory.limit_in_bytes", err, "%lld",
               (long long)r->memory_limit) < 0)
        return -1;
    }
  }
  if (r->has_memory_swap) {
    if (memsw) {
      if (setf(cg, "memory", "memory.memsw.limit_in_bytes", err, "%lld",
               (long long)r->memory_swap) < 0)
        return -1;
    } else if (r->memory_swap > 0 &&
               !(r->has_memory_limit && r->memory_swap == r->memory_limit)) {
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                             "cannot limit swap: swap accounting is not "
                             "enabled in this kernel");
    }
  }
  if (r->has_memory_reservation &&
      setf(cg, "memory", "memory.soft_limit_in_bytes", err, "%lld",
           (long long)r->memory_reservation) < 0)
    return -1;
  if (r->has_memory_swappiness &&
      setf(cg, "memory", "memory.swappiness", err, "%llu",
           (unsigned long long)r->memory_swappiness) < 0)
    return -1;
  if (r->disable_oom_killer &&
      set(cg, "memory", "memory.oom_control", "1", err) < 0)
    return -1;
  return 0;
}

static int apply_cpu(const struct berth_cgroup *cg,
                     const struct berth_cgroup_resources *r,
                     berth_error **err) {
  if (r->has_cpu_shares && setf(cg, "cpu", "cpu.shares", err, "%llu",
                                (unsigned long long)r->cpu_shares) < 0)
    return -1;
  if (r->has_cpu_period && setf(cg, "cpu", "cpu.cfs_period_us", err, "%llu",
                                (unsigned long long)r->cpu_period) < 0)
    return -1;
  if (r->has_cpu_quota && setf(cg, "cpu", "cpu.cfs_quota_us", err, "%lld",
                               (long long)r->cpu_quota) < 0)
    return -1;
  if (r->has_cpu_rt_period &&
      setf(cg, "cpu", "cpu.rt_period_us", err, "%llu",
           (unsigned long long)r->cpu_rt_period) < 0)
    return -1;
  if (r->has_cpu_rt_runtime &&
      setf(cg, "cpu", "cpu.rt_runtime_us", err, "%lld",
           (long long)r->cpu_rt_runtime) < 0)
    return -1;
  if (r->has_cpu_idle &&
      setf(cg, "cpu", "cpu.idle", err, "%lld", (long long)r->cpu_idle) < 0)
    return -1;
  if (r->cpu_cpus && r->cpu_cpus[0] &&
      set(cg, "cpuset", "cpuset.cpus", r->cpu_cpus, err) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0] &&
      set(cg, "cpuset", "cpuset.mems", r->cpu_mems, err) < 0)
    return -1;
  return 0;
}

static int apply_blkio(const struct berth_cgroup *cg,
                       const struct berth_cgroup_resources *r,
                       berth_error **err) {
  const struct cg_hierarchy *h = cg_v1_find(cg, "blkio");
  /* Kernels without CFQ only have the BFQ files. */
  bool bfq = h && !cg_exists(h->dir, "blkio.weight") &&
             cg_exists(h->dir, "blkio.bfq.weight");
  const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_dev = bfq ? "blkio.bfq.weight_device"
                               : "blkio.weight_device";
  if (r->has_blkio_weight &&
      setf(cg, "blkio", weight, err, "%u", (unsigned)r->blkio_weight) < 0)
    return -1;
  if (r->has_blkio_leaf_weight &&
      setf(cg, "blkio", "blkio.leaf_weight", err, "%u",
           (unsigned)r->blkio_leaf_weight) < 0)
    return -1;
  for (size_t i = 0; i < r->n_weight_devices; i++) {
    const struct berth_weight_device *w = &r->weight_devices[i];
    if (w->weight >= 0 &&
        setf(cg, "blkio", weight_dev, err, "%lld:%lld %lld",
             (long long)w->major, (long long)w->minor,
             (long long)w->weight) < 0)
      return -1;
    if (w->leaf_weight >= 0 &&
        setf(cg, "blkio", "blkio.leaf_weight_device", err, "%lld:%lld %lld",
             (long long)w->major, (long long)w->minor,
             (long long)w->leaf_weight) < 0)
      return -1;
  }
  static const char *const files[4] = {
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
  for (int k = 0; k < 4; k++)
    for (size_t i = 0; i < r->n_throttle[k]; i++) {
      const struct berth_throttle_device *t = &r->throttle[k][i];
      if (setf(cg, "blkio", files[k], err, "%lld:%lld %llu",
               (long long)t->major, (long long)t->minor,
               (unsigned long long)t->rate) < 0)
        return -1;
    }
  return 0;
}

static void device_rule_text(const struct berth_device_rule *d, char *buf,
                             size_t len) {
  char major[24] = "*", minor[24] = "*";
  if (d->major >= 0)
    snprintf(major, sizeof(major), "%lld", (long long)d->major);
  if (d->minor >= 0)
    snprintf(minor, sizeof(minor), "%lld", (long long)d->minor);
  snprintf(buf, len, "%c %s:%s %s", d->type, major, minor, d->access);
}

static int apply_devices(const struct berth_cgroup *cg,
                         const struct berth_cgroup_resources *r,
                         berth_error **err) {
  if (!r->has_devices)
    return 0;
  /* Start from nothing; the rules then apply in order, as the spec says. */
  if (set(cg, "devices", "devices.deny", "a", err) < 0)
    return -1;
  char rule[64];
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct berth_device_rule *d = &r->devices[i];
    device_rule_text(d, rule, sizeof(rule));
    if (set(cg, "devices", d->allow ? "devices.allow" : "devices.deny", rule,
            err) < 0)
      return -1;
  }
  return 0;
}

static int apply_hugepages(const struct berth_cgroup *cg,
                           const struct berth_cgroup_resources *r,
                           berth_error **err) {
  char file[64];
  for (size_t i = 0; i < r->n_hugepages; i++) {
    const struct berth_hugepage_limit *h = &r->hugepages[i];
    snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
    if (setf(cg, "hugetlb", file, err, "%llu",
             (unsigned long long)h->limit) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_apply(const struct berth_cgroup *cg,
                const struct berth_cgroup_resources *r, berth_error **err) {
  if (apply_memory(cg, r, err) < 0 || apply_cpu(cg, r, err) < 0 ||
      apply_blkio(cg, r, err) < 0 || apply_devices(cg, r, err) < 0 ||
      apply_hugepages(cg, r, err) < 0)
    return -1;
  if (r->has_pids_limit) {
    if (r->pids_limit > 0)
      return setf(cg, "pids", "pids.max", err, "%lld",
                  (long long)r->pids_limit);
    return set(cg, "pids", "pids.max", "max", err);
  }
  return 0;
}

int cg_v1_freeze(const struct berth_cgroup *cg, bool freeze,
                 berth_error **err) {
  const struct cg_hierarchy *h = cg_v1_find(cg, "freezer");
  if (h == NULL)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, ENOENT,
                           "the freezer cgroup controller is not mounted");
  const char *want = freeze ? "FROZEN" : "THAWED";
  char state[32];
  /* FREEZING means some task has not stopped yet; writing FROZEN again
   * retries, as the kernel documentation suggests. */
  for (int i = 0; i < 1000; i++) {
    if (cg_write(h->dir, "freezer.state", want, err) < 0 ||
        cg_read(h->dir, "freezer.state", state, sizeof(state), err) < 0)
      return -1;
    if (strcmp(state, want) == 0)
      return 0;
    nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
  }
  if (freeze)
    cg_write(h->dir, "freezer.state", "THAWED", NULL);
  return berth_error_set(err, BERTH_ERR_TIMEOUT, EBUSY,
                         "cgroup `%s` did not become %s", cg->path, want);
}

int cg_v1_is_frozen(const struct berth_cgroup *cg, bool *frozen,
                    berth_error **err) {
  const struct cg_hierarchy *h = cg_v1_find(cg, "freezer");
  *frozen = false;
  if (h == NULL)
    return 0;
  char state[32];
  if (cg_read(h->dir, "freezer.state", state, sizeof(state), err) < 0)
    return -1;
  *frozen = strcmp(state, "THAWED") != 0;
  return 0;
}
