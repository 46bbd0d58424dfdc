/* IPv4 and IPv6 addresses and prefixes: parsing (strict, as Go's net
 * package is: no leading zeros in IPv4 octets, no zone, no hosts bits in
 * a CIDR unless asked), printing, and the index arithmetic IPAM uses. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static unsigned addr_bits(int family) { return family == AF_INET ? 32 : 128; }

/* Dotted quad only: four decimal octets without leading zeros (inet_aton
 * would read "010" as octal and "1.2" as 1.0.0.2: what a user wrote must
 * mean one thing). */
static bool parse_v4(const char *s, unsigned char out[4]) {
  for (int i = 0; i < 4; i++) {
    if (!isdigit((unsigned char)*s))
      return false;
    unsigned v = 0;
    const char *start = s;
    while (isdigit((unsigned char)*s) && s - start < 4)
      v = v * 10 + (unsigned)(*s++ - '0');
    if (v > 255 || s - start > 3 || (s - start > 1 && *start == '0'))
      return false;
    out[i] = (unsigned char)v;
    if (i < 3 && *s++ != '.')
      return false;
  }
  return *s == '\0';
}

static bool parse_addr(const char *s, struct berth_ipnet *out) {
  memset(out, 0, sizeof *out);
  if (strchr(s, ':')) {
    /* inet_pton takes upper-case hex and embedded IPv4 (::ffff:1.2.3.4);
     * it refuses zones (%eth0), which have no meaning in a subnet. */
    if (inet_pton(AF_INET6, s, out->addr) != 1)
      return false;
    out->family = AF_INET6;
  } else {
    if (!parse_v4(s, out->addr))
      return false;
    out->family = AF_INET;
  }
  out->prefix = addr_bits(out->family);
  return true;
}

static bool parse_prefix(const char *s, unsigned max, unsigned *out) {
  size_t n = strlen(s);
  if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
    return false;
  unsigned v = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s))
      return false;
    v = v * 10 + (unsigned)(*s - '0');
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* Whether bit i (0: most significant) of addr is set. */
static bool bit(const unsigned char *a, unsigned i) {
  return (a[i / 8] >> (7 - i % 8)) & 1;
}

static bool host_bits_clear(const struct berth_ipnet *n) {
  for (unsigned i = n->prefix; i < addr_bits(n->family); i++)
    if (bit(n->addr, i))
      return false;
  return true;
}

static void clear_host_bits(struct berth_ipnet *n) {
  for (unsigned i = n->prefix; i < addr_bits(n->family); i++)
    n->addr[i / 8] &= (unsigned char)~(1u << (7 - i % 8));
}

int berth_ip_parse(const char *text, struct berth_ipnet *out,
                   berth_error **err) {
  if (!text || !parse_addr(text, out))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid IP address `%s`",
                           text ? text : "");
  return 0;
}

int berth_ipnet_parse(const char *text, bool allow_host,
                      struct berth_ipnet *out, berth_error **err) {
  char buf[64];
  const char *slash = text ? strchr(text, '/') : NULL;
  if (!text || strlen(text) >= sizeof buf)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid CIDR `%s`",
                           text ? text : "");
  if (!slash) {
    if (allow_host && parse_addr(text, out))
      return 0;
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid CIDR `%s`",
                           text);
  }
  snprintf(buf, sizeof buf, "%.*s", (int)(slash - text), text);
  if (!parse_addr(buf, out) ||
      !parse_prefix(slash + 1, addr_bits(out->family), &out->prefix))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid CIDR `%s`",
                           text);
  if (!allow_host && !host_bits_clear(out)) {
    struct berth_ipnet want = *out;
    char w[64];
    clear_host_bits(&want);
    berth_ipnet_format(&want, true, w, sizeof w);
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid subnet %s: it should be %s", text, w);
  }
  return 0;
}

void berth_ipnet_format(const struct berth_ipnet *n, bool with_prefix,
                        char *buf, size_t len) {
  char a[INET6_ADDRSTRLEN];
  if (!inet_ntop(n->family, n->addr, a, sizeof a))
    snprintf(a, sizeof a, "?");
  if (with_prefix)
    snprintf(buf, len, "%s/%u", a, n->prefix);
  else
    snprintf(buf, len, "%s", a);
}

/* Whether the first `bits` bits of a and b are equal. */
static bool same_prefix(const unsigned char *a, const unsigned char *b,
                        unsigned bits) {
  for (unsigned i = 0; i < bits; i++)
    if (bit(a, i) != bit(b, i))
      return false;
  return true;
}

bool berth_ipnet_overlap(const struct berth_ipnet *a,
                         const struct berth_ipnet *b) {
  if (a->family != b->family)
    return false;
  unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
  return same_prefix(a->addr, b->addr, p);
}

bool berth_ipnet_contains(const struct berth_ipnet *net,
                          const struct berth_ipnet *ip) {
  return net->family == ip->family &&
         same_prefix(net->addr, ip->addr, net->prefix);
}

int berth_ipnet_nth(const struct berth_ipnet *net, uint64_t index,
                    struct berth_ipnet *out) {
  unsigned bits = addr_bits(net->family), host = bits - net->prefix;
  if (host < 64 && index >> host)
    return -1;
  *out = *net;
  clear_host_bits(out);
  /* Add index to the low 64 bits with carry into the higher bytes (the
   * carry cannot cross the prefix: index fits in the host bits). */
  unsigned carry = 0;
  for (int i = (int)bits / 8 - 1; i >= 0; i--) {
    unsigned add = (unsigned)(index & 0xff) + carry;
    unsigned sum = out->addr[i] + add;
    out->addr[i] = (unsigned char)sum;
    carry = sum >> 8;
    index >>= 8;
  }
  return 0;
}

int64_t berth_ipnet_index(const struct berth_ipnet *net,
                          const struct berth_ipnet *ip) {
  if (!berth_ipnet_contains(net, ip))
    return -1;
  unsigned bits = addr_bits(net->family);
  uint64_t v = 0;
  for (unsigned i = net->prefix; i < bits; i++) {
    if (v >> 62)
      return -1; /* beyond what an int64 holds */
    v = v << 1 | (bit(ip->addr, i) ? 1 : 0);
  }
  return (int64_t)v;
}

uint64_t berth_ipnet_hosts(const struct berth_ipnet *net) {
  unsigned host = addr_bits(net->family) - net->prefix;
  if (net->family == AF_INET6)
    return host >= 32 ? (uint64_t)1 << 32 : ((uint64_t)1 << host) - 1 + !host;
  /* /32 is one address, /31 two (RFC 3021: no network or broadcast). */
  if (host <= 1)
    return (uint64_t)1 << host;
  return ((uint64_t)1 << host) - 2;
}

void berth_mac_from_ip(const struct berth_ipnet *ip, unsigned char mac[6]) {
  mac[0] = 0x02;
  mac[1] = 0x42;
  memcpy(mac + 2, ip->addr, 4);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int berth_mac_parse(const char *text, unsigned char mac[6], berth_error **err) {
  const char *s = text ? text : "";
  char sep = strlen(s) == 17 ? s[2] : 0;
  for (int i = 0; sep && i < 6; i++, s += 3) {
    int h = hex_digit(s[0]), l = hex_digit(s[1]);
    if (h < 0 || l < 0 || (i < 5 && s[2] != sep) || (i == 5 && s[2]))
      break;
    mac[i] = (unsigned char)(h << 4 | l);
    if (i == 5)
      return (sep == ':' || sep == '-')
                 ? 0
                 : berth_error_set(err, BERTH_ERR_INVALID, 0,
                                   "invalid MAC address `%s`", text);
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid MAC address `%s`",
                         text ? text : "");
}

void berth_mac_format(const unsigned char mac[6], char buf[18]) {
  snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
           mac[3], mac[4], mac[5]);
}
