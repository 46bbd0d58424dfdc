/* Networks made real on first use rather than at `network create`, so a
 * reboot (which takes bridges and nftables rules away) needs no daemon to
 * put them back: the next container start does. */
#include "net_apply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "netdns.h"
#include "netlink.h"
#include "nft.h"

/* Under /run: gone with the bridges and rules at a reboot. */
#define NET_RUN_DIR "/run/berth/net"

/* One berth at a time makes or removes a network's bridge and rules, so
 * a start never sees a bridge whose rules are still being added. */
static int net_lock(berth_error **err) {
  if ((mkdir("/run/berth", 0700) < 0 && errno != EEXIST) ||
      (mkdir(NET_RUN_DIR, 0700) < 0 && errno != EEXIST))
    return berth_error_sys(err, "create `%s`", NET_RUN_DIR);
  int fd = open(NET_RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error_sys(err, "open `%s/lock`", NET_RUN_DIR);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR) {
      close(fd);
      return berth_error_sys(err, "lock `%s/lock`", NET_RUN_DIR);
    }
  return fd;
}

/* Says the rules of network id are in place (written after they are). */
static void marker_path(const struct berth_network *n, char *buf, size_t len) {
  snprintf(buf, len, NET_RUN_DIR "/%s.rules", n->id);
}

/* The gateway with its subnet's prefix: "172.17.0.1/16". */
static int gateway_net(const char *subnet, const char *gateway,
                       struct berth_ipnet *out, berth_error **err) {
  struct berth_ipnet sn;
  if (berth_ipnet_parse(subnet, false, &sn, err) < 0 ||
      berth_ip_parse(gateway, out, err) < 0)
    return -1;
  out->prefix = sn.prefix;
  return 0;
}

static int rules_add(const struct berth_network *n, berth_error **err) {
  struct berth_nft *nft = NULL;
  if (berth_nft_open(&nft, err) < 0)
    return -1;
  struct berth_nft_net spec = {.bridge = n->bridge, .subnet4 = n->subnet,
                               .subnet6 = n->subnet6,
                               .internal = n->internal};
  int rc = berth_nft_network_add(nft, &spec, err);
  berth_nft_close(nft);
  return rc;
}

static int ensure_locked(const struct berth_network *n, berth_error **err) {
  struct berth_ipnet addrs[2];
  size_t k = 0;
  if (gateway_net(n->subnet, n->gateway, &addrs[k++], err) < 0)
    return -1;
  if (n->subnet6 && n->gateway6 &&
      gateway_net(n->subnet6, n->gateway6, &addrs[k++], err) < 0)
    return -1;
  struct berth_nl *nl = NULL;
  if (berth_nl_open(&nl, err) < 0)
    return -1;
  bool created = false;
  int rc = berth_nl_bridge_ensure(nl, n->bridge, addrs, k, &created, err);
  berth_nl_close(nl);
  if (rc < 0)
    return -1;
  char marker[256];
  marker_path(n, marker, sizeof marker);
  if (!created && access(marker, F_OK) == 0)
    return 0;
  if (rules_add(n, err) < 0)
    return -1;
  int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    close(fd);
  return 0;
}

int berth_net_ensure_live(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err) {
  (void)e;
  if (!n->bridge || !n->subnet || !n->gateway)
    return 0;
  _cleanup_close_ int lock = net_lock(err);
  if (lock < 0)
    return -1;
  if (ensure_locked(n, err) < 0)
    return berth_error_prefix(err, "network `%s`", n->name);
  return 0;
}

int berth_net_remove_live(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err) {
  if (!n->bridge)
    return 0;
  _cleanup_close_ int lock = net_lock(err);
  if (lock < 0)
    return -1;
  char marker[256];
  marker_path(n, marker, sizeof marker);
  unlink(marker);
  if (berth_netdns_stop(e, n->id, err) < 0)
    return -1;
  struct berth_nl *nl = NULL;
  struct berth_nft *nft = NULL;
  int rc = berth_nl_open(&nl, err);
  if (rc == 0)
    rc = berth_nl_link_delete(nl, n->bridge, err);
  if (rc == 0)
    rc = berth_nft_open(&nft, err);
  if (rc == 0)
    rc = berth_nft_network_remove(nft, n->bridge, err);
  berth_nl_close(nl);
  berth_nft_close(nft);
  return rc < 0 ? berth_error_prefix(err, "network `%s`", n->name) : 0;
}

int berth_net_restore_live(struct berth_engine *e,
                           const struct berth_network *n, berth_error **err) {
  char marker[256];
  marker_path(n, marker, sizeof marker);
  unlink(marker);
  return berth_net_ensure_live(e, n, err);
}
