/* Networks (berth network create/ls/inspect/rm/prune/connect/disconnect)
 * and the containers' endpoints on them: records and IPAM.  Making the
 * bridge and its firewall rules real is net_apply.h's. */
#ifndef BERTH_ENGINE_NETWORKS_H
#define BERTH_ENGINE_NETWORKS_H

#include <jansson.h>
#include <stdbool.h>

#include "engine.h"

#define BERTH_NET_DEFAULT "bridge" /* Docker's default network's name */
#define BERTH_NET_DEFAULT_BRIDGE "berth0"

struct berth_network {
  char id[65];
  char *name;
  char *driver;     /* "bridge", "host", "null" */
  char *bridge;     /* interface; NULL for host/null */
  char *subnet, *gateway;    /* "172.17.0.0/16", "172.17.0.1" */
  char *subnet6, *gateway6;  /* NULL without IPv6 */
  bool internal;
  json_t *labels, *options;
  int64_t created;  /* ns */
};
void berth_network_clear(struct berth_network *n);

struct berth_network_create {
  const char *name;
  const char *driver;      /* NULL: bridge */
  const char *subnet, *gateway;   /* NULL: from the pool / first host */
  const char *subnet6, *gateway6; /* NULL: chosen when ipv6 */
  const char *ip_range;    /* NULL: the whole subnet */
  bool ipv6, internal;
  json_t *labels, *options; /* borrowed; may be NULL */
};
/* Validates (name, subnets well-formed, gateway inside, no overlap with
 * another network or a host route, driver bridge) and records; *out
 * (may be NULL) gets the record.  The bridge is made on first use. */
int berth_network_create(struct berth_engine *e,
                         const struct berth_network_create *req,
                         struct berth_network *out, berth_error **err);
/* By name, full id or unique id prefix; the default networks (bridge,
 * host, none) are recorded on first use. */
int berth_network_find(struct berth_engine *e, const char *ref,
                       struct berth_network *out, berth_error **err);

/* A container's endpoint (lease) on a network. */
struct berth_endpoint {
  char container_id[65];
  char network_id[65];
  char *ifname;     /* "eth0" */
  char *host_if;    /* host end of the veth */
  char *ip, *ip6;   /* bare addresses; ip6 NULL without IPv6 */
  char *mac;        /* "02:42:ac:11:00:02" */
  json_t *aliases;  /* array of strings */
  int seq;          /* 0 for the first network of the container */
};
void berth_endpoint_clear(struct berth_endpoint *ep);

/* Leases an address on net for a container, in the caller's transaction
 * (create and connect): the requested ip/ip6/mac or the lowest free one.
 * A requested address outside the subnet or taken is an error naming it. */
int berth_endpoint_add(struct berth_engine *e, const char *container_id,
                       const struct berth_network *net, const char *ip,
                       const char *ip6, const char *mac, json_t *aliases,
                       struct berth_endpoint *out, berth_error **err);
/* The container's endpoints, by seq (NULL-safe free with
 * berth_endpoints_free). */
int berth_endpoints_of(struct berth_engine *e, const char *container_id,
                       struct berth_endpoint **out, size_t *n,
                       berth_error **err);
void berth_endpoints_free(struct berth_endpoint *v, size_t n);

#endif
