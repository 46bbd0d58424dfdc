/* Host ports held by sockets: the reservation behind a published port.
 * A socket bound (not listening) on the port keeps every other program
 * and container off it for as long as it is open; the traffic itself
 * goes to the container through the firewall's NAT, never through it. */
#ifndef BERTH_ENGINE_PORTS_BIND_H
#define BERTH_ENGINE_PORTS_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct berth_port_bind {
  const char *proto;   /* "tcp", "udp", "sctp" */
  const char *host_ip; /* NULL or "": every address (0.0.0.0, and [::]
                          with v6) */
  bool v6;             /* every address: also bind [::] (IPV6_V6ONLY) */
  unsigned lo, hi;     /* the port, or the range to take the first free
                          one of; 0: the kernel chooses */
};

/* Binds the socket(s) of b: *port gets the port, fds[0..*nfds) the
 * sockets (close-on-exec; at most 2).  A port another socket holds:
 * EXISTS, "Bind for 0.0.0.0:8080 failed: port is already allocated"
 * (Docker's words). */
int berth_port_reserve(const struct berth_port_bind *b, unsigned *port,
                       int fds[2], size_t *nfds, berth_error **err);

#endif
