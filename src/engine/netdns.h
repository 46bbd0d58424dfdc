/* The name server of a user network: containers on it find each other by
 * name, --network-alias and short id (src/net/dns_server.c answers; this
 * file says what a name means, from the database, and when a server
 * runs).  There is no daemon: `berth __dns NETWORK_ID` serves one network
 * and exits by itself once no container on it runs.
 *
 * Files, under the root: netdns/<network id>.lock (flock: one ensure or
 * one exit decision at a time) and netdns/<network id>.pid ("PID START",
 * START the /proc start time that guards against pid reuse; its mtime is
 * refreshed by each ensure). */
#ifndef BERTH_ENGINE_NETDNS_H
#define BERTH_ENGINE_NETDNS_H

#include "engine.h"
#include "networks.h"

/* After the last container of a network stops, its server stays this long
 * after the last ensure: a container being started (ensure called, state
 * not yet running) must not lose its server to a concurrent exit check. */
#define BERTH_NETDNS_GRACE_S 5
/* How long ensure waits for a spawned server to be bound. */
#define BERTH_NETDNS_START_MS 5000

/* Makes sure the name server of net runs and is bound (call it while
 * starting a container on a user network, after its bridge has its
 * addresses): starts `berth __dns ID` detached unless one runs.  Under
 * the network's lock, so concurrent calls start one server.  Networks
 * without a bridge and gateway (host, none) need none: 0. */
int berth_netdns_ensure(struct berth_engine *e, const struct berth_network *net,
                        berth_error **err);
/* The same, for a network known by its full id (the networks table). */
int berth_netdns_ensure_id(struct berth_engine *e, const char *network_id,
                           berth_error **err);

/* Stops the network's server (network rm: its gateway address goes, and
 * a network made again on the same subnet must be able to bind it) and
 * removes its files; none running: 0. */
int berth_netdns_stop(struct berth_engine *e, const char *network_id,
                      berth_error **err);

/* Serves the names of network_id on its gateway addresses, port 53, until
 * no container on it runs (checked every second, decided under the lock)
 * or stop_fd (a signalfd; -1: none) is readable.  ready_fd >= 0: started
 * by ensure, which holds the lock and waits for "ok\n" (or an error's
 * text) on it; -1: run by hand, the server takes the lock itself and
 * refuses to start when another serves the network.  Upstreams: the
 * nameserver lines of /etc/resolv.conf or of $BERTH_RESOLV_CONF in the
 * engine's environment. */
int berth_netdns_serve(struct berth_engine *e, const char *network_id,
                       int stop_fd, int ready_fd, berth_error **err);

#endif
