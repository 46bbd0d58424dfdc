/* Docker's stats document from cgroup v1 or v2 files (see
 * stats_docker.h). */
#include "stats_docker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "stats.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define GO_ZERO_TIME "0001-01-01T00:00:00Z"

struct cg {
  const char *path; /* "/berth/<id>" */
  bool v2;
};

/* A cgroup file's text, NULL when missing or unreadable (a host without
 * that controller: Docker leaves such counters out or zero too). */
static char *knob(const struct cg *g, const char *ctrl, const char *file) {
  char path[4200];
  if (g->v2)
    snprintf(path, sizeof path, CGROUP_ROOT "%s/%s", g->path, file);
  else
    snprintf(path, sizeof path, CGROUP_ROOT "/%s%s/%s", ctrl, g->path, file);
  char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 1 << 20, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

static uint64_t knob_u64(const struct cg *g, const char *ctrl,
                         const char *file, uint64_t dflt) {
  _cleanup_free_ char *s = knob(g, ctrl, file);
  if (!s)
    return dflt;
  return strncmp(s, "max", 3) == 0 ? UINT64_MAX : strtoull(s, NULL, 10);
}

/* "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as an object
 * of numbers. */
static json_t *key_values(const char *text) {
  json_t *o = json_object();
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    char key[128];
    unsigned long long v;
    if (sscanf(l, "%127s %llu", key, &v) == 2)
      json_object_set_new(o, key, json_integer((json_int_t)v));
  }
  return o;
}

static uint64_t kv_u64(json_t *o, const char *key) {
  return (uint64_t)json_integer_value(json_object_get(o, key));
}

static json_t *percpu(const struct cg *g) {
  _cleanup_free_ char *s = knob(g, "cpuacct", "cpuacct.usage_percpu");
  json_t *a = json_array();
  char *p = s, *end;
  while (p && *p) {
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
      break;
    json_array_append_new(a, json_integer((json_int_t)v));
    p = end;
  }
  return a;
}

static json_t *throttling(json_t *cpu_stat, bool v2) {
  uint64_t t = v2 ? kv_u64(cpu_stat, "throttled_usec") * 1000
                  : kv_u64(cpu_stat, "throttled_time");
  return json_pack("{s:I,s:I,s:I}", "periods",
                   (json_int_t)kv_u64(cpu_stat, "nr_periods"),
                   "throttled_periods",
                   (json_int_t)kv_u64(cpu_stat, "nr_throttled"),
                   "throttled_time", (json_int_t)t);
}

/* cpu_usage: v1 from cpuacct (user/system in USER_HZ ticks), v2 from
 * cpu.stat's microseconds. */
static json_t *cpu_usage(const struct cg *g, json_t *cpu_stat) {
  if (g->v2)
    return json_pack("{s:I,s:I,s:I}", "total_usage",
                     (json_int_t)(kv_u64(cpu_stat, "usage_usec") * 1000),
                     "usage_in_kernelmode",
                     (json_int_t)(kv_u64(cpu_stat, "system_usec") * 1000),
                     "usage_in_usermode",
                     (json_int_t)(kv_u64(cpu_stat, "user_usec") * 1000));
  _cleanup_free_ char *s = knob(g, "cpuacct", "cpuacct.stat");
  json_t *ticks = key_values(s);
  long hz = sysconf(_SC_CLK_TCK);
  uint64_t per = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
  json_t *u = json_pack(
      "{s:I,s:o,s:I,s:I}", "total_usage",
      (json_int_t)knob_u64(g, "cpuacct", "cpuacct.usage", 0), "percpu_usage",
      percpu(g), "usage_in_kernelmode",
      (json_int_t)(kv_u64(ticks, "system") * per), "usage_in_usermode",
      (json_int_t)(kv_u64(ticks, "user") * per));
  json_decref(ticks);
  return u;
}

static json_t *cpu_stats(const struct cg *g) {
  _cleanup_free_ char *s = knob(g, "cpu", "cpu.stat");
  json_t *cs = key_values(s);
  uint64_t host = 0;
  berth_stats_host_cpu(&host, NULL);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  json_t *doc = json_pack("{s:o,s:I,s:i,s:o}", "cpu_usage", cpu_usage(g, cs),
                          "system_cpu_usage", (json_int_t)host,
                          "online_cpus", cpus > 0 ? (int)cpus : 1,
                          "throttling_data", throttling(cs, g->v2));
  json_decref(cs);
  return doc;
}

static uint64_t host_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static json_t *memory_stats(const struct cg *g) {
  _cleanup_free_ char *s = knob(g, "memory", "memory.stat");
  uint64_t limit = g->v2 ? knob_u64(g, NULL, "memory.max", UINT64_MAX)
                         : knob_u64(g, "memory", "memory.limit_in_bytes",
                                    UINT64_MAX);
  /* Unlimited is the host's memory, as Docker reports it. */
  uint64_t host = host_memory();
  if (host && limit > host)
    limit = host;
  json_t *m = json_pack(
      "{s:I,s:o,s:I}", "usage",
      (json_int_t)(g->v2 ? knob_u64(g, NULL, "memory.current", 0)
                         : knob_u64(g, "memory", "memory.usage_in_bytes", 0)),
      "stats", key_values(s), "limit", (json_int_t)limit);
  if (!g->v2) {
    json_object_set_new(m, "max_usage",
                        json_integer((json_int_t)knob_u64(
                            g, "memory", "memory.max_usage_in_bytes", 0)));
    json_object_set_new(m, "failcnt",
                        json_integer((json_int_t)knob_u64(
                            g, "memory", "memory.failcnt", 0)));
  }
  return m;
}

static void blk_entry(json_t *a, unsigned maj, unsigned min, const char *op,
                      unsigned long long v) {
  json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:I}", "major", (int)maj,
                                     "minor", (int)min, "op", op, "value",
                                     (json_int_t)v));
}

/* v1's "MAJ:MIN Op N" lines as Docker's entries. */
static json_t *blkio_v1(const struct cg *g, const char *file) {
  _cleanup_free_ char *s = knob(g, "blkio", file);
  json_t *a = json_array();
  for (char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    unsigned maj, min;
    char op[16];
    unsigned long long v;
    if (sscanf(l, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
      blk_entry(a, maj, min, op, v);
  }
  return a;
}

/* v2's io.stat "MAJ:MIN rbytes=N wbytes=N ...": Docker's "read"/"write". */
static json_t *blkio_v2(const struct cg *g) {
  _cleanup_free_ char *s = knob(g, NULL, "io.stat");
  json_t *a = json_array();
  for (char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    unsigned maj, min;
    unsigned long long rd, wr;
    char *end = strchr(l, '\n'), *r = strstr(l, "rbytes="),
         *w = strstr(l, "wbytes=");
    if (sscanf(l, "%u:%u", &maj, &min) != 2 || !r || !w ||
        (end && (r > end || w > end)))
      continue;
    rd = strtoull(r + 7, NULL, 10);
    wr = strtoull(w + 7, NULL, 10);
    blk_entry(a, maj, min, "read", rd);
    blk_entry(a, maj, min, "write", wr);
  }
  return a;
}

static json_t *blkio_stats(const struct cg *g) {
  json_t *b = json_object();
  if (g->v2) {
    json_object_set_new(b, "io_service_bytes_recursive", blkio_v2(g));
    return b;
  }
  json_object_set_new(b, "io_service_bytes_recursive",
                      blkio_v1(g, "blkio.throttle.io_service_bytes_recursive"));
  json_object_set_new(b, "io_serviced_recursive",
                      blkio_v1(g, "blkio.throttle.io_serviced_recursive"));
  return b;
}

static json_t *pids_stats(const struct cg *g) {
  json_t *p = json_pack("{s:I}", "current",
                        (json_int_t)knob_u64(g, "pids", "pids.current", 0));
  uint64_t max = knob_u64(g, "pids", "pids.max", UINT64_MAX);
  if (max != UINT64_MAX)
    json_object_set_new(p, "limit", json_integer((json_int_t)max));
  return p;
}

/* Each interface but lo of pid's network namespace (/proc/PID/net/dev
 * shows the namespace of that process); NULL when it has none. */
static json_t *networks(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 1 << 20, &text, NULL, NULL) < 0)
    return NULL;
  json_t *n = json_object();
  for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    char name[64];
    unsigned long long v[16];
    if (sscanf(l, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                  "%llu %llu %llu %llu %llu %llu %llu",
               name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
               &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
               &v[15]) != 17 ||
        strcmp(name, "lo") == 0)
      continue;
    json_object_set_new(
        n, name,
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rx_bytes",
                  (json_int_t)v[0], "rx_packets", (json_int_t)v[1],
                  "rx_errors", (json_int_t)v[2], "rx_dropped",
                  (json_int_t)v[3], "tx_bytes", (json_int_t)v[8],
                  "tx_packets", (json_int_t)v[9], "tx_errors",
                  (json_int_t)v[10], "tx_dropped", (json_int_t)v[11]));
  }
  if (json_object_size(n) == 0) {
    json_decref(n);
    return NULL;
  }
  return n;
}

/* Go's RFC3339Nano of now (UTC). */
static json_t *now_text(void) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return json_string(buf);
}

static json_t *zero_cpu(void) {
  return json_pack("{s:{s:i,s:i,s:i},s:i,s:{s:i,s:i,s:i}}", "cpu_usage",
                   "total_usage", 0, "usage_in_kernelmode", 0,
                   "usage_in_usermode", 0, "system_cpu_usage", 0,
                   "throttling_data", "periods", 0, "throttled_periods", 0,
                   "throttled_time", 0);
}

/* The document's frame: names, times, the previous CPU sample. */
static json_t *frame(const struct berth_ctr *c, json_t *prev) {
  json_t *pre = prev ? json_object_get(prev, "cpu_stats") : NULL;
  json_t *preread = prev ? json_object_get(prev, "read") : NULL;
  char name[300];
  snprintf(name, sizeof name, "/%s", c->name);
  return json_pack("{s:o,s:o,s:o,s:i,s:o,s:s,s:s}", "read", now_text(),
                   "preread",
                   preread ? json_incref(preread) : json_string(GO_ZERO_TIME),
                   "precpu_stats", pre ? json_incref(pre) : zero_cpu(),
                   "num_procs", 0, "storage_stats", json_object(), "name",
                   name, "id", c->id);
}

/* A stopped container's counters: Docker's zero document. */
static void zero_counters(json_t *doc) {
  json_object_set_new(doc, "cpu_stats", zero_cpu());
  json_object_set_new(doc, "memory_stats", json_object());
  json_object_set_new(doc, "pids_stats", json_object());
  json_object_set_new(doc, "blkio_stats", json_object());
}

int berth_ctr_stats_docker(struct berth_engine *e, const struct berth_ctr *c,
                           json_t *prev, json_t **out, berth_error **err) {
  _cleanup_free_ char *path = NULL;
  berth_error *why = NULL;
  json_t *doc = frame(c, prev);
  if (!doc)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "stats of `%s`",
                           c->name);
  if (berth_ctr_cgroup_path(e, c, &path, &why) < 0) {
    bool stopped = why->kind == BERTH_ERR_STATE;
    if (!stopped) {
      json_decref(doc);
      if (err && !*err)
        *err = why;
      else
        berth_error_free(why);
      return -1;
    }
    berth_error_free(why);
    zero_counters(doc);
    *out = doc;
    return 0;
  }
  struct cg g = {.path = path,
                 .v2 = strcmp(berth_stats_cgroup_version(), "v2") == 0};
  json_object_set_new(doc, "cpu_stats", cpu_stats(&g));
  json_object_set_new(doc, "memory_stats", memory_stats(&g));
  json_object_set_new(doc, "pids_stats", pids_stats(&g));
  json_object_set_new(doc, "blkio_stats", blkio_stats(&g));
  json_t *nets = networks(c->pid);
  if (nets)
    json_object_set_new(doc, "networks", nets);
  *out = doc;
  return 0;
}
