/* cgroup limits from a HostConfig. */
#include "resources.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

static int64_t num(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static void memory(json_t *h, json_t *r) {
  int64_t mem = num(h, "Memory"), swap = num(h, "MemorySwap");
  int64_t resv = num(h, "MemoryReservation");
  if (mem <= 0 && swap == 0 && resv <= 0)
    return;
  json_t *m = json_object();
  if (mem > 0)
    json_object_set_new(m, "limit", json_integer(mem));
  /* Docker: --memory-swap is memory plus swap; unset means twice the
   * memory; -1 unlimited. */
  if (swap != 0)
    json_object_set_new(m, "swap", json_integer(swap));
  else if (mem > 0)
    json_object_set_new(m, "swap", json_integer(2 * mem));
  if (resv > 0)
    json_object_set_new(m, "reservation", json_integer(resv));
  json_object_set_new(r, "memory", m);
}

static void cpu(json_t *h, json_t *r) {
  json_t *c = json_object();
  int64_t nano = num(h, "NanoCpus");
  if (nano > 0) {
    json_object_set_new(c, "period", json_integer(100000));
    json_object_set_new(c, "quota", json_integer(nano / 10000));
  } else {
    if (num(h, "CpuPeriod") > 0)
      json_object_set_new(c, "period", json_integer(num(h, "CpuPeriod")));
    if (num(h, "CpuQuota") != 0)
      json_object_set_new(c, "quota", json_integer(num(h, "CpuQuota")));
  }
  const char *sets[2][2] = {{"CpusetCpus", "cpus"}, {"CpusetMems", "mems"}};
  for (int i = 0; i < 2; i++) {
    const char *s = json_string_value(json_object_get(h, sets[i][0]));
    if (s && *s)
      json_object_set_new(c, sets[i][1], json_string(s));
  }
  if (num(h, "CpuShares") > 0)
    json_object_set_new(c, "shares", json_integer(num(h, "CpuShares")));
  if (json_object_size(c))
    json_object_set_new(r, "cpu", c);
  else
    json_decref(c);
}

static json_t *device_rules(json_t *h) {
  json_t *dev = json_array();
  json_array_append_new(dev, json_pack("{s:b,s:s}", "allow", 0, "access",
                                       "rwm"));
  if (json_is_true(json_object_get(h, "Privileged"))) {
    json_array_append_new(dev, json_pack("{s:b,s:s}", "allow", 1, "access",
                                         "rwm"));
  } else {
    /* null, zero, full, random, urandom, tty, console, ptmx and ptys:
     * what every container needs; mknod of anything else is refused. */
    static const struct { char type; int major, minor; } std[] = {
        {'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8}, {'c', 1, 9},
        {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1}};
    for (size_t i = 0; i < ARRAY_SIZE(std); i++) {
      json_t *rule = json_pack("{s:b,s:s#,s:i,s:s}", "allow", 1, "type",
                               &std[i].type, 1, "major", std[i].major,
                               "access", "rwm");
      if (std[i].minor >= 0)
        json_object_set_new(rule, "minor", json_integer(std[i].minor));
      json_array_append_new(dev, rule);
    }
  }
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(h, "DeviceRules"), i, d)
      json_array_append(dev, d);
  return dev;
}

json_t *berth_resources_of(json_t *h) {
  json_t *r = json_object();
  memory(h, r);
  cpu(h, r);
  json_t *pl = json_object_get(h, "PidsLimit");
  int64_t pids = json_is_integer(pl) ? json_integer_value(pl)
                                     : BERTH_DEFAULT_PIDS_LIMIT;
  if (pids > 0)
    json_object_set_new(r, "pids", json_pack("{s:I}", "limit",
                                             (json_int_t)pids));
  if (num(h, "BlkioWeight") > 0)
    json_object_set_new(r, "blockIO", json_pack("{s:I}", "weight",
                                                (json_int_t)num(h, "BlkioWeight")));
  json_object_set_new(r, "devices", device_rules(h));
  return r;
}

static int bad(berth_error **err, const char *msg) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s", msg);
}

/* Docker's memory rules (its daemon's verifyPlatformContainerResources). */
static int check_memory(json_t *h, berth_error **err) {
  int64_t mem = num(h, "Memory"), swap = num(h, "MemorySwap");
  int64_t resv = num(h, "MemoryReservation");
  if (mem < 0 || resv < 0 || swap < -1)
    return bad(err, "invalid memory limit: must not be negative");
  /* The kernel needs some room to run the container at all. */
  if (mem > 0 && mem < 6 * 1024 * 1024)
    return bad(err, "invalid --memory: minimum memory limit allowed is 6MB");
  if (swap > 0 && mem == 0)
    return bad(err, "invalid --memory-swap: it needs --memory as well");
  if (swap > 0 && swap < mem)
    return bad(err, "invalid --memory-swap: minimum is the --memory limit "
                    "(memory plus swap)");
  if (resv > 0 && resv < 6 * 1024 * 1024)
    return bad(err, "invalid --memory-reservation: minimum allowed is 6MB");
  if (mem > 0 && resv > mem)
    return bad(err, "invalid --memory-reservation: it must be below "
                    "--memory");
  return 0;
}

/* "0-3,5": numbers below max, ranges ascending. */
static bool cpuset_ok(const char *s, long max) {
  if (!*s)
    return true;
  const char *p = s;
  while (*p) {
    char *end;
    if (!isdigit((unsigned char)*p))
      return false;
    long a = strtol(p, &end, 10), b = a;
    if (*end == '-') {
      if (!isdigit((unsigned char)end[1]))
        return false;
      b = strtol(end + 1, &end, 10);
    }
    if (a > b || b >= max || (*end && *end != ','))
      return false;
    p = *end ? end + 1 : end;
    if (*end == ',' && !*p)
      return false;
  }
  return true;
}

static int check_cpu(json_t *h, berth_error **err) {
  int64_t nano = num(h, "NanoCpus"), period = num(h, "CpuPeriod");
  int64_t quota = num(h, "CpuQuota"), shares = num(h, "CpuShares");
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (nano < 0 || (ncpu > 0 && nano > ncpu * 1000000000LL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --cpus: this machine has %ld CPUs", ncpu);
  if (nano > 0 && (period > 0 || quota > 0))
    return bad(err, "conflicting options: --cpus and --cpu-period/--cpu-quota "
                    "cannot both be set");
  if (period != 0 && (period < 1000 || period > 1000000))
    return bad(err, "invalid --cpu-period: between 1000 (1ms) and 1000000 "
                    "(1s)");
  if (quota != 0 && quota != -1 && quota < 1000)
    return bad(err, "invalid --cpu-quota: at least 1000 (1ms), or -1");
  if (shares < 0 || (shares > 0 && shares < 2) || shares > 262144)
    return bad(err, "invalid --cpu-shares: between 2 and 262144");
  const char *cpus = json_string_value(json_object_get(h, "CpusetCpus"));
  if (cpus && !cpuset_ok(cpus, ncpu > 0 ? ncpu : 1))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --cpuset-cpus `%s`: not a list of the "
                           "CPUs available (0-%ld)",
                           cpus, ncpu - 1);
  const char *mems = json_string_value(json_object_get(h, "CpusetMems"));
  long nodes = sysconf(_SC_NPROCESSORS_CONF); /* a bound; the kernel checks */
  if (mems && !cpuset_ok(mems, nodes > 0 ? nodes : 1))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --cpuset-mems `%s`: not a list of memory "
                           "nodes",
                           mems);
  return 0;
}

int berth_resources_check(json_t *h, berth_error **err) {
  int64_t blkio = num(h, "BlkioWeight");
  if (check_memory(h, err) < 0 || check_cpu(h, err) < 0)
    return -1;
  if (blkio != 0 && (blkio < 10 || blkio > 1000))
    return bad(err, "invalid --blkio-weight: between 10 and 1000");
  return 0;
}
