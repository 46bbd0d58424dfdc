/* Published ports (-p, -P): validation of a create request's
 * PortBindings/ExposedPorts, reservation of host ports while a container
 * runs, and what inspect and `berth port` show. */
#ifndef BERTH_ENGINE_PORTS_H
#define BERTH_ENGINE_PORTS_H

#include <jansson.h>

#include "engine.h"
#include "networks.h"

/* A create request's HostConfig.PortBindings ({"80/tcp": [{"HostIp": "",
 * "HostPort": "8080"}]}), PublishAllPorts and Config.ExposedPorts: well
 * formed (ports 1-65535, proto tcp/udp/sctp, host ranges as long as the
 * container's), with a network that can publish (not none/host/container:). */
int berth_ports_check(json_t *req, berth_error **err);

/* While the container starts: reserves every published host port by
 * binding (not listening) a socket on it, so a host program or another
 * container cannot take it and a taken port is refused ("port is already
 * allocated"); a HostPort of "" or "0" gets a free port from the kernel.
 * Records the mappings (port_maps) to ep's addresses and adds them to the
 * firewall.  The sockets (fds, *n_fds of them, close-on-exec set) are
 * held by the container's monitor for as long as it runs; on failure
 * nothing is left. */
int berth_ports_publish(struct berth_engine *e, const struct berth_ctr *c,
                        const struct berth_endpoint *ep, int **fds,
                        size_t *n_fds, berth_error **err);
/* When the container has stopped for good (not on a restart): removes its
 * mappings from the firewall and the database. */
int berth_ports_unpublish(struct berth_engine *e, const char *container_id,
                          berth_error **err);
/* NetworkSettings.Ports as Docker shows it: {"80/tcp": [{"HostIp":
 * "0.0.0.0", "HostPort": "8080"}], "443/tcp": null} (exposed but not
 * published: null). */
json_t *berth_ports_doc(struct berth_engine *e, const struct berth_ctr *c);

#endif
