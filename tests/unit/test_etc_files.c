/* A container's /etc/hosts and /etc/resolv.conf from their inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "etc_files.h"

static const char defaults[] =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

static const char host_resolv[] =
    "# written by the host\n"
    "nameserver 127.0.0.53\n"
    "nameserver 10.0.0.2\n"
    "nameserver ::1\n"
    "nameserver 2001:db8::53\n"
    "search corp.example lab.example\n"
    "options edns0 trust-ad\n"
    "sortlist 10.0.0.0/255.0.0.0\n";

static json_t *list(const char *json) { return json_loads(json, 0, NULL); }

static char *hosts(const struct berth_etc_input *in) {
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_etc_hosts(in, &out, &err), 0);
  return out;
}

static char *resolv(const struct berth_etc_input *in) {
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_etc_resolv(in, &out, &err), 0);
  return out;
}

static void expect(char *got, const char *want) {
  if (strcmp(got, want) != 0)
    fail_msg("got:\n%s\nwant:\n%s", got, want);
  free(got);
}

static void test_hosts_none(void **state) {
  (void)state;
  json_t *extra = list("[\"db:10.1.2.3\", \"v6:2001:db8::1\"]");
  struct berth_etc_input in = {.hostname = "web",
                               .domainname = "example.org",
                               .net = BERTH_ETC_NONE,
                               .extra_hosts = extra};
  char want[1024];
  /* No address: its own name on 127.0.1.1, the FQDN first. */
  snprintf(want, sizeof want,
           "%s10.1.2.3\tdb\n2001:db8::1\tv6\n127.0.1.1\tweb.example.org web\n",
           defaults);
  expect(hosts(&in), want);
  json_decref(extra);
}

static void test_hosts_endpoints(void **state) {
  (void)state;
  const char *addrs[] = {"172.30.0.2", "fd00:30::2", "172.31.0.5"};
  json_t *extra = list("[\"gw:host-gateway\"]");
  struct berth_etc_input in = {.hostname = "app",
                               .net = BERTH_ETC_USER,
                               .addrs = addrs,
                               .n_addrs = 3,
                               .gateway = "172.30.0.1",
                               .extra_hosts = extra};
  char want[1024];
  snprintf(want, sizeof want,
           "%s172.30.0.1\tgw\n172.30.0.2\tapp\nfd00:30::2\tapp\n"
           "172.31.0.5\tapp\n",
           defaults);
  expect(hosts(&in), want);
  /* host-gateway without a gateway: refused, not an empty address. */
  in.gateway = NULL;
  char *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_etc_hosts(&in, &out, &err), -1);
  assert_non_null(strstr(err->msg, "host-gateway"));
  berth_error_free(err);
  json_decref(extra);
}

static void test_hosts_host_network(void **state) {
  (void)state;
  json_t *extra = list("[\"x:1.2.3.4\", \"h:host-gateway\"]");
  struct berth_etc_input in = {.hostname = "vm",
                               .net = BERTH_ETC_HOST,
                               .host_hosts = "127.0.0.1 localhost\n10.0.0.9 vm",
                               .extra_hosts = extra};
  expect(hosts(&in), "127.0.0.1 localhost\n10.0.0.9 vm\n1.2.3.4\tx\n"
                     "127.0.0.1\th\n");
  json_decref(extra);
}

static void test_resolv_bridge(void **state) {
  (void)state;
  struct berth_etc_input in = {.net = BERTH_ETC_BRIDGE,
                               .host_resolv = host_resolv};
  /* Loopback nameservers go (unreachable from the container), IPv6 ones
   * too without IPv6; search, options and other lines stay. */
  expect(resolv(&in), "nameserver 10.0.0.2\n"
                      "search corp.example lab.example\n"
                      "options edns0 trust-ad\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
  in.ipv6 = true;
  expect(resolv(&in), "nameserver 10.0.0.2\nnameserver 2001:db8::53\n"
                      "search corp.example lab.example\n"
                      "options edns0 trust-ad\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
  /* Nothing left: Docker's fallback. */
  in.ipv6 = false;
  in.host_resolv = "nameserver 127.0.0.53\noptions edns0\n";
  expect(resolv(&in), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
                      "options edns0\n");
  in.net = BERTH_ETC_NONE;
  in.host_resolv = "";
  expect(resolv(&in), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

static void test_resolv_user_network(void **state) {
  (void)state;
  struct berth_etc_input in = {.net = BERTH_ETC_USER,
                               .gateway = "172.30.0.1",
                               .host_resolv = host_resolv};
  expect(resolv(&in), "nameserver 172.30.0.1\n"
                      "search corp.example lab.example\n"
                      "options edns0 trust-ad\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
}

static void test_resolv_overrides(void **state) {
  (void)state;
  json_t *dns = list("[\"9.9.9.9\", \"2001:db8::9\"]");
  json_t *search = list("[\"a.example\", \"b.example\"]");
  json_t *opts = list("[\"ndots:3\"]");
  json_t *dot = list("[\".\"]");
  struct berth_etc_input in = {.net = BERTH_ETC_USER,
                               .gateway = "172.30.0.1",
                               .dns = dns,
                               .dns_search = search,
                               .dns_options = opts,
                               .host_resolv = host_resolv};
  expect(resolv(&in), "nameserver 9.9.9.9\nnameserver 2001:db8::9\n"
                      "search a.example b.example\noptions ndots:3\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
  /* --dns-search . : no search line; the host's nameservers (bridge). */
  in.net = BERTH_ETC_BRIDGE;
  in.dns = NULL;
  in.dns_search = dot;
  in.dns_options = NULL;
  expect(resolv(&in), "nameserver 10.0.0.2\noptions edns0 trust-ad\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
  /* The host's network: its nameservers, loopback ones included. */
  in.net = BERTH_ETC_HOST;
  in.dns_search = search;
  expect(resolv(&in), "nameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                      "nameserver ::1\nnameserver 2001:db8::53\n"
                      "search a.example b.example\noptions edns0 trust-ad\n"
                      "sortlist 10.0.0.0/255.0.0.0\n");
  /* Without overrides: the host's file as it is. */
  in.dns_search = NULL;
  expect(resolv(&in), host_resolv);
  json_decref(dns);
  json_decref(search);
  json_decref(opts);
  json_decref(dot);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hosts_none),
      cmocka_unit_test(test_hosts_endpoints),
      cmocka_unit_test(test_hosts_host_network),
      cmocka_unit_test(test_resolv_bridge),
      cmocka_unit_test(test_resolv_user_network),
      cmocka_unit_test(test_resolv_overrides),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
