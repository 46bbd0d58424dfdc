/* The create request's network options other than ports: addresses and
 * aliases on networks (NetworkingConfig.EndpointsConfig), the MAC
 * address, extra /etc/hosts lines and the resolver settings. */
#ifndef BERTH_ENGINE_NET_OPTS_H
#define BERTH_ENGINE_NET_OPTS_H

#include <jansson.h>

#include "error.h"

/* Checks, with Docker's rules and words where it has them:
 * NetworkingConfig.EndpointsConfig.<network> .IPAMConfig.IPv4Address /
 * .IPv6Address (addresses; only on user networks), .Aliases (names;
 * only on user networks), .MacAddress and Config.MacAddress (unicast;
 * not with the host's or another container's network), Config.Hostname
 * (what sethostname takes, one word), HostConfig.ExtraHosts ("host:ip",
 * ip an address or host-gateway), .Dns (addresses), .DnsSearch
 * (domains, or "."), .DnsOptions (words).  HostConfig.NetworkMode must
 * be set (defaulted) already.  INVALID naming the flag. */
int berth_net_opts_check(json_t *req, berth_error **err);

#endif
