/* berth update: new resource limits and restart policy for containers
 * (Docker's `docker update`).  The flags become a ContainerUpdate body;
 * the engine validates and applies it. */
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "flags.h"
#include "update.h"

struct update_flags {
  const char *cpus, *cpuset_cpus, *cpuset_mems, *memory, *memory_reservation,
      *memory_swap, *restart;
  long cpu_shares, cpu_period, cpu_quota, pids_limit, blkio_weight;
  bool cpu_shares_set, cpu_period_set, cpu_quota_set, pids_limit_set,
      blkio_weight_set;
};

static int sizes(const struct update_flags *f, json_t *body,
                 berth_error **err) {
  const char *vals[] = {f->memory, f->memory_reservation, f->memory_swap};
  const char *keys[] = {"Memory", "MemoryReservation", "MemorySwap"};
  const char *flags[] = {"--memory", "--memory-reservation", "--memory-swap"};
  for (size_t i = 0; i < 3; i++) {
    int64_t v = -1;
    if (!vals[i])
      continue;
    if (!(i == 2 && strcmp(vals[i], "-1") == 0) &&
        berth_parse_size(flags[i], vals[i], &v, err) < 0)
      return -1;
    json_object_set_new(body, keys[i], json_integer(v));
  }
  return 0;
}

static int numbers(const struct update_flags *f, json_t *body) {
  const struct {
    bool set;
    long v;
    const char *key;
  } n[] = {{f->cpu_shares_set, f->cpu_shares, "CpuShares"},
           {f->cpu_period_set, f->cpu_period, "CpuPeriod"},
           {f->cpu_quota_set, f->cpu_quota, "CpuQuota"},
           {f->pids_limit_set, f->pids_limit, "PidsLimit"},
           {f->blkio_weight_set, f->blkio_weight, "BlkioWeight"}};
  for (size_t i = 0; i < ARRAY_SIZE(n); i++)
    if (n[i].set)
      json_object_set_new(body, n[i].key, json_integer(n[i].v));
  const char *sets[][2] = {{"CpusetCpus", f->cpuset_cpus},
                           {"CpusetMems", f->cpuset_mems}};
  for (size_t i = 0; i < 2; i++)
    if (sets[i][1])
      json_object_set_new(body, sets[i][0], json_string(sets[i][1]));
  return 0;
}

/* The ContainerUpdate body of the flags given. */
static int update_body(const struct update_flags *f, json_t **out,
                       berth_error **err) {
  json_t *body = json_object();
  int64_t nano;
  struct berth_restart r;
  if (sizes(f, body, err) < 0 || numbers(f, body) < 0 ||
      (f->cpus && berth_parse_cpus(f->cpus, &nano, err) < 0) ||
      (f->restart && berth_parse_restart(f->restart, &r, err) < 0)) {
    json_decref(body);
    return -1;
  }
  if (f->cpus)
    json_object_set_new(body, "NanoCpus", json_integer(nano));
  if (f->restart) {
    const char *name = berth_restart_format(&r, NULL, 0);
    json_object_set_new(body, "RestartPolicy",
                        json_pack("{s:s,s:i}", "Name", name,
                                  "MaximumRetryCount", r.max_retries));
  }
  *out = body;
  return 0;
}

int cmd_update(struct berth_cli *cli, int argc, char **argv) {
  struct update_flags f = {0};
  const struct opt opts[] = {
      {"blkio-weight", OPT_INT, &f.blkio_weight, &f.blkio_weight_set,
       "Block IO (relative weight), between 10 and 1000, or 0 to disable"},
      {"cpu-period", OPT_INT, &f.cpu_period, &f.cpu_period_set,
       "Limit CPU CFS (Completely Fair Scheduler) period"},
      {"cpu-quota", OPT_INT, &f.cpu_quota, &f.cpu_quota_set,
       "Limit CPU CFS (Completely Fair Scheduler) quota"},
      {"cpu-shares,c", OPT_INT, &f.cpu_shares, &f.cpu_shares_set,
       "CPU shares (relative weight)"},
      {"cpus", OPT_STRING, &f.cpus, NULL, "Number of CPUs"},
      {"cpuset-cpus", OPT_STRING, &f.cpuset_cpus, NULL,
       "CPUs in which to allow execution (0-3, 0,1)"},
      {"cpuset-mems", OPT_STRING, &f.cpuset_mems, NULL,
       "MEMs in which to allow execution (0-3, 0,1)"},
      {"memory,m", OPT_STRING, &f.memory, NULL, "Memory limit"},
      {"memory-reservation", OPT_STRING, &f.memory_reservation, NULL,
       "Memory soft limit"},
      {"memory-swap", OPT_STRING, &f.memory_swap, NULL,
       "Swap limit equal to memory plus swap: -1 to enable unlimited swap"},
      {"pids-limit", OPT_INT, &f.pids_limit, &f.pids_limit_set,
       "Tune container pids limit (set -1 for unlimited)"},
      {"restart", OPT_STRING, &f.restart, NULL,
       "Restart policy to apply when a container exits"},
  };
  char *pos[256];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("update", nw, w, opts, ARRAY_SIZE(opts), pos, 256,
                     &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "update: requires at least 1 argument");
  berth_error *err = NULL;
  json_t *body = NULL;
  if (update_body(&f, &body, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  if (json_object_size(body) == 0) {
    json_decref(body);
    return cli_errorf(EXIT_USAGE, "update: you must provide one or more "
                                  "flags when using this command");
  }
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0) {
    json_decref(body);
    return EXIT_USAGE;
  }
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    if (berth_ctr_update(e, pos[i], body, &err) < 0)
      status = cli_error(err, 1);
    else
      puts(pos[i]);
  }
  json_decref(body);
  return status;
}
