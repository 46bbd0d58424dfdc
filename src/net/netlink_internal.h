/* What the netlink_*.c files share: the socket, one request/answer round
 * trip, and the link, address and route requests veth_attach composes.
 * Helpers return 0 or a negative errno and set no berth_error, so callers
 * can accept EEXIST or ENODEV; nl_fail turns one into an error. */
#ifndef BERTH_NET_NETLINK_INTERNAL_H
#define BERTH_NET_NETLINK_INTERNAL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "netlink.h"

/* One dump reply of links fits: the kernel sizes its dump skbs to the
 * reader's buffer up to 32 KiB. */
#define NL_BUF_SIZE 32768

struct berth_nl {
  struct mnl_socket *sock;
  uint32_t seq;
  char extack[160]; /* the kernel's text for the last failed request */
  char buf[NL_BUF_SIZE];
};

/* A message of type at the start of nl's buffer, the next sequence
 * number and NLM_F_REQUEST | NLM_F_ACK | flags. */
struct nlmsghdr *nl_msg(struct berth_nl *nl, uint16_t type, uint16_t flags);
/* Sends nlh and reads until its ack (or a dump's end), handing every
 * answer message to cb (may be NULL).  0 or -errno. */
int nl_talk(struct berth_nl *nl, struct nlmsghdr *nlh,
            int (*cb)(const struct nlmsghdr *, void *), void *data);
/* A berth_error for the failed request: "<what>: <strerror>" plus the
 * kernel's own explanation when it gave one.  Returns -1. */
int nl_fail(struct berth_nl *nl, berth_error **err, int neg_errno,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A socket in the network namespace netns_fd (the calling thread's
 * namespace is restored before returning). */
int nl_open_in(int netns_fd, struct berth_nl **out, berth_error **err);
/* An interface name the kernel would take (also safe inside a /proc/sys
 * path): non-empty, shorter than IFNAMSIZ, no '/', ':' or blanks. */
int nl_check_ifname(const char *name, const char *what, berth_error **err);

struct nl_link {
  int index;
  unsigned flags;
  char kind[16]; /* IFLA_INFO_KIND, "" when none */
};
/* The link called name; -ENODEV when there is none. */
int nl_link_get(struct berth_nl *nl, const char *name, struct nl_link *out);
/* Sets IFF_UP on the link called name. */
int nl_link_up(struct berth_nl *nl, const char *name);
/* RTM_DELLINK by name: 0, or -ENODEV when there was no such link. */
int nl_link_del(struct berth_nl *nl, const char *name);
/* Adds a to the link ifindex (IPv6 without DAD); -EEXIST when there. */
int nl_addr_add(struct berth_nl *nl, int ifindex, const struct berth_ipnet *a);
/* A default route through gw out of the link ifindex. */
int nl_route_default(struct berth_nl *nl, int ifindex,
                     const struct berth_ipnet *gw);
/* "10.1.2.3/24" (or without the prefix) into buf (NL_IPNET_STRLEN bytes
 * suffice). */
#define NL_IPNET_STRLEN 64
const char *nl_ipnet_str(const struct berth_ipnet *a, bool with_prefix,
                         char *buf, size_t len);

#endif
