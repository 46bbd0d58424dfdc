/* Bridges, veth pairs, addresses and routes against the real kernel, only
 * inside network namespaces each test makes: a forked child unshares one
 * as its "host" and makes a second for the "container".  Effects are read
 * back with this file's own netlink dumps, and packets are sent across.
 * Subnets: 10.201.0.0/24 and fd00:201::/64. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "json.h"
#include "netlink.h"

/* ---- running a body in a private network namespace ---------------- */

static char failure[1024];
enum { SKIP = 2 };

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      snprintf(failure, sizeof(failure), "line %d: %s", __LINE__, #c);         \
      return -1;                                                               \
    }                                                                          \
  } while (0)
/* call uses the body's `err`. */
#define CHECK_OK(call)                                                         \
  do {                                                                         \
    if ((call) < 0) {                                                          \
      snprintf(failure, sizeof(failure), "line %d: %s: %s", __LINE__, #call,   \
               err ? err->msg : "(no error)");                                 \
      return -1;                                                               \
    }                                                                          \
  } while (0)

/* The body runs in a forked child that unshared its network namespace:
 * whatever it makes dies with the child, even when a check fails. */
static void in_private_netns(int (*body)(void)) {
  if (geteuid() != 0)
    skip();
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    if (unshare(CLONE_NEWNET) < 0)
      _exit(77);
    int rc = body();
    if (rc < 0)
      (void)!write(p[1], failure, strlen(failure));
    _exit(rc == SKIP ? 77 : rc < 0 ? 1 : 0);
  }
  close(p[1]);
  char msg[1024] = "";
  size_t got = 0;
  ssize_t n;
  while (got < sizeof(msg) - 1 && (n = read(p[0], msg + got, sizeof(msg) - 1 - got)) > 0)
    got += (size_t)n;
  close(p[0]);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
    skip();
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail_msg("%s (child's wait status 0x%x)", msg[0] ? msg : "no check failed", st);
}

/* A fresh network namespace (an fd of it); the caller stays where it is. */
static int new_netns(void) {
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0 || unshare(CLONE_NEWNET) < 0)
    return -1;
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (setns(home, CLONE_NEWNET) < 0)
    return -1;
  close(home);
  return fd;
}

static int here(void) {
  return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

/* ---- reading the kernel's state with our own dumps ----------------- */

typedef int (*msg_fn)(const struct nlmsghdr *, void *);

static int dump(uint16_t type, const void *hdr, size_t hdr_len, msg_fn fn,
                void *data) {
  static char buf[32768];
  struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
  if (s == NULL || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
    return -1;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = 7;
  memcpy(mnl_nlmsg_put_extra_header(nlh, hdr_len), hdr, hdr_len);
  int rc = mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0 ? -1 : 1;
  while (rc > 0) {
    ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
    rc = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, 7, mnl_socket_get_portid(s), fn, data);
  }
  mnl_socket_close(s);
  return rc;
}

struct link {
  const char *want;
  int found, index, master, n;
  unsigned flags;
  unsigned char mac[6];
  char kind[16];
};

static int link_cb(const struct nlmsghdr *h, void *data) {
  struct link *l = data;
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
  const struct nlattr *a, *b;
  struct link cur = {.index = ifi->ifi_index, .flags = ifi->ifi_flags};
  const char *name = "";
  mnl_attr_for_each(a, h, sizeof(*ifi)) {
    switch (mnl_attr_get_type(a)) {
    case IFLA_IFNAME: name = mnl_attr_get_str(a); break;
    case IFLA_MASTER: cur.master = (int)mnl_attr_get_u32(a); break;
    case IFLA_ADDRESS:
      if (mnl_attr_get_payload_len(a) == 6)
        memcpy(cur.mac, mnl_attr_get_payload(a), 6);
      break;
    case IFLA_LINKINFO:
      mnl_attr_for_each_nested(b, a) if (mnl_attr_get_type(b) == IFLA_INFO_KIND)
        snprintf(cur.kind, sizeof(cur.kind), "%s", mnl_attr_get_str(b));
      break;
    }
  }
  l->n++;
  if (strcmp(name, l->want) == 0) {
    cur.found = 1;
    cur.want = l->want;
    cur.n = l->n;
    *l = cur;
  }
  return MNL_CB_OK;
}

/* The link called name in the calling thread's namespace (found = 0 when
 * none); n counts all links. */
static struct link link_of(const char *name) {
  struct link l = {.want = name};
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  if (dump(RTM_GETLINK, &ifi, sizeof(ifi), link_cb, &l) < 0)
    l.found = -1;
  return l;
}

struct addr_query {
  int family, index, found;
  unsigned prefix, flags;
  unsigned char addr[16];
};

static int addr_cb(const struct nlmsghdr *h, void *data) {
  struct addr_query *q = data;
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
  const struct nlattr *a;
  size_t len = q->family == AF_INET ? 4 : 16;
  bool match = false;
  unsigned flags = ifa->ifa_flags;
  if (ifa->ifa_family != q->family || (int)ifa->ifa_index != q->index ||
      ifa->ifa_prefixlen != q->prefix)
    return MNL_CB_OK;
  mnl_attr_for_each(a, h, sizeof(*ifa)) {
    if (mnl_attr_get_type(a) == IFA_ADDRESS && mnl_attr_get_payload_len(a) == len)
      match = memcmp(mnl_attr_get_payload(a), q->addr, len) == 0;
    if (mnl_attr_get_type(a) == IFA_FLAGS)
      flags = mnl_attr_get_u32(a);
  }
  if (match) {
    q->found++;
    q->flags = flags;
  }
  return MNL_CB_OK;
}

/* How often text/prefix is on link index; its flags into *flags. */
static int addr_count(int index, const char *text, unsigned prefix,
                      unsigned *flags) {
  struct addr_query q = {.family = strchr(text, ':') ? AF_INET6 : AF_INET,
                         .index = index, .prefix = prefix};
  if (inet_pton(q.family, text, q.addr) != 1)
    return -1;
  struct ifaddrmsg ifa = {.ifa_family = (unsigned char)q.family};
  if (dump(RTM_GETADDR, &ifa, sizeof(ifa), addr_cb, &q) < 0)
    return -1;
  if (flags)
    *flags = q.flags;
  return q.found;
}

struct route_query {
  int family, n_default, oif;
  char gw[INET6_ADDRSTRLEN];
};

static int route_cb(const struct nlmsghdr *h, void *data) {
  struct route_query *q = data;
  const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
  const struct nlattr *a;
  if (rt->rtm_family != q->family || rt->rtm_dst_len != 0 ||
      rt->rtm_table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST)
    return MNL_CB_OK;
  q->n_default++;
  mnl_attr_for_each(a, h, sizeof(*rt)) {
    if (mnl_attr_get_type(a) == RTA_GATEWAY)
      inet_ntop(q->family, mnl_attr_get_payload(a), q->gw, sizeof(q->gw));
    if (mnl_attr_get_type(a) == RTA_OIF)
      q->oif = (int)mnl_attr_get_u32(a);
  }
  return MNL_CB_OK;
}

static struct route_query default_route(int family) {
  struct route_query q = {.family = family};
  struct rtmsg rt = {.rtm_family = (unsigned char)family};
  if (dump(RTM_GETROUTE, &rt, sizeof(rt), route_cb, &q) < 0)
    q.n_default = -1;
  return q;
}

static int read_sysctl(const char *path) {
  char full[256], buf[32] = "";
  snprintf(full, sizeof(full), "/proc/sys/%s", path);
  FILE *f = fopen(full, "re");
  if (f == NULL)
    return -1;
  int v = fgets(buf, sizeof(buf), f) ? atoi(buf) : -1;
  fclose(f);
  return v;
}

static int write_sysctl(const char *path, const char *value) {
  char full[256];
  snprintf(full, sizeof(full), "/proc/sys/%s", path);
  int fd = open(full, O_WRONLY | O_CLOEXEC);
  int rc = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -1;
  if (fd >= 0)
    close(fd);
  return rc;
}

/* ---- fixtures ------------------------------------------------------ */

static struct berth_ipnet ip(const char *text, unsigned prefix) {
  struct berth_ipnet n = {.family = strchr(text, ':') ? AF_INET6 : AF_INET,
                          .prefix = prefix};
  assert_int_equal(inet_pton(n.family, text, n.addr), 1);
  return n;
}

static const unsigned char test_mac[6] = {0x02, 0x42, 0x0a, 0xc9, 0x00, 0x02};

/* A spec for the container at netns fd: 10.201.0.2/24, fd00:201::2/64,
 * routes through .1 / ::1. */
static struct berth_veth_spec spec_for(const char *host_if, int fd) {
  struct berth_veth_spec s = {.host_if = host_if, .bridge = "bt0",
                              .netns_fd = fd, .ifname = "eth0", .n_addrs = 2};
  memcpy(s.mac, test_mac, 6);
  s.addrs[0] = ip("10.201.0.2", 24);
  s.addrs[1] = ip("fd00:201::2", 64);
  s.gw4 = ip("10.201.0.1", 32);
  s.gw6 = ip("fd00:201::1", 128);
  return s;
}

static const struct berth_ipnet *bridge_addrs(void) {
  static struct berth_ipnet a[2];
  a[0] = ip("10.201.0.1", 24);
  a[1] = ip("fd00:201::1", 64);
  return a;
}

/* `bt0` with both gateway addresses. */
static int make_bridge(struct berth_nl *nl) {
  berth_error *err = NULL;
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, NULL, &err));
  return 0;
}

static struct berth_nl *open_nl(void) {
  struct berth_nl *nl = NULL;
  berth_error *err = NULL;
  if (berth_nl_open(&nl, &err) < 0)
    berth_error_free(err);
  return nl;
}

/* ---- bridges ------------------------------------------------------- */

static int body_bridge_made_up_with_addresses(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  /* Off first, so that the test sees berth turn them on. */
  CHECK(write_sysctl("net/ipv4/ip_forward", "0") == 0);
  CHECK(read_sysctl("net/ipv6/conf/all/forwarding") == 0);
  bool created = false;
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, &created, &err));
  CHECK(created);
  struct link l = link_of("bt0");
  CHECK(l.found == 1);
  CHECK(strcmp(l.kind, "bridge") == 0);
  CHECK(l.flags & IFF_UP);
  CHECK(addr_count(l.index, "10.201.0.1", 24, NULL) == 1);
  unsigned flags = 0;
  CHECK(addr_count(l.index, "fd00:201::1", 64, &flags) == 1);
  CHECK(flags & IFA_F_NODAD);
  CHECK(!(flags & IFA_F_TENTATIVE));
  CHECK(read_sysctl("net/ipv4/conf/bt0/route_localnet") == 1);
  CHECK(read_sysctl("net/ipv4/ip_forward") == 1);
  CHECK(read_sysctl("net/ipv6/conf/all/forwarding") == 1);
  /* Again: nothing made, nothing doubled, no error. */
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, &created, &err));
  CHECK(!created);
  struct link again = link_of("bt0");
  CHECK(again.index == l.index);
  CHECK(addr_count(l.index, "10.201.0.1", 24, NULL) == 1);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_made_up_with_addresses(void **state) {
  (void)state;
  in_private_netns(body_bridge_made_up_with_addresses);
}

/* Brought down by someone, a second ensure brings it back up. */
static int body_bridge_ensure_repairs(void) {
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  CHECK(make_bridge(nl) == 0);
  CHECK(system("ip link set bt0 down") == 0);
  CHECK(system("ip addr del 10.201.0.1/24 dev bt0") == 0);
  CHECK(!(link_of("bt0").flags & IFF_UP));
  CHECK(make_bridge(nl) == 0);
  struct link l = link_of("bt0");
  CHECK(l.flags & IFF_UP);
  CHECK(addr_count(l.index, "10.201.0.1", 24, NULL) == 1);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_ensure_repairs(void **state) {
  (void)state;
  in_private_netns(body_bridge_ensure_repairs);
}

/* IPv4 only: the host's IPv6 forwarding is left alone. */
static int body_bridge_v4_only(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  CHECK(read_sysctl("net/ipv6/conf/all/forwarding") == 0);
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 1, NULL, &err));
  CHECK(read_sysctl("net/ipv6/conf/all/forwarding") == 0);
  CHECK(addr_count(link_of("bt0").index, "10.201.0.1", 24, NULL) == 1);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_v4_only_leaves_ipv6_forwarding(void **state) {
  (void)state;
  in_private_netns(body_bridge_v4_only);
}

/* With default/disable_ipv6=1 a new link has IPv6 off (the control: bt1,
 * IPv4 only, shows it) and would refuse the gateway's IPv6 address. */
static int body_bridge_ipv6_disabled_by_default(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  CHECK(write_sysctl("net/ipv6/conf/default/disable_ipv6", "1") == 0);
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt1", bridge_addrs(), 1, NULL, &err));
  CHECK(read_sysctl("net/ipv6/conf/bt1/disable_ipv6") == 1);
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, NULL, &err));
  CHECK(read_sysctl("net/ipv6/conf/bt0/disable_ipv6") == 0);
  CHECK(addr_count(link_of("bt0").index, "fd00:201::1", 64, NULL) == 1);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_ipv6_disabled_by_default(void **state) {
  (void)state;
  in_private_netns(body_bridge_ipv6_disabled_by_default);
}

/* One racer: waits on the pipe, ensures, exits 10 (made it), 11 (found
 * it) or 1. */
static void racer(int go) {
  char c;
  struct berth_nl *nl = open_nl();
  berth_error *err = NULL;
  bool created = false;
  if (nl == NULL || read(go, &c, 1) != 1)
    _exit(1);
  int rc = berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, &created, &err);
  berth_nl_close(nl);
  berth_error_free(err);
  _exit(rc < 0 ? 1 : created ? 10 : 11);
}

static int race_round(void) {
  int go[2];
  pid_t pid[2];
  CHECK(pipe(go) == 0);
  for (int i = 0; i < 2; i++)
    if ((pid[i] = fork()) == 0)
      racer(go[0]);
  CHECK(write(go[1], "xx", 2) == 2);
  close(go[0]);
  close(go[1]);
  int made = 0;
  for (int i = 0; i < 2; i++) {
    int st = 0;
    CHECK(waitpid(pid[i], &st, 0) == pid[i]);
    CHECK(WIFEXITED(st) && (WEXITSTATUS(st) == 10 || WEXITSTATUS(st) == 11));
    made += WEXITSTATUS(st) == 10;
  }
  CHECK(made == 1);
  struct link l = link_of("bt0");
  CHECK(l.found == 1 && (l.flags & IFF_UP));
  CHECK(addr_count(l.index, "10.201.0.1", 24, NULL) == 1);
  CHECK(addr_count(l.index, "fd00:201::1", 64, NULL) == 1);
  return 0;
}

/* Two berths ensuring the same bridge at once both succeed; exactly one
 * made it. */
static int body_bridge_race(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  for (int round = 0; round < 20; round++) {
    if (race_round() < 0)
      return -1;
    CHECK_OK(berth_nl_link_delete(nl, "bt0", &err));
  }
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_concurrent_ensure(void **state) {
  (void)state;
  in_private_netns(body_bridge_race);
}

/* The name is taken by a link that is not a bridge: an error naming it,
 * and the link is left alone. */
static int body_bridge_name_taken(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  CHECK(system("ip link add name bt0 type veth peer name bt0p") == 0);
  CHECK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, NULL, &err) < 0);
  CHECK(err->kind == BERTH_ERR_EXISTS);
  CHECK(strstr(err->msg, "`bt0`") && strstr(err->msg, "not a bridge"));
  berth_error_free(err);
  CHECK(strcmp(link_of("bt0").kind, "veth") == 0);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_name_taken_by_other_kind(void **state) {
  (void)state;
  in_private_netns(body_bridge_name_taken);
}

/* A failure after the bridge was made (its sysctls cannot be written
 * under a read-only /proc/sys) removes it again. */
static int body_bridge_failure_removes_it(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  if (unshare(CLONE_NEWNS) < 0)
    return SKIP;
  CHECK(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
  CHECK(mount("/proc/sys", "/proc/sys", "none", MS_BIND, NULL) == 0);
  CHECK(mount("none", "/proc/sys", "none", MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0);
  CHECK(berth_nl_bridge_ensure(nl, "bt0", bridge_addrs(), 2, NULL, &err) < 0);
  CHECK(err->errno_value == EROFS && strstr(err->msg, "bt0/route_localnet"));
  berth_error_free(err);
  CHECK(link_of("bt0").found == 0);
  berth_nl_close(nl);
  return 0;
}

static void test_bridge_failure_removes_it(void **state) {
  (void)state;
  in_private_netns(body_bridge_failure_removes_it);
}

/* Names the kernel would refuse (and that would escape a /proc/sys path)
 * are refused before any request. */
static void test_bad_names_refused(void **state) {
  (void)state;
  struct berth_nl *nl = open_nl();
  assert_non_null(nl);
  const char *bad[] = {"", "a/b", "..", "with space", "sixteen-chars-xx"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    berth_error *err = NULL;
    assert_int_equal(berth_nl_bridge_ensure(nl, bad[i], NULL, 0, NULL, &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
  berth_nl_close(nl);
}

/* Deleting what is not there is no error; exists says 0 and 1. */
static int body_delete_missing_is_fine(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  CHECK_OK(berth_nl_link_delete(nl, "nothere", &err));
  CHECK(berth_nl_link_exists(nl, "nothere", &err) == 0);
  CHECK(berth_nl_link_exists(nl, "lo", &err) == 1);
  berth_nl_close(nl);
  return 0;
}

static void test_delete_missing_is_fine(void **state) {
  (void)state;
  in_private_netns(body_delete_missing_is_fine);
}

/* ---- veth pairs ----------------------------------------------------- */

static ino_t ns_inode(void) {
  struct stat st;
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* Inside the container: eth0 with the MAC, both addresses (IPv6 usable
 * at once), up, lo up, and default routes only when with_routes. */
static int check_inside(int cfd, bool with_routes) {
  int home = here();
  CHECK(home >= 0 && setns(cfd, CLONE_NEWNET) == 0);
  struct link e = link_of("eth0"), lo = link_of("lo");
  struct route_query r4 = default_route(AF_INET), r6 = default_route(AF_INET6);
  unsigned flags6 = 0;
  int n4 = addr_count(e.index, "10.201.0.2", 24, NULL);
  int n6 = addr_count(e.index, "fd00:201::2", 64, &flags6);
  CHECK(setns(home, CLONE_NEWNET) == 0);
  close(home);
  CHECK(e.found == 1 && strcmp(e.kind, "veth") == 0);
  CHECK(memcmp(e.mac, test_mac, 6) == 0);
  CHECK((e.flags & IFF_UP) && (lo.flags & IFF_UP));
  CHECK(n4 == 1 && n6 == 1);
  CHECK(!(flags6 & IFA_F_TENTATIVE));
  if (!with_routes) {
    CHECK(r4.n_default == 0 && r6.n_default == 0);
    return 0;
  }
  CHECK(r4.n_default == 1 && strcmp(r4.gw, "10.201.0.1") == 0 && r4.oif == e.index);
  CHECK(r6.n_default == 1 && strcmp(r6.gw, "fd00:201::1") == 0 && r6.oif == e.index);
  return 0;
}

/* Whether the container at cfd has a link called name. */
static int inside_has(int cfd, const char *name) {
  int home = here();
  if (home < 0 || setns(cfd, CLONE_NEWNET) < 0)
    return -1;
  struct link l = link_of(name);
  if (setns(home, CLONE_NEWNET) < 0)
    return -1;
  close(home);
  return l.found;
}

static int body_attach(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct link br = link_of("bt0");
  ino_t before = ns_inode();
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  CHECK(ns_inode() == before); /* the caller's namespace is as it was */
  struct link h = link_of("vbt0");
  CHECK(h.found == 1 && strcmp(h.kind, "veth") == 0);
  CHECK(h.master == br.index && (h.flags & IFF_UP));
  /* The container's end never shows on the host. */
  CHECK(link_of("eth0").found == 0);
  CHECK(inside_has(cfd, "vbt0") == 0);
  if (check_inside(cfd, true) < 0)
    return -1;
  /* A port joining does not change the gateway's MAC under the
   * containers' ARP caches. */
  CHECK(memcmp(link_of("bt0").mac, br.mac, 6) == 0);
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_attach_configures_both_ends(void **state) {
  (void)state;
  in_private_netns(body_attach);
}

/* An --internal network: no default route, in either family. */
static int body_attach_internal(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  s.gw4.family = 0;
  s.gw6.family = 0;
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  if (check_inside(cfd, false) < 0)
    return -1;
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_attach_internal_has_no_route(void **state) {
  (void)state;
  in_private_netns(body_attach_internal);
}

/* A host end left over from an earlier run (its container's namespace
 * still alive) is replaced: the new container gets the pair, the old
 * namespace loses its end. */
static int body_attach_replaces_leftover(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int old = new_netns(), cfd = new_netns();
  CHECK(old >= 0 && cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", old);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  int old_index = link_of("vbt0").index;
  CHECK(inside_has(old, "eth0") == 1);
  s.netns_fd = cfd;
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  struct link h = link_of("vbt0");
  CHECK(h.found == 1 && h.index != old_index);
  CHECK(inside_has(old, "eth0") == 0);
  if (check_inside(cfd, true) < 0)
    return -1;
  close(old);
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_attach_replaces_leftover(void **state) {
  (void)state;
  in_private_netns(body_attach_replaces_leftover);
}

/* The container already has an eth0 (another pair): an error, nothing
 * new on the host, and the other pair is untouched. */
static int body_attach_ifname_taken(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  s.host_if = "vbt1";
  CHECK(berth_nl_veth_attach(nl, &s, &err) < 0);
  CHECK(err->errno_value == EEXIST && err->kind == BERTH_ERR_EXISTS);
  CHECK(strstr(err->msg, "create veth `vbt1`") && strstr(err->msg, ": File exists"));
  berth_error_free(err);
  CHECK(link_of("vbt1").found == 0);
  CHECK(link_of("vbt0").found == 1);
  if (check_inside(cfd, true) < 0)
    return -1;
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_attach_ifname_taken(void **state) {
  (void)state;
  in_private_netns(body_attach_ifname_taken);
}

/* A failure leaves no host end and no container end: a missing bridge
 * (before anything is made), an unreachable gateway (after the pair was
 * made: 10.201.0.200 is outside 10.201.0.0/25), a MAC that is no unicast
 * address, and an fd that is no network namespace. */
static int body_attach_failures(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  CHECK(berth_nl_veth_attach(nl, &s, &err) < 0);
  CHECK(err->kind == BERTH_ERR_NOT_FOUND && strstr(err->msg, "bridge `bt0`"));
  berth_error_free(err);
  err = NULL;
  CHECK(link_of("vbt0").found == 0 && inside_has(cfd, "eth0") == 0);
  CHECK(make_bridge(nl) == 0);
  s.addrs[0] = ip("10.201.0.2", 25);
  s.gw4 = ip("10.201.0.200", 32);
  CHECK(berth_nl_veth_attach(nl, &s, &err) < 0);
  CHECK(err->errno_value == ENETUNREACH && strstr(err->msg, "10.201.0.200"));
  berth_error_free(err);
  err = NULL;
  CHECK(link_of("vbt0").found == 0 && inside_has(cfd, "eth0") == 0);
  s = spec_for("vbt0", cfd);
  memset(s.mac, 0, 6);
  CHECK(berth_nl_veth_attach(nl, &s, &err) < 0);
  CHECK(err->kind == BERTH_ERR_INVALID && strstr(err->msg, "MAC"));
  berth_error_free(err);
  err = NULL;
  s = spec_for("vbt0", open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK(berth_nl_veth_attach(nl, &s, &err) < 0);
  CHECK(strstr(err->msg, "network namespace") != NULL);
  berth_error_free(err);
  CHECK(link_of("vbt0").found == 0);
  close(s.netns_fd);
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_attach_failure_leaves_nothing(void **state) {
  (void)state;
  in_private_netns(body_attach_failures);
}

/* Deleting the host end takes the container's end with it. */
static int body_link_delete_veth(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  CHECK(berth_nl_link_exists(nl, "vbt0", &err) == 1);
  CHECK(inside_has(cfd, "eth0") == 1);
  CHECK_OK(berth_nl_link_delete(nl, "vbt0", &err));
  CHECK(berth_nl_link_exists(nl, "vbt0", &err) == 0);
  CHECK(inside_has(cfd, "eth0") == 0);
  CHECK(inside_has(cfd, "lo") == 1);
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_link_delete_takes_peer(void **state) {
  (void)state;
  in_private_netns(body_link_delete_veth);
}

static int strv_has(char **v, const char *s) {
  for (; *v; v++)
    if (strcmp(*v, s) == 0)
      return 1;
  return 0;
}

static int body_link_list(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  CHECK_OK(berth_nl_bridge_ensure(nl, "bt-a", NULL, 0, NULL, &err));
  CHECK_OK(berth_nl_bridge_ensure(nl, "xbt-b", NULL, 0, NULL, &err));
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("bt-v", cfd);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  char **names = NULL;
  CHECK_OK(berth_nl_link_list(nl, "bt-", &names, &err));
  CHECK(berth_strv_len(names) == 2);
  CHECK(strv_has(names, "bt-a") && strv_has(names, "bt-v"));
  berth_strv_free(names);
  CHECK_OK(berth_nl_link_list(nl, "zz", &names, &err));
  CHECK(names != NULL && names[0] == NULL);
  berth_strv_free(names);
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_link_list_by_prefix(void **state) {
  (void)state;
  in_private_netns(body_link_list);
}

/* ---- packets across the pair ---------------------------------------- */

static socklen_t sockaddr_of(const char *text, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (strchr(text, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, text, &a->sin6_addr);
    return sizeof(*a);
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, text, &a->sin_addr);
  return sizeof(*a);
}

/* A UDP socket with a 5 s receive timeout, made in namespace fd (-1:
 * here); bound to bind_to when given. */
static int udp_socket(int fd, int family, const char *bind_to) {
  int home = here(), s = -1;
  if (home < 0 || (fd >= 0 && setns(fd, CLONE_NEWNET) < 0))
    return -1;
  s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (setns(home, CLONE_NEWNET) < 0)
    return -1;
  close(home);
  struct timeval tv = {.tv_sec = 5};
  struct sockaddr_storage ss;
  if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
    return -1;
  if (bind_to && bind(s, (struct sockaddr *)&ss, sockaddr_of(bind_to, 40201, &ss)) < 0)
    return -1;
  return s;
}

/* From the container to the bridge's address and back: the sender seen
 * on the host is the container's address. */
static int ping_pong(int cfd, const char *bridge_ip, const char *ctr_ip) {
  int family = strchr(bridge_ip, ':') ? AF_INET6 : AF_INET;
  int hs = udp_socket(-1, family, bridge_ip), cs = udp_socket(cfd, family, NULL);
  CHECK(hs >= 0 && cs >= 0);
  struct sockaddr_storage to, from;
  socklen_t from_len = sizeof(from);
  CHECK(connect(cs, (struct sockaddr *)&to, sockaddr_of(bridge_ip, 40201, &to)) == 0);
  CHECK(send(cs, "ping", 4, 0) == 4);
  char buf[16] = "", who[INET6_ADDRSTRLEN] = "";
  CHECK(recvfrom(hs, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len) == 4);
  CHECK(memcmp(buf, "ping", 4) == 0);
  const void *src = family == AF_INET ? (void *)&((struct sockaddr_in *)&from)->sin_addr
                                      : (void *)&((struct sockaddr_in6 *)&from)->sin6_addr;
  inet_ntop(family, src, who, sizeof(who));
  CHECK(strcmp(who, ctr_ip) == 0);
  CHECK(sendto(hs, "pong", 4, 0, (struct sockaddr *)&from, from_len) == 4);
  CHECK(recv(cs, buf, sizeof(buf), 0) == 4 && memcmp(buf, "pong", 4) == 0);
  close(hs);
  close(cs);
  return 0;
}

static int body_packets(void) {
  berth_error *err = NULL;
  struct berth_nl *nl = open_nl();
  CHECK(nl != NULL && make_bridge(nl) == 0);
  int cfd = new_netns();
  CHECK(cfd >= 0);
  struct berth_veth_spec s = spec_for("vbt0", cfd);
  CHECK_OK(berth_nl_veth_attach(nl, &s, &err));
  if (ping_pong(cfd, "10.201.0.1", "10.201.0.2") < 0 ||
      ping_pong(cfd, "fd00:201::1", "fd00:201::2") < 0)
    return -1;
  close(cfd);
  berth_nl_close(nl);
  return 0;
}

static void test_packets_cross_the_pair(void **state) {
  (void)state;
  in_private_netns(body_packets);
}

/* ---- sysctls -------------------------------------------------------- */

static void test_sysctl_bad_paths(void **state) {
  (void)state;
  const char *bad[] = {"", "/proc/sys/net/ipv4/ip_forward", "../../etc/passwd",
                       "net/../kernel/x", "net//ipv4", "net/ipv4/", "net/./x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    berth_error *err = NULL;
    assert_int_equal(berth_sysctl_ensure(bad[i], "1", &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
}

/* Under a read-only /proc/sys: a value already held is no error (it was
 * only read), and the control: a different one fails with EROFS, so the
 * write is really attempted when needed.  Then writable again: set. */
static int body_sysctl_reads_first(void) {
  berth_error *err = NULL;
  if (unshare(CLONE_NEWNS) < 0)
    return SKIP;
  CHECK(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
  CHECK(write_sysctl("net/ipv4/ip_forward", "0") == 0);
  CHECK(mount("/proc/sys", "/proc/sys", "none", MS_BIND, NULL) == 0);
  CHECK(mount("none", "/proc/sys", "none", MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0);
  CHECK_OK(berth_sysctl_ensure("net/ipv4/ip_forward", "0", &err));
  CHECK(berth_sysctl_ensure("net/ipv4/ip_forward", "1", &err) < 0);
  CHECK(err->errno_value == EROFS && strstr(err->msg, "net/ipv4/ip_forward"));
  berth_error_free(err);
  err = NULL;
  CHECK(umount("/proc/sys") == 0);
  CHECK_OK(berth_sysctl_ensure("net/ipv4/ip_forward", "1", &err));
  CHECK(read_sysctl("net/ipv4/ip_forward") == 1);
  CHECK(berth_sysctl_ensure("net/ipv4/no_such_knob", "1", &err) < 0);
  CHECK(err->errno_value == ENOENT);
  berth_error_free(err);
  return 0;
}

static void test_sysctl_reads_before_writing(void **state) {
  (void)state;
  in_private_netns(body_sysctl_reads_first);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bridge_made_up_with_addresses),
      cmocka_unit_test(test_bridge_ensure_repairs),
      cmocka_unit_test(test_bridge_v4_only_leaves_ipv6_forwarding),
      cmocka_unit_test(test_bridge_ipv6_disabled_by_default),
      cmocka_unit_test(test_bridge_concurrent_ensure),
      cmocka_unit_test(test_bridge_name_taken_by_other_kind),
      cmocka_unit_test(test_bridge_failure_removes_it),
      cmocka_unit_test(test_bad_names_refused),
      cmocka_unit_test(test_delete_missing_is_fine),
      cmocka_unit_test(test_attach_configures_both_ends),
      cmocka_unit_test(test_attach_internal_has_no_route),
      cmocka_unit_test(test_attach_replaces_leftover),
      cmocka_unit_test(test_attach_ifname_taken),
      cmocka_unit_test(test_attach_failure_leaves_nothing),
      cmocka_unit_test(test_link_delete_takes_peer),
      cmocka_unit_test(test_link_list_by_prefix),
      cmocka_unit_test(test_packets_cross_the_pair),
      cmocka_unit_test(test_sysctl_bad_paths),
      cmocka_unit_test(test_sysctl_reads_before_writing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
