/* The address pool: which subnets are free (no other network's, no host
 * route's), Docker's default pools, ULA prefixes for IPv6. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "cleanup.h"
#include "network_priv.h"

/* One line of /proc/net/route: false for the header. */
static bool parse_route4(const char *line, struct berth_ipnet *r) {
  char ifname[64];
  unsigned dst, mask;
  if (sscanf(line, "%63s %x %*x %*x %*d %*d %*d %x", ifname, &dst, &mask) != 3)
    return false;
  /* The kernel prints the raw network-order words in host order. */
  memcpy(r->addr, &dst, 4);
  r->prefix = (unsigned)__builtin_popcount(mask);
  return true;
}

/* One line of /proc/net/ipv6_route: "DEST PLEN SRC ...". */
static bool parse_route6(const char *line, struct berth_ipnet *r) {
  char hex[33];
  unsigned plen;
  if (sscanf(line, "%32s %x", hex, &plen) != 2 || strlen(hex) != 32 ||
      plen > 128)
    return false;
  for (int i = 0; i < 16; i++)
    if (sscanf(hex + 2 * i, "%2hhx", &r->addr[i]) != 1)
      return false;
  r->prefix = plen;
  return true;
}

/* The host's routes (main table) of one family, from /proc: a subnet a
 * route already leads somewhere would make that destination unreachable
 * from the host once a bridge claims it.  Default routes are skipped
 * (they overlap everything). */
static size_t host_routes(int family, struct berth_ipnet *out, size_t max) {
  _cleanup_fclose_ FILE *f = fopen(
      family == AF_INET ? "/proc/net/route" : "/proc/net/ipv6_route", "re");
  char line[512];
  size_t n = 0;
  while (f && n < max && fgets(line, sizeof line, f)) {
    struct berth_ipnet r = {.family = family};
    bool ok =
        family == AF_INET ? parse_route4(line, &r) : parse_route6(line, &r);
    if (ok && r.prefix > 0)
      out[n++] = r;
  }
  return n;
}

/* Whether cand overlaps a network's subnet or a host route: 1 yes, 0
 * no, -1 error. */
int berth_net_overlaps(struct berth_engine *e, const struct berth_ipnet *cand,
                       berth_error **err) {
  struct berth_ipnet routes[256];
  size_t nr = host_routes(cand->family, routes, ARRAY_SIZE(routes));
  for (size_t i = 0; i < nr; i++)
    if (berth_ipnet_overlap(cand, &routes[i]))
      return 1;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(
          e->db,
          cand->family == AF_INET
              ? "SELECT subnet FROM networks WHERE subnet IS NOT NULL"
              : "SELECT subnet6 FROM networks WHERE subnet6 IS NOT NULL",
          &st, err) < 0)
    return -1;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct berth_ipnet have;
    if (berth_ipnet_parse((const char *)sqlite3_column_text(st, 0), true, &have,
                          NULL) == 0 &&
        berth_ipnet_overlap(cand, &have))
      return 1;
  }
  return rc == SQLITE_DONE ? 0 : berth_db_error(e->db, "read subnets", err);
}

/* Docker's default address pools: 172.17-31.0.0/16, then /20s of
 * 192.168.0.0/16; the first that overlaps nothing. */
int berth_net_pick_pool(struct berth_engine *e, struct berth_ipnet *out,
                        berth_error **err) {
  for (unsigned i = 0; i < 15 + 16; i++) {
    struct berth_ipnet c = {.family = AF_INET};
    if (i < 15) {
      c.addr[0] = 172, c.addr[1] = (unsigned char)(17 + i), c.prefix = 16;
    } else {
      c.addr[0] = 192, c.addr[1] = 168;
      c.addr[2] = (unsigned char)((i - 15) * 16), c.prefix = 20;
    }
    int rc = berth_net_overlaps(e, &c, err);
    if (rc < 0)
      return -1;
    if (rc == 0) {
      *out = c;
      return 0;
    }
  }
  return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                         "could not find an available, non-overlapping IPv4 "
                         "address pool among the defaults to assign to the "
                         "network");
}

/* fdXX:XXXX:XXXX:YYYY::/64 from the id: a ULA global id (RFC 4193 wants
 * 40 random bits: the id's are) and a subnet id. */
void berth_net_ula_from_id(const char *id, struct berth_ipnet *out) {
  memset(out, 0, sizeof *out);
  out->family = AF_INET6;
  out->prefix = 64;
  out->addr[0] = 0xfd;
  for (int i = 0; i < 7; i++)
    sscanf(id + 2 * i, "%2hhx", &out->addr[1 + i]);
}
