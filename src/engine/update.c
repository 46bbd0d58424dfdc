/* `update`: a container's limits changed live and in its record. */
#include "update.h"
#include "restart.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "create_check.h"
#include "containers.h"
#include "flags.h"
#include "resources.h"
#include "start.h"
#include "state.h"

static int64_t num(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static int bad(berth_error **err, const char *msg) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s", msg);
}

static int check_restart(json_t *h, berth_error **err) {
  json_t *rp = json_object_get(h, "RestartPolicy");
  const char *name = json_string_value(json_object_get(rp, "Name"));
  struct berth_restart r;
  if (berth_parse_restart(name ? name : "", &r, err) < 0)
    return -1;
  int64_t max = num(rp, "MaximumRetryCount");
  if (max < 0 || (max > 0 && r.kind != BERTH_RESTART_ON_FAILURE))
    return bad(err, "invalid --restart: a retry count is only valid with "
                    "on-failure");
  if (r.kind != BERTH_RESTART_NO &&
      json_is_true(json_object_get(h, "AutoRemove")))
    return bad(err, "restart policy cannot be updated because AutoRemove "
                    "(--rm) is enabled for the container");
  return 0;
}

static const char *const update_keys[] = {
    "Memory",     "MemorySwap", "MemoryReservation", "NanoCpus",
    "CpuShares",  "CpuPeriod",  "CpuQuota",          "CpusetCpus",
    "CpusetMems", "PidsLimit",  "BlkioWeight",       "RestartPolicy"};

/* The container's HostConfig with changes over it. */
static int merged(const struct berth_ctr *c, json_t *changes, json_t **out,
                  berth_error **err) {
  json_t *h = json_deep_copy(json_object_get(c->config, "HostConfig"));
  if (!json_is_object(h)) {
    json_decref(h);
    h = json_object();
  }
  const char *k;
  json_t *v;
  json_object_foreach(changes, k, v) {
    size_t i;
    for (i = 0; i < ARRAY_SIZE(update_keys); i++)
      if (strcmp(k, update_keys[i]) == 0)
        break;
    if (i == ARRAY_SIZE(update_keys)) {
      json_decref(h);
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "update: `%s` cannot be updated", k);
    }
    json_object_set(h, k, v);
  }
  /* A new --cpus replaces an earlier CFS period/quota, and the reverse
   * (both in one update are refused by the check). */
  bool nano = num(changes, "NanoCpus") > 0;
  bool cfs = num(changes, "CpuPeriod") > 0 || num(changes, "CpuQuota") != 0;
  if (nano && !cfs) {
    json_object_del(h, "CpuPeriod");
    json_object_del(h, "CpuQuota");
  } else if (cfs && !nano)
    json_object_del(h, "NanoCpus");
  *out = h;
  return 0;
}

/* The running container's cgroup gets the new limits. */
static int apply_live(struct berth_engine *e, const struct berth_ctr *c,
                      json_t *h, berth_error **err) {
  json_t *res = berth_resources_of(h);
  /* The device rules stay as they are. */
  json_object_del(res, "devices");
  if (num(h, "PidsLimit") < 0 || (json_object_get(h, "PidsLimit") &&
                                  num(h, "PidsLimit") == 0))
    json_object_set_new(res, "pids", json_pack("{s:i}", "limit", -1));
  struct berth_cgroup_resources *r = NULL;
  int rc = berth_cgroup_resources_parse(res, "resources", &r, err);
  json_decref(res);
  if (rc < 0)
    return -1;
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  rc = berth_container_update(&ctx, c->id, r, err);
  berth_cgroup_resources_free(r);
  return rc;
}

static bool is_running(const struct berth_ctr *c) {
  return (strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
          strcmp(c->state, BERTH_ST_PAUSED) == 0) &&
         c->pid > 0 && berth_proc_alive(c->pid, c->pid_start);
}

static int save(struct berth_engine *e, struct berth_ctr *c, json_t *h,
                berth_error **err) {
  json_object_set(c->config, "HostConfig", h);
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  if (berth_ctr_save_config(e->db, c->id, c->config, err) < 0 ||
      berth_event_add(e->db, "container", "update", c->id, NULL, err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

int berth_ctr_update(struct berth_engine *e, const char *ref, json_t *changes,
                     berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *found = NULL, *c = NULL;
  if (berth_ctr_find(e->db, ref, &found, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_ctr_lock(e, found->id, err);
  if (lock < 0 || berth_ctr_get(e->db, found->id, &c, err) < 0)
    return -1;
  json_t *h = NULL;
  if (merged(c, changes, &h, err) < 0)
    return -1;
  int rc = berth_resources_check(h, err) < 0 || check_restart(h, err) < 0 ||
                   (is_running(c) && apply_live(e, c, h, err) < 0)
               ? -1
               : save(e, c, h, err);
  /* A running monitor learns the new policy from the marker. */
  if (rc == 0)
    rc = berth_restart_marker_sync(e, c->id, h, err);
  json_decref(h);
  if (rc < 0)
    return berth_error_prefix(err, "update `%s`", ref);
  return 0;
}

/* Go's zero value of a field: what Docker's update takes as "unchanged". */
static bool zero(json_t *v) {
  return !v || json_is_null(v) || json_is_false(v) ||
         (json_is_integer(v) && json_integer_value(v) == 0) ||
         (json_is_real(v) && json_real_value(v) == 0) ||
         (json_is_string(v) && !*json_string_value(v)) ||
         (json_is_array(v) && json_array_size(v) == 0) ||
         (json_is_object(v) && json_object_size(v) == 0);
}

int berth_update_changes_of(json_t *body, json_t **changes,
                            berth_error **err) {
  if (berth_update_types_check(body, err) < 0)
    return -1;
  json_t *out = json_object(), *v;
  const char *k;
  json_object_foreach(body, k, v) {
    /* PidsLimit is a pointer in Docker's struct: 0 means unlimited. */
    bool keep = strcmp(k, "PidsLimit") == 0 ? !json_is_null(v) : !zero(v);
    if (strcmp(k, "RestartPolicy") == 0)
      keep = !zero(json_object_get(v, "Name"));
    if (keep)
      json_object_set(out, k, v);
  }
  *changes = out;
  return 0;
}
