/* system check, networking: interfaces, mappings and rules that no
 * running container or network of this root explains any more. */
#include "net_check.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"
#include "ctr_net.h"
#include "db.h"
#include "net_apply.h"
#include "netlink.h"
#include "networks.h"
#include "nft.h"
#include "ports.h"

#define ACTIVE "('running','paused','restarting')"

struct nc {
  struct berth_engine *e;
  bool repair;
  berth_check_report_fn report;
  void *data;
  int *problems;
};

static void found(struct nc *k, bool repaired, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void found(struct nc *k, bool repaired, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  (*k->problems)++;
  if (k->report)
    k->report(msg, repaired, k->data);
}

/* Whether the single-column query with one text parameter has a row. */
static bool has_row(struct nc *k, const char *sql, const char *a,
                    const char *b, long c) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(k->e->db, sql, &st, NULL) < 0)
    return true; /* unknown: leave it alone */
  sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b)
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  if (c >= 0)
    sqlite3_bind_int64(st, 3, c);
  return sqlite3_step(st) == SQLITE_ROW;
}

static void check_veths(struct nc *k, struct berth_nl *nl) {
  char prefix[7];
  berth_ctr_net_if_prefix(k->e, prefix);
  _cleanup_strv_ char **names = NULL;
  if (berth_nl_link_list(nl, prefix, &names, NULL) < 0)
    return;
  for (size_t i = 0; names && names[i]; i++) {
    if (has_row(k,
                "SELECT 1 FROM endpoints e JOIN containers c ON "
                "c.id = e.container_id WHERE e.host_if = ?1 AND c.state IN "
                ACTIVE,
                names[i], NULL, -1))
      continue;
    bool ok = k->repair && berth_nl_link_delete(nl, names[i], NULL) == 0;
    found(k, ok, "interface %s of no running container%s", names[i],
          ok ? ": removed" : "");
  }
}

/* port_maps rows of containers that are not running: their monitor died
 * without unpublishing. */
static void check_port_rows(struct nc *k) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(k->e->db,
                       "SELECT DISTINCT container_id FROM port_maps WHERE "
                       "container_id NOT IN (SELECT id FROM containers "
                       "WHERE state IN " ACTIVE ")",
                       &st, NULL) < 0)
    return;
  _cleanup_strv_ char **ids = calloc(1, sizeof(char *));
  size_t n = 0;
  while (ids && sqlite3_step(st) == SQLITE_ROW) {
    char **v = realloc(ids, (n + 2) * sizeof(char *));
    if (!v)
      break;
    ids = v;
    ids[n++] = strdup((const char *)sqlite3_column_text(st, 0));
    ids[n] = NULL;
  }
  for (size_t i = 0; i < n; i++) {
    bool ok = k->repair && berth_ports_unpublish(k->e, ids[i], NULL) == 0;
    found(k, ok, "published ports of container %.12s, which is not "
                 "running%s",
          ids[i], ok ? ": unpublished" : "");
  }
}

/* Whether ip lies in a subnet of one of this root's networks. */
static bool ours(const struct berth_network *nets, size_t n, const char *ip) {
  struct berth_ipnet a, s;
  if (!ip || berth_ip_parse(ip, &a, NULL) < 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (nets[i].subnet && berth_ipnet_parse(nets[i].subnet, false, &s,
                                            NULL) == 0 &&
        s.family == a.family && berth_ipnet_contains(&s, &a))
      return true;
  }
  return false;
}

static void check_mappings(struct nc *k, struct berth_nft *nft,
                           const struct berth_nft_state *s,
                           const struct berth_network *nets, size_t n) {
  for (size_t i = 0; i < s->n_ports; i++) {
    const struct berth_nft_port *p = &s->ports[i];
    const char *hip = p->host_ip ? p->host_ip : "";
    if (!ours(nets, n, p->ctr_ip) ||
        has_row(k,
                "SELECT 1 FROM port_maps m JOIN containers c ON "
                "c.id = m.container_id WHERE m.proto = ?1 AND m.host_ip = ?2 "
                "AND m.host_port = ?3 AND c.state IN " ACTIVE,
                p->proto, hip, (long)p->host_port))
      continue;
    bool ok = k->repair && berth_nft_ports_remove(nft, p, 1, NULL) == 0;
    found(k, ok, "port mapping %s%s%u/%s -> %s:%u of no running "
                 "container%s",
          hip, *hip ? ":" : "", p->host_port, p->proto, p->ctr_ip,
          p->ctr_port, ok ? ": removed" : "");
  }
}

static void check_rules(struct nc *k, struct berth_nl *nl,
                        struct berth_nft *nft,
                        const struct berth_nft_state *s) {
  for (size_t i = 0; i < s->n_bridges; i++) {
    const char *b = s->bridges[i];
    if (has_row(k, "SELECT 1 FROM networks WHERE bridge = ?1", b, NULL,
                -1) ||
        berth_nl_link_exists(nl, b, NULL) != 0)
      continue;
    bool ok = k->repair && berth_nft_network_remove(nft, b, NULL) == 0;
    found(k, ok, "firewall rules of bridge %s, which no network has%s", b,
          ok ? ": removed" : "");
  }
}

static bool listed(const struct berth_nft_state *s, const char *bridge) {
  for (size_t i = 0; i < s->n_bridges; i++)
    if (strcmp(s->bridges[i], bridge) == 0)
      return true;
  return false;
}

/* Networks with running containers whose bridge or rules are gone (a
 * flushed ruleset, a deleted bridge): their containers are cut off. */
static void check_live(struct nc *k, struct berth_nl *nl,
                       const struct berth_nft_state *s,
                       const struct berth_network *nets, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct berth_network *net = &nets[i];
    if (!net->bridge ||
        !has_row(k,
                 "SELECT 1 FROM endpoints e JOIN containers c ON "
                 "c.id = e.container_id WHERE e.network_id = ?1 AND "
                 "c.state IN " ACTIVE,
                 net->id, NULL, -1) ||
        (listed(s, net->bridge) &&
         berth_nl_link_exists(nl, net->bridge, NULL) == 1))
      continue;
    bool ok = k->repair && berth_net_restore_live(k->e, net, NULL) == 0;
    found(k, ok, "network %s has running containers but its bridge or "
                 "firewall rules are missing%s",
          net->name, ok ? ": restored" : "");
  }
}

/* This root's bridge networks. */
static int networks(struct berth_engine *e, struct berth_network **out,
                    size_t *n) {
  *out = NULL;
  *n = 0;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "SELECT id FROM networks WHERE bridge IS NOT "
                       "NULL", &st, NULL) < 0)
    return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    struct berth_network *v = realloc(*out, (*n + 1) * sizeof **out);
    if (!v)
      return -1;
    *out = v;
    memset(&v[*n], 0, sizeof v[*n]);
    if (berth_network_find(e, (const char *)sqlite3_column_text(st, 0),
                           &v[*n], NULL) == 0)
      (*n)++;
  }
  return 0;
}

void berth_net_check(struct berth_engine *e, bool repair,
                     berth_check_report_fn report, void *data, int *problems) {
  struct nc k = {.e = e, .repair = repair, .report = report, .data = data,
                 .problems = problems};
  struct berth_nl *nl = NULL;
  if (berth_nl_open(&nl, NULL) < 0)
    return;
  check_veths(&k, nl);
  check_port_rows(&k);
  struct berth_network *nets = NULL;
  size_t n = 0;
  struct berth_nft *nft = NULL;
  struct berth_nft_state s = {0};
  if (networks(e, &nets, &n) == 0 && berth_nft_open(&nft, NULL) == 0 &&
      berth_nft_state_read(nft, &s, NULL) == 0) {
    check_mappings(&k, nft, &s, nets, n);
    check_rules(&k, nl, nft, &s);
    check_live(&k, nl, &s, nets, n);
  }
  berth_nft_state_free(&s);
  berth_nft_close(nft);
  for (size_t i = 0; i < n; i++)
    berth_network_clear(&nets[i]);
  free(nets);
  berth_nl_close(nl);
}
