/* Fuzzes address, CIDR and MAC parsing (net/addr.c): --subnet,
 * --gateway, --ip-range, --ip and --mac-address come from users and API
 * requests.  Invariants: what parses prints to text that parses back to
 * the same value; an address inside a prefix has an index whose n-th
 * address is itself; a prefix contains its own addresses and overlaps
 * itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static void check_net(const struct berth_ipnet *n) {
  char text[64];
  struct berth_ipnet back, nth;
  berth_ipnet_format(n, true, text, sizeof text);
  if (berth_ipnet_parse(text, true, &back, NULL) < 0 ||
      back.family != n->family || back.prefix != n->prefix ||
      memcmp(back.addr, n->addr, sizeof n->addr) != 0)
    abort();
  if (!berth_ipnet_contains(n, n) || !berth_ipnet_overlap(n, n))
    abort();
  int64_t i = berth_ipnet_index(n, n);
  if (i >= 0 && (berth_ipnet_nth(n, (uint64_t)i, &nth) < 0 ||
                 memcmp(nth.addr, n->addr, sizeof n->addr) != 0))
    abort();
  if (berth_ipnet_hosts(n) == 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct berth_ipnet n;
  berth_error *err = NULL;
  if (berth_ipnet_parse(s, size & 1, &n, &err) == 0)
    check_net(&n);
  berth_error_free(err);
  err = NULL;
  unsigned char mac[6], again[6];
  char text[18];
  if (berth_mac_parse(s, mac, &err) == 0) {
    berth_mac_format(mac, text);
    if (berth_mac_parse(text, again, NULL) < 0 || memcmp(mac, again, 6))
      abort();
  }
  berth_error_free(err);
  free(s);
  return 0;
}
