/* berth system reset: what a user removing berth, or a test removing its
 * root, needs so that nothing of it stays on the host: containers,
 * networks (bridges and firewall rules live outside the root), volumes,
 * images. */
#include "reset.h"

#include <stdlib.h>

#include "cleanup.h"
#include "containers.h"
#include "db.h"
#include "lifecycle.h"
#include "net_apply.h"
#include "networks.h"
#include "prune.h"

/* Keeps the first error, frees the others. */
static void keep(berth_error **first, berth_error *e) {
  if (!e)
    return;
  if (first && !*first)
    *first = e;
  else
    berth_error_free(e);
}

static void remove_containers(struct berth_engine *e, berth_error **first) {
  struct berth_ctr *v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_ctr_list(e->db, &v, &n, &err) < 0) {
    keep(first, err);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    err = NULL;
    if (berth_ctr_remove(e, v[i].id, true, true, &err) < 0)
      keep(first, err);
  }
  berth_ctrs_free(v, n);
}

static void remove_networks(struct berth_engine *e, berth_error **first) {
  struct berth_network *v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_network_list(e, &v, &n, &err) < 0) {
    keep(first, err);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    err = NULL;
    if (berth_net_remove_live(e, &v[i], &err) < 0)
      keep(first, err);
  }
  berth_networks_free(v, n);
  err = NULL;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "DELETE FROM networks", &st, &err) < 0 ||
      berth_db_step_done(e->db, st, &err) < 0)
    keep(first, err);
}

int berth_system_reset(struct berth_engine *e, berth_error **err) {
  berth_error *first = NULL, *one = NULL;
  remove_containers(e, &first);
  remove_networks(e, &first);
  json_t *report = NULL;
  if (berth_volumes_prune_report(e, true, &report, &one) < 0)
    keep(&first, one);
  json_decref(report);
  report = NULL;
  one = NULL;
  if (berth_images_prune_report(e, true, &report, &one) < 0)
    keep(&first, one);
  json_decref(report);
  if (!first)
    return 0;
  if (err)
    *err = first;
  else
    berth_error_free(first);
  return -1;
}
