/* linux.resources -> struct berth_cgroup_resources, validated so that
 * nothing is created for a config whose limits cannot make sense. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "json.h"

#define P(buf, base, key) berth_path_key(buf, base, key)

static int set_flag(int rc, bool *has) {
  if (rc > 0)
    *has = true;
  return rc < 0 ? -1 : 0;
}

/* "0-3,5,7-8": the kernel checks availability; we check the syntax so
 * that the error names the field rather than a cgroup file. */
static bool valid_cpu_list(const char *s) {
  if (*s == '\0')
    return true;
  for (;;) {
    if (!isdigit((unsigned char)*s))
      return false;
    while (isdigit((unsigned char)*s))
      s++;
    if (*s == '-') {
      s++;
      if (!isdigit((unsigned char)*s))
        return false;
      while (isdigit((unsigned char)*s))
        s++;
    }
    if (*s == '\0')
      return true;
    if (*s++ != ',')
      return false;
  }
}

static int parse_memory(json_t *res, const char *path,
                        struct berth_cgroup_resources *r, berth_error **err) {
  json_t *m = NULL;
  if (bj_object(res, "memory", path, &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  char p[BERTH_PATH_MAX_LEN], f[BERTH_PATH_MAX_LEN];
  P(p, path, "memory");
  if (set_flag(bj_range(m, "limit", p, -1, INT64_MAX, &r->memory_limit, err),
               &r->has_memory_limit) < 0 ||
      set_flag(bj_range(m, "reservation", p, -1, INT64_MAX,
                        &r->memory_reservation, err),
               &r->has_memory_reservation) < 0 ||
      set_flag(bj_range(m, "swap", p, -1, INT64_MAX, &r->memory_swap, err),
               &r->has_memory_swap) < 0)
    return -1;
  int64_t sw;
  int rc = bj_range(m, "swappiness", p, 0, 100, &sw, err);
  if (rc < 0)
    return -1;
  r->has_memory_swappiness = rc > 0;
  r->memory_swappiness = (uint64_t)sw;
  if (bj_bool(m, "disableOOMKiller", p, &r->disable_oom_killer, err) < 0)
    return -1;
  if (r->has_memory_limit && r->memory_limit == 0)
    r->has_memory_limit = false; /* 0 means unset, as in runc */
  if (r->has_memory_limit && r->memory_limit > 0 && r->memory_limit < 4096) {
    P(f, p, "limit");
    return berth_error_spec(err, f, "%lld bytes is below one page",
                            (long long)r->memory_limit);
  }
  if (r->has_memory_swap && r->memory_swap > 0 && r->has_memory_limit &&
      r->memory_limit > 0 && r->memory_swap < r->memory_limit) {
    P(f, p, "swap");
    return berth_error_spec(err, f, "%lld is below limit %lld (swap is "
                            "memory plus swap)",
                            (long long)r->memory_swap,
                            (long long)r->memory_limit);
  }
  if (r->has_memory_swap && r->memory_swap > 0 &&
      (!r->has_memory_limit || r->memory_limit == -1)) {
    P(f, p, "swap");
    return berth_error_spec(err, f, "needs a memory limit");
  }
  return 0;
}

static int parse_cpu(json_t *res, const char *path,
                     struct berth_cgroup_resources *r, berth_error **err) {
  json_t *c = NULL;
  if (bj_object(res, "cpu", path, &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  char p[BERTH_PATH_MAX_LEN], f[BERTH_PATH_MAX_LEN];
  P(p, path, "cpu");
  if (set_flag(bj_uint64(c, "shares", p, &r->cpu_shares, err),
               &r->has_cpu_shares) < 0 ||
      set_flag(bj_range(c, "quota", p, -1, INT64_MAX, &r->cpu_quota, err),
               &r->has_cpu_quota) < 0 ||
      set_flag(bj_uint64(c, "period", p, &r->cpu_period, err),
               &r->has_cpu_period) < 0 ||
      set_flag(bj_range(c, "idle", p, 0, 1, &r->cpu_idle, err),
               &r->has_cpu_idle) < 0 ||
      set_flag(bj_uint64(c, "realtimePeriod", p, &r->cpu_rt_period, err),
               &r->has_cpu_rt_period) < 0 ||
      set_flag(bj_range(c, "realtimeRuntime", p, -1, INT64_MAX,
                        &r->cpu_rt_runtime, err),
               &r->has_cpu_rt_runtime) < 0 ||
      bj_string(c, "cpus", p, false, &r->cpu_cpus, err) < 0 ||
      bj_string(c, "mems", p, false, &r->cpu_mems, err) < 0)
    return -1;
  if (r->has_cpu_shares && r->cpu_shares == 0)
    r->has_cpu_shares = false;
  if (r->has_cpu_shares && (r->cpu_shares < 2 || r->cpu_shares > 262144)) {
    P(f, p, "shares");
    return berth_error_spec(err, f, "%llu is outside 2..262144",
                            (unsigned long long)r->cpu_shares);
  }
  if (r->has_cpu_period && r->cpu_period == 0)
    r->has_cpu_period = false;
  if (r->has_cpu_period &&
      (r->cpu_period < 1000 || r->cpu_period > 1000000)) {
    P(f, p, "period");
    return berth_error_spec(err, f, "%llu us is outside 1000..1000000",
                            (unsigned long long)r->cpu_period);
  }
  if (r->has_cpu_quota && r->cpu_quota == 0)
    r->has_cpu_quota = false;
  if (r->has_cpu_quota && r->cpu_quota > 0 && r->cpu_quota < 1000) {
    P(f, p, "quota");
    return berth_error_spec(err, f, "%lld us is below the minimum 1000",
                            (long long)r->cpu_quota);
  }
  if (r->cpu_cpus && !valid_cpu_list(r->cpu_cpus)) {
    P(f, p, "cpus");
    return berth_error_spec(err, f, "`%s` is not a CPU list like 0-3,5",
                            r->cpu_cpus);
  }
  if (r->cpu_mems && !valid_cpu_list(r->cpu_mems)) {
    P(f, p, "mems");
    return berth_error_spec(err, f, "`%s` is not a node list like 0-1",
                            r->cpu_mems);
  }
  return 0;
}

static int parse_major_minor(json_t *o, const char *p, int64_t *major,
                             int64_t *minor, bool required,
                             berth_error **err) {
  char f[BERTH_PATH_MAX_LEN];
  *major = *minor = -1;
  int a = bj_range(o, "major", p, -1, 0xfff, major, err);
  if (a < 0)
    return -1;
  int b = bj_range(o, "minor", p, -1, 0xfffff, minor, err);
  if (b < 0)
    return -1;
  if (required && (a == 0 || b == 0)) {
    P(f, p, a == 0 ? "major" : "minor");
    return berth_error_spec(err, f, "is required");
  }
  return 0;
}

static int parse_weight_devices(json_t *b, const char *p,
                                struct berth_cgroup_resources *r,
                                berth_error **err) {
  json_t *a = NULL;
  if (bj_array(b, "weightDevice", p, &a, err) < 0)
    return -1;
  if (a == NULL || json_array_size(a) == 0)
    return 0;
  r->weight_devices = calloc(json_array_size(a), sizeof(*r->weight_devices));
  if (r->weight_devices == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
  char ap[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  P(ap, p, "weightDevice");
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    berth_path_idx(ip, ap, i);
    struct berth_weight_device *w = &r->weight_devices[i];
    if (!json_is_object(v))
      return berth_error_spec(err, ip, "must be an object");
    w->weight = w->leaf_weight = -1;
    if (parse_major_minor(v, ip, &w->major, &w->minor, true, err) < 0 ||
        bj_range(v, "weight", ip, 10, 1000, &w->weight, err) < 0 ||
        bj_range(v, "leafWeight", ip, 10, 1000, &w->leaf_weight, err) < 0)
      return -1;
    r->n_weight_devices++;
  }
  return 0;
}

static int parse_throttle(json_t *b, const char *p, const char *key,
                          struct berth_throttle_device **out, size_t *n,
                          berth_error **err) {
  json_t *a = NULL;
  if (bj_array(b, key, p, &a, err) < 0)
    return -1;
  if (a == NULL || json_array_size(a) == 0)
    return 0;
  *out = calloc(json_array_size(a), sizeof(**out));
  if (*out == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
  char ap[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  P(ap, p, key);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    berth_path_idx(ip, ap, i);
    if (!json_is_object(v))
      return berth_error_spec(err, ip, "must be an object");
    struct berth_throttle_device *t = &(*out)[i];
    char f[BERTH_PATH_MAX_LEN];
    if (parse_major_minor(v, ip, &t->major, &t->minor, true, err) < 0)
      return -1;
    int rc = bj_uint64(v, "rate", ip, &t->rate, err);
    if (rc < 0)
      return -1;
    if (rc == 0) {
      P(f, ip, "rate");
      return berth_error_spec(err, f, "is required");
    }
    (*n)++;
  }
  return 0;
}

static int parse_blkio(json_t *res, const char *path,
                       struct berth_cgroup_resources *r, berth_error **err) {
  json_t *b = NULL;
  if (bj_object(res, "blockIO", path, &b, err) < 0)
    return -1;
  if (b == NULL)
    return 0;
  char p[BERTH_PATH_MAX_LEN];
  P(p, path, "blockIO");
  int64_t w;
  int rc = bj_range(b, "weight", p, 0, 1000, &w, err);
  if (rc < 0)
    return -1;
  char f[BERTH_PATH_MAX_LEN];
  if (rc > 0 && w != 0 && w < 10) {
    P(f, p, "weight");
    return berth_error_spec(err, f, "%lld is outside 10..1000", (long long)w);
  }
  r->has_blkio_weight = rc > 0 && w != 0;
  r->blkio_weight = (uint16_t)w;
  rc = bj_range(b, "leafWeight", p, 0, 1000, &w, err);
  if (rc < 0)
    return -1;
  if (rc > 0 && w != 0 && w < 10) {
    P(f, p, "leafWeight");
    return berth_error_spec(err, f, "%lld is outside 10..1000", (long long)w);
  }
  r->has_blkio_leaf_weight = rc > 0 && w != 0;
  r->blkio_leaf_weight = (uint16_t)w;
  static const char *const keys[4] = {
      "throttleReadBpsDevice", "throttleWriteBpsDevice",
      "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
  if (parse_weight_devices(b, p, r, err) < 0)
    return -1;
  for (int k = 0; k < 4; k++)
    if (parse_throttle(b, p, keys[k], &r->throttle[k], &r->n_throttle[k],
                       err) < 0)
      return -1;
  return 0;
}

static int parse_device_rule(json_t *v, const char *ip,
                             struct berth_device_rule *d, berth_error **err) {
  char f[BERTH_PATH_MAX_LEN];
  if (!json_is_object(v))
    return berth_error_spec(err, ip, "must be an object");
  P(f, ip, "allow");
  if (!json_is_boolean(json_object_get(v, "allow")))
    return berth_error_spec(err, f, "is required and must be a boolean");
  d->allow = json_is_true(json_object_get(v, "allow"));
  _cleanup_free_ char *type = NULL, *access = NULL;
  if (bj_string(v, "type", ip, false, &type, err) < 0 ||
      bj_string(v, "access", ip, false, &access, err) < 0)
    return -1;
  d->type = type ? type[0] : 'a';
  if (type && (strlen(type) != 1 || strchr("acb", type[0]) == NULL)) {
    P(f, ip, "type");
    return berth_error_spec(err, f, "`%s` is not one of a, c, b", type);
  }
  if (parse_major_minor(v, ip, &d->major, &d->minor, false, err) < 0)
    return -1;
  const char *acc = access ? access : "rwm";
  size_t n = 0;
  for (const char *c = acc; *c; c++) {
    if (strchr("rwm", *c) == NULL || strchr(d->access, *c) || n >= 3) {
      P(f, ip, "access");
      return berth_error_spec(err, f, "`%s` is not a combination of r, w, m",
                              acc);
    }
    d->access[n++] = *c;
  }
  d->access[n] = '\0';
  if (n == 0)
    memcpy(d->access, "rwm", 4);
  return 0;
}

static int parse_devices(json_t *res, const char *path,
                         struct berth_cgroup_resources *r, berth_error **err) {
  json_t *a = NULL;
  if (bj_array(res, "devices", path, &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  r->has_devices = true;
  if (json_array_size(a) == 0)
    return 0;
  r->devices = calloc(json_array_size(a), sizeof(*r->devices));
  if (r->devices == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char ap[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  P(ap, path, "devices");
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    berth_path_idx(ip, ap, i);
    if (parse_device_rule(v, ip, &r->devices[i], err) < 0)
      return -1;
    r->n_devices++;
  }
  return 0;
}

static int parse_hugepages(json_t *res, const char *path,
                           struct berth_cgroup_resources *r,
                           berth_error **err) {
  json_t *a = NULL;
  if (bj_array(res, "hugepageLimits", path, &a, err) < 0)
    return -1;
  if (a == NULL || json_array_size(a) == 0)
    return 0;
  r->hugepages = calloc(json_array_size(a), sizeof(*r->hugepages));
  if (r->hugepages == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char ap[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN], f[BERTH_PATH_MAX_LEN];
  P(ap, path, "hugepageLimits");
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    berth_path_idx(ip, ap, i);
    if (!json_is_object(v))
      return berth_error_spec(err, ip, "must be an object");
    _cleanup_free_ char *size = NULL;
    struct berth_hugepage_limit *h = &r->hugepages[i];
    if (bj_string(v, "pageSize", ip, true, &size, err) < 0)
      return -1;
    P(f, ip, "pageSize");
    size_t len = strspn(size, "0123456789");
    if (len == 0 || len > 6 ||
        (strcmp(size + len, "KB") && strcmp(size + len, "MB") &&
         strcmp(size + len, "GB")))
      return berth_error_spec(err, f, "`%s` is not a page size like 2MB",
                              size);
    snprintf(h->page_size, sizeof(h->page_size), "%s", size);
    int rc = bj_uint64(v, "limit", ip, &h->limit, err);
    if (rc < 0)
      return -1;
    if (rc == 0) {
      P(f, ip, "limit");
      return berth_error_spec(err, f, "is required");
    }
    r->n_hugepages++;
  }
  return 0;
}

static int parse_unified(json_t *res, const char *path,
                         struct berth_cgroup_resources *r, berth_error **err) {
  json_t *u = NULL;
  if (bj_object(res, "unified", path, &u, err) < 0)
    return -1;
  if (u == NULL || json_object_size(u) == 0)
    return 0;
  char up[BERTH_PATH_MAX_LEN], f[BERTH_PATH_MAX_LEN];
  P(up, path, "unified");
  const char *k;
  json_t *v;
  json_object_foreach(u, k, v) {
    P(f, up, k);
    /* Keys name files in the container's own cgroup directory: nothing
     * may reach another directory. */
    if (k[0] == '\0' || k[0] == '.' || strchr(k, '/'))
      return berth_error_spec(err, f, "`%s` is not a cgroup file name", k);
    if (!json_is_string(v))
      return berth_error_spec(err, f, "must be a string");
  }
  r->unified = json_incref(u);
  return 0;
}

/* Sections berth cannot apply are refused rather than ignored: a limit
 * silently not enforced is worse than a clear error. */
static int refuse_unsupported(json_t *res, const char *path,
                              berth_error **err) {
  static const char *const keys[] = {"network", "rdma"};
  char f[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    json_t *v = json_object_get(res, keys[i]);
    if (v == NULL || json_is_null(v) ||
        (json_is_object(v) && json_object_size(v) == 0))
      continue;
    P(f, path, keys[i]);
    return berth_error_spec(err, f, "is not supported by berth");
  }
  return 0;
}

int berth_cgroup_resources_parse(json_t *res, const char *path,
                                 struct berth_cgroup_resources **out,
                                 berth_error **err) {
  *out = NULL;
  if (!json_is_object(res))
    return berth_error_spec(err, path, "must be an object");
  struct berth_cgroup_resources *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  json_t *pids = NULL;
  char p[BERTH_PATH_MAX_LEN];
  if (parse_memory(res, path, r, err) < 0 || parse_cpu(res, path, r, err) < 0 ||
      parse_blkio(res, path, r, err) < 0 ||
      parse_devices(res, path, r, err) < 0 ||
      parse_hugepages(res, path, r, err) < 0 ||
      parse_unified(res, path, r, err) < 0 ||
      refuse_unsupported(res, path, err) < 0 ||
      bj_object(res, "pids", path, &pids, err) < 0)
    goto fail;
  if (pids) {
    P(p, path, "pids");
    if (set_flag(bj_int64(pids, "limit", p, &r->pids_limit, err),
                 &r->has_pids_limit) < 0)
      goto fail;
  }
  *out = r;
  return 0;
fail:
  berth_cgroup_resources_free(r);
  return -1;
}

void berth_cgroup_resources_free(struct berth_cgroup_resources *r) {
  if (r == NULL)
    return;
  free(r->cpu_cpus);
  free(r->cpu_mems);
  free(r->weight_devices);
  for (int k = 0; k < 4; k++)
    free(r->throttle[k]);
  free(r->devices);
  free(r->hugepages);
  json_decref(r->unified);
  free(r);
}

/* What every container needs, as runc and crun allow it: creating device
 * nodes (opening one still needs an allow), the default /dev nodes, the
 * console and ptys, and tun. */
static const struct berth_device_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},   {true, 'b', -1, -1, "m"},
    {true, 'c', 1, 3, "rwm"},   /* null */
    {true, 'c', 1, 5, "rwm"},   /* zero */
    {true, 'c', 1, 7, "rwm"},   /* full */
    {true, 'c', 1, 8, "rwm"},   /* random */
    {true, 'c', 1, 9, "rwm"},   /* urandom */
    {true, 'c', 5, 0, "rwm"},   /* tty */
    {true, 'c', 5, 1, "rwm"},   /* console */
    {true, 'c', 5, 2, "rwm"},   /* ptmx */
    {true, 'c', 136, -1, "rwm"}, /* pts */
    {true, 'c', 10, 200, "rwm"}, /* net/tun */
};

int berth_cgroup_add_default_devices(struct berth_cgroup_resources **res,
                                     const struct berth_device_rule *extra,
                                     size_t n_extra, berth_error **err) {
  if (*res == NULL) {
    *res = calloc(1, sizeof(**res));
    if (*res == NULL)
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "devices");
  }
  struct berth_cgroup_resources *r = *res;
  size_t n = r->n_devices + ARRAY_SIZE(default_rules) + n_extra;
  struct berth_device_rule *d = realloc(r->devices, n * sizeof(*d));
  if (d == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "devices");
  /* Appended last, so they win over an earlier "deny all". */
  memcpy(d + r->n_devices, default_rules, sizeof(default_rules));
  if (n_extra)
    memcpy(d + r->n_devices + ARRAY_SIZE(default_rules), extra,
           n_extra * sizeof(*d));
  r->devices = d;
  r->n_devices = n;
  r->has_devices = true;
  return 0;
}
