/* Drives src/net/nft.c from the command line, for tests/integration/net:
 *
 *   nftctl [-t] network-add BRIDGE SUBNET4|- [SUBNET6|-] [internal]
 *   nftctl [-t] network-rm BRIDGE
 *   nftctl [-t] port-add|port-rm PROTO HOST_IP|- HOST_PORT CTR_IP|- CTR_IP6|-
 * CTR_PORT [...] nftctl state
 *
 * port-add/port-rm take one or more groups of six arguments, sent in one
 * call.  -t prints the microseconds from before berth_nft_open (so the
 * dlopen of libnftables is counted) to the end of the operation on stderr.
 * Errors: the message on stderr, exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nft.h"

static const char *arg(const char *s) { return strcmp(s, "-") == 0 ? NULL : s; }

static int ports(struct berth_nft *n, bool add, int argc, char **argv,
                 berth_error **err) {
  if (argc == 0 || argc % 6 != 0) {
    fprintf(stderr, "nftctl: ports come in groups of 6 arguments\n");
    exit(2);
  }
  size_t count = (size_t)argc / 6;
  struct berth_nft_port *p = calloc(count, sizeof(*p));
  for (size_t i = 0; i < count; i++) {
    char **a = argv + i * 6;
    p[i] = (struct berth_nft_port){arg(a[0]), arg(a[1]), (unsigned)atoi(a[2]),
                                   arg(a[3]), arg(a[4]), (unsigned)atoi(a[5])};
  }
  int rc = add ? berth_nft_ports_add(n, p, count, err)
               : berth_nft_ports_remove(n, p, count, err);
  free(p);
  return rc;
}

static int state(struct berth_nft *n, berth_error **err) {
  struct berth_nft_state s;
  if (berth_nft_state_read(n, &s, err) < 0)
    return -1;
  for (size_t i = 0; i < s.n_bridges; i++)
    printf("bridge %s\n", s.bridges[i]);
  for (size_t i = 0; i < s.n_ports; i++) {
    const struct berth_nft_port *p = &s.ports[i];
    printf("port %s %s %u %s %s %u\n", p->proto, p->host_ip ? p->host_ip : "-",
           p->host_port, p->ctr_ip ? p->ctr_ip : "-",
           p->ctr_ip6 ? p->ctr_ip6 : "-", p->ctr_port);
  }
  berth_nft_state_free(&s);
  return 0;
}

static int command(struct berth_nft *n, int argc, char **argv,
                   berth_error **err) {
  const char *cmd = argv[0];
  if (strcmp(cmd, "network-add") == 0 && argc >= 3) {
    struct berth_nft_net net = {argv[1], arg(argv[2]),
                                argc > 3 ? arg(argv[3]) : NULL,
                                argc > 4 && strcmp(argv[4], "internal") == 0};
    return berth_nft_network_add(n, &net, err);
  }
  if (strcmp(cmd, "network-rm") == 0 && argc == 2)
    return berth_nft_network_remove(n, argv[1], err);
  if (strcmp(cmd, "port-add") == 0 || strcmp(cmd, "port-rm") == 0)
    return ports(n, cmd[5] == 'a', argc - 1, argv + 1, err);
  if (strcmp(cmd, "state") == 0)
    return state(n, err);
  fprintf(stderr, "nftctl: bad command (see tests/net/nftctl.c)\n");
  exit(2);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  bool timed = argc > 1 && strcmp(argv[1], "-t") == 0;
  argc -= 1 + timed;
  argv += 1 + timed;
  if (argc < 1) {
    fprintf(stderr, "nftctl: no command (see tests/net/nftctl.c)\n");
    return 2;
  }
  double t0 = now_us();
  berth_error *err = NULL;
  struct berth_nft *n = NULL;
  int rc = berth_nft_open(&n, &err);
  if (rc == 0)
    rc = command(n, argc, argv, &err);
  berth_nft_close(n);
  if (timed)
    fprintf(stderr, "elapsed_us %.0f\n", now_us() - t0);
  if (rc < 0) {
    fprintf(stderr, "nftctl: %s\n", err ? err->msg : "unknown error");
    berth_error_free(err);
    return 1;
  }
  return 0;
}
