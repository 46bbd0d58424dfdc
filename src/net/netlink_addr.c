/* Addresses and default routes. */
#include "netlink_internal.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

static size_t addr_len(int family) { return family == AF_INET ? 4 : 16; }

const char *nl_ipnet_str(const struct berth_ipnet *a, bool with_prefix,
                         char *buf, size_t len) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(a->family, a->addr, ip, sizeof(ip));
  if (with_prefix)
    snprintf(buf, len, "%s/%u", ip, a->prefix);
  else
    snprintf(buf, len, "%s", ip);
  return buf;
}

/* The subnet's broadcast address, as `ip addr add ... brd +` and Docker
 * set it; a /31 or /32 has none. */
static void put_broadcast(struct nlmsghdr *nlh, const struct berth_ipnet *a) {
  if (a->prefix >= 31)
    return;
  uint32_t ip;
  memcpy(&ip, a->addr, 4);
  uint32_t host_mask = a->prefix == 0 ? 0xffffffffu : (1u << (32 - a->prefix)) - 1;
  ip |= htonl(host_mask);
  mnl_attr_put(nlh, IFA_BROADCAST, 4, &ip);
}

int nl_addr_add(struct berth_nl *nl, int ifindex, const struct berth_ipnet *a) {
  struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = (unsigned char)a->family;
  ifa->ifa_prefixlen = (unsigned char)a->prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned)ifindex;
  mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), a->addr);
  mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->family), a->addr);
  if (a->family == AF_INET) {
    put_broadcast(nlh, a);
  } else {
    /* Without duplicate address detection the address is usable at
     * once instead of tentative for a second or more; berth's IPAM
     * already guarantees it is unique on the bridge. */
    ifa->ifa_flags = IFA_F_NODAD;
    mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  }
  return nl_talk(nl, nlh, NULL, NULL);
}

int nl_route_default(struct berth_nl *nl, int ifindex,
                     const struct berth_ipnet *gw) {
  struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
  rt->rtm_family = (unsigned char)gw->family;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw->family), gw->addr);
  mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
  return nl_talk(nl, nlh, NULL, NULL);
}
