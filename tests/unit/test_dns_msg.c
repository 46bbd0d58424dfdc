/* DNS messages: queries parsed (good and hostile), answers built byte for
 * byte, reverse names turned into addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "dns_msg.h"

/* A query header: id 0x1234, RD, the given counts. */
static size_t hdr(uint8_t *m, uint16_t flags, uint16_t qd, uint16_t an,
                  uint16_t ns, uint16_t ar) {
  uint8_t h[12] = {0x12,
                   0x34,
                   (uint8_t)(flags >> 8),
                   (uint8_t)flags,
                   0,
                   (uint8_t)qd,
                   0,
                   (uint8_t)an,
                   0,
                   (uint8_t)ns,
                   0,
                   (uint8_t)ar};
  memcpy(m, h, 12);
  return 12;
}

static size_t put(uint8_t *m, size_t off, const void *b, size_t n) {
  memcpy(m + off, b, n);
  return off + n;
}

/* "\3WeB\0" A IN */
static size_t web_query(uint8_t *m) {
  size_t n = hdr(m, 0x0100, 1, 0, 0, 0);
  return put(m, n, "\3WeB\0\0\1\0\1", 9);
}

static void test_parse_good(void **state) {
  (void)state;
  uint8_t m[512];
  size_t n = web_query(m);
  struct berth_dns_query q;
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  assert_int_equal(q.id, 0x1234);
  assert_int_equal(q.flags, 0x0100);
  assert_string_equal(q.name, "web");
  assert_true(q.plain);
  assert_int_equal(q.qname_len, 5);
  assert_memory_equal(q.qname, "\3WeB\0", 5); /* case kept for the echo */
  assert_int_equal(q.qtype, BERTH_DNS_T_A);
  assert_int_equal(q.qclass, BERTH_DNS_C_IN);
  assert_int_equal(q.end, n);
  /* An EDNS OPT in the additional section is allowed. */
  m[11] = 1;
  n = put(m, n, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  /* Two labels, and bytes that are no container's. */
  n = hdr(m, 0x0100, 1, 0, 0, 0);
  n = put(m, n, "\2db\5Local\0\0\x1c\0\1", 14);
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  assert_string_equal(q.name, "db.local");
  assert_true(q.plain);
  n = hdr(m, 0x0100, 1, 0, 0, 0);
  n = put(m, n, "\3a.b\0\0\1\0\1", 9);
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  assert_false(q.plain);
  n = hdr(m, 0x0100, 1, 0, 0, 0);
  n = put(m, n, "\0\0\1\0\1", 5); /* the root */
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  assert_false(q.plain);
}

static void test_parse_header(void **state) {
  (void)state;
  uint8_t m[512];
  struct berth_dns_query q;
  size_t n = web_query(m);
  assert_int_equal(berth_dns_parse_query(m, 11, &q), -1); /* short */
  assert_int_equal(berth_dns_parse_query(m, 0, &q), -1);
  m[2] |= 0x80; /* a response: never answered */
  assert_int_equal(berth_dns_parse_query(m, n, &q), -1);
  m[2] = 0x10; /* opcode 2 (status) */
  assert_int_equal(berth_dns_parse_query(m, n, &q), BERTH_DNS_NOTIMP);
  assert_int_equal(q.id, 0x1234);
  uint16_t counts[][3] = {{0, 0, 0}, {2, 0, 0}, {1, 1, 0}, {1, 0, 1}};
  for (size_t i = 0; i < 4; i++) {
    web_query(m);
    hdr(m, 0x0100, counts[i][0], counts[i][1], counts[i][2], 0);
    assert_int_equal(berth_dns_parse_query(m, n, &q), BERTH_DNS_FORMERR);
  }
  web_query(m);
  for (size_t cut = 12; cut < n; cut++) /* every truncation */
    assert_int_equal(berth_dns_parse_query(m, cut, &q), BERTH_DNS_FORMERR);
}

static void expect_formerr(const uint8_t *name, size_t len) {
  uint8_t m[1024];
  size_t n = hdr(m, 0x0100, 1, 0, 0, 0);
  n = put(m, n, name, len);
  n = put(m, n, "\0\1\0\1", 4);
  struct berth_dns_query q;
  assert_int_equal(berth_dns_parse_query(m, n, &q), BERTH_DNS_FORMERR);
}

static void test_parse_hostile_names(void **state) {
  (void)state;
  expect_formerr((const uint8_t *)"\xc0\x0c", 2);         /* to itself */
  expect_formerr((const uint8_t *)"\xc0\x0e\xc0\x0c", 4); /* forwards */
  expect_formerr((const uint8_t *)"\1a\xc0\x0c", 4);      /* label loop */
  expect_formerr((const uint8_t *)"\x40", 1);             /* type 01 */
  expect_formerr((const uint8_t *)"\x80", 1);             /* type 10 */
  expect_formerr((const uint8_t *)"\5ab", 3);             /* truncated */
  uint8_t name[300];
  name[0] = 64; /* a 64-byte label is the reserved type 01 */
  memset(name + 1, 'a', 64);
  name[65] = 0;
  expect_formerr(name, 66);
  /* 255 bytes in wire form is the most: 4 x 63 + root = 257 */
  size_t n = 0;
  for (int i = 0; i < 4; i++) {
    name[n++] = 63;
    memset(name + n, 'a', 63);
    n += 63;
  }
  name[n++] = 0;
  expect_formerr(name, n);
  /* 3 x 63 + 61 + root = 255: accepted */
  uint8_t m[600];
  size_t off = hdr(m, 0x0100, 1, 0, 0, 0);
  for (int i = 0; i < 3; i++) {
    m[off++] = 63;
    memset(m + off, 'b', 63);
    off += 63;
  }
  m[off++] = 61;
  memset(m + off, 'c', 61);
  off += 61;
  off = put(m, off, "\0\0\1\0\1", 5);
  struct berth_dns_query q;
  assert_int_equal(berth_dns_parse_query(m, off, &q), 0);
  assert_int_equal(q.qname_len, 255);
  assert_int_equal(strlen(q.name), 253); /* 63 x 3 + 61 + 3 dots */
  /* 62 instead of 61: 256, refused */
  off = hdr(m, 0x0100, 1, 0, 0, 0) + 3 * 64;
  m[off++] = 62;
  memset(m + off, 'c', 62);
  off = put(m, off + 62, "\0\0\1\0\1", 5);
  assert_int_equal(berth_dns_parse_query(m, off, &q), BERTH_DNS_FORMERR);
}

static void test_read_name_pointers(void **state) {
  (void)state;
  /* "a.b" at 12, then "c" + pointer to 12 at 17. */
  uint8_t m[64];
  size_t n = hdr(m, 0, 0, 0, 0, 0);
  n = put(m, n, "\1a\1b\0\1c\xc0\x0c", 9);
  uint8_t out[255];
  size_t len, off = 17;
  assert_int_equal(berth_dns_read_name(m, n, &off, out, &len), 0);
  assert_int_equal(off, 21); /* past the pointer, not where it led */
  assert_int_equal(len, 7);
  assert_memory_equal(out, "\1c\1a\1b\0", 7);
  /* A chain of backward pointers is fine; one back into itself is not. */
  n = hdr(m, 0, 0, 0, 0, 0);
  n = put(m, n, "\1a\0\xc0\x0c\xc0\x0f", 7); /* 15 -> 12, 17 -> 15 */
  off = 17;
  assert_int_equal(berth_dns_read_name(m, n, &off, out, &len), 0);
  assert_memory_equal(out, "\1a\0", 3);
  m[12] = 0xc0;
  m[13] = 0x11; /* 12 -> 17: forward */
  off = 17;
  assert_int_equal(berth_dns_read_name(m, n, &off, out, &len), -1);
  /* A pointer cut in half by the end of the message. */
  n = hdr(m, 0, 0, 0, 0, 0);
  n = put(m, n, "\xc0", 1);
  off = 12;
  assert_int_equal(berth_dns_read_name(m, n, &off, out, &len), -1);
  /* Resource records: bounds of rdata. */
  n = hdr(m, 0, 0, 0, 0, 0);
  n = put(m, n, "\0\0\1\0\1\0\0\0\0\0\4\1\2\3", 14);
  off = 12;
  assert_int_equal(berth_dns_skip_rr(m, n, &off), -1); /* rdata short */
  n = put(m, n, "\4", 1);
  off = 12;
  assert_int_equal(berth_dns_skip_rr(m, n, &off), 0);
  assert_int_equal(off, n);
}

static void test_names(void **state) {
  (void)state;
  uint8_t w[300];
  size_t n;
  assert_int_equal(berth_dns_name_from_text("web.", w, sizeof w, &n), 0);
  assert_int_equal(n, 5);
  assert_memory_equal(w, "\3web\0", 5);
  assert_int_equal(berth_dns_name_from_text("a..b", w, sizeof w, &n), -1);
  char label[70];
  memset(label, 'x', 64);
  label[64] = '\0';
  assert_int_equal(berth_dns_name_from_text(label, w, sizeof w, &n), -1);
  label[63] = '\0';
  assert_int_equal(berth_dns_name_from_text(label, w, sizeof w, &n), 0);
  assert_true(berth_dns_name_equal((const uint8_t *)"\3WeB\0", 5,
                                   (const uint8_t *)"\3web\0", 5));
  assert_false(berth_dns_name_equal((const uint8_t *)"\3wec\0", 5,
                                    (const uint8_t *)"\3web\0", 5));
}

static void test_ptr_addr(void **state) {
  (void)state;
  int fam;
  uint8_t a[16];
  assert_int_equal(berth_dns_ptr_addr("10.53.0.127.in-addr.arpa", &fam, a), 0);
  assert_int_equal(fam, 2);
  assert_memory_equal(a, "\x7f\x00\x35\x0a", 4);
  const char *bad[] = {"1.2.3.in-addr.arpa",
                       "1.2.3.4.5.in-addr.arpa",
                       "256.1.1.1.in-addr.arpa",
                       "1..1.1.in-addr.arpa",
                       "a.1.1.1.in-addr.arpa",
                       ".in-addr.arpa",
                       "1.1.1.1.in-addr.arpa.x",
                       "1.ip6.arpa",
                       "web"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(berth_dns_ptr_addr(bad[i], &fam, a), -1);
  /* fd00::1 */
  const char *v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                   "0.d.f.ip6.arpa";
  assert_int_equal(berth_dns_ptr_addr(v6, &fam, a), 0);
  assert_int_equal(fam, 10);
  uint8_t want[16] = {0xfd, 0};
  want[15] = 1;
  assert_memory_equal(a, want, 16);
  assert_int_equal(berth_dns_ptr_addr("1.0.ip6.arpa", &fam, a), -1);
}

static void test_build_reply_bytes(void **state) {
  (void)state;
  uint8_t m[64], out[600];
  size_t n = web_query(m);
  struct berth_dns_query q;
  assert_int_equal(berth_dns_parse_query(m, n, &q), 0);
  struct berth_dns_rr rr = {.type = BERTH_DNS_T_A, .addr = {10, 1, 2, 3}};
  static const uint8_t want[] = {
      0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, /* QR AA RD RA */
      3,    'W',  'e',  'B',  0, 0, 1, 0, 1,          /* question as asked */
      0xc0, 0x0c, 0,    1,    0, 1, 0, 0, 0, 5, 0, 4, 10, 1, 2, 3};
  int len = berth_dns_build_reply(&q, BERTH_DNS_NOERROR, &rr, 1, 5, out,
                                  sizeof out, BERTH_DNS_UDP_MAX);
  assert_int_equal(len, sizeof want);
  assert_memory_equal(out, want, sizeof want);
  /* NODATA: the question, no answer. */
  len = berth_dns_build_reply(&q, BERTH_DNS_NOERROR, NULL, 0, 5, out,
                              sizeof out, BERTH_DNS_UDP_MAX);
  assert_int_equal(len, 21);
  assert_memory_equal(out, want, 6);
  assert_int_equal(out[7], 0);
  /* NXDOMAIN and REFUSED */
  len = berth_dns_build_reply(&q, BERTH_DNS_NXDOMAIN, NULL, 0, 5, out,
                              sizeof out, BERTH_DNS_UDP_MAX);
  assert_int_equal(out[3], 0x83);
  len = berth_dns_build_reply(&q, BERTH_DNS_REFUSED, NULL, 0, 5, out,
                              sizeof out, BERTH_DNS_UDP_MAX);
  assert_int_equal(out[2], 0x81);
  assert_int_equal(out[3], 0x85);
  /* PTR: the target's name uncompressed. */
  struct berth_dns_rr p = {.type = BERTH_DNS_T_PTR};
  snprintf(p.ptr, sizeof p.ptr, "web");
  len = berth_dns_build_reply(&q, BERTH_DNS_NOERROR, &p, 1, 0, out, sizeof out,
                              BERTH_DNS_UDP_MAX);
  assert_int_equal(len, 21 + 12 + 5);
  assert_memory_equal(out + 21 + 10, "\0\5\3web\0", 7);
  /* More than fits in 512 bytes: TC, and only whole records. */
  struct berth_dns_rr many[40];
  for (int i = 0; i < 40; i++)
    many[i] = (struct berth_dns_rr){.type = BERTH_DNS_T_AAAA};
  len = berth_dns_build_reply(&q, BERTH_DNS_NOERROR, many, 40, 0, out,
                              sizeof out, BERTH_DNS_UDP_MAX);
  assert_true(out[2] & 0x02);
  int an = out[6] << 8 | out[7];
  assert_int_equal(an, (512 - 21) / 28);
  assert_int_equal(len, 21 + an * 28);
  /* Not even the question fits. */
  assert_int_equal(berth_dns_build_reply(&q, 0, NULL, 0, 0, out, 20, 512), -1);
}

static void test_build_error_bytes(void **state) {
  (void)state;
  uint8_t m[64], out[64];
  size_t n = web_query(m);
  hdr(m, 0x0100, 2, 0, 0, 0);
  struct berth_dns_query q;
  assert_int_equal(berth_dns_parse_query(m, n, &q), BERTH_DNS_FORMERR);
  static const uint8_t want[] = {0x12, 0x34, 0x81, 0x81, 0, 0,
                                 0,    0,    0,    0,    0, 0};
  assert_int_equal(
      berth_dns_build_error(&q, BERTH_DNS_FORMERR, out, sizeof out), 12);
  assert_memory_equal(out, want, 12);
  assert_int_equal(berth_dns_build_error(&q, 1, out, 11), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_good),
      cmocka_unit_test(test_parse_header),
      cmocka_unit_test(test_parse_hostile_names),
      cmocka_unit_test(test_read_name_pointers),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_ptr_addr),
      cmocka_unit_test(test_build_reply_bytes),
      cmocka_unit_test(test_build_error_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
