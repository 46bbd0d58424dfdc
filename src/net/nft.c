/* berth's nftables table (see nft.h for what it does).
 *
 * Layout.  Every rule is written once, when the table is made, and never
 * edited: what changes with networks and containers are elements of named
 * sets and maps, so publishing a port is one "add element" and adding or
 * removing a network never touches another network's state.
 *
 *   sets   bridges    ifname            every berth bridge
 *          internal   ifname            bridges of --internal networks
 *          intra      ifname . ifname   ("br", "br") for every bridge
 *          subnets4/6 prefixes          every network's subnets (hairpin)
 *          nat4/6     prefixes          non-internal subnets (outbound NAT)
 *   maps   ports4     host addr . proto . port : ctr addr . ctr port
 *          ports4_any proto . port : ctr addr . ctr port  (every address)
 *          ports6, ports6_any           the same for IPv6
 *
 * Prefix elements carry their bridge as comment, so that removing a
 * network by bridge name finds them again.
 *
 * Concurrency.  Several berth processes may change the table at once.
 * Every change is one nft transaction (all or nothing).  Making the table
 * is idempotent: `add table/chain/set/map` do nothing when the object
 * exists, and each base chain is flushed and refilled in the same
 * transaction, so each chain holds its rules once however often it is
 * made.  network_add makes it when it is missing or a chain lacks rules
 * (which also repairs a table edited by hand), else adds elements only.
 * Two decisions are not one transaction: "is the table intact?" before
 * network_add, and "was that the last network?" before deleting the
 * table; network add and remove therefore hold an exclusive flock on
 * NFT_LOCK, so that a network added meanwhile is never deleted with the
 * table.  Port changes need no lock: a port belongs to a container on a
 * network that is present, and they touch map elements only.
 *
 * Cost.  Deleting anything (elements, rules, the table) makes the kernel
 * free it after an RCU grace period, and closing the netlink socket waits
 * for that (~10 ms here): a caller removing ports and then doing other
 * teardown work should close the context last. */
#include "nft.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "cleanup.h"
#include "nft_dl.h"
#include "nft_internal.h"

#define TABLE "inet berth"
/* Host-wide (network namespaces share it, which only serialises them). */
#define NFT_LOCK "/run/berth-nft.lock"

const char *const berth_nft_pmap_names[PMAP__COUNT] = {"ports4", "ports4_any",
                                                       "ports6", "ports6_any"};

/* The table, its sets and maps, and its base chains with their rules.
 * Why each rule: */
static const char table_cmds[] =
    "add table " TABLE "\n"
    "add set " TABLE " bridges { type ifname; }\n"
    "add set " TABLE " internal { type ifname; }\n"
    "add set " TABLE " intra { type ifname . ifname; }\n"
    "add set " TABLE " subnets4 { type ipv4_addr; flags interval; }\n"
    "add set " TABLE " subnets6 { type ipv6_addr; flags interval; }\n"
    "add set " TABLE " nat4 { type ipv4_addr; flags interval; }\n"
    "add set " TABLE " nat6 { type ipv6_addr; flags interval; }\n"
    "add map " TABLE " ports4 { type ipv4_addr . inet_proto . inet_service"
    " : ipv4_addr . inet_service; }\n"
    "add map " TABLE " ports4_any { type inet_proto . inet_service"
    " : ipv4_addr . inet_service; }\n"
    "add map " TABLE " ports6 { type ipv6_addr . inet_proto . inet_service"
    " : ipv6_addr . inet_service; }\n"
    "add map " TABLE " ports6_any { type inet_proto . inet_service"
    " : ipv6_addr . inet_service; }\n"
    "add chain " TABLE " ports\n"
    "add chain " TABLE " into_bridge\n"
    "add chain " TABLE " prerouting { type nat hook prerouting"
    " priority dstnat; policy accept; }\n"
    "add chain " TABLE " output { type nat hook output"
    " priority -100; policy accept; }\n"
    "add chain " TABLE " postrouting { type nat hook postrouting"
    " priority srcnat; policy accept; }\n"
    "add chain " TABLE " input { type filter hook input"
    " priority filter; policy accept; }\n"
    "add chain " TABLE " forward { type filter hook forward"
    " priority filter; policy accept; }\n"
    /* Published ports: one lookup per map.  An address of its own first,
     * then every address (the engine never publishes both for one port).
     * `meta nfproto` because an any-map's key says nothing of the family. */
    "flush chain " TABLE " ports\n"
    "add rule " TABLE " ports dnat ip to"
    " ip daddr . meta l4proto . th dport map @ports4\n"
    "add rule " TABLE " ports meta nfproto ipv4 dnat ip to"
    " meta l4proto . th dport map @ports4_any\n"
    "add rule " TABLE " ports dnat ip6 to"
    " ip6 daddr . meta l4proto . th dport map @ports6\n"
    "add rule " TABLE " ports meta nfproto ipv6 dnat ip6 to"
    " meta l4proto . th dport map @ports6_any\n"
    /* From other hosts and containers: only what is addressed to this
     * host.  Never 127.0.0.0/8 (nor ::1): the prerouting DNAT would
     * happen before the kernel drops such a martian destination, so a
     * neighbour routing 127.0.0.1 to us would reach a port published on
     * 127.0.0.1 "for this host only" (moby/moby#45610). */
    "flush chain " TABLE " prerouting\n"
    "add rule " TABLE " prerouting ip daddr != 127.0.0.0/8"
    " fib daddr type local jump ports\n"
    "add rule " TABLE " prerouting ip6 daddr != ::1"
    " fib daddr type local jump ports\n"
    /* From this host's own processes, 127.0.0.1 included.  Not ::1: the
     * kernel never routes ::1 off the loopback device (IPv6 has no
     * route_localnet), so a DNAT would only turn a quick "connection
     * refused" into a hang. */
    "flush chain " TABLE " output\n"
    "add rule " TABLE " output meta nfproto ipv4 fib daddr type local"
    " jump ports\n"
    "add rule " TABLE " output ip6 daddr != ::1 fib daddr type local"
    " jump ports\n"
    "flush chain " TABLE " postrouting\n"
    /* Outbound NAT: a non-internal network's containers leaving through
     * any interface that is not a berth bridge appear as the host. */
    "add rule " TABLE " postrouting ip saddr @nat4 oifname != @bridges"
    " masquerade\n"
    "add rule " TABLE " postrouting ip6 saddr @nat6 oifname != @bridges"
    " masquerade\n"
    /* Hairpin: a container reaching a published port (its own, or one on
     * its bridge) would get the reply straight from the neighbour, not
     * through the host's NAT, and drop it; masquerading makes the reply
     * come back through the host.  Postrouting knows no input interface,
     * hence the source subnets of berth's networks. */
    "add rule " TABLE " postrouting ct status dnat ip saddr @subnets4"
    " oifname @bridges masquerade\n"
    "add rule " TABLE " postrouting ct status dnat ip6 saddr @subnets6"
    " oifname @bridges masquerade\n"
    /* A host process's 127.0.0.1 DNATed onto a bridge (possible because
     * the bridge has route_localnet): a container cannot answer 127.0.0.1,
     * so the source becomes the bridge's address. */
    "add rule " TABLE " postrouting ip saddr 127.0.0.0/8 oifname @bridges"
    " masquerade\n"
    /* route_localnet on a bridge also lets whatever is on it (a container
     * with NET_ADMIN routing 127.0.0.1 to its gateway) reach the host's
     * services bound to 127.0.0.1 (CVE-2020-8558 in kube-proxy): only
     * replies to the host's own connections may come in that way. */
    "flush chain " TABLE " input\n"
    "add rule " TABLE " input iifname @bridges ip daddr 127.0.0.0/8"
    " ct state != { established, related } drop\n"
    /* Isolation.  `accept` here ends only this table's verdict (the
     * host's own firewall still applies); `drop` is final. */
    "flush chain " TABLE " forward\n"
    /* Within one network (routed through its bridge, e.g. hairpin). */
    "add rule " TABLE " forward iifname . oifname @intra accept\n"
    /* An internal network forwards nothing off its bridge, in or out. */
    "add rule " TABLE " forward iifname @internal drop\n"
    "add rule " TABLE " forward oifname @internal drop\n"
    "add rule " TABLE " forward oifname @bridges jump into_bridge\n"
    /* Into a network from elsewhere: replies to its containers' own
     * connections and published ports (DNATed by this table); not another
     * network's containers, not a host routing to container addresses. */
    "flush chain " TABLE " into_bridge\n"
    "add rule " TABLE " into_bridge ct state established,related accept\n"
    "add rule " TABLE " into_bridge ct status dnat accept\n"
    "add rule " TABLE " into_bridge drop\n";

int berth_nft_open(struct berth_nft **out, berth_error **err) {
  const char *why = berth_nft_dl_error();
  if (why != NULL)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "cannot load libnftables: %s", why);
  _cleanup_free_ struct berth_nft *n = calloc(1, sizeof(*n));
  if (n == NULL)
    return berth_error_sys(err, "nftables context");
  n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (n->ctx == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "nftables context");
  /* Buffered, so that nft's messages become errors instead of stderr. */
  if (nft_ctx_buffer_output(n->ctx) != 0 || nft_ctx_buffer_error(n->ctx) != 0) {
    nft_ctx_free(n->ctx);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM,
                           "nftables output buffers");
  }
  *out = steal_pointer(&n);
  return 0;
}

void berth_nft_close(struct berth_nft *n) {
  if (n == NULL)
    return;
  nft_ctx_free(n->ctx);
  free(n);
}

/* nft's first line, without its "<cmdline>:1:2-3: Error: " prefix. */
static int nft_failed(const char *text, berth_error **err) {
  if (text == NULL || *text == '\0')
    text = "unknown error";
  const char *e = strstr(text, "Error: ");
  if (e != NULL && e < text + strcspn(text, "\n"))
    text = e + strlen("Error: ");
  int len = (int)strcspn(text, "\n");
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "nftables: %.*s", len, text);
}

int berth_nft_run(struct berth_nft *n, const char *cmds, berth_error **err) {
  int rc = nft_run_cmd_from_buffer(n->ctx, cmds);
  /* Reading a buffer also rewinds it for the next command. */
  const char *e = nft_ctx_get_error_buffer(n->ctx);
  (void)nft_ctx_get_output_buffer(n->ctx);
  return rc == 0 ? 0 : nft_failed(e, err);
}

int berth_nft_run_json(struct berth_nft *n, const char *cmd, json_t **out,
                       berth_error **err) {
  nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
  int rc = nft_run_cmd_from_buffer(n->ctx, cmd);
  nft_ctx_output_set_flags(n->ctx, 0);
  const char *e = nft_ctx_get_error_buffer(n->ctx);
  const char *text = nft_ctx_get_output_buffer(n->ctx);
  if (rc != 0)
    return nft_failed(e, err);
  json_error_t jerr;
  *out = json_loads(text ? text : "", 0, &jerr);
  if (*out == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "nftables: `%s`: unreadable JSON: %s", cmd,
                           jerr.text);
  return 0;
}

static void unlock_table(int *fd) {
  if (*fd >= 0)
    close(*fd); /* releases the flock */
}

static int lock_table(int *fd, berth_error **err) {
  *fd = open(NFT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (*fd < 0)
    return berth_error_sys(err, "open `%s`", NFT_LOCK);
  int rc;
  do
    rc = flock(*fd, LOCK_EX);
  while (rc < 0 && errno == EINTR);
  if (rc < 0)
    return berth_error_sys(err, "lock `%s`", NFT_LOCK);
  return 0;
}

/* ---- input checks: everything below is pasted into nft's language, so
 * only names and addresses of a known shape get there. ---- */

/* A Linux interface name made of the characters bridges are named with
 * (no quotes, spaces or braces can reach nft's parser). */
static int check_ifname(const char *name, berth_error **err) {
  size_t len = name ? strlen(name) : 0;
  if (len == 0 || len >= IFNAMSIZ)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "bridge name `%s`: must be 1 to %d characters",
                           name ? name : "", IFNAMSIZ - 1);
  for (size_t i = 0; i < len; i++)
    if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "bridge name `%s`: invalid character `%c`", name,
                             name[i]);
  return 0;
}

/* An address of `family` (AF_UNSPEC: either) into canonical text. */
static int parse_ip(const char *text, int *family, char out[INET6_ADDRSTRLEN]) {
  unsigned char bin[16];
  int fams[] = {AF_INET, AF_INET6};
  for (size_t i = 0; i < ARRAY_SIZE(fams); i++) {
    if (*family != AF_UNSPEC && *family != fams[i])
      continue;
    if (inet_pton(fams[i], text, bin) == 1 &&
        inet_ntop(fams[i], bin, out, INET6_ADDRSTRLEN) != NULL) {
      *family = fams[i];
      return 0;
    }
  }
  return -1;
}

/* Whether the bits of bin after `prefix` are all zero. */
static bool host_bits_clear(const unsigned char *bin, size_t len,
                            unsigned prefix) {
  for (size_t bit = prefix; bit < len * 8; bit++)
    if (bin[bit / 8] & (0x80 >> (bit % 8)))
      return false;
  return true;
}

/* "10.1.0.0/16" of `family` into canonical "addr/len". */
static int parse_cidr(const char *text, int family, char *out, size_t outlen,
                      berth_error **err) {
  const char *what = family == AF_INET ? "IPv4" : "IPv6";
  const char *slash = text ? strchr(text, '/') : NULL;
  char addr[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN];
  unsigned char bin[16];
  unsigned max = family == AF_INET ? 32 : 128;
  char *end;
  if (slash == NULL || (size_t)(slash - text) >= sizeof addr)
    goto bad;
  memcpy(addr, text, (size_t)(slash - text));
  addr[slash - text] = '\0';
  errno = 0;
  unsigned long len = strtoul(slash + 1, &end, 10);
  if (!isdigit((unsigned char)slash[1]) || *end != '\0' || len > max ||
      inet_pton(family, addr, bin) != 1 ||
      inet_ntop(family, bin, canon, sizeof canon) == NULL)
    goto bad;
  if (!host_bits_clear(bin, max / 8, (unsigned)len))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "subnet `%s`: host bits are set", text);
  snprintf(out, outlen, "%s/%lu", canon, len);
  return 0;
bad:
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "subnet `%s`: not an %s CIDR", text ? text : "", what);
}

/* ---- networks ---- */

struct net_elems {
  char sub4[INET6_ADDRSTRLEN + 5];
  char sub6[INET6_ADDRSTRLEN + 5];
};

static int check_net(const struct berth_nft_net *net, struct net_elems *e,
                     berth_error **err) {
  if (check_ifname(net->bridge, err) < 0)
    return -1;
  e->sub4[0] = e->sub6[0] = '\0';
  if (net->subnet4 && *net->subnet4 &&
      parse_cidr(net->subnet4, AF_INET, e->sub4, sizeof e->sub4, err) < 0)
    return -1;
  if (net->subnet6 && *net->subnet6 &&
      parse_cidr(net->subnet6, AF_INET6, e->sub6, sizeof e->sub6, err) < 0)
    return -1;
  return 0;
}

/* A subnet in the sets that hold it, with its bridge as comment. */
static void put_subnet(FILE *f, const char *family, const char *subnet,
                       const char *bridge, bool internal) {
  if (*subnet == '\0')
    return;
  fprintf(f, "add element %s subnets%s { %s comment \"%s\" }\n", TABLE, family,
          subnet, bridge);
  if (!internal)
    fprintf(f, "add element %s nat%s { %s comment \"%s\" }\n", TABLE, family,
            subnet, bridge);
}

static char *network_add_cmds(const struct berth_nft_net *net,
                              const struct net_elems *e, bool make_table) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  if (make_table)
    fputs(table_cmds, f);
  fprintf(f, "add element %s bridges { \"%s\" }\n", TABLE, net->bridge);
  fprintf(f, "add element %s intra { \"%s\" . \"%s\" }\n", TABLE, net->bridge,
          net->bridge);
  if (net->internal)
    fprintf(f, "add element %s internal { \"%s\" }\n", TABLE, net->bridge);
  put_subnet(f, "4", e->sub4, net->bridge, net->internal);
  put_subnet(f, "6", e->sub6, net->bridge, net->internal);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The table is (re)made only when it is missing or a chain lacks rules
 * (edited by hand, or made by a berth with other rules): flushing chains
 * deletes rules, and the kernel frees deleted objects after an RCU grace
 * period that closing the context then waits for (~10 ms here), while
 * adding elements costs none. */
int berth_nft_network_add(struct berth_nft *n, const struct berth_nft_net *net,
                          berth_error **err) {
  struct net_elems e;
  if (check_net(net, &e, err) < 0)
    return -1;
  _cleanup_(unlock_table) int lock = -1;
  if (lock_table(&lock, err) < 0)
    return -1;
  json_t *table = NULL;
  if (berth_nft_list(n, &table, err) < 0)
    return -1;
  bool intact = table && berth_nft_rules_intact(table, table_cmds);
  json_decref(table);
  _cleanup_free_ char *cmds = network_add_cmds(net, &e, !intact);
  if (cmds == NULL)
    return berth_error_sys(err, "nftables commands");
  return berth_nft_run(n, cmds, err);
}

/* Whether `elem` (a set element as listed) is `name`, or a pair of it. */
static bool elem_is_bridge(json_t *elem, const char *name) {
  json_t *v = berth_nft_elem_value(elem, NULL);
  if (json_is_string(v))
    return strcmp(json_string_value(v), name) == 0;
  json_t *pair = json_object_get(v, "concat");
  const char *a = json_string_value(json_array_get(pair, 0));
  const char *b = json_string_value(json_array_get(pair, 1));
  return a && b && strcmp(a, name) == 0 && strcmp(b, name) == 0;
}

/* Deletes the elements of `set` naming the bridge. */
static void del_bridge_elems(FILE *f, json_t *table, const char *set,
                             const char *bridge) {
  size_t i;
  json_t *elem;
  json_array_foreach(berth_nft_set_elems(table, set), i, elem) {
    if (!elem_is_bridge(elem, bridge))
      continue;
    if (strcmp(set, "intra") == 0)
      fprintf(f, "delete element %s intra { \"%s\" . \"%s\" }\n", TABLE, bridge,
              bridge);
    else
      fprintf(f, "delete element %s %s { \"%s\" }\n", TABLE, set, bridge);
  }
}

/* Deletes the prefixes of `set` whose comment is the bridge. */
static void del_subnet_elems(FILE *f, json_t *table, const char *set,
                             const char *bridge) {
  size_t i;
  json_t *elem;
  json_array_foreach(berth_nft_set_elems(table, set), i, elem) {
    const char *comment = NULL;
    json_t *v = berth_nft_elem_value(elem, &comment);
    if (comment == NULL || strcmp(comment, bridge) != 0)
      continue;
    json_t *prefix = json_object_get(v, "prefix");
    const char *addr =
        json_string_value(prefix ? json_object_get(prefix, "addr") : v);
    if (addr == NULL)
      continue;
    if (prefix)
      fprintf(f, "delete element %s %s { %s/%lld }\n", TABLE, set, addr,
              (long long)json_integer_value(json_object_get(prefix, "len")));
    else
      fprintf(f, "delete element %s %s { %s }\n", TABLE, set, addr);
  }
}

/* Whether the bridges set holds a bridge other than `bridge`. */
static bool other_bridges(json_t *table, const char *bridge) {
  size_t i;
  json_t *elem;
  json_array_foreach(berth_nft_set_elems(table, "bridges"), i, elem) {
    if (!elem_is_bridge(elem, bridge))
      return true;
  }
  return false;
}

static char *network_remove_cmds(json_t *table, const char *bridge) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  if (!other_bridges(table, bridge)) {
    fprintf(f, "delete table %s\n", TABLE);
  } else {
    static const char *const by_name[] = {"bridges", "internal", "intra"};
    static const char *const by_comment[] = {"subnets4", "subnets6", "nat4",
                                             "nat6"};
    for (size_t i = 0; i < ARRAY_SIZE(by_name); i++)
      del_bridge_elems(f, table, by_name[i], bridge);
    for (size_t i = 0; i < ARRAY_SIZE(by_comment); i++)
      del_subnet_elems(f, table, by_comment[i], bridge);
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

int berth_nft_network_remove(struct berth_nft *n, const char *bridge,
                             berth_error **err) {
  if (check_ifname(bridge, err) < 0)
    return -1;
  _cleanup_(unlock_table) int lock = -1;
  if (lock_table(&lock, err) < 0)
    return -1;
  /* The sets alone (not the rules: cheaper to list); no berth sets: no
   * table. */
  json_t *sets = NULL;
  if (berth_nft_run_json(n, "list sets inet", &sets, err) < 0)
    return -1;
  if (berth_nft_find_set(sets, "bridges") == NULL) {
    json_decref(sets);
    return 0;
  }
  _cleanup_free_ char *cmds = network_remove_cmds(sets, bridge);
  json_decref(sets);
  if (cmds == NULL)
    return berth_error_sys(err, "nftables commands");
  return *cmds ? berth_nft_run(n, cmds, err) : 0;
}

/* ---- ports ---- */

void berth_nft_mapping_text(const struct nft_mapping *m, char *buf,
                            size_t len) {
  if (m->map == PMAP4_ANY || m->map == PMAP6_ANY)
    snprintf(buf, len, "%s . %u : %s . %u", m->proto, m->host_port, m->ctr,
             m->ctr_port);
  else
    snprintf(buf, len, "%s . %s . %u : %s . %u", m->host, m->proto,
             m->host_port, m->ctr, m->ctr_port);
}

static int check_port(const struct berth_nft_port *p, berth_error **err) {
  static const char *const protos[] = {"tcp", "udp", "sctp"};
  bool known = false;
  for (size_t i = 0; p->proto && i < ARRAY_SIZE(protos); i++)
    known |= strcmp(p->proto, protos[i]) == 0;
  if (!known)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "protocol `%s`: must be tcp, udp or sctp",
                           p->proto ? p->proto : "");
  if (p->host_port < 1 || p->host_port > 65535 || p->ctr_port < 1 ||
      p->ctr_port > 65535)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "port %u:%u: ports are 1 to 65535", p->host_port,
                           p->ctr_port);
  return 0;
}

/* The container address of `family` as a mapping's target. */
static int set_ctr(struct nft_mapping *m, const struct berth_nft_port *p,
                   int family, berth_error **err) {
  const char *ip = family == AF_INET ? p->ctr_ip : p->ctr_ip6;
  if (ip == NULL || *ip == '\0')
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "port %u/%s: no IPv%d address of the container",
                           p->host_port, p->proto, family == AF_INET ? 4 : 6);
  if (parse_ip(ip, &family, m->ctr) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "container address `%s`: not an IPv%d address", ip,
                           family == AF_INET ? 4 : 6);
  return 0;
}

/* Every address of each family the container has (host_ip NULL or ""):
 * one mapping per family. */
static int any_mappings(const struct berth_nft_port *p,
                        const struct nft_mapping *base,
                        struct nft_mapping out[2], size_t *count,
                        berth_error **err) {
  bool v6 = p->ctr_ip6 && *p->ctr_ip6;
  *count = 0;
  if ((p->ctr_ip && *p->ctr_ip) || !v6) {
    out[*count] = *base;
    out[*count].map = PMAP4_ANY;
    if (set_ctr(&out[(*count)++], p, AF_INET, err) < 0)
      return -1;
  }
  if (v6) {
    out[*count] = *base;
    out[*count].map = PMAP6_ANY;
    if (set_ctr(&out[(*count)++], p, AF_INET6, err) < 0)
      return -1;
  }
  return 0;
}

/* The map elements of one published port (1 or 2): host_ip NULL or ""
 * is every address of each family the container has; "0.0.0.0" and "::"
 * every address of theirs; anything else that one address. */
static int port_mappings(const struct berth_nft_port *p,
                         struct nft_mapping out[2], size_t *count,
                         berth_error **err) {
  if (check_port(p, err) < 0)
    return -1;
  struct nft_mapping base = {.host_port = p->host_port,
                             .ctr_port = p->ctr_port};
  snprintf(base.proto, sizeof base.proto, "%s", p->proto);
  const char *hip = p->host_ip ? p->host_ip : "";
  if (*hip == '\0')
    return any_mappings(p, &base, out, count, err);
  int family = AF_UNSPEC;
  out[0] = base;
  if (parse_ip(hip, &family, out[0].host) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "host address `%s`: not an IP address", hip);
  bool any = strcmp(out[0].host, family == AF_INET ? "0.0.0.0" : "::") == 0;
  out[0].map =
      family == AF_INET ? (any ? PMAP4_ANY : PMAP4) : (any ? PMAP6_ANY : PMAP6);
  if (any)
    out[0].host[0] = '\0';
  *count = 1;
  return set_ctr(&out[0], p, family, err);
}

/* All mappings of the request, checked before anything is sent. */
static int request_mappings(const struct berth_nft_port *p, size_t count,
                            struct nft_mapping **out, size_t *n,
                            berth_error **err) {
  _cleanup_free_ struct nft_mapping *m = calloc(count * 2 + 1, sizeof(*m));
  if (m == NULL)
    return berth_error_sys(err, "port mappings");
  *n = 0;
  for (size_t i = 0; i < count; i++) {
    size_t k;
    if (port_mappings(&p[i], m + *n, &k, err) < 0)
      return -1;
    *n += k;
  }
  *out = steal_pointer(&m);
  return 0;
}

/* "add|delete element" commands for the mappings selected by `keep`. */
static char *element_cmds(const char *verb, const struct nft_mapping *m,
                          size_t count, const bool *keep) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  char text[160];
  for (size_t i = 0; i < count; i++) {
    if (keep && !keep[i])
      continue;
    berth_nft_mapping_text(&m[i], text, sizeof text);
    fprintf(f, "%s element %s %s { %s }\n", verb, TABLE,
            berth_nft_pmap_names[m[i].map], text);
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

int berth_nft_ports_add(struct berth_nft *n, const struct berth_nft_port *p,
                        size_t count, berth_error **err) {
  _cleanup_free_ struct nft_mapping *m = NULL;
  size_t nm;
  if (request_mappings(p, count, &m, &nm, err) < 0)
    return -1;
  if (nm == 0)
    return 0;
  _cleanup_free_ char *cmds = element_cmds("add", m, nm, NULL);
  if (cmds == NULL)
    return berth_error_sys(err, "nftables commands");
  berth_error *e = NULL;
  if (berth_nft_run(n, cmds, &e) == 0)
    return 0;
  /* nft says only "No such file or directory" when the table is gone. */
  bool exists = true;
  if (berth_nft_table_exists(n, &exists, NULL) == 0 && !exists) {
    berth_error_free(e);
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "nftables: no table %s (no network is set up)",
                           TABLE);
  }
  if (err != NULL && *err == NULL)
    *err = e;
  else
    berth_error_free(e);
  return -1;
}

static bool same_mapping(const struct nft_mapping *a,
                         const struct nft_mapping *b) {
  return a->map == b->map && strcmp(a->host, b->host) == 0 &&
         strcmp(a->proto, b->proto) == 0 && a->host_port == b->host_port &&
         strcmp(a->ctr, b->ctr) == 0 && a->ctr_port == b->ctr_port;
}

/* Marks the requested mappings the table holds exactly (same target:
 * a host port since given to another container is not deleted); *nkeep
 * how many. */
static int present(struct berth_nft *n, const struct nft_mapping *m,
                   size_t count, bool *keep, size_t *nkeep, berth_error **err) {
  json_t *maps = NULL;
  if (berth_nft_run_json(n, "list maps inet", &maps, err) < 0)
    return -1;
  _cleanup_free_ struct nft_mapping *have = NULL;
  size_t nhave = 0;
  int rc = berth_nft_mappings(maps, &have, &nhave, err);
  json_decref(maps);
  *nkeep = 0;
  for (size_t i = 0; rc == 0 && i < count; i++) {
    keep[i] = false;
    for (size_t j = 0; j < nhave && !keep[i]; j++)
      keep[i] = same_mapping(&m[i], &have[j]);
    /* Named twice in the request: deleted once. */
    for (size_t k = 0; k < i && keep[i]; k++)
      keep[i] = !(keep[k] && same_mapping(&m[k], &m[i]));
    *nkeep += keep[i];
  }
  return rc;
}

int berth_nft_ports_remove(struct berth_nft *n, const struct berth_nft_port *p,
                           size_t count, berth_error **err) {
  _cleanup_free_ struct nft_mapping *m = NULL;
  size_t nm;
  if (request_mappings(p, count, &m, &nm, err) < 0)
    return -1;
  _cleanup_free_ bool *keep = calloc(nm + 1, sizeof(*keep));
  if (keep == NULL)
    return berth_error_sys(err, "port mappings");
  /* A concurrent remove of the same mapping makes the delete fail: read
   * the table again once (it then no longer lists that mapping). */
  for (int attempt = 0;; attempt++) {
    size_t nkeep;
    berth_error *e = NULL;
    if (present(n, m, nm, keep, &nkeep, err) < 0)
      return -1;
    if (nkeep == 0)
      return 0;
    _cleanup_free_ char *cmds = element_cmds("delete", m, nm, keep);
    if (cmds == NULL)
      return berth_error_sys(err, "nftables commands");
    if (berth_nft_run(n, cmds, attempt ? err : &e) == 0)
      return 0;
    if (attempt)
      return -1;
    berth_error_free(e);
  }
}
