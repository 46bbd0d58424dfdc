/* Resource usage from cgroups, and the event log. */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "state.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

const char *berth_stats_cgroup_version(void) {
  struct statfs sf;
  /* A unified mount at the root is v2; v1 (and hybrid, whose unified
   * tree holds no resource controllers) keeps controllers per directory. */
  if (statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    return "v2";
  return "v1";
}

/* The recorded path must stay inside the hierarchy: it comes from a state
 * file, and "/../" would make stats read (harmless, but wrong) elsewhere. */
static int check_path(const char *p, berth_error **err) {
  bool bad = p[0] != '/';
  for (const char *c = p; !bad && *c; c += strcspn(c, "/")) {
    c += *c == '/';
    bad = strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0');
  }
  if (bad)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid cgroup path `%s`", p);
  return 0;
}

/* Reads a small cgroup file; a missing one is not an error (*out NULL). */
static int read_knob(const char *ctrl, const char *cg, const char *file,
                     char **out, berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, CGROUP_ROOT "%s%s%s/%s", ctrl ? "/" : "",
           ctrl ? ctrl : "", cg, file);
  *out = NULL;
  berth_error *e = NULL;
  if (berth_read_file(AT_FDCWD, path, 1 << 20, out, NULL, &e) < 0) {
    bool missing = e->errno_value == ENOENT;
    if (missing) {
      berth_error_free(e);
      return 0;
    }
    if (err && !*err)
      *err = e;
    else
      berth_error_free(e);
    return -1;
  }
  return 0;
}

static uint64_t knob_u64(const char *ctrl, const char *cg, const char *file,
                         uint64_t dflt, berth_error **err) {
  _cleanup_free_ char *s = NULL;
  if (read_knob(ctrl, cg, file, &s, err) < 0 || !s)
    return dflt;
  if (strncmp(s, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull(s, NULL, 10);
}

/* The value of `key value` or `key=value` in a stat-style file. */
static uint64_t stat_field(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
    if (strncmp(l, key, kl) == 0 && (l[kl] == ' ' || l[kl] == '='))
      return strtoull(l + kl + 1, NULL, 10);
  return 0;
}

static uint64_t host_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* Sums the block devices' reads and writes from blkio's
 * "MAJ:MIN Read N" lines (v1) or io.stat's "rbytes=N wbytes=N" (v2). */
static void blkio_v1(const char *text, uint64_t *rd, uint64_t *wr) {
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    char op[16];
    unsigned long long v;
    if (sscanf(l, "%*u:%*u %15s %llu", op, &v) != 2)
      continue;
    if (strcmp(op, "Read") == 0)
      *rd += v;
    else if (strcmp(op, "Write") == 0)
      *wr += v;
  }
}

static void io_v2(const char *text, uint64_t *rd, uint64_t *wr) {
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    const char *r = strstr(l, "rbytes="), *w = strstr(l, "wbytes=");
    const char *end = strchr(l, '\n');
    if (r && (!end || r < end))
      *rd += strtoull(r + 7, NULL, 10);
    if (w && (!end || w < end))
      *wr += strtoull(w + 7, NULL, 10);
  }
}

static int read_v1(const char *cg, struct berth_stats *s, berth_error **err) {
  _cleanup_free_ char *mstat = NULL, *blk = NULL;
  s->cpu_ns = knob_u64("cpuacct", cg, "cpuacct.usage", 0, err);
  uint64_t usage = knob_u64("memory", cg, "memory.usage_in_bytes", 0, err);
  s->mem_limit =
      knob_u64("memory", cg, "memory.limit_in_bytes", UINT64_MAX, err);
  s->pids = knob_u64("pids", cg, "pids.current", 0, err);
  if ((err && *err) ||
      read_knob("memory", cg, "memory.stat", &mstat, err) < 0 ||
      read_knob("blkio", cg, "blkio.throttle.io_service_bytes_recursive", &blk,
                err) < 0)
    return -1;
  /* Docker reports usage without the inactive page cache, which the
   * kernel reclaims first: what a container could not give back. */
  uint64_t inactive = mstat ? stat_field(mstat, "total_inactive_file") : 0;
  s->mem_usage = usage > inactive ? usage - inactive : usage;
  blkio_v1(blk, &s->blk_read, &s->blk_write);
  return 0;
}

static int read_v2(const char *cg, struct berth_stats *s, berth_error **err) {
  _cleanup_free_ char *cpu = NULL, *mstat = NULL, *io = NULL;
  uint64_t usage = knob_u64(NULL, cg, "memory.current", 0, err);
  s->mem_limit = knob_u64(NULL, cg, "memory.max", UINT64_MAX, err);
  s->pids = knob_u64(NULL, cg, "pids.current", 0, err);
  if ((err && *err) || read_knob(NULL, cg, "cpu.stat", &cpu, err) < 0 ||
      read_knob(NULL, cg, "memory.stat", &mstat, err) < 0 ||
      read_knob(NULL, cg, "io.stat", &io, err) < 0)
    return -1;
  s->cpu_ns = cpu ? stat_field(cpu, "usage_usec") * 1000 : 0;
  uint64_t inactive = mstat ? stat_field(mstat, "inactive_file") : 0;
  s->mem_usage = usage > inactive ? usage - inactive : usage;
  io_v2(io, &s->blk_read, &s->blk_write);
  return 0;
}

/* The host's CPU time as Docker counts it: user through softirq of the
 * "cpu" line of /proc/stat, in ns. */
static int host_cpu(uint64_t *ns, berth_error **err) {
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, "/proc/stat", 1 << 20, &text, NULL, err) < 0)
    return -1;
  unsigned long long f[7];
  if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
             &f[2], &f[3], &f[4], &f[5], &f[6]) != 7)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "read /proc/stat: no `cpu` line");
  uint64_t ticks = 0;
  for (size_t i = 0; i < ARRAY_SIZE(f); i++)
    ticks += f[i];
  long hz = sysconf(_SC_CLK_TCK);
  *ns = ticks * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
  return 0;
}

/* Bytes received and sent on every interface but lo of pid's network
 * namespace (/proc/PID/net/dev shows the namespace of that process). */
static void net_counters(pid_t pid, uint64_t *rx, uint64_t *tx) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 1 << 20, &text, NULL, NULL) < 0)
    return;
  for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    char *colon = strchr(l, ':'), *end = strchr(l, '\n');
    if (!colon || (end && colon > end))
      continue;
    char *name = l;
    while (*name == ' ')
      name++;
    if (strncmp(name, "lo:", 3) == 0)
      continue;
    unsigned long long v[9];
    if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
               &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
      *rx += v[0];
      *tx += v[8];
    }
  }
}

int berth_stats_read(const char *cgroup_path, pid_t pid,
                     struct berth_stats *out, berth_error **err) {
  *out = (struct berth_stats){0};
  if (check_path(cgroup_path, err) < 0)
    return -1;
  berth_error *e = NULL;
  int rc = strcmp(berth_stats_cgroup_version(), "v2") == 0
               ? read_v2(cgroup_path, out, &e)
               : read_v1(cgroup_path, out, &e);
  if (rc < 0 || e) {
    if (err && !*err)
      *err = e;
    else
      berth_error_free(e);
    return berth_error_prefix(err, "stats of cgroup `%s`", cgroup_path);
  }
  uint64_t mem = host_memory();
  if (mem && out->mem_limit > mem)
    out->mem_limit = mem;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  out->online_cpus = cpus > 0 ? (unsigned)cpus : 1;
  if (pid > 0)
    net_counters(pid, &out->net_rx, &out->net_tx);
  return host_cpu(&out->host_cpu_ns, err);
}

int berth_ctr_cgroup_path(struct berth_engine *e, const struct berth_ctr *c,
                          char **out, berth_error **err) {
  struct berth_state *st = NULL;
  *out = NULL;
  if (c->pid <= 0 || !berth_proc_alive(c->pid, c->pid_start))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", c->name);
  if (berth_state_read(e->run_root, c->id, &st, err) < 0)
    return -1;
  int rc = 0;
  if (!st->cgroup_path)
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "container `%s` has no cgroup", c->name);
  else if ((rc = check_path(st->cgroup_path, err)) == 0 &&
           !(*out = strdup(st->cgroup_path)))
    rc = berth_error_sys(err, "allocate");
  berth_state_free(st);
  return rc;
}

int berth_ctr_stats(struct berth_engine *e, const struct berth_ctr *c,
                    struct berth_stats *out, berth_error **err) {
  _cleanup_free_ char *cg = NULL;
  if (berth_ctr_cgroup_path(e, c, &cg, err) < 0)
    return -1;
  return berth_stats_read(cg, c->pid, out, err);
}

int berth_stats_host_cpu(uint64_t *ns, berth_error **err) {
  return host_cpu(ns, err);
}

double berth_stats_cpu_percent(const struct berth_stats *prev,
                               const struct berth_stats *cur) {
  if (cur->cpu_ns < prev->cpu_ns || cur->host_cpu_ns <= prev->host_cpu_ns)
    return 0.0;
  double cpu = (double)(cur->cpu_ns - prev->cpu_ns);
  double host = (double)(cur->host_cpu_ns - prev->host_cpu_ns);
  return cpu / host * cur->online_cpus * 100.0;
}

void berth_events_free(struct berth_event *ev, size_t n) {
  for (size_t i = 0; ev && i < n; i++) {
    free(ev[i].type);
    free(ev[i].action);
    free(ev[i].actor);
    json_decref(ev[i].attributes);
  }
  free(ev);
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return strdup(s ? (const char *)s : "");
}

/* Docker's container events name the container and its image; the
 * record's attributes win, the container's current record fills in. */
static json_t *event_attributes(sqlite3_stmt *st) {
  const char *text = (const char *)sqlite3_column_text(st, 5);
  json_t *a = text ? json_loads(text, 0, NULL) : NULL;
  if (!json_is_object(a)) {
    json_decref(a);
    a = json_object();
  }
  const char *name = (const char *)sqlite3_column_text(st, 6);
  const char *image = (const char *)sqlite3_column_text(st, 7);
  if (image && !json_object_get(a, "image"))
    json_object_set_new(a, "image", json_string(image));
  if (name && !json_object_get(a, "name"))
    json_object_set_new(a, "name", json_string(name));
  return a;
}

int berth_events_list(struct berth_db *db, int64_t after_seq, int64_t since_ns,
                      int64_t until_ns, size_t max, struct berth_event **out,
                      size_t *n, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  *out = NULL;
  *n = 0;
  if (berth_db_prepare(
          db,
          "SELECT e.seq, e.time, e.type, e.action, e.actor, e.attributes, "
          "c.name, c.image_name FROM events e LEFT JOIN containers c "
          "ON e.type = 'container' AND c.id = e.actor "
          "WHERE e.seq > ?1 AND e.time >= ?2 AND (?3 = 0 OR e.time <= ?3) "
          "ORDER BY e.seq LIMIT ?4",
          &st, err) < 0)
    return -1;
  sqlite3_bind_int64(st, 1, after_seq);
  sqlite3_bind_int64(st, 2, since_ns);
  sqlite3_bind_int64(st, 3, until_ns);
  sqlite3_bind_int64(st, 4, (int64_t)max);
  struct berth_event *ev = calloc(max, sizeof *ev);
  if (!ev)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "list events");
  size_t k = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < max) {
    ev[k] = (struct berth_event){
        .seq = sqlite3_column_int64(st, 0),
        .time_ns = sqlite3_column_int64(st, 1),
        .type = col_dup(st, 2),
        .action = col_dup(st, 3),
        .actor = col_dup(st, 4),
        .attributes = event_attributes(st),
    };
    k++;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    berth_events_free(ev, k);
    return berth_db_error(db, "list events", err);
  }
  *out = ev;
  *n = k;
  return 0;
}

int berth_events_last_seq(struct berth_db *db, int64_t *seq,
                          berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "SELECT coalesce(max(seq), 0) FROM events", &st,
                       err) < 0)
    return -1;
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "read the last event", err);
  *seq = sqlite3_column_int64(st, 0);
  return 0;
}
