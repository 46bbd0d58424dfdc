/* Host ports reserved by bound sockets. */
#include "ports_bind.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* Tries for a kernel-chosen port free on both families: the IPv4 socket
 * gets one, the IPv6 one may find it taken and the pair starts over. */
#define KERNEL_PORT_TRIES 32
/* How long a taken port is retried (25 ms each). */
#define RELEASE_WAITS 20

struct target {
  int family;
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } sa;
};

static int targets_of(const struct berth_port_bind *b, struct target t[2],
                      size_t *n, berth_error **err) {
  memset(t, 0, 2 * sizeof *t);
  bool every = !b->host_ip || !*b->host_ip;
  const char *ips[2] = {every ? "0.0.0.0" : b->host_ip, "::"};
  *n = every && b->v6 ? 2 : 1;
  for (size_t i = 0; i < *n; i++) {
    if (inet_pton(AF_INET, ips[i], &t[i].sa.v4.sin_addr) == 1) {
      t[i].family = t[i].sa.v4.sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, ips[i], &t[i].sa.v6.sin6_addr) == 1) {
      t[i].family = t[i].sa.v6.sin6_family = AF_INET6;
    } else {
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid host IP `%s`", ips[i]);
    }
  }
  return 0;
}

static void set_port(struct target *t, unsigned port) {
  if (t->family == AF_INET)
    t->sa.v4.sin_port = htons((uint16_t)port);
  else
    t->sa.v6.sin6_port = htons((uint16_t)port);
}

/* One socket bound on t: the fd, or -1 with errno. */
static int bind_one(const char *proto, struct target *t) {
  int type = strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  int p = strcmp(proto, "sctp") == 0 ? IPPROTO_SCTP : 0;
  int fd = socket(t->family, type | SOCK_CLOEXEC, p);
  if (fd < 0)
    return -1;
  /* A TCP reservation listens (with a backlog of none; the DNAT takes
   * every connection before it could arrive): a listening socket keeps
   * every other socket off the port, SO_REUSEADDR or not, while its own
   * SO_REUSEADDR lets it bind over connections still in TIME-WAIT on the
   * port (any recent client's ephemeral port). */
  int one = 1;
  bool stream = type == SOCK_STREAM && p == 0;
  socklen_t len = t->family == AF_INET ? sizeof t->sa.v4 : sizeof t->sa.v6;
  /* Only IPv6: without V6ONLY [::] would also take 0.0.0.0's port, and
   * the IPv4 socket of the same reservation could not bind. */
  if ((t->family == AF_INET6 &&
       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
      (stream &&
       setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
      bind(fd, (struct sockaddr *)&t->sa, len) < 0 ||
      (stream && listen(fd, 0) < 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static unsigned bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return 0;
  return ntohs(ss.ss_family == AF_INET
                   ? ((struct sockaddr_in *)&ss)->sin_port
                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void close_all(int fds[2], size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

/* Every target on port (0: the kernel's choice for the first, the same
 * for the others): 0, or -1 with errno (nothing left open). */
static int bind_all(const char *proto, struct target t[2], size_t n,
                    unsigned port, unsigned *got, int fds[2]) {
  for (size_t i = 0; i < n; i++) {
    set_port(&t[i], port);
    fds[i] = bind_one(proto, &t[i]);
    if (fds[i] < 0) {
      int e = errno;
      close_all(fds, i);
      errno = e;
      return -1;
    }
    if (port == 0 && (port = bound_port(fds[i])) == 0) {
      close_all(fds, i + 1);
      errno = EADDRNOTAVAIL;
      return -1;
    }
  }
  *got = port;
  return 0;
}

static void addr_text(const struct berth_port_bind *b, const char *ports,
                      char *out, size_t len) {
  const char *ip = b->host_ip && *b->host_ip ? b->host_ip : "0.0.0.0";
  snprintf(out, len, strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip, ports);
}

static int bind_error(const struct berth_port_bind *b, const char *ports,
                      int e, berth_error **err) {
  char where[96];
  addr_text(b, ports, where, sizeof where);
  if (e == EADDRINUSE)
    return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                           "Bind for %s failed: port is already allocated",
                           where);
  return berth_error_set(err, BERTH_ERR_SYSTEM, e, "bind %s/%s", where,
                         b->proto);
}

int berth_port_reserve(const struct berth_port_bind *b, unsigned *port,
                       int fds[2], size_t *nfds, berth_error **err) {
  struct target t[2];
  size_t n;
  char ports[16];
  if (targets_of(b, t, &n, err) < 0)
    return -1;
  *nfds = n;
  if (b->lo == 0) {
    for (int i = 0; i < KERNEL_PORT_TRIES; i++) {
      if (bind_all(b->proto, t, n, 0, port, fds) == 0)
        return 0;
      if (errno != EADDRINUSE)
        return bind_error(b, "0", errno, err);
    }
    return bind_error(b, "0", EADDRINUSE, err);
  }
  for (unsigned p = b->lo; p <= b->hi; p++) {
    if (bind_all(b->proto, t, n, p, port, fds) == 0)
      return 0;
    if (errno != EADDRINUSE)
      break;
  }
  /* One port: the holder may be the monitor of a container that just
   * stopped (`stop` returns once the exit is recorded, its monitor closes
   * the reservation a moment later), so `stop; start` waits for it. */
  for (int i = 0; b->lo == b->hi && errno == EADDRINUSE && i < RELEASE_WAITS;
       i++) {
    struct timespec ts = {0, 25 * 1000000};
    nanosleep(&ts, NULL);
    if (bind_all(b->proto, t, n, b->lo, port, fds) == 0)
      return 0;
  }
  int e = errno;
  if (b->lo == b->hi)
    snprintf(ports, sizeof ports, "%u", b->lo);
  else
    snprintf(ports, sizeof ports, "%u-%u", b->lo, b->hi);
  return bind_error(b, ports, e, err);
}
