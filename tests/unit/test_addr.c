/* Addresses and prefixes (net/addr.c): parsing, printing, overlap,
 * containment, the n-th address and its inverse, host counts, MACs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "addr.h"

static struct berth_ipnet net(const char *s) {
  struct berth_ipnet n;
  berth_error *err = NULL;
  if (berth_ipnet_parse(s, true, &n, &err) < 0)
    fail_msg("parse %s: %s", s, err->msg);
  return n;
}

static const char *fmt(const struct berth_ipnet *n, bool prefix) {
  static char buf[64];
  berth_ipnet_format(n, prefix, buf, sizeof buf);
  return buf;
}

/* Parsing must fail with an INVALID error naming the text. */
static void refused(const char *s, bool allow_host) {
  struct berth_ipnet n;
  berth_error *err = NULL;
  if (berth_ipnet_parse(s, allow_host, &n, &err) == 0)
    fail_msg("`%s` was accepted", s);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, s));
  berth_error_free(err);
}

static void test_parse_v4(void **state) {
  (void)state;
  struct berth_ipnet n = net("10.203.1.0/24");
  assert_int_equal(n.family, AF_INET);
  assert_int_equal(n.prefix, 24);
  assert_string_equal(fmt(&n, true), "10.203.1.0/24");
  assert_string_equal(fmt(&n, false), "10.203.1.0");
  n = net("0.0.0.0/0");
  assert_int_equal(n.prefix, 0);
  n = net("10.203.1.7/32");
  assert_string_equal(fmt(&n, true), "10.203.1.7/32");
  n = net("10.203.1.7"); /* bare, with allow_host */
  assert_int_equal(n.prefix, 32);
}

static void test_parse_garbage(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "10.1.2",
                       "10.1.2.3.4",
                       "256.1.1.1",
                       "10.1.2.0/33",
                       "10.1.2.0/",
                       "10.1.2.0/-1",
                       "10.1.2.0/024",
                       "010.1.2.0/24",
                       "10.01.2.0/24",
                       "1.2.3.4 /24",
                       "10.1.2.0/24x",
                       "fd00::/129",
                       "fd00::%eth0/64",
                       "fd00:::1/64",
                       "10.1.2.0/2 4",
                       "1.2.3.4/8/8",
                       "a.b.c.d/8",
                       "1111.1.1.1/8"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    refused(bad[i], true);
  struct berth_ipnet n;
  assert_int_equal(berth_ipnet_parse(NULL, true, &n, NULL), -1);
  /* A bare address is a CIDR only with allow_host. */
  refused("10.1.2.3", false);
}

static void test_host_bits(void **state) {
  (void)state;
  struct berth_ipnet n;
  berth_error *err = NULL;
  assert_int_equal(berth_ipnet_parse("10.203.1.5/24", false, &n, &err), -1);
  assert_non_null(strstr(err->msg, "it should be 10.203.1.0/24"));
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_ipnet_parse("fd00::1/64", false, &n, &err), -1);
  assert_non_null(strstr(err->msg, "fd00::/64"));
  berth_error_free(err);
  assert_int_equal(berth_ipnet_parse("10.203.1.5/24", true, &n, NULL), 0);
  assert_int_equal(berth_ipnet_parse("0.0.0.0/0", false, &n, NULL), 0);
  assert_int_equal(berth_ipnet_parse("1.0.0.0/0", false, &n, NULL), -1);
}

static void test_parse_v6(void **state) {
  (void)state;
  struct berth_ipnet n = net("FD00:ABCD::/64"); /* upper-case hex */
  assert_int_equal(n.family, AF_INET6);
  assert_string_equal(fmt(&n, true), "fd00:abcd::/64");
  n = net("::ffff:10.1.2.3"); /* IPv4-mapped stays IPv6 */
  assert_int_equal(n.family, AF_INET6);
  assert_int_equal(n.prefix, 128);
  assert_string_equal(fmt(&n, false), "::ffff:10.1.2.3");
  struct berth_ipnet v4 = net("10.1.2.0/24");
  assert_false(berth_ipnet_contains(&v4, &n));
  assert_false(berth_ipnet_overlap(&v4, &n));
  n = net("::/0");
  assert_int_equal(n.prefix, 0);
}

static void test_ip_parse(void **state) {
  (void)state;
  struct berth_ipnet n;
  berth_error *err = NULL;
  assert_int_equal(berth_ip_parse("10.1.2.3", &n, NULL), 0);
  assert_int_equal(n.prefix, 32);
  assert_int_equal(berth_ip_parse("fd00::2", &n, NULL), 0);
  assert_int_equal(n.prefix, 128);
  assert_int_equal(berth_ip_parse("10.1.2.3/24", &n, &err), -1);
  assert_non_null(strstr(err->msg, "10.1.2.3/24"));
  berth_error_free(err);
  assert_int_equal(berth_ip_parse("01.1.2.3", &n, NULL), -1);
}

static void test_overlap_contains(void **state) {
  (void)state;
  struct berth_ipnet a = net("10.203.0.0/16"), b = net("10.203.1.0/24"),
                     c = net("10.204.0.0/16"), all = net("0.0.0.0/0");
  assert_true(berth_ipnet_overlap(&a, &b));
  assert_true(berth_ipnet_overlap(&b, &a));
  assert_false(berth_ipnet_overlap(&a, &c));
  assert_true(berth_ipnet_overlap(&all, &c));
  struct berth_ipnet h = net("10.203.1.255"), o = net("10.203.2.0");
  assert_true(berth_ipnet_contains(&b, &h));
  assert_false(berth_ipnet_contains(&b, &o));
  assert_true(berth_ipnet_contains(&all, &o));
  struct berth_ipnet s31 = net("10.203.1.0/31"), s32 = net("10.203.1.1/32");
  assert_true(berth_ipnet_overlap(&s31, &s32));
  struct berth_ipnet x = net("fd00:1::/64"), y = net("fd00:1::/48"),
                     z = net("fd00:2::/64");
  assert_true(berth_ipnet_overlap(&x, &y));
  assert_false(berth_ipnet_overlap(&x, &z));
}

static void test_nth_index(void **state) {
  (void)state;
  struct berth_ipnet n = net("10.203.1.0/24"), out;
  assert_int_equal(berth_ipnet_nth(&n, 0, &out), 0);
  assert_string_equal(fmt(&out, true), "10.203.1.0/24");
  assert_int_equal(berth_ipnet_nth(&n, 255, &out), 0);
  assert_string_equal(fmt(&out, false), "10.203.1.255");
  assert_int_equal(berth_ipnet_nth(&n, 256, &out), -1); /* overflow */
  assert_int_equal(berth_ipnet_index(&n, &out), 255);
  /* Carry across bytes. */
  struct berth_ipnet w = net("10.203.0.0/16");
  assert_int_equal(berth_ipnet_nth(&w, 258, &out), 0);
  assert_string_equal(fmt(&out, false), "10.203.1.2");
  assert_int_equal(berth_ipnet_index(&w, &out), 258);
  struct berth_ipnet outside = net("10.204.0.1");
  assert_int_equal(berth_ipnet_index(&w, &outside), -1);
  /* /32 and /0. */
  struct berth_ipnet one = net("10.203.1.9/32");
  assert_int_equal(berth_ipnet_nth(&one, 0, &out), 0);
  assert_string_equal(fmt(&out, false), "10.203.1.9");
  assert_int_equal(berth_ipnet_nth(&one, 1, &out), -1);
  struct berth_ipnet all = net("0.0.0.0/0");
  assert_int_equal(berth_ipnet_nth(&all, 0xffffffffu, &out), 0);
  assert_string_equal(fmt(&out, false), "255.255.255.255");
  assert_int_equal(berth_ipnet_nth(&all, 0x100000000ull, &out), -1);
  /* A parsed CIDR with host bits (allow_host) counts from its network. */
  struct berth_ipnet hb = net("10.203.1.77/24");
  assert_int_equal(berth_ipnet_nth(&hb, 2, &out), 0);
  assert_string_equal(fmt(&out, false), "10.203.1.2");
}

static void test_nth_v6(void **state) {
  (void)state;
  struct berth_ipnet n = net("fd12:3456:789a:1::/64"), out;
  assert_int_equal(berth_ipnet_nth(&n, 1, &out), 0);
  assert_string_equal(fmt(&out, false), "fd12:3456:789a:1::1");
  assert_int_equal(berth_ipnet_nth(&n, UINT64_MAX, &out), 0);
  assert_string_equal(fmt(&out, false), "fd12:3456:789a:1:ffff:ffff:ffff:ffff");
  assert_int_equal(berth_ipnet_index(&n, &out), -1); /* beyond int64 */
  assert_int_equal(berth_ipnet_nth(&n, 0x10001, &out), 0);
  assert_string_equal(fmt(&out, false), "fd12:3456:789a:1::1:1");
  assert_int_equal(berth_ipnet_index(&n, &out), 0x10001);
  struct berth_ipnet h = net("fd00::5/128");
  assert_int_equal(berth_ipnet_nth(&h, 1, &out), -1);
  struct berth_ipnet all = net("::/0");
  assert_int_equal(berth_ipnet_nth(&all, 7, &out), 0);
  assert_string_equal(fmt(&out, false), "::7");
}

static void test_hosts(void **state) {
  (void)state;
  struct berth_ipnet a = net("10.0.0.0/24"), b = net("10.0.0.0/30"),
                     c = net("10.0.0.0/31"), d = net("10.0.0.0/32"),
                     e = net("0.0.0.0/0"), f = net("fd00::/64"),
                     g = net("fd00::/120"), h = net("fd00::/128");
  assert_int_equal(berth_ipnet_hosts(&a), 254);
  assert_int_equal(berth_ipnet_hosts(&b), 2);
  assert_int_equal(berth_ipnet_hosts(&c), 2);
  assert_int_equal(berth_ipnet_hosts(&d), 1);
  assert_true(berth_ipnet_hosts(&e) == 0xfffffffeull);
  assert_true(berth_ipnet_hosts(&f) == 0x100000000ull);
  assert_int_equal(berth_ipnet_hosts(&g), 255);
  assert_int_equal(berth_ipnet_hosts(&h), 1);
}

static void test_mac(void **state) {
  (void)state;
  unsigned char mac[6];
  char buf[18];
  struct berth_ipnet ip = net("172.17.0.2");
  berth_mac_from_ip(&ip, mac);
  berth_mac_format(mac, buf);
  assert_string_equal(buf, "02:42:ac:11:00:02");
  assert_int_equal(berth_mac_parse("02:42:AC:11:00:FF", mac, NULL), 0);
  berth_mac_format(mac, buf);
  assert_string_equal(buf, "02:42:ac:11:00:ff");
  assert_int_equal(berth_mac_parse("02-42-ac-11-00-03", mac, NULL), 0);
  assert_int_equal(mac[5], 3);
  const char *bad[] = {"",
                       "02:42:ac:11:00",
                       "02:42:ac:11:00:0g",
                       "02:42-ac:11:00:03",
                       "02:42:ac:11:00:03:",
                       "0242.ac11.0003",
                       "02:42:ac:11:00:003"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    berth_error *err = NULL;
    if (berth_mac_parse(bad[i], mac, &err) == 0)
      fail_msg("MAC `%s` was accepted", bad[i]);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
  assert_int_equal(berth_mac_parse(NULL, mac, NULL), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_v4),  cmocka_unit_test(test_parse_garbage),
      cmocka_unit_test(test_host_bits), cmocka_unit_test(test_parse_v6),
      cmocka_unit_test(test_ip_parse),  cmocka_unit_test(test_overlap_contains),
      cmocka_unit_test(test_nth_index), cmocka_unit_test(test_nth_v6),
      cmocka_unit_test(test_hosts),     cmocka_unit_test(test_mac),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
