/* berth's firewall: one nftables table of its own (`inet berth`), through
 * libnftables.  It only ever adds, changes or deletes that table, so the
 * host's other rules and other engines' tables (podman's, Docker's) are
 * left as they are.  Knows nothing of containers or the database.
 *
 * What the table does:
 *  - outbound NAT (masquerade) for each non-internal network's subnets
 *    leaving through any other interface;
 *  - isolation: a network's bridge forwards only between its own
 *    containers, replies, and published ports (DNAT); another network or
 *    a host routing to container addresses directly is dropped; an
 *    internal network forwards nothing off its bridge;
 *  - published ports: DNAT from (host address, proto, port) to (container
 *    address, port) for traffic arriving from outside (prerouting, but
 *    never for 127.0.0.0/8 destinations: a port published on 127.0.0.1 is
 *    reachable from this host only) and from the host itself (output,
 *    127.0.0.1 included); hairpin (a container to its own or a neighbour's
 *    published port) is masqueraded so replies come back the same way;
 *    locally generated 127.0.0.0/8 traffic DNATed onto a bridge is
 *    masqueraded (the bridge has route_localnet).
 * Port mappings are set elements, so adding one is one small transaction. */
#ifndef BERTH_NET_NFT_H
#define BERTH_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct berth_nft;
int berth_nft_open(struct berth_nft **out, berth_error **err);
void berth_nft_close(struct berth_nft *n);

/* A network's rules: bridge name, subnets as CIDR text ("172.17.0.0/16",
 * subnet6 NULL without IPv6). */
struct berth_nft_net {
  const char *bridge;
  const char *subnet4;
  const char *subnet6;
  bool internal;
};
/* Creates the table (if missing) and the network's rules; idempotent:
 * adding a network already present changes nothing. */
int berth_nft_network_add(struct berth_nft *n, const struct berth_nft_net *net,
                          berth_error **err);
/* Removes the network's rules, and the table when no network is left;
 * a missing network or table: 0. */
int berth_nft_network_remove(struct berth_nft *n, const char *bridge,
                             berth_error **err);

/* One published port.  host_ip: NULL or "" for every address of the host
 * (IPv4 and, when ctr_ip6 is set, IPv6), else one address; proto "tcp",
 * "udp" or "sctp". */
struct berth_nft_port {
  const char *proto;
  const char *host_ip;
  unsigned host_port;
  const char *ctr_ip;   /* IPv4 of the container */
  const char *ctr_ip6;  /* NULL: no IPv6 mapping */
  unsigned ctr_port;
};
/* Adds the mappings in one transaction (all or none). */
int berth_nft_ports_add(struct berth_nft *n, const struct berth_nft_port *p,
                        size_t count, berth_error **err);
/* Removes them in one transaction; mappings already gone are skipped. */
int berth_nft_ports_remove(struct berth_nft *n, const struct berth_nft_port *p,
                           size_t count, berth_error **err);

/* What the table holds now, for `berth system check`: the bridges that
 * have rules and the published ports (strings owned by the lists). */
struct berth_nft_state {
  char **bridges;
  size_t n_bridges;
  struct berth_nft_port *ports;
  size_t n_ports;
};
int berth_nft_state_read(struct berth_nft *n, struct berth_nft_state *out,
                         berth_error **err);
void berth_nft_state_free(struct berth_nft_state *s);

#endif
