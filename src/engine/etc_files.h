/* A container's /etc/hosts, /etc/hostname and /etc/resolv.conf: files of
 * its directory that the bundle binds over the image's.  The text comes
 * from pure functions of their inputs (unit-tested); the writer gathers
 * the inputs from the container's record, endpoints and the host. */
#ifndef BERTH_ENGINE_ETC_FILES_H
#define BERTH_ENGINE_ETC_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

enum berth_etc_net {
  BERTH_ETC_NONE,   /* no network but loopback */
  BERTH_ETC_HOST,   /* the host's network namespace */
  BERTH_ETC_BRIDGE, /* the default bridge */
  BERTH_ETC_USER,   /* a user network: berth's name server at its gateway */
};

struct berth_etc_input {
  const char *hostname, *domainname; /* domainname NULL or "" */
  enum berth_etc_net net;
  const char *const *addrs; /* the container's addresses, first network
                               first (IPv4 and IPv6) */
  size_t n_addrs;
  const char *gateway; /* the first network's (IPv4) gateway; NULL: none */
  bool ipv6;           /* the container has an IPv6 address */
  json_t *extra_hosts; /* ["host:ip"], ip may be host-gateway; or NULL */
  json_t *dns, *dns_search, *dns_options; /* arrays or NULL: the host's */
  const char *host_hosts, *host_resolv;   /* the host's files' text */
};

/* /etc/hosts: Docker's localhost and IPv6 lines, the --add-host lines
 * ("ip\thost", host-gateway replaced by the gateway), and "ip\tfqdn
 * [name]" for each of the container's addresses (127.0.1.1 when it has
 * none, so that its own name resolves).  With the host's network: the
 * host's file, the --add-host lines after it.  *out is malloc'd. */
int berth_etc_hosts(const struct berth_etc_input *in, char **out,
                    berth_error **err);
/* /etc/resolv.conf: nameservers, search and options from the host's
 * file with Docker's rules: on the default bridge and none the host's
 * without localhost nameservers (which the container cannot reach) and
 * without IPv6 ones when it has no IPv6, or Google's public servers when
 * none remain (Docker's fallback); on a user network the name server at
 * its gateway; with the host's network the host's file as it is.
 * --dns, --dns-search ("." for none) and --dns-option replace the
 * respective parts.  *out is malloc'd. */
int berth_etc_resolv(const struct berth_etc_input *in, char **out,
                     berth_error **err);

/* Writes hosts, hostname and resolv.conf into the container's directory
 * (owned by c->id_base when it has a user namespace), from its config,
 * its endpoints and the host's files.  Called at create and again when
 * its endpoints change. */
int berth_etc_files_write(struct berth_engine *e, const struct berth_ctr *c,
                          berth_error **err);

/* Rewrites the container's hosts and resolv.conf from its endpoints now
 * (network connect and disconnect), in place: a running container has
 * the files bind-mounted, and a rename would leave it the old inodes. */
int berth_etc_net_update(struct berth_engine *e, const struct berth_ctr *c,
                         berth_error **err);

#endif
