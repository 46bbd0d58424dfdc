/* A container on its networks: a veth pair per endpoint, made from the
 * host into the init's network namespace before the container runs
 * anything (see berth_create_opts.prestart). */
#include "ctr_net.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "net_apply.h"
#include "netdns.h"
#include "netlink.h"
#include "ports.h"

void berth_net_plan_free(struct berth_net_plan *plan) {
  for (size_t i = 0; plan->nets && i < plan->n; i++)
    berth_network_clear(&plan->nets[i]);
  free(plan->nets);
  berth_endpoints_free(plan->eps, plan->n);
  *plan = (struct berth_net_plan){0};
}

/* Docker's embedded DNS serves user networks only; the default bridge
 * resolves through the host's resolvers. */
static bool serves_names(const struct berth_network *n) {
  return n->bridge && strcmp(n->name, BERTH_NET_DEFAULT) != 0;
}

static int make_live(struct berth_engine *e, const struct berth_network *n,
                     berth_error **err) {
  if (berth_net_ensure_live(e, n, err) < 0)
    return -1;
  return serves_names(n) ? berth_netdns_ensure(e, n, err) : 0;
}

int berth_ctr_net_prepare(struct berth_engine *e, const struct berth_ctr *c,
                          struct berth_net_plan *plan, berth_error **err) {
  *plan = (struct berth_net_plan){0};
  if (berth_endpoints_of(e, c->id, &plan->eps, &plan->n, err) < 0)
    return -1;
  if (plan->n == 0)
    return 0;
  plan->nets = calloc(plan->n, sizeof *plan->nets);
  if (!plan->nets) {
    berth_net_plan_free(plan);
    return berth_error_sys(err, "allocate");
  }
  for (size_t i = 0; i < plan->n; i++)
    if (berth_network_find(e, plan->eps[i].network_id, &plan->nets[i],
                           err) < 0 ||
        make_live(e, &plan->nets[i], err) < 0) {
      berth_net_plan_free(plan);
      return -1;
    }
  return 0;
}

/* An address with its network's prefix. */
static int addr_in(const char *ip, const char *subnet, struct berth_ipnet *out,
                   berth_error **err) {
  struct berth_ipnet sn;
  if (berth_ipnet_parse(subnet, false, &sn, err) < 0 ||
      berth_ip_parse(ip, out, err) < 0)
    return -1;
  out->prefix = sn.prefix;
  return 0;
}

/* Only the first network gives the default routes, as Docker's. */
static int veth_spec(const struct berth_endpoint *ep,
                     const struct berth_network *n, int netns,
                     struct berth_veth_spec *s, berth_error **err) {
  *s = (struct berth_veth_spec){.host_if = ep->host_if, .bridge = n->bridge,
                                .netns_fd = netns, .ifname = ep->ifname};
  if (berth_mac_parse(ep->mac, s->mac, err) < 0 ||
      addr_in(ep->ip, n->subnet, &s->addrs[s->n_addrs++], err) < 0)
    return -1;
  if (ep->ip6 && n->subnet6 &&
      addr_in(ep->ip6, n->subnet6, &s->addrs[s->n_addrs++], err) < 0)
    return -1;
  if (n->internal || ep->seq != 0)
    return 0;
  if (berth_ip_parse(n->gateway, &s->gw4, err) < 0)
    return -1;
  if (n->gateway6 && ep->ip6 && berth_ip_parse(n->gateway6, &s->gw6, err) < 0)
    return -1;
  return 0;
}

static int attach_one(struct berth_nl *nl, const struct berth_endpoint *ep,
                      const struct berth_network *n, int netns,
                      berth_error **err) {
  struct berth_veth_spec s;
  if (veth_spec(ep, n, netns, &s, err) < 0 ||
      berth_nl_veth_attach(nl, &s, err) < 0)
    return berth_error_prefix(err, "connect to network `%s`", n->name);
  return 0;
}

static int open_netns(pid_t pid, berth_error **err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  return fd;
}

int berth_ctr_net_attach(void *arg, pid_t init, berth_error **err) {
  const struct berth_net_plan *plan = arg;
  if (!plan || plan->n == 0)
    return 0;
  _cleanup_close_ int netns = open_netns(init, err);
  if (netns < 0)
    return -1;
  struct berth_nl *nl = NULL;
  if (berth_nl_open(&nl, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < plan->n; i++)
    rc = attach_one(nl, &plan->eps[i], &plan->nets[i], netns, err);
  berth_nl_close(nl);
  return rc;
}

void berth_ctr_net_down(struct berth_engine *e, const char *container_id,
                        bool for_good) {
  /* The interfaces go with the init's network namespace: the kernel
   * deletes them when it frees it, off our path (deleting a veth here
   * waits ~25 ms on the kernel).  A restart that comes first replaces a
   * leftover host end (berth_nl_veth_attach). */
  if (for_good)
    berth_ports_unpublish(e, container_id, NULL);
}

int berth_ctr_net_connect_live(struct berth_engine *e, const struct berth_ctr *c,
                               const struct berth_endpoint *ep,
                               berth_error **err) {
  struct berth_network n = {0};
  if (berth_network_find(e, ep->network_id, &n, err) < 0)
    return -1;
  int rc = make_live(e, &n, err);
  if (rc == 0 && c->pid > 0) {
    struct berth_net_plan one = {.eps = (struct berth_endpoint *)ep,
                                 .nets = &n, .n = 1};
    rc = berth_ctr_net_attach(&one, c->pid, err);
  }
  berth_network_clear(&n);
  return rc;
}

int berth_ctr_net_disconnect_live(struct berth_engine *e,
                                  const struct berth_ctr *c,
                                  const struct berth_endpoint *ep,
                                  berth_error **err) {
  (void)e;
  (void)c;
  struct berth_nl *nl = NULL;
  if (berth_nl_open(&nl, err) < 0)
    return -1;
  int rc = berth_nl_link_delete(nl, ep->host_if, err);
  berth_nl_close(nl);
  return rc;
}
