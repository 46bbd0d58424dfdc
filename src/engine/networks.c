/* Networks: their records, Docker's three pre-defined ones, the address
 * pool subnets come from, create, find, rm and prune.  Leases are
 * network_leases.c's; documents and filters network_query.c's. */
#include "networks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "cleanup.h"
#include "events.h"
#include "net_apply.h"
#include "network_priv.h"
#include "prune.h"

void berth_network_clear(struct berth_network *n) {
  free(n->name);
  free(n->driver);
  free(n->bridge);
  free(n->subnet);
  free(n->gateway);
  free(n->subnet6);
  free(n->gateway6);
  json_decref(n->labels);
  json_decref(n->options);
  memset(n, 0, sizeof *n);
}

void berth_networks_free(struct berth_network *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    berth_network_clear(&v[i]);
  free(v);
}

bool berth_network_builtin(const char *name) {
  return name && (strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
                  strcmp(name, "none") == 0);
}

int64_t berth_net_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int berth_net_rand_hex(char *out, size_t nbytes, berth_error **err) {
  unsigned char b[32];
  if (nbytes > sizeof b)
    nbytes = sizeof b;
  if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
    return berth_error_sys(err, "getrandom");
  for (size_t i = 0; i < nbytes; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
  return 0;
}

int berth_net_tx_begin(struct berth_engine *e, bool *own, berth_error **err) {
  *own = sqlite3_get_autocommit(berth_db_sqlite(e->db)) != 0;
  return *own ? berth_db_begin(e->db, err) : 0;
}

int berth_net_tx_end(struct berth_engine *e, bool own, int rc,
                     berth_error **err) {
  if (!own)
    return rc;
  if (rc < 0) {
    berth_db_rollback(e->db);
    return rc;
  }
  return berth_db_commit(e->db, err);
}

int berth_net_event(struct berth_engine *e, const char *action,
                    const struct berth_network *n, const char *ctr_id,
                    berth_error **err) {
  json_t *a = json_pack("{s:s,s:s}", "name", n->name, "type", n->driver);
  if (a && ctr_id)
    json_object_set_new(a, "container", json_string(ctr_id));
  if (!a)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  int rc = berth_event_add(e->db, "network", action, n->id, a, err);
  json_decref(a);
  return rc;
}

/* ---- Records --------------------------------------------------------- */

#define NET_SELECT                                                             \
  "SELECT id, name, driver, bridge, subnet, gateway, subnet6, gateway6, "      \
  "internal, labels, options, created FROM networks "

static char *col_dup(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? strdup(s) : NULL;
}

static json_t *col_object(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  json_t *j = s ? json_loads(s, 0, NULL) : NULL;
  if (!json_is_object(j)) {
    json_decref(j);
    j = json_object();
  }
  return j;
}

static void read_network(sqlite3_stmt *st, struct berth_network *n) {
  const char *id = (const char *)sqlite3_column_text(st, 0);
  snprintf(n->id, sizeof n->id, "%s", id ? id : "");
  n->name = col_dup(st, 1);
  n->driver = col_dup(st, 2);
  n->bridge = col_dup(st, 3);
  n->subnet = col_dup(st, 4);
  n->gateway = col_dup(st, 5);
  n->subnet6 = col_dup(st, 6);
  n->gateway6 = col_dup(st, 7);
  n->internal = sqlite3_column_int(st, 8) != 0;
  n->labels = col_object(st, 9);
  n->options = col_object(st, 10);
  n->created = sqlite3_column_int64(st, 11);
}

static int read_network_row(void *ctx, sqlite3_stmt *st, void *rec,
                            berth_error **err) {
  (void)ctx;
  (void)err;
  read_network(st, rec);
  return 0;
}

static void clear_network(void *rec) { berth_network_clear(rec); }

/* Networks matching `where` (with one text argument, or none). */
static int query(struct berth_engine *e, const char *where, const char *arg,
                 struct berth_network **out, size_t *n, berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql, NET_SELECT "%s ORDER BY name", where);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  return berth_db_rows(e->db, st, sizeof **out, read_network_row,
                       clear_network, NULL, "read networks", (void **)out, n,
                       err);
}

/* An object's JSON text ("{}" for NULL), malloc'd. */
static char *object_text(json_t *o) {
  return o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
}

static int insert_network(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err) {
  _cleanup_free_ char *labels = object_text(n->labels);
  _cleanup_free_ char *options = object_text(n->options);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (!labels || !options)
    return berth_error_sys(err, "serialise labels");
  if (berth_db_prepare(e->db,
                       "INSERT INTO networks (id, name, driver, bridge, subnet,"
                       " gateway, subnet6, gateway6, internal, labels, options,"
                       " created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       &st, err) < 0)
    return -1;
  const char *text[] = {n->id,     n->name,    n->driver,  n->bridge,
                        n->subnet, n->gateway, n->subnet6, n->gateway6};
  for (int i = 0; i < 8; i++)
    sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 9, n->internal);
  sqlite3_bind_text(st, 10, labels, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 11, options, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 12, n->created ? n->created : berth_net_now_ns());
  return berth_db_step_done(e->db, st, err);
}

int berth_network_list(struct berth_engine *e, struct berth_network **out,
                       size_t *n, berth_error **err) {
  if (berth_net_defaults(e, err) < 0)
    return -1;
  return query(e, "", NULL, out, n, err);
}

int berth_network_users(struct berth_engine *e, const char *network_id,
                        berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT count(*) FROM endpoints WHERE network_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, network_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(e->db, "count endpoints", err);
  return sqlite3_column_int(st, 0);
}

/* ---- Pre-defined networks -------------------------------------------- */

/* berth0 for the engine at its default root; an engine with a root of
 * its own (tests, a second instance) gets "bb-" and 12 hex digits of its
 * network's id, so two roots never claim the same interface. */
static void default_bridge_name(const struct berth_engine *e, const char *id,
                                char out[16]) {
  if (strcmp(e->root, BERTH_DEFAULT_ROOT) == 0)
    snprintf(out, 16, "%s", BERTH_NET_DEFAULT_BRIDGE);
  else
    snprintf(out, 16, "bb-%.12s", id);
}

static int insert_builtin(struct berth_engine *e, const char *name,
                          const char *driver, berth_error **err) {
  struct berth_network n = {0};
  char subnet[64], gw[64];
  struct berth_ipnet pool, g;
  if (berth_net_rand_hex(n.id, 32, err) < 0)
    return -1;
  n.name = (char *)name;
  n.driver = (char *)driver;
  char bridge[16];
  if (strcmp(driver, "bridge") == 0) {
    if (berth_net_pick_pool(e, &pool, err) < 0)
      return -1;
    default_bridge_name(e, n.id, bridge);
    berth_ipnet_format(&pool, true, subnet, sizeof subnet);
    berth_ipnet_nth(&pool, 1, &g);
    berth_ipnet_format(&g, false, gw, sizeof gw);
    n.subnet = subnet;
    n.gateway = gw;
    n.bridge = bridge;
    /* What Docker shows for its default bridge. */
    n.options = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s}", "com.docker.network.bridge.default_bridge",
        "true", "com.docker.network.bridge.enable_icc", "true",
        "com.docker.network.bridge.enable_ip_masquerade", "true",
        "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0",
        "com.docker.network.bridge.name", bridge,
        "com.docker.network.driver.mtu", "1500");
  }
  int rc = insert_network(e, &n, err);
  json_decref(n.options);
  return rc;
}

static int builtin_count(struct berth_engine *e, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT count(*) FROM networks WHERE name IN "
                       "('bridge', 'host', 'none')",
                       &st, err) < 0)
    return -1;
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(e->db, "count networks", err);
  return sqlite3_column_int(st, 0);
}

int berth_net_defaults(struct berth_engine *e, berth_error **err) {
  int have = builtin_count(e, err);
  if (have != 0)
    return have < 0 ? -1 : 0;
  bool own;
  if (berth_net_tx_begin(e, &own, err) < 0)
    return -1;
  /* Again under the write lock: another berth may have just made them. */
  int rc = have = builtin_count(e, err);
  if (have == 0)
    rc = (insert_builtin(e, "bridge", "bridge", err) < 0 ||
          insert_builtin(e, "host", "host", err) < 0 ||
          insert_builtin(e, "none", "null", err) < 0)
             ? -1
             : 0;
  return berth_net_tx_end(e, own, rc < 0 ? -1 : 0, err);
}

/* ---- Find ------------------------------------------------------------ */

static bool all_hex(const char *s) {
  for (; *s; s++)
    if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
      return false;
  return true;
}

/* 1 with *out (v freed) when v holds exactly one network, else 0. */
static int take_one(struct berth_network *v, size_t n,
                    struct berth_network *out) {
  if (n == 1 && out) {
    *out = v[0];
    free(v);
    return 1;
  }
  berth_networks_free(v, n);
  return n == 1;
}

int berth_network_find(struct berth_engine *e, const char *ref,
                       struct berth_network *out, berth_error **err) {
  struct berth_network *v = NULL;
  size_t n = 0;
  if (!ref || !*ref)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network name cannot be empty");
  if (berth_net_defaults(e, err) < 0)
    return -1;
  /* Docker's order: full id, name, then a unique id prefix. */
  static const char *const where[] = {"WHERE id = ?1", "WHERE name = ?1",
                                      "WHERE substr(id, 1, length(?1)) = ?1"};
  for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
    if (i == 2 && !all_hex(ref))
      break;
    if (query(e, where[i], ref, &v, &n, err) < 0)
      return -1;
    if (n > 1) {
      berth_networks_free(v, n);
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "network %s is ambiguous (%zu matches found based "
                             "on ID prefix)",
                             ref, n);
    }
    if (take_one(v, n, out) == 1)
      return 0;
  }
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "network %s not found",
                         ref);
}

/* ---- Create ---------------------------------------------------------- */

/* Names as Docker's container names (they become DNS names and appear in
 * interface-free places only): [a-zA-Z0-9][a-zA-Z0-9_.-]*, <= 128. */
static int check_name(const char *name, berth_error **err) {
  size_t len = name ? strlen(name) : 0;
  bool ok = len > 0 && len <= 128 && isalnum((unsigned char)name[0]);
  for (size_t i = 1; ok && i < len; i++)
    ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
  if (!ok)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid network name `%s`: only [a-zA-Z0-9]"
                           "[a-zA-Z0-9_.-] are allowed (at most 128)",
                           name ? name : "");
  if (berth_network_builtin(name))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "operation is not permitted on predefined %s "
                           "network",
                           name);
  return 0;
}

static int check_driver(const struct berth_network_create *req,
                        berth_error **err) {
  const char *d = req->driver;
  if (!d || !*d || strcmp(d, "bridge") == 0)
    return 0;
  if (strcmp(d, "host") == 0 || strcmp(d, "null") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "only one instance of \"%s\" network is allowed", d);
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "plugin \"%s\" not found",
                         d);
}

/* Options are recorded as given; the bridge's name is berth's to choose:
 * a user-chosen one could name an existing host interface (eth0) that
 * would then be enslaved and re-addressed. */
static int check_options(json_t *options, berth_error **err) {
  const char *k;
  json_t *v;
  json_object_foreach(options, k, v) {
    if (!json_is_string(v))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "option `%s`: not a string", k);
    if (strcmp(k, "com.docker.network.bridge.name") == 0)
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "option `%s` is not supported: berth names "
                             "bridges br-<id>",
                             k);
    if (strncmp(k, BERTH_NET_OPT_PREFIX, strlen(BERTH_NET_OPT_PREFIX)) == 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "option `%s` is reserved", k);
  }
  return 0;
}

static int overlap_error(berth_error **err) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid pool request: Pool overlaps with other one "
                         "on this address space");
}

/* The gateway: given (a host address of the subnet) or its first host
 * address; gw gets its text. */
static int plan_gateway(const struct berth_ipnet *subnet, const char *gateway,
                        char gw[64], berth_error **err) {
  struct berth_ipnet g;
  char text[64];
  if (!gateway) {
    berth_ipnet_nth(subnet, 1, &g);
  } else {
    if (berth_ip_parse(gateway, &g, err) < 0)
      return -1;
    int64_t i = berth_ipnet_index(subnet, &g);
    if (g.family != subnet->family || i < 1 ||
        (subnet->family == AF_INET &&
         (uint64_t)i > berth_ipnet_hosts(subnet))) {
      berth_ipnet_format(subnet, true, text, sizeof text);
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid gateway %s: it must be a host address "
                             "of the subnet %s",
                             gateway, text);
    }
  }
  berth_ipnet_format(&g, false, gw, 64);
  return 0;
}

/* A subnet of one family: given (checked) or chosen; and its gateway. */
static int plan_family(struct berth_engine *e, int family, const char *given,
                       const char *gateway, const char *id,
                       struct berth_ipnet *subnet, char gw[64],
                       berth_error **err) {
  const char *fam = family == AF_INET ? "IPv4" : "IPv6";
  if (given) {
    if (berth_ipnet_parse(given, false, subnet, err) < 0)
      return -1;
    if (subnet->family != family)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid subnet %s: not an %s subnet", given, fam);
  } else if (family == AF_INET) {
    if (berth_net_pick_pool(e, subnet, err) < 0)
      return -1;
  } else {
    berth_net_ula_from_id(id, subnet);
  }
  /* Room for the gateway and one container at least. */
  if (subnet->prefix > (family == AF_INET ? 30u : 126u))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid subnet %s: too small for a bridge network",
                           given);
  int rc = berth_net_overlaps(e, subnet, err);
  if (rc != 0)
    return rc < 0 ? -1 : overlap_error(err);
  return plan_gateway(subnet, gateway, gw, err);
}

static int check_range(const char *range, const struct berth_ipnet *subnet,
                       const char *subnet_text, berth_error **err) {
  struct berth_ipnet r;
  if (berth_ipnet_parse(range, false, &r, err) < 0)
    return berth_error_prefix(err, "--ip-range");
  if (!berth_ipnet_contains(subnet, &r) || r.prefix < subnet->prefix)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid ip-range %s: it must be a subset of "
                           "subnet %s",
                           range, subnet_text);
  return 0;
}

static int name_taken(struct berth_engine *e, const char *name,
                      berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "SELECT 1 FROM networks WHERE name = ?", &st,
                       err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "network with name %s already exists", name);
  return rc == SQLITE_DONE ? 0 : berth_db_error(e->db, "find network", err);
}

/* The IPv6 subnet and gateway, with --ipv6 or an IPv6 --subnet. */
static int plan_v6(struct berth_engine *e,
                   const struct berth_network_create *req,
                   struct berth_network *n, berth_error **err) {
  struct berth_ipnet s6;
  char text[64], gw[64];
  if (!req->ipv6 && !req->subnet6)
    return req->gateway6 ? berth_error_set(err, BERTH_ERR_INVALID, 0,
                                           "an IPv6 gateway needs --ipv6")
                         : 0;
  if (plan_family(e, AF_INET6, req->subnet6, req->gateway6, n->id, &s6, gw,
                  err) < 0)
    return -1;
  berth_ipnet_format(&s6, true, text, sizeof text);
  n->subnet6 = strdup(text);
  n->gateway6 = strdup(gw);
  return n->subnet6 && n->gateway6
             ? 0
             : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
}

/* Fills n (strings malloc'd) from the request, inside the transaction. */
static int plan(struct berth_engine *e, const struct berth_network_create *req,
                struct berth_network *n, berth_error **err) {
  struct berth_ipnet s4;
  char text[64], gw[64], bridge[16];
  if (name_taken(e, req->name, err) < 0 ||
      berth_net_rand_hex(n->id, 32, err) < 0 ||
      plan_family(e, AF_INET, req->subnet, req->gateway, n->id, &s4, gw, err) <
          0)
    return -1;
  berth_ipnet_format(&s4, true, text, sizeof text);
  n->subnet = strdup(text);
  n->gateway = strdup(gw);
  if (req->ip_range && check_range(req->ip_range, &s4, text, err) < 0)
    return -1;
  if (plan_v6(e, req, n, err) < 0)
    return -1;
  snprintf(bridge, sizeof bridge, "br-%.12s", n->id);
  n->name = strdup(req->name);
  n->driver = strdup("bridge");
  n->bridge = strdup(bridge);
  n->internal = req->internal;
  n->labels = req->labels ? json_deep_copy(req->labels) : json_object();
  n->options = req->options ? json_deep_copy(req->options) : json_object();
  if (req->ip_range)
    json_object_set_new(n->options, BERTH_NET_OPT_RANGE,
                        json_string(req->ip_range));
  n->created = berth_net_now_ns();
  if (!n->name || !n->driver || !n->bridge || !n->subnet || !n->gateway ||
      !n->labels || !n->options)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  return 0;
}

int berth_network_create(struct berth_engine *e,
                         const struct berth_network_create *req,
                         struct berth_network *out, berth_error **err) {
  struct berth_network n = {0};
  if (check_name(req->name, err) < 0 || check_driver(req, err) < 0 ||
      check_options(req->options, err) < 0 || berth_net_defaults(e, err) < 0)
    return -1;
  bool own;
  if (berth_net_tx_begin(e, &own, err) < 0)
    return -1;
  int rc = plan(e, req, &n, err) < 0 || insert_network(e, &n, err) < 0 ||
                   berth_net_event(e, "create", &n, NULL, err) < 0
               ? -1
               : 0;
  rc = berth_net_tx_end(e, own, rc, err);
  if (rc == 0 && out)
    *out = n;
  else
    berth_network_clear(&n);
  return rc;
}

/* ---- Remove and prune ------------------------------------------------ */

static int delete_network(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "DELETE FROM networks WHERE id = ?", &st, err) <
      0)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  if (berth_db_step_done(e->db, st, err) < 0 ||
      berth_net_event(e, "destroy", n, NULL, err) < 0)
    return -1;
  /* The bridge and its rules go with the record: if they cannot, the
   * record stays (rolled back) so rm can be retried. */
  return berth_net_remove_live(e, n, err);
}

/* In the caller's transaction: refused for pre-defined and used ones. */
static int remove_locked(struct berth_engine *e, const char *ref,
                         berth_error **err) {
  struct berth_network n = {0};
  if (berth_network_find(e, ref, &n, err) < 0)
    return -1;
  int rc = -1, users;
  if (berth_network_builtin(n.name))
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "%s is a pre-defined network and cannot be removed",
                    n.name);
  else if ((users = berth_network_users(e, n.id, err)) < 0)
    ;
  else if (users > 0)
    berth_error_set(err, BERTH_ERR_STATE, 0,
                    "error while removing network: network %s id %s has "
                    "active endpoints",
                    n.name, n.id);
  else
    rc = delete_network(e, &n, err);
  berth_network_clear(&n);
  return rc;
}

int berth_network_remove(struct berth_engine *e, const char *ref,
                         berth_error **err) {
  bool own;
  if (berth_net_defaults(e, err) < 0 || berth_net_tx_begin(e, &own, err) < 0)
    return -1;
  return berth_net_tx_end(e, own, remove_locked(e, ref, err), err);
}

static bool prune_selects(const struct berth_network *n,
                          const struct berth_prune_filter *f) {
  if (f && f->until && n->created >= f->until)
    return false;
  for (size_t i = 0; f && i < f->nlabels; i++)
    if (!berth_net_label_matches(n->labels, f->labels[i]))
      return false;
  return !berth_network_builtin(n->name);
}

int berth_network_prune(struct berth_engine *e,
                        const struct berth_prune_filter *f, json_t **removed,
                        berth_error **err) {
  struct berth_network *v = NULL;
  size_t n = 0;
  *removed = json_array();
  if (berth_network_list(e, &v, &n, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!prune_selects(&v[i], f))
      continue;
    if (berth_db_begin(e->db, err) < 0) {
      rc = -1;
      break;
    }
    /* Counted again under the lock: a container may have joined. */
    int users = berth_network_users(e, v[i].id, err);
    int r = users != 0 ? users : delete_network(e, &v[i], err);
    if (r < 0 || users > 0) {
      berth_db_rollback(e->db);
      rc = r < 0 ? -1 : 0;
      continue;
    }
    if ((rc = berth_db_commit(e->db, err)) == 0)
      json_array_append_new(*removed, json_string(v[i].name));
  }
  berth_networks_free(v, n);
  return rc;
}
