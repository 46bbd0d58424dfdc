/* A network's bridge: made once, then found by every berth that needs it,
 * possibly by two at the same moment. */
#include "netlink_internal.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int check_addrs(const char *name, const struct berth_ipnet *addrs,
                       size_t n, berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    int f = addrs[i].family;
    if ((f != AF_INET && f != AF_INET6) ||
        addrs[i].prefix > (f == AF_INET ? 32u : 128u))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "bridge `%s`: address %zu is not IPv4 or IPv6 "
                             "with a valid prefix", name, i);
  }
  return 0;
}

/* A bridge takes the lowest MAC among its ports unless its own was set:
 * each container joining or leaving would then change the gateway's MAC
 * under the others' ARP caches.  A fixed random one (locally
 * administered, unicast) avoids that, as Docker does. */
static bool random_mac(unsigned char mac[6]) {
  if (getrandom(mac, 6, GRND_NONBLOCK) != 6)
    return false; /* the kernel's random one, then */
  mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
  return true;
}

static int bridge_create(struct berth_nl *nl, const char *name) {
  struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  unsigned char mac[6];
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (random_mac(mac))
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(nlh, info);
  return nl_talk(nl, nlh, NULL, NULL);
}

static int sysctl_if(const char *fmt, const char *name, const char *value,
                     berth_error **err) {
  char path[128];
  snprintf(path, sizeof(path), fmt, name);
  return berth_sysctl_ensure(path, value, err);
}

static bool has_v6(const struct berth_ipnet *addrs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (addrs[i].family == AF_INET6)
      return true;
  return false;
}

/* route_localnet: host clients of 127.0.0.1 reach containers through the
 * DNAT of published ports only if the bridge accepts such sources.  A
 * bridge made while default/disable_ipv6 is 1 refuses IPv6 addresses.
 * accept_ra 0 on every bridge, IPv6 network or not (set before it is up):
 * a container holding CAP_NET_RAW (a default capability) could otherwise
 * send router advertisements that give the host a default route through
 * it, taking the host's IPv6 traffic (CVE-2020-13401; the kernel takes
 * them while the host's IPv6 forwarding is off).  A kernel without IPv6
 * has no such file and no such risk. */
static int bridge_sysctls(const char *name, bool v6, berth_error **err) {
  if (sysctl_if("net/ipv4/conf/%s/route_localnet", name, "1", err) < 0)
    return -1;
  if ((v6 || access("/proc/sys/net/ipv6", F_OK) == 0) &&
      sysctl_if("net/ipv6/conf/%s/accept_ra", name, "0", err) < 0)
    return -1;
  if (v6 && sysctl_if("net/ipv6/conf/%s/disable_ipv6", name, "0", err) < 0)
    return -1;
  return 0;
}

/* Forwarding is host-wide: containers reach out only through it. */
static int host_forwarding(bool v6, berth_error **err) {
  if (berth_sysctl_ensure("net/ipv4/ip_forward", "1", err) < 0)
    return -1;
  if (v6 && berth_sysctl_ipv6_forwarding_on(err) < 0)
    return -1;
  return 0;
}

static int bridge_addrs(struct berth_nl *nl, const char *name, int index,
                        const struct berth_ipnet *addrs, size_t n,
                        berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    int rc = nl_addr_add(nl, index, &addrs[i]);
    char a[NL_IPNET_STRLEN];
    /* EEXIST: an earlier run, or a concurrent berth, put it there. */
    if (rc < 0 && rc != -EEXIST)
      return nl_fail(nl, err, rc, "add address %s to bridge `%s`",
                     nl_ipnet_str(&addrs[i], true, a, sizeof(a)), name);
  }
  return 0;
}

/* Everything but the creation; also what a berth that lost the race to
 * create the bridge does, so it never relies on the winner having
 * finished. */
static int bridge_setup(struct berth_nl *nl, const char *name,
                        const struct berth_ipnet *addrs, size_t n,
                        berth_error **err) {
  struct nl_link l;
  int rc = nl_link_get(nl, name, &l);
  if (rc < 0)
    return nl_fail(nl, err, rc, "look up bridge `%s`", name);
  if (strcmp(l.kind, "bridge") != 0)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "bridge `%s`: a link of that name exists and is "
                           "not a bridge", name);
  bool v6 = has_v6(addrs, n);
  if (bridge_sysctls(name, v6, err) < 0)
    return -1;
  if (!(l.flags & IFF_UP) && (rc = nl_link_up(nl, name)) < 0)
    return nl_fail(nl, err, rc, "set bridge `%s` up", name);
  if (bridge_addrs(nl, name, l.index, addrs, n, err) < 0)
    return -1;
  return host_forwarding(v6, err);
}

int berth_nl_bridge_ensure(struct berth_nl *nl, const char *name,
                           const struct berth_ipnet *addrs, size_t n_addrs,
                           bool *created, berth_error **err) {
  if (nl_check_ifname(name, "bridge", err) < 0 ||
      check_addrs(name, addrs, n_addrs, err) < 0)
    return -1;
  int rc = bridge_create(nl, name);
  if (rc < 0 && rc != -EEXIST)
    return nl_fail(nl, err, rc, "create bridge `%s`", name);
  bool made = rc == 0;
  if (bridge_setup(nl, name, addrs, n_addrs, err) < 0) {
    if (made)
      (void)nl_link_del(nl, name); /* leave nothing half-made */
    return -1;
  }
  if (created)
    *created = made;
  return 0;
}
