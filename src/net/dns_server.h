/* The name server of one network: answers the names its lookup callback
 * knows, forwards the rest to the host's resolvers.  One thread, one
 * poll loop over the UDP and TCP listeners, the TCP clients and one
 * connected UDP socket per forwarded query.  Knows nothing of containers:
 * what a name means is the callback's (src/engine/netdns.c). */
#ifndef BERTH_NET_DNS_SERVER_H
#define BERTH_NET_DNS_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "dns_msg.h"
#include "error.h"

#define BERTH_DNS_MAX_LISTEN 4
#define BERTH_DNS_MAX_UPSTREAMS 3 /* as glibc's MAXNS */
#define BERTH_DNS_MAX_ANSWERS 32
#define BERTH_DNS_FORWARD_MS 3000 /* all upstreams together */

enum berth_dns_lookup_result {
  BERTH_DNS_LOCAL,   /* rrs[0..*n) answer it; *n == 0 is NODATA */
  BERTH_DNS_NXLOCAL, /* NXDOMAIN, without asking upstream */
  BERTH_DNS_FORWARD, /* not ours: ask the host's resolvers */
  BERTH_DNS_DENY,    /* the source may not use this server: REFUSED */
  BERTH_DNS_FAIL,    /* the lookup failed: SERVFAIL */
};

/* What q (from src) means.  Called once per query, for every query, so
 * that a name recorded a moment ago is answered at once. */
typedef enum berth_dns_lookup_result (*berth_dns_lookup_fn)(
    void *ctx, const struct sockaddr *src, const struct berth_dns_query *q,
    struct berth_dns_rr *rrs, size_t max, size_t *n);
/* Asked about once a second; false ends the loop. */
typedef bool (*berth_dns_keep_fn)(void *ctx);

struct berth_dns_server_config {
  struct sockaddr_storage listen[BERTH_DNS_MAX_LISTEN]; /* port included */
  size_t nlisten;
  /* The upstreams' file (resolv.conf syntax: nameserver lines), read at
   * start and again whenever it changes. */
  const char *resolv_conf;
  berth_dns_lookup_fn lookup;
  berth_dns_keep_fn keep_running; /* may be NULL: run until stop_fd */
  void *ctx;
  int stop_fd; /* readable (a signalfd): stop; -1 for none */
  /* Called once every listener is bound, before the first query is
   * read (the starter may now let clients ask); may be NULL. */
  void (*ready)(void *ctx);
};

/* Binds every listener (UDP and TCP on each address), then serves until
 * keep_running says no or stop_fd is readable.  Every socket it opened
 * is closed when it returns, so a successor can bind at once. */
int berth_dns_server_run(const struct berth_dns_server_config *cfg,
                         berth_error **err);

/* The nameserver lines of a resolv.conf (port 53; an IPv6 zone as
 * %ifname), at most max; none gives 127.0.0.1 as glibc's default. */
int berth_dns_resolv_conf_read(const char *path, struct sockaddr_storage *out,
                               size_t max, size_t *n, berth_error **err);

#endif
