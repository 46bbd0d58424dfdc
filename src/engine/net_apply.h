/* A network made real on the host: its bridge (with the gateway
 * addresses) and its firewall rules, on first use; taken down when the
 * network is removed. */
#ifndef BERTH_ENGINE_NET_APPLY_H
#define BERTH_ENGINE_NET_APPLY_H

#include "engine.h"
#include "networks.h"

/* The bridge and rules of n exist (made if missing; nothing to do for
 * host and null networks).  Safe against concurrent berths. */
int berth_net_ensure_live(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err);
/* Deletes n's bridge and rules (missing ones are fine). */
int berth_net_remove_live(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err);

/* Makes n's bridge and rules again even if they were made before
 * (system check, after a flushed ruleset or a deleted bridge). */
int berth_net_restore_live(struct berth_engine *e,
                           const struct berth_network *n, berth_error **err);

#endif
