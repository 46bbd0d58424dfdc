/* system check's networking part: what a crash left of containers'
 * interfaces, published ports and firewall rules. */
#ifndef BERTH_ENGINE_NET_CHECK_H
#define BERTH_ENGINE_NET_CHECK_H

#include <stdbool.h>

#include "check.h"
#include "engine.h"

/* Reports (and with repair removes), each through report:
 *  - host veth ends of this root (ctr_net.h's prefix) that belong to no
 *    running container's endpoint;
 *  - port_maps rows of containers that are not running, and firewall
 *    port mappings onto this root's networks that no running container
 *    published;
 *  - firewall rules of bridges that are neither a network of this root
 *    nor an existing interface (another root's);
 * and with repair makes every network with running containers live again
 * (bridge, rules).  *problems is increased by the findings. */
void berth_net_check(struct berth_engine *e, bool repair,
                     berth_check_report_fn report, void *data, int *problems);

#endif
