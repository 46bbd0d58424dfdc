/* DNS messages (RFC 1035): parsing a query and building the answers the
 * name server gives itself.  Every byte comes from an untrusted peer: each
 * read is bounds-checked, names are decompressed with loop and length
 * bounds.  Pure functions: no system calls, no allocation. */
#ifndef BERTH_NET_DNS_MSG_H
#define BERTH_NET_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BERTH_DNS_HDR 12
#define BERTH_DNS_NAME_MAX 255 /* wire length, root label included */
#define BERTH_DNS_LABEL_MAX 63
#define BERTH_DNS_UDP_MAX 512 /* a reply over UDP without EDNS */

enum {
  BERTH_DNS_T_A = 1,
  BERTH_DNS_T_PTR = 12,
  BERTH_DNS_T_AAAA = 28,
  BERTH_DNS_C_IN = 1,
};
enum {
  BERTH_DNS_NOERROR = 0,
  BERTH_DNS_FORMERR = 1,
  BERTH_DNS_SERVFAIL = 2,
  BERTH_DNS_NXDOMAIN = 3,
  BERTH_DNS_NOTIMP = 4,
  BERTH_DNS_REFUSED = 5,
};

/* One question, as asked. */
struct berth_dns_query {
  uint16_t id;
  uint16_t flags;                    /* the header's flags word as received */
  uint8_t qname[BERTH_DNS_NAME_MAX]; /* wire form, uncompressed, case kept */
  size_t qname_len;
  /* Lower-case dotted form without the root dot ("web", "db.local");
   * plain is false when a label holds a byte other than [a-z0-9_-]
   * (a dot inside a label, control bytes): such a name is never a
   * container's and is only forwarded. */
  char name[BERTH_DNS_NAME_MAX + 1];
  bool plain;
  uint16_t qtype, qclass;
  size_t end; /* offset just past the question */
};

/* Parses a query.  0: q is complete.  -1: drop the packet silently (too
 * short to answer, or a response: answering those invites loops and
 * reflection).  A positive rcode (FORMERR, NOTIMP): answer with
 * berth_dns_build_error; q->id and q->flags are set. */
int berth_dns_parse_query(const uint8_t *msg, size_t len,
                          struct berth_dns_query *q);

/* Reads the (possibly compressed) name at *off into out (wire form, at
 * most BERTH_DNS_NAME_MAX bytes), sets *out_len and moves *off past the
 * name where it is stored.  Pointers must point strictly backwards, which
 * makes loops impossible; the hop count is bounded as well.  -1 on a
 * truncated, looping, over-long name or a reserved label type. */
int berth_dns_read_name(const uint8_t *msg, size_t len, size_t *off,
                        uint8_t *out, size_t *out_len);

/* Skips one resource record (name, fixed part, rdata) at *off. */
int berth_dns_skip_rr(const uint8_t *msg, size_t len, size_t *off);

/* Whether two wire names are equal ignoring ASCII case (RFC 4343). */
bool berth_dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b,
                          size_t blen);

/* Text ("host.example", "c.b.a.in-addr.arpa") to wire form; -1 when a
 * label is empty or too long or the name too long. */
int berth_dns_name_from_text(const char *text, uint8_t *out, size_t cap,
                             size_t *out_len);

/* The address a reverse name stands for: "4.3.2.1.in-addr.arpa" gives
 * AF_INET 1.2.3.4, 32 nibbles under ip6.arpa give AF_INET6.  0 on
 * success; -1 when name (lower-case dotted, as in struct berth_dns_query)
 * is not a complete reverse name of one address. */
int berth_dns_ptr_addr(const char *name, int *family, uint8_t addr[16]);

/* A record of a local answer: A (4 bytes), AAAA (16) or PTR (target's
 * dotted text in ptr). */
struct berth_dns_rr {
  uint16_t type;
  uint8_t addr[16];
  char ptr[BERTH_DNS_NAME_MAX + 1];
};

/* A reply to q: the question echoed as asked, then the records (owner:
 * a pointer to the question's name, class IN, ttl seconds).  rcode
 * NOERROR with n == 0 is NODATA.  Records that do not fit in maxlen are
 * left out and TC set.  Returns the length written to out (cap bytes),
 * or -1 when not even the header and question fit. */
int berth_dns_build_reply(const struct berth_dns_query *q, int rcode,
                          const struct berth_dns_rr *rrs, size_t n,
                          uint32_t ttl, uint8_t *out, size_t cap,
                          size_t maxlen);

/* A bare error reply (header only: FORMERR for what could not be parsed,
 * NOTIMP for another opcode).  Returns the length, or -1 when cap < 12. */
int berth_dns_build_error(const struct berth_dns_query *q, int rcode,
                          uint8_t *out, size_t cap);

/* The header fields a forwarder reads and rewrites. */
static inline uint16_t berth_dns_get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void berth_dns_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

#endif
