/* Fuzzes the name server's parser of untrusted packets: queries, names
 * with compression pointers anywhere, reverse names, and the answers
 * built from what was parsed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"

static void check_reply(const struct berth_dns_query *q) {
  struct berth_dns_rr rrs[3] = {{.type = BERTH_DNS_T_A},
                                {.type = BERTH_DNS_T_AAAA},
                                {.type = BERTH_DNS_T_PTR}};
  memcpy(rrs[2].ptr, q->name, sizeof rrs[2].ptr);
  uint8_t out[1024];
  int len = berth_dns_build_reply(q, BERTH_DNS_NOERROR, rrs, 3, 0, out,
                                  sizeof out, BERTH_DNS_UDP_MAX);
  if (len > BERTH_DNS_UDP_MAX || len < -1)
    abort();
  /* What we built must read back: the question's name from offset 12. */
  if (len > 0) {
    uint8_t name[BERTH_DNS_NAME_MAX];
    size_t off = BERTH_DNS_HDR, nlen;
    if (berth_dns_read_name(out, (size_t)len, &off, name, &nlen) < 0 ||
        !berth_dns_name_equal(name, nlen, q->qname, q->qname_len))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct berth_dns_query q;
  int rc = berth_dns_parse_query(data, size, &q);
  if (rc == 0) {
    if (q.qname_len > BERTH_DNS_NAME_MAX || strlen(q.name) >= sizeof q.name)
      abort();
    check_reply(&q);
    int fam;
    uint8_t addr[16];
    berth_dns_ptr_addr(q.name, &fam, addr);
    if (q.plain) { /* the text form names the same wire name */
      uint8_t w[BERTH_DNS_NAME_MAX];
      size_t wl;
      if (berth_dns_name_from_text(q.name, w, sizeof w, &wl) < 0 ||
          !berth_dns_name_equal(w, wl, q.qname, q.qname_len))
        abort();
    }
  } else if (rc > 0) {
    uint8_t out[16];
    if (berth_dns_build_error(&q, rc, out, sizeof out) != BERTH_DNS_HDR)
      abort();
  }
  /* Names and records read from every offset, as a forwarder reads a
   * reply's question and a hostile peer may point anywhere. */
  for (size_t off0 = 0; off0 < size && off0 < 64; off0++) {
    uint8_t name[BERTH_DNS_NAME_MAX];
    size_t off = off0, nlen;
    if (berth_dns_read_name(data, size, &off, name, &nlen) == 0 &&
        (nlen > BERTH_DNS_NAME_MAX || off > size))
      abort();
    off = off0;
    if (berth_dns_skip_rr(data, size, &off) == 0 && off > size)
      abort();
  }
  return 0;
}
