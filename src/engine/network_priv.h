/* What networks.c, network_leases.c and network_query.c share. */
#ifndef BERTH_ENGINE_NETWORK_PRIV_H
#define BERTH_ENGINE_NETWORK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "networks.h"

/* Options under this prefix are berth's own (refused from users) and
 * not shown in documents; the ip-range lives there. */
#define BERTH_NET_OPT_PREFIX "berth."
#define BERTH_NET_OPT_RANGE "berth.ip-range"

int64_t berth_net_now_ns(void);
/* 2 * nbytes hex digits (and a NUL) into out; nbytes <= 32. */
int berth_net_rand_hex(char *out, size_t nbytes, berth_error **err);
/* Begins a transaction unless the caller holds one (*own says). */
int berth_net_tx_begin(struct berth_engine *e, bool *own, berth_error **err);
int berth_net_tx_end(struct berth_engine *e, bool own, int rc,
                     berth_error **err);
/* Records bridge, host and none unless they are. */
int berth_net_defaults(struct berth_engine *e, berth_error **err);
/* network_pool.c: whether cand overlaps a network's subnet or a route
 * of the host (1 yes, 0 no, -1 error); the first of Docker's default
 * pools that overlaps nothing; fdXX:XXXX:XXXX:YYYY::/64 from an id. */
int berth_net_overlaps(struct berth_engine *e, const struct berth_ipnet *cand,
                       berth_error **err);
int berth_net_pick_pool(struct berth_engine *e, struct berth_ipnet *out,
                        berth_error **err);
void berth_net_ula_from_id(const char *id, struct berth_ipnet *out);
/* Records Docker's network event (create, destroy, connect, disconnect)
 * in the caller's transaction: attributes name and type (the driver),
 * and container for connect and disconnect (ctr_id, else NULL). */
int berth_net_event(struct berth_engine *e, const char *action,
                    const struct berth_network *n, const char *ctr_id,
                    berth_error **err);
/* "key" or "key=value" against a labels object. */
bool berth_net_label_matches(json_t *labels, const char *want);

#endif
