/* What a name means to the container asking: the database read for every
 * query (WAL readers are cheap and never wait for writers), so a
 * container started a moment ago resolves at once.
 *
 * Matching (documented for users in NOTES.md): a container's name, its
 * 12-character short id and its aliases on the shared network, ASCII
 * case ignored; "web" and "web." are the same on the wire.  Names with a
 * search domain appended (web.example.com) are not matched: the stub
 * resolver tries the bare name too, and a name under a real domain must
 * keep meaning what that domain says. */
#include "netdns_names.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

/* Containers that answer on a network: running, or about to run again. */
#define LIVE_STATES "('running','paused','restarting')"

/* The asker: the container whose address on this network sent the query.
 * Nobody else may use the server (it listens on a host address that
 * other networks and hosts can route to: an open resolver otherwise). */
static int asker(struct berth_netdns_names *nn, const struct sockaddr *src,
                 char id[65]) {
  char ip[INET6_ADDRSTRLEN];
  const void *a =
      src->sa_family == AF_INET
          ? (const void *)&((const struct sockaddr_in *)src)->sin_addr
          : (const void *)&((const struct sockaddr_in6 *)src)->sin6_addr;
  if (!inet_ntop(src->sa_family, a, ip, sizeof ip))
    return -1;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(nn->db,
                       "SELECT container_id FROM endpoints WHERE network_id = ?"
                       " AND (ip = ?2 OR ip6 = ?2)",
                       &st, NULL) < 0)
    return -1;
  sqlite3_bind_text(st, 1, nn->network_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return -1;
  snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
  return 0;
}

static bool alias_match(const char *aliases, const char *name) {
  json_t *a = aliases ? json_loads(aliases, 0, NULL) : NULL;
  bool hit = false;
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    const char *s = json_string_value(v);
    hit |= s && strcasecmp(s, name) == 0;
  }
  json_decref(a);
  return hit;
}

static bool name_match(sqlite3_stmt *st, const char *name) {
  const char *id = (const char *)sqlite3_column_text(st, 0);
  const char *cname = (const char *)sqlite3_column_text(st, 1);
  if (cname && *cname == '/') /* Docker's API spelling */
    cname++;
  return (cname && strcasecmp(cname, name) == 0) ||
         (strlen(name) == 12 && id && strncmp(id, name, 12) == 0) ||
         alias_match((const char *)sqlite3_column_text(st, 2), name);
}

/* Adds the address of column col (ip or ip6) as a record of type. */
static void add_addr(sqlite3_stmt *st, int col, int family, uint16_t type,
                     struct berth_dns_rr *rrs, size_t max, size_t *n) {
  const char *t = (const char *)sqlite3_column_text(st, col);
  if (!t || *n >= max)
    return;
  struct berth_dns_rr rr = {.type = type};
  if (inet_pton(family, t, rr.addr) == 1)
    rrs[(*n)++] = rr;
}

/* Whether the address of column col is the one a reverse name gave. */
static bool addr_is(sqlite3_stmt *st, int col, int family, const uint8_t *a) {
  const char *t = (const char *)sqlite3_column_text(st, col);
  uint8_t buf[16];
  return t && inet_pton(family, t, buf) == 1 &&
         memcmp(buf, a, family == AF_INET ? 4 : 16) == 0;
}

/* Every live container sharing a user network with the asker, once per
 * shared network (its address there): id, name, aliases, ip, ip6.  The
 * default bridge network has no name service, as in Docker. */
static const char visible_sql[] =
    "SELECT c.id, c.name, e2.aliases, e2.ip, e2.ip6"
    " FROM endpoints me"
    " JOIN endpoints e2 ON e2.network_id = me.network_id"
    " JOIN containers c ON c.id = e2.container_id"
    " JOIN networks n ON n.id = e2.network_id"
    " WHERE me.container_id = ? AND n.driver = 'bridge'"
    " AND n.name <> 'bridge' AND c.state IN " LIVE_STATES
    " ORDER BY e2.seq, c.id";

/* Fills rrs for q; *found says whether the name is a container's. */
static int collect(struct berth_netdns_names *nn, const char *who,
                   const struct berth_dns_query *q, struct berth_dns_rr *rrs,
                   size_t max, size_t *n, bool *found) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(nn->db, visible_sql, &st, NULL) < 0)
    return -1;
  sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
  int family = 0;
  uint8_t ptr[16];
  bool reverse = q->qtype == BERTH_DNS_T_PTR &&
                 berth_dns_ptr_addr(q->name, &family, ptr) == 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (reverse && addr_is(st, family == AF_INET ? 3 : 4, family, ptr)) {
      const char *cname = (const char *)sqlite3_column_text(st, 1);
      if (cname && *cname == '/')
        cname++;
      if (*n < max && cname && strlen(cname) <= BERTH_DNS_NAME_MAX - 1) {
        rrs[*n] = (struct berth_dns_rr){.type = BERTH_DNS_T_PTR};
        snprintf(rrs[(*n)++].ptr, sizeof rrs->ptr, "%s", cname);
      }
      *found = true;
      break; /* one name per address */
    }
    if (reverse || !name_match(st, q->name))
      continue;
    *found = true;
    if (q->qtype == BERTH_DNS_T_A)
      add_addr(st, 3, AF_INET, BERTH_DNS_T_A, rrs, max, n);
    else if (q->qtype == BERTH_DNS_T_AAAA)
      add_addr(st, 4, AF_INET6, BERTH_DNS_T_AAAA, rrs, max, n);
  }
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

enum berth_dns_lookup_result
berth_netdns_lookup(void *ctx, const struct sockaddr *src,
                    const struct berth_dns_query *q, struct berth_dns_rr *rrs,
                    size_t max, size_t *n) {
  struct berth_netdns_names *nn = ctx;
  char who[65];
  *n = 0;
  if (asker(nn, src, who) < 0)
    return BERTH_DNS_DENY;
  /* An internal network has no way out: nothing is forwarded. */
  enum berth_dns_lookup_result other =
      nn->internal ? BERTH_DNS_NXLOCAL : BERTH_DNS_FORWARD;
  if (q->qclass != BERTH_DNS_C_IN || !q->plain)
    return other;
  bool found = false;
  if (collect(nn, who, q, rrs, max, n, &found) < 0)
    return BERTH_DNS_FAIL;
  return found ? BERTH_DNS_LOCAL : other;
}

bool berth_netdns_live(struct berth_netdns_names *nn, bool *live) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(nn->db,
                       "SELECT 1 FROM endpoints e JOIN containers c"
                       " ON c.id = e.container_id WHERE e.network_id = ?"
                       " AND c.state IN " LIVE_STATES " LIMIT 1",
                       &st, NULL) < 0)
    return false;
  sqlite3_bind_text(st, 1, nn->network_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  *live = rc == SQLITE_ROW;
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}
