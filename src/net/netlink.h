/* Links, addresses and routes through rtnetlink (libmnl): the bridges of
 * berth's networks and the veth pair that puts a container on one.
 * Knows nothing of containers or the database. */
#ifndef BERTH_NET_NETLINK_H
#define BERTH_NET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "error.h"

/* A netlink socket (NETLINK_ROUTE) in the caller's network namespace. */
struct berth_nl;
int berth_nl_open(struct berth_nl **out, berth_error **err);
void berth_nl_close(struct berth_nl *nl);

/* The bridge `name` exists, is up and has the gateway addresses addrs
 * (each with its network's prefix; IPv6 without DAD); made if missing,
 * idempotent and safe against a concurrent berth making the same one.
 * Also sets what publishing ports needs on it: route_localnet=1 (host
 * clients on 127.0.0.1 reach containers through NAT) and, once, the host's
 * forwarding (net.ipv4.ip_forward, and IPv6 forwarding when an IPv6
 * address is given).  *created (may be NULL) says whether it was made. */
int berth_nl_bridge_ensure(struct berth_nl *nl, const char *name,
                           const struct berth_ipnet *addrs, size_t n_addrs,
                           bool *created, berth_error **err);
/* Deletes a link by name (a veth takes its peer with it); missing: 0. */
int berth_nl_link_delete(struct berth_nl *nl, const char *name,
                         berth_error **err);
/* 1 when a link of that name exists, 0 when not, -1 on error. */
int berth_nl_link_exists(struct berth_nl *nl, const char *name,
                         berth_error **err);
/* The names of links whose name starts with prefix (NULL-terminated
 * array, free with berth_strv_free). */
int berth_nl_link_list(struct berth_nl *nl, const char *prefix, char ***names,
                       berth_error **err);

/* A container's interface on a bridge. */
struct berth_veth_spec {
  const char *host_if;  /* host end, made a port of bridge */
  const char *bridge;
  int netns_fd;         /* the container's network namespace (an fd of
                           /proc/PID/ns/net) */
  const char *ifname;   /* the container's end: "eth0" */
  unsigned char mac[6];
  struct berth_ipnet addrs[2]; /* IPv4 and/or IPv6, with the prefix */
  size_t n_addrs;
  /* Default routes; family 0: none (an --internal network has no route
   * out). */
  struct berth_ipnet gw4, gw6;
};
/* Makes the pair with the container's end directly in netns_fd (so it is
 * never visible on the host under its container name), enslaves and ups
 * the host end, and inside: sets the MAC, the addresses (IPv6 with
 * IFA_F_NODAD, usable at once), ups it and lo, adds the default routes.
 * A leftover host_if of an earlier run is replaced.  On failure deletes
 * what it made.  Runs in the caller's thread; the caller's network
 * namespace is left as it was. */
int berth_nl_veth_attach(struct berth_nl *nl, const struct berth_veth_spec *s,
                         berth_error **err);

/* Writes value into /proc/sys/<path> ("net/ipv4/ip_forward") of the
 * caller's network namespace, unless it already holds it. */
int berth_sysctl_ensure(const char *path, const char *value, berth_error **err);
/* The value of /proc/sys/<path> without the trailing newline. */
int berth_sysctl_read(const char *path, char *buf, size_t len,
                      berth_error **err);

/* Turns on net.ipv6.conf.all.forwarding of the caller's network namespace
 * (nothing when on).  Every interface that accepts router advertisements
 * until then (accept_ra 1, forwarding 0) gets accept_ra 2 first, so it
 * keeps accepting them: with forwarding on, the kernel ignores them at
 * accept_ra 1 and at once drops the default routes they gave, which would
 * cut a host configured by SLAAC off its IPv6 router. */
int berth_sysctl_ipv6_forwarding_on(berth_error **err);

#endif
