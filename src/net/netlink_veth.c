/* A container's veth pair: the host end a port of the bridge, the other
 * end made directly inside the container's network namespace and set up
 * there through a socket opened in that namespace. */
#include "netlink_internal.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>

static int check_ip(const struct berth_ipnet *a, int family) {
  return a->family == family && a->prefix <= (family == AF_INET ? 32u : 128u)
             ? 0 : -1;
}

/* What the kernel takes for a link's own address (is_valid_ether_addr). */
static bool mac_ok(const unsigned char m[6]) {
  return !(m[0] & 1) && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) != 0;
}

static int check_spec(const struct berth_veth_spec *s, berth_error **err) {
  if (nl_check_ifname(s->host_if, "veth", err) < 0 ||
      nl_check_ifname(s->bridge, "bridge", err) < 0 ||
      nl_check_ifname(s->ifname, "container interface", err) < 0)
    return -1;
  if (!mac_ok(s->mac))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "veth `%s`: MAC %02x:%02x:%02x:%02x:%02x:%02x is not "
                           "a unicast address", s->host_if, s->mac[0], s->mac[1],
                           s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
  bool bad = s->netns_fd < 0 || s->n_addrs > 2;
  for (size_t i = 0; i < s->n_addrs && !bad; i++)
    bad = check_ip(&s->addrs[i], AF_INET) < 0 && check_ip(&s->addrs[i], AF_INET6) < 0;
  bad = bad || (s->gw4.family != 0 && check_ip(&s->gw4, AF_INET) < 0) ||
        (s->gw6.family != 0 && check_ip(&s->gw6, AF_INET6) < 0);
  if (bad)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "veth `%s`: invalid namespace, address or gateway",
                           s->host_if);
  return 0;
}

/* The peer's half of the request: an ifinfomsg of its own, then its
 * attributes; IFLA_NET_NS_FD makes it inside the container's namespace,
 * already with its MAC.  Not up: the kernel (6.18) answers ENOTCONN to
 * IFF_UP for a peer made in another namespace. */
static void put_peer(struct nlmsghdr *nlh, const struct berth_veth_spec *s) {
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
  pi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, s->ifname);
  mnl_attr_put(nlh, IFLA_ADDRESS, 6, s->mac);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->netns_fd);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
}

/* One request makes the pair, enslaves the host end and ups it: the
 * kernel undoes all of it if any part fails. */
static int veth_create(struct berth_nl *nl, const struct berth_veth_spec *s,
                       int bridge_index) {
  struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, s->host_if);
  mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge_index);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  put_peer(nlh, s);
  mnl_attr_nest_end(nlh, info);
  return nl_talk(nl, nlh, NULL, NULL);
}

/* EEXIST with a leftover host end of an earlier run (a crash before its
 * teardown): that pair is stale, replace it once. */
static int veth_make(struct berth_nl *nl, const struct berth_veth_spec *s,
                     int bridge_index, berth_error **err) {
  int rc = veth_create(nl, s, bridge_index);
  if (rc == -EEXIST && nl_link_del(nl, s->host_if) == 0)
    rc = veth_create(nl, s, bridge_index);
  if (rc < 0)
    return nl_fail(nl, err, rc, "create veth `%s` (`%s` in the container) on "
                   "bridge `%s`", s->host_if, s->ifname, s->bridge);
  return 0;
}

/* Hairpin on the host end's bridge port: with br_netfilter loaded (as on
 * hosts that also run Docker), a container's connection to its own
 * published port is DNATed back to it and bridged out of the port it came
 * in on, which a bridge refuses unless the port is in hairpin mode. */
static int set_hairpin(struct berth_nl *nl, const struct berth_veth_spec *s,
                       berth_error **err) {
  struct nl_link h;
  int rc = nl_link_get(nl, s->host_if, &h);
  if (rc == 0) {
    struct nlmsghdr *nlh = nl_msg(nl, RTM_SETLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_BRIDGE;
    ifi->ifi_index = h.index;
    struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
    mnl_attr_nest_end(nlh, pi);
    rc = nl_talk(nl, nlh, NULL, NULL);
  }
  if (rc < 0)
    return nl_fail(nl, err, rc, "set hairpin mode on `%s`", s->host_if);
  return 0;
}

static int add_route(struct berth_nl *in, const struct berth_veth_spec *s,
                     int index, const struct berth_ipnet *gw, berth_error **err) {
  if (gw->family == 0)
    return 0; /* an internal network: no way out */
  char a[NL_IPNET_STRLEN];
  int rc = nl_route_default(in, index, gw);
  if (rc < 0)
    return nl_fail(in, err, rc, "add default route via %s on `%s`",
                   nl_ipnet_str(gw, false, a, sizeof(a)), s->ifname);
  return 0;
}

static int configure_inside(struct berth_nl *in, const struct berth_veth_spec *s,
                            berth_error **err) {
  struct nl_link c;
  int rc = nl_link_up(in, "lo");
  if (rc < 0)
    return nl_fail(in, err, rc, "set `lo` up in the container");
  if ((rc = nl_link_up(in, s->ifname)) < 0 ||
      (rc = nl_link_get(in, s->ifname, &c)) < 0)
    return nl_fail(in, err, rc, "set `%s` up in the container", s->ifname);
  for (size_t i = 0; i < s->n_addrs; i++) {
    char a[NL_IPNET_STRLEN];
    if ((rc = nl_addr_add(in, c.index, &s->addrs[i])) < 0)
      return nl_fail(in, err, rc, "add address %s to `%s`",
                     nl_ipnet_str(&s->addrs[i], true, a, sizeof(a)), s->ifname);
  }
  if (add_route(in, s, c.index, &s->gw4, err) < 0 ||
      add_route(in, s, c.index, &s->gw6, err) < 0)
    return -1;
  return 0;
}

int berth_nl_veth_attach(struct berth_nl *nl, const struct berth_veth_spec *s,
                         berth_error **err) {
  if (check_spec(s, err) < 0)
    return -1;
  struct nl_link br;
  int rc = nl_link_get(nl, s->bridge, &br);
  if (rc < 0)
    return nl_fail(nl, err, rc, "attach `%s`: bridge `%s`", s->host_if, s->bridge);
  struct berth_nl *in = NULL;
  if (nl_open_in(s->netns_fd, &in, err) < 0)
    return berth_error_prefix(err, "attach `%s`", s->host_if);
  rc = veth_make(nl, s, br.index, err);
  if (rc == 0 && ((rc = set_hairpin(nl, s, err)) < 0 ||
                  (rc = configure_inside(in, s, err)) < 0)) {
    berth_error_prefix(err, "attach `%s`", s->host_if);
    (void)nl_link_del(nl, s->host_if); /* takes the container's end along */
  }
  berth_nl_close(in);
  return rc;
}
