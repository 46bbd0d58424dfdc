/* The names a network's server answers, read from the database (the
 * lookup callback of src/net/dns_server.h).  Internal to netdns.c. */
#ifndef BERTH_ENGINE_NETDNS_NAMES_H
#define BERTH_ENGINE_NETDNS_NAMES_H

#include <stdbool.h>

#include "db.h"
#include "dns_server.h"

struct berth_netdns_names {
  struct berth_db *db;
  const char *network_id;
  bool internal; /* no forwarding: unknown names are NXDOMAIN */
};

/* berth_dns_lookup_fn over a struct berth_netdns_names: only a container
 * with an address on the network may ask; it gets the live containers
 * sharing a user network with it; other names are forwarded. */
enum berth_dns_lookup_result
berth_netdns_lookup(void *ctx, const struct sockaddr *src,
                    const struct berth_dns_query *q, struct berth_dns_rr *rrs,
                    size_t max, size_t *n);

/* *live: whether a container on the network is running (or paused or
 * restarting).  false when the database could not say. */
bool berth_netdns_live(struct berth_netdns_names *nn, bool *live);

#endif
