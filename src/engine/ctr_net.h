/* A container's network: its endpoints made live when its init starts
 * (start, restart, connect) and taken down when it stops. */
#ifndef BERTH_ENGINE_CTR_NET_H
#define BERTH_ENGINE_CTR_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine.h"
#include "networks.h"

/* What starting a container's network needs, read before the start
 * forks (the forked child must not use the database). */
struct berth_net_plan {
  struct berth_endpoint *eps;
  struct berth_network *nets; /* nets[i]: the network of eps[i] */
  size_t n;
};
/* Reads c's endpoints and networks and makes the networks live (bridges,
 * rules, name servers of user networks).  A container without endpoints
 * (none, host, container:) gets an empty plan. */
int berth_ctr_net_prepare(struct berth_engine *e, const struct berth_ctr *c,
                          struct berth_net_plan *plan, berth_error **err);
void berth_net_plan_free(struct berth_net_plan *plan);
/* A berth_create_opts prestart: puts the init (pid) on every network of
 * the plan (arg).  Nothing to do for an empty plan. */
int berth_ctr_net_attach(void *plan, pid_t init, berth_error **err);
/* The container's init is gone; for_good (not restarting): its ports are
 * unpublished. */
void berth_ctr_net_down(struct berth_engine *e, const char *container_id,
                        bool for_good);
/* connect/disconnect of a running container: its interface on that
 * network made or deleted now. */
int berth_ctr_net_connect_live(struct berth_engine *e, const struct berth_ctr *c,
                               const struct berth_endpoint *ep,
                               berth_error **err);
int berth_ctr_net_disconnect_live(struct berth_engine *e,
                                  const struct berth_ctr *c,
                                  const struct berth_endpoint *ep,
                                  berth_error **err);

#endif
