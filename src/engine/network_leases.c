/* Endpoints: a container's address leases on its networks (create,
 * connect, disconnect).  A lease is a row of endpoints; the lowest free
 * host index is chosen inside the caller's IMMEDIATE transaction, and
 * UNIQUE(network_id, ip) would refuse a second holder regardless. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "cleanup.h"
#include "sha256.h"
#include "containers.h"
#include "ctr_net.h"
#include "etc_files.h"
#include "network_priv.h"
#include "networks.h"

void berth_endpoint_clear(struct berth_endpoint *ep) {
  free(ep->ifname);
  free(ep->host_if);
  free(ep->ip);
  free(ep->ip6);
  free(ep->mac);
  json_decref(ep->aliases);
  memset(ep, 0, sizeof *ep);
}

void berth_endpoints_free(struct berth_endpoint *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    berth_endpoint_clear(&v[i]);
  free(v);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The host indexes of the addresses leased on the network (column ip or
 * ip6), sorted; *n their count. */
static int used_indexes(struct berth_engine *e, const char *net_id,
                        const struct berth_ipnet *subnet, uint64_t **out,
                        size_t *n, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  const char *sql = subnet->family == AF_INET
                        ? "SELECT ip FROM endpoints WHERE network_id = ?"
                        : "SELECT ip6 FROM endpoints WHERE network_id = ? AND "
                          "ip6 IS NOT NULL";
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  uint64_t *v = NULL;
  size_t count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct berth_ipnet ip;
    int64_t i;
    if (berth_ip_parse((const char *)sqlite3_column_text(st, 0), &ip, NULL) <
            0 ||
        (i = berth_ipnet_index(subnet, &ip)) < 0)
      continue;
    uint64_t *nv = realloc(v, (count + 1) * sizeof *v);
    if (!nv) {
      free(v);
      return berth_error_sys(err, "allocate");
    }
    v = nv;
    v[count++] = (uint64_t)i;
  }
  if (rc != SQLITE_DONE) {
    free(v);
    return berth_db_error(e->db, "read leases", err);
  }
  if (count)
    qsort(v, count, sizeof *v, cmp_u64);
  *out = v;
  *n = count;
  return 0;
}

/* The candidates [lo, hi] of a subnet (within ip_range when set). */
static void lease_bounds(const struct berth_ipnet *subnet, const char *range,
                         uint64_t *lo, uint64_t *hi) {
  *lo = 1;
  *hi = berth_ipnet_hosts(subnet);
  struct berth_ipnet r, last;
  if (!range || berth_ipnet_parse(range, false, &r, NULL) < 0 ||
      r.family != subnet->family)
    return;
  int64_t first = berth_ipnet_index(subnet, &r);
  uint64_t span = ((uint64_t)1 << (32 - r.prefix)) - 1;
  if (r.family != AF_INET || first < 0 || berth_ipnet_nth(&r, span, &last) < 0)
    return;
  int64_t end = berth_ipnet_index(subnet, &last);
  if ((uint64_t)first > *lo)
    *lo = (uint64_t)first;
  if (end >= 0 && (uint64_t)end < *hi)
    *hi = (uint64_t)end;
}

/* The lowest free host index of the subnet into text (a bare address). */
static int lease_free(struct berth_engine *e, const struct berth_network *net,
                      const char *subnet_text, const char *gateway,
                      const char *range, char text[64], berth_error **err) {
  struct berth_ipnet subnet, gw, ip;
  if (berth_ipnet_parse(subnet_text, false, &subnet, err) < 0 ||
      berth_ip_parse(gateway, &gw, err) < 0)
    return -1;
  int64_t gwi = berth_ipnet_index(&subnet, &gw);
  _cleanup_free_ uint64_t *used = NULL;
  size_t nused = 0, u = 0;
  uint64_t lo, hi;
  if (used_indexes(e, net->id, &subnet, &used, &nused, err) < 0)
    return -1;
  lease_bounds(&subnet, range, &lo, &hi);
  for (uint64_t i = lo; i <= hi; i++) {
    while (u < nused && used[u] < i)
      u++;
    if ((u < nused && used[u] == i) || (int64_t)i == gwi)
      continue;
    berth_ipnet_nth(&subnet, i, &ip);
    berth_ipnet_format(&ip, false, text, 64);
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_STATE, 0,
                         "no available addresses on this pool: network %s "
                         "(%s) is full",
                         net->name, subnet_text);
}

static int lease_taken(struct berth_engine *e, const char *net_id,
                       const char *col, const char *ip, berth_error **err) {
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT 1 FROM endpoints WHERE network_id = ? AND %s = ?", col);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return berth_db_error(e->db, "read leases", err);
  return rc == SQLITE_ROW;
}

/* A requested address: inside the subnet, a host address, not the
 * gateway's and not leased; text gets its canonical form. */
static int lease_requested(struct berth_engine *e,
                           const struct berth_network *net,
                           const char *subnet_text, const char *gateway,
                           const char *want, char text[64], berth_error **err) {
  struct berth_ipnet subnet, ip;
  if (berth_ipnet_parse(subnet_text, false, &subnet, err) < 0)
    return -1;
  bool in = berth_ip_parse(want, &ip, NULL) == 0 &&
            berth_ipnet_contains(&subnet, &ip);
  /* -1 here: an IPv6 index beyond int64, a host address all the same. */
  int64_t i = in ? berth_ipnet_index(&subnet, &ip) : 0;
  if (!in || i == 0 ||
      (subnet.family == AF_INET && (uint64_t)i > berth_ipnet_hosts(&subnet)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "no configured subnet or ip-range contain the IP "
                           "address %s",
                           want);
  berth_ipnet_format(&ip, false, text, 64);
  int taken =
      strcmp(text, gateway) == 0
          ? 1
          : lease_taken(e, net->id, subnet.family == AF_INET ? "ip" : "ip6",
                        text, err);
  if (taken < 0)
    return -1;
  if (taken)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "requested address %s on network %s: Address "
                           "already in use",
                           want, net->name);
  return 0;
}

static int lease(struct berth_engine *e, const struct berth_network *net,
                 bool v6, const char *want, char text[64], berth_error **err) {
  const char *subnet = v6 ? net->subnet6 : net->subnet;
  const char *gw = v6 ? net->gateway6 : net->gateway;
  const char *range =
      json_string_value(json_object_get(net->options, BERTH_NET_OPT_RANGE));
  if (want)
    return lease_requested(e, net, subnet, gw, want, text, err);
  return lease_free(e, net, subnet, gw, v6 ? NULL : range, text, err);
}

static int next_seq(struct berth_engine *e, const char *container_id, int *seq,
                    berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT COALESCE(MAX(seq) + 1, 0) FROM endpoints "
                       "WHERE container_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(e->db, "read endpoints", err);
  *seq = sqlite3_column_int(st, 0);
  return 0;
}

static int mac_of(const char *given, const char *ip, char out[18],
                  berth_error **err) {
  unsigned char mac[6];
  struct berth_ipnet a;
  if (given) {
    if (berth_mac_parse(given, mac, err) < 0)
      return -1;
    /* A multicast source address is not one an interface may have. */
    if (mac[0] & 1)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid MAC address %s: a multicast address",
                             given);
  } else {
    if (berth_ip_parse(ip, &a, err) < 0)
      return -1;
    berth_mac_from_ip(&a, mac);
  }
  berth_mac_format(mac, out);
  return 0;
}

static int insert_endpoint(struct berth_engine *e,
                           const struct berth_endpoint *ep, berth_error **err) {
  _cleanup_free_ char *aliases =
      ep->aliases ? json_dumps(ep->aliases, JSON_COMPACT) : strdup("[]");
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (!aliases)
    return berth_error_sys(err, "serialise aliases");
  if (berth_db_prepare(e->db,
                       "INSERT INTO endpoints (container_id, network_id, "
                       "ifname, host_if, ip, ip6, mac, aliases, seq) VALUES "
                       "(?,?,?,?,?,?,?,?,?)",
                       &st, err) < 0)
    return -1;
  const char *text[] = {ep->container_id, ep->network_id, ep->ifname,
                        ep->host_if,      ep->ip,         ep->ip6,
                        ep->mac,          aliases};
  for (int i = 0; i < 8; i++)
    sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 9, ep->seq);
  return berth_db_step_done(e->db, st, err);
}

static int check_aliases(json_t *aliases, berth_error **err) {
  size_t i;
  json_t *a;
  if (aliases && !json_is_array(aliases))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "aliases: not an array");
  json_array_foreach(aliases, i, a) {
    const char *s = json_string_value(a);
    if (!s || !*s || strlen(s) > 253 || strpbrk(s, " \t\n/\\"))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid network alias `%s`", s ? s : "");
  }
  return 0;
}

/* The endpoint's fields (malloc'd into ep) from the request. */
static int plan_endpoint(struct berth_engine *e, const char *container_id,
                         const struct berth_network *net, const char *ip,
                         const char *ip6, const char *mac, json_t *aliases,
                         struct berth_endpoint *ep, berth_error **err) {
  char a4[64], a6[64], m[18], host_if[15], ifname[16];
  if (!net->subnet || strcmp(net->driver, "bridge") != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network %s (driver %s) has no addresses to lease",
                           net->name, net->driver);
  if (ip6 && !net->subnet6)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IPv6 address %s: network %s has no IPv6",
                           ip6, net->name);
  /* Docker: addresses are chosen by the user only on user networks. */
  if ((ip || ip6) && strcmp(net->name, BERTH_NET_DEFAULT) == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "user specified IP address is supported on user "
                           "defined networks only");
  if (check_aliases(aliases, err) < 0 ||
      lease(e, net, false, ip, a4, err) < 0 ||
      (net->subnet6 && lease(e, net, true, ip6, a6, err) < 0) ||
      mac_of(mac, a4, m, err) < 0 ||
      next_seq(e, container_id, &ep->seq, err) < 0)
    return -1;
  berth_ctr_net_if_prefix(e, host_if);
  if (berth_net_rand_hex(host_if + BERTH_HOST_IF_PREFIX_LEN, 4, err) < 0)
    return -1;
  snprintf(ifname, sizeof ifname, "eth%d", ep->seq);
  snprintf(ep->container_id, sizeof ep->container_id, "%s", container_id);
  snprintf(ep->network_id, sizeof ep->network_id, "%s", net->id);
  ep->ifname = strdup(ifname);
  ep->host_if = strdup(host_if);
  ep->ip = strdup(a4);
  ep->ip6 = net->subnet6 ? strdup(a6) : NULL;
  ep->mac = strdup(m);
  ep->aliases = aliases ? json_deep_copy(aliases) : json_array();
  if (!ep->ifname || !ep->host_if || !ep->ip || !ep->mac || !ep->aliases ||
      (net->subnet6 && !ep->ip6))
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  return 0;
}

int berth_endpoint_add(struct berth_engine *e, const char *container_id,
                       const struct berth_network *net, const char *ip,
                       const char *ip6, const char *mac, json_t *aliases,
                       struct berth_endpoint *out, berth_error **err) {
  struct berth_endpoint ep = {0};
  int rc = plan_endpoint(e, container_id, net, ip, ip6, mac, aliases, &ep,
                         err) < 0 ||
                   insert_endpoint(e, &ep, err) < 0
               ? -1
               : 0;
  if (rc == 0 && out)
    *out = ep;
  else
    berth_endpoint_clear(&ep);
  return rc;
}

#define EP_SELECT                                                              \
  "SELECT container_id, network_id, ifname, host_if, ip, ip6, mac, "           \
  "aliases, seq FROM endpoints "

static char *col_dup(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? strdup(s) : NULL;
}

static void read_endpoint(sqlite3_stmt *st, struct berth_endpoint *ep) {
  snprintf(ep->container_id, sizeof ep->container_id, "%s",
           (const char *)sqlite3_column_text(st, 0));
  snprintf(ep->network_id, sizeof ep->network_id, "%s",
           (const char *)sqlite3_column_text(st, 1));
  ep->ifname = col_dup(st, 2);
  ep->host_if = col_dup(st, 3);
  ep->ip = col_dup(st, 4);
  ep->ip6 = col_dup(st, 5);
  ep->mac = col_dup(st, 6);
  const char *a = (const char *)sqlite3_column_text(st, 7);
  ep->aliases = a ? json_loads(a, 0, NULL) : NULL;
  if (!json_is_array(ep->aliases)) {
    json_decref(ep->aliases);
    ep->aliases = json_array();
  }
  ep->seq = sqlite3_column_int(st, 8);
}

static int ep_query(struct berth_engine *e, const char *where, const char *a1,
                    const char *a2, struct berth_endpoint **out, size_t *n,
                    berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql, EP_SELECT "%s ORDER BY seq", where);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
  if (a2)
    sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
  struct berth_endpoint *v = NULL;
  size_t count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct berth_endpoint *nv = realloc(v, (count + 1) * sizeof *v);
    if (!nv) {
      berth_endpoints_free(v, count);
      return berth_error_sys(err, "allocate");
    }
    v = nv;
    memset(&v[count], 0, sizeof *v);
    read_endpoint(st, &v[count++]);
  }
  if (rc != SQLITE_DONE) {
    berth_endpoints_free(v, count);
    return berth_db_error(e->db, "read endpoints", err);
  }
  *out = v;
  *n = count;
  return 0;
}

int berth_endpoints_of(struct berth_engine *e, const char *container_id,
                       struct berth_endpoint **out, size_t *n,
                       berth_error **err) {
  return ep_query(e, "WHERE container_id = ?", container_id, NULL, out, n, err);
}

/* ---- At create ------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : NULL;
}

/* The NetworkMode that means an endpoint on a bridge network: its name
 * (bridge for "default" and unset), or NULL. */
static const char *bridge_mode(json_t *config) {
  const char *m = jstr(json_object_get(config, "HostConfig"), "NetworkMode");
  if (!m || strcmp(m, "default") == 0)
    return BERTH_NET_DEFAULT;
  if (strcmp(m, "host") == 0 || strcmp(m, "none") == 0 ||
      strncmp(m, "container:", 10) == 0)
    return NULL;
  return m;
}

/* EndpointsConfig's entry: under the name as the request gave it, or
 * the network's name or id. */
static json_t *endpoint_config(json_t *config, const char *mode,
                               const struct berth_network *net) {
  json_t *all = json_object_get(json_object_get(config, "NetworkingConfig"),
                                "EndpointsConfig");
  json_t *c = json_object_get(all, mode);
  if (!c)
    c = json_object_get(all, net->name);
  if (!c)
    c = json_object_get(all, net->id);
  return c;
}

int berth_endpoints_create(struct berth_engine *e, const char *container_id,
                           json_t *config, berth_error **err) {
  const char *mode = bridge_mode(config);
  if (!mode)
    return 0;
  struct berth_network net = {0};
  if (berth_network_find(e, mode, &net, err) < 0)
    return -1;
  json_t *ec = endpoint_config(config, mode, &net);
  json_t *ipam = json_object_get(ec, "IPAMConfig");
  const char *ip = jstr(ipam, "IPv4Address"), *ip6 = jstr(ipam, "IPv6Address");
  const char *mac = jstr(ec, "MacAddress");
  if (!mac)
    mac = jstr(config, "MacAddress");
  int rc = berth_endpoint_add(e, container_id, &net, ip, ip6, mac,
                              json_object_get(ec, "Aliases"), NULL, err);
  berth_network_clear(&net);
  return rc;
}

/* ---- Connect and disconnect ------------------------------------------ */

static bool running(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0;
}

/* Whether the container has its own network namespace to add to. */
static int check_connectable(const struct berth_ctr *c,
                             const struct berth_network *net,
                             berth_error **err) {
  const char *m = jstr(json_object_get(c->config, "HostConfig"), "NetworkMode");
  if (m && (strcmp(m, "host") == 0 || strncmp(m, "container:", 10) == 0))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "container sharing network namespace with another "
                           "container or host cannot be connected to any "
                           "other network");
  if ((m && strcmp(m, "none") == 0) || strcmp(net->driver, "null") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "container cannot be connected to multiple "
                           "networks with one of the networks in private "
                           "(none) mode");
  if (strcmp(net->driver, "host") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "container cannot be disconnected from host "
                           "network or connected to host network");
  return 0;
}

static int connect_locked(struct berth_engine *e, const struct berth_ctr *c,
                          const struct berth_network *net, const char *ip,
                          const char *ip6, json_t *aliases, berth_error **err) {
  struct berth_endpoint *have = NULL, ep = {0};
  size_t n = 0;
  if (check_connectable(c, net, err) < 0 ||
      ep_query(e, "WHERE container_id = ? AND network_id = ?", c->id, net->id,
               &have, &n, err) < 0)
    return -1;
  berth_endpoints_free(have, n);
  if (n)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "endpoint with name %s already exists in network "
                           "%s",
                           c->name, net->name);
  /* /etc/hosts names the new address too and resolv.conf may now point
   * at the network's name server, as Docker's; written before the
   * interface so a failure leaves nothing live to undo. */
  if (berth_endpoint_add(e, c->id, net, ip, ip6, NULL, aliases, &ep, err) < 0 ||
      berth_etc_net_update(e, c, err) < 0) {
    berth_endpoint_clear(&ep);
    return -1;
  }
  int rc = berth_net_event(e, "connect", net, c->id, err);
  if (rc == 0 && running(c))
    rc = berth_ctr_net_connect_live(e, c, &ep, err);
  berth_endpoint_clear(&ep);
  return rc;
}

int berth_network_connect(struct berth_engine *e, const char *net_ref,
                          const char *ctr_ref, const char *ip, const char *ip6,
                          json_t *aliases, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  struct berth_network net = {0};
  if (berth_net_defaults(e, err) < 0 || berth_db_begin(e->db, err) < 0)
    return -1;
  int rc = berth_ctr_find(e->db, ctr_ref, &c, err) < 0 ||
                   berth_network_find(e, net_ref, &net, err) < 0 ||
                   connect_locked(e, c, &net, ip, ip6, aliases, err) < 0
               ? -1
               : 0;
  berth_network_clear(&net);
  return berth_net_tx_end(e, true, rc, err);
}

static int delete_endpoint(struct berth_engine *e, const char *ctr_id,
                           const char *net_id, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "DELETE FROM endpoints WHERE container_id = ? AND "
                       "network_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, net_id, -1, SQLITE_STATIC);
  return berth_db_step_done(e->db, st, err);
}

static int disconnect_locked(struct berth_engine *e, const struct berth_ctr *c,
                             const struct berth_network *net, bool force,
                             berth_error **err) {
  struct berth_endpoint *have = NULL;
  size_t n = 0;
  if (ep_query(e, "WHERE container_id = ? AND network_id = ?", c->id, net->id,
               &have, &n, err) < 0)
    return -1;
  int rc = 0;
  if (n == 0) {
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "container %s is not connected to network %s", c->name,
                         net->name);
  } else if (running(c)) {
    berth_error *own = NULL;
    rc = berth_ctr_net_disconnect_live(e, c, &have[0], &own);
    /* -f: the record goes even when the interface could not. */
    if (rc < 0 && force) {
      berth_error_free(own);
      rc = 0;
    } else if (rc < 0 && err && !*err) {
      *err = own;
    } else {
      berth_error_free(own);
    }
  }
  berth_endpoints_free(have, n);
  if (rc < 0 || delete_endpoint(e, c->id, net->id, err) < 0 ||
      berth_net_event(e, "disconnect", net, c->id, err) < 0)
    return -1;
  return berth_etc_net_update(e, c, err);
}

int berth_network_disconnect(struct berth_engine *e, const char *net_ref,
                             const char *ctr_ref, bool force,
                             berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  struct berth_network net = {0};
  if (berth_net_defaults(e, err) < 0 || berth_db_begin(e->db, err) < 0)
    return -1;
  int rc = berth_ctr_find(e->db, ctr_ref, &c, err) < 0 ||
                   berth_network_find(e, net_ref, &net, err) < 0 ||
                   disconnect_locked(e, c, &net, force, err) < 0
               ? -1
               : 0;
  berth_network_clear(&net);
  return berth_net_tx_end(e, true, rc, err);
}

void berth_ctr_net_if_prefix(const struct berth_engine *e, char out[7]) {
  unsigned char d[32];
  berth_sha256(e->root, strlen(e->root), d);
  snprintf(out, 7, "vb%02x%02x", d[0], d[1]);
}
