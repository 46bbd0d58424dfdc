/* IP addresses and prefixes (IPv4 and IPv6): parsing, printing and the
 * arithmetic IPAM needs.  Pure functions: no system calls. */
#ifndef BERTH_NET_ADDR_H
#define BERTH_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* An address with its prefix length: 10.1.2.3/24, fd00::1/64.  family is
 * AF_INET (addr[0..3] used) or AF_INET6; addr in network byte order. */
struct berth_ipnet {
  int family;
  unsigned char addr[16];
  unsigned prefix;
};

/* "10.1.2.0/24", "fd00::/64"; with allow_host, a bare address too (prefix
 * 32/128).  A CIDR whose host bits are set is refused unless allow_host. */
int berth_ipnet_parse(const char *text, bool allow_host, struct berth_ipnet *out,
                      berth_error **err);
/* A bare address "10.1.2.3" / "fd00::1" (prefix set to 32/128). */
int berth_ip_parse(const char *text, struct berth_ipnet *out, berth_error **err);
/* "10.1.2.0/24" (with_prefix) or "10.1.2.0" into buf (64 bytes suffice). */
void berth_ipnet_format(const struct berth_ipnet *n, bool with_prefix, char *buf,
                        size_t len);
/* Whether a and b (same family) share any address. */
bool berth_ipnet_overlap(const struct berth_ipnet *a, const struct berth_ipnet *b);
/* Whether ip lies inside net. */
bool berth_ipnet_contains(const struct berth_ipnet *net,
                          const struct berth_ipnet *ip);
/* The index-th address of net (0: the network address itself), with net's
 * prefix; -1 when index is outside the prefix. */
int berth_ipnet_nth(const struct berth_ipnet *net, uint64_t index,
                    struct berth_ipnet *out);
/* The index of ip inside net (inverse of nth); -1 when outside. */
int64_t berth_ipnet_index(const struct berth_ipnet *net,
                          const struct berth_ipnet *ip);
/* How many host indexes net has usable (IPv4: without network and
 * broadcast; IPv6: capped at 2^32). */
uint64_t berth_ipnet_hosts(const struct berth_ipnet *net);
/* A MAC for an IPv4 address as Docker makes them: 02:42:a.b.c.d. */
void berth_mac_from_ip(const struct berth_ipnet *ip, unsigned char mac[6]);
int berth_mac_parse(const char *text, unsigned char mac[6], berth_error **err);
void berth_mac_format(const unsigned char mac[6], char buf[18]);

#endif
