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

/* ---- Listing, documents and removal (network_query.c, networks.c) ---- */

/* Every network, by name (the default ones recorded first). */
int berth_network_list(struct berth_engine *e, struct berth_network **out,
                       size_t *n, berth_error **err);
void berth_networks_free(struct berth_network *v, size_t n);
/* bridge, host and none: Docker's pre-defined networks. */
bool berth_network_builtin(const char *name);
/* How many endpoints (containers) the network has. */
int berth_network_users(struct berth_engine *e, const char *network_id,
                        berth_error **err);

/* GET /networks?filters=: name (substring), id (prefix of the id, or
 * substring), driver, label (key or key=value; every one must match),
 * type (custom|builtin), dangling (true: no containers and not
 * pre-defined).  Values of one key are alternatives. */
struct berth_network_filter {
  const char *name[32], *id[32], *driver[32], *label[32], *type[32],
      *dangling[32]; /* borrowed */
  size_t nname, nid, ndriver, nlabel, ntype, ndangling;
};
/* INVALID "invalid filter `key=value`" for another key or a bad value. */
int berth_network_filter_add(struct berth_network_filter *f, const char *key,
                             const char *value, berth_error **err);
int berth_network_filter_parse(struct berth_network_filter *f, const char *kv,
                               berth_error **err);
/* users: berth_network_users of n (for dangling). */
bool berth_network_matches(const struct berth_network *n, int users,
                           const struct berth_network_filter *f);

/* Docker's NetworkResource (GET /networks/{id}), with Containers. */
json_t *berth_network_inspect(struct berth_engine *e,
                              const struct berth_network *n,
                              berth_error **err);
/* The `network ls` row: ID (12 hex unless no_trunc), Name, Driver,
 * Scope, IPv6, Internal, Labels, CreatedAt; *methods gets Label. */
json_t *berth_network_row(const struct berth_network *n, bool no_trunc,
                          json_t **methods);
json_t *berth_network_row_headers(void);

/* POST /networks/create: {Name, Driver, Internal, EnableIPv6, IPAM
 * {Driver, Config [{Subnet, Gateway, IPRange}]}, Options, Labels}; an
 * IPAM Config entry's family comes from its Subnet (one IPv4 and one
 * IPv6 at most).  *out gets {"Id", "Warning"}. */
int berth_network_create_request(struct berth_engine *e, json_t *body,
                                 json_t **out, berth_error **err);

/* Docker's CLI pairing of repeated --subnet, --gateway and --ip-range
 * into IPAM.Config (*config, the caller's even on error): each gateway
 * and range goes with the subnet containing it ("no matching subnet for
 * gateway X" otherwise). */
int berth_network_ipam_pairs(const char *const *subnets, size_t ns,
                             const char *const *gateways, size_t ng,
                             const char *const *ranges, size_t nr,
                             json_t **config, berth_error **err);

/* Removes a network: refused for the pre-defined ones and while
 * containers have endpoints on it; drops its bridge and rules
 * (net_apply.h) in the same transaction. */
int berth_network_remove(struct berth_engine *e, const char *ref,
                         berth_error **err);
/* Removes the user networks no container uses that the filter (until,
 * label) selects; *removed gets their names (array of strings). */
struct berth_prune_filter;
int berth_network_prune(struct berth_engine *e,
                        const struct berth_prune_filter *f, json_t **removed,
                        berth_error **err);

/* Connects / disconnects a container (by name or id) to a network, in a
 * transaction of their own; a running container's interface is made or
 * removed at once (ctr_net.h).  ip/ip6 NULL: leased; aliases may be
 * NULL.  force: disconnect even when the live part fails. */
int berth_network_connect(struct berth_engine *e, const char *net_ref,
                          const char *ctr_ref, const char *ip,
                          const char *ip6, json_t *aliases,
                          berth_error **err);
int berth_network_disconnect(struct berth_engine *e, const char *net_ref,
                             const char *ctr_ref, bool force,
                             berth_error **err);
/* At create, inside the caller's transaction: the endpoint of a
 * container whose config asks for a bridge network (NetworkMode bridge,
 * default or a user network), from NetworkingConfig.EndpointsConfig
 * (IPAMConfig.IPv4Address/IPv6Address, Aliases, MacAddress) and
 * MacAddress.  Nothing for host, none and container:X. */
int berth_endpoints_create(struct berth_engine *e, const char *container_id,
                           json_t *config, berth_error **err);

/* "vb" and 4 hex digits of the engine's root: the start of the host ends
 * of this root's containers' veths (12 more random hex digits follow),
 * so `system check` of one root never takes another root's interfaces
 * for leftovers. */
#define BERTH_HOST_IF_PREFIX_LEN 6
void berth_ctr_net_if_prefix(const struct berth_engine *e, char out[7]);

#endif
