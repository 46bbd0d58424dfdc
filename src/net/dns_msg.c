/* DNS messages: queries parsed, local answers built (RFC 1035, 3596 for
 * AAAA and ip6.arpa, 4343 for case).  The peer is untrusted: every
 * offset is checked against the length before the byte is read. */
#include "dns_msg.h"

#include <string.h>

#define F_QR 0x8000
#define F_OPCODE 0x7800
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_CD 0x0010
/* A name can hold at most 127 labels, so more hops than that is a loop
 * the backward-only rule somehow missed; the bound is belt and braces. */
#define MAX_HOPS 128

/* A pointer must go below every offset this name has been read from:
 * each hop strictly lowers that floor, so no sequence of pointers can
 * come back to a label already read. */
int berth_dns_read_name(const uint8_t *msg, size_t len, size_t *off,
                        uint8_t *out, size_t *out_len) {
  size_t pos = *off, floor = *off, n = 0;
  bool jumped = false;
  for (int hops = 0;;) {
    if (pos >= len)
      return -1;
    uint8_t c = msg[pos];
    if ((c & 0xC0) == 0xC0) {
      if (pos + 1 >= len || ++hops > MAX_HOPS)
        return -1;
      size_t target = (size_t)(c & 0x3F) << 8 | msg[pos + 1];
      if (target >= floor)
        return -1;
      if (!jumped)
        *off = pos + 2;
      jumped = true;
      floor = pos = target;
      continue;
    }
    if (c & 0xC0) /* 0x40 and 0x80: extended and reserved label types */
      return -1;
    /* Room for this label and the root byte, within 255 in all. */
    if (pos + 1 + c > len || n + 1 + c + 1 > BERTH_DNS_NAME_MAX + (c ? 0 : 1))
      return -1;
    memcpy(out + n, msg + pos, 1 + (size_t)c);
    n += 1 + (size_t)c;
    pos += 1 + (size_t)c;
    if (c == 0) {
      if (!jumped)
        *off = pos;
      *out_len = n;
      return 0;
    }
  }
}

int berth_dns_skip_rr(const uint8_t *msg, size_t len, size_t *off) {
  uint8_t name[BERTH_DNS_NAME_MAX];
  size_t nlen;
  if (berth_dns_read_name(msg, len, off, name, &nlen) < 0 || *off + 10 > len)
    return -1;
  size_t rdlen = berth_dns_get16(msg + *off + 8);
  if (*off + 10 + rdlen > len)
    return -1;
  *off += 10 + rdlen;
  return 0;
}

static uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Label length bytes are at most 63, below 'A': folding case never
 * changes them, so a byte-wise comparison also compares the structure. */
bool berth_dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b,
                          size_t blen) {
  if (alen != blen)
    return false;
  for (size_t i = 0; i < alen; i++)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

static bool plain_byte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

/* The dotted lower-case text of a wire name read by read_name. */
static void name_text(struct berth_dns_query *q) {
  size_t i = 0, t = 0;
  q->plain = q->qname_len > 1;
  while (i < q->qname_len && q->qname[i]) {
    uint8_t l = q->qname[i++];
    if (t)
      q->name[t++] = '.';
    for (uint8_t k = 0; k < l; k++, i++) {
      uint8_t c = lower(q->qname[i]);
      if (!plain_byte(c)) {
        q->plain = false;
        c = '?';
      }
      q->name[t++] = (char)c;
    }
  }
  q->name[t] = '\0';
}

int berth_dns_parse_query(const uint8_t *msg, size_t len,
                          struct berth_dns_query *q) {
  memset(q, 0, sizeof *q);
  if (len < BERTH_DNS_HDR)
    return -1;
  q->id = berth_dns_get16(msg);
  q->flags = berth_dns_get16(msg + 2);
  if (q->flags & F_QR)
    return -1;
  if (q->flags & F_OPCODE)
    return BERTH_DNS_NOTIMP;
  /* One question and no answers or authority: what every stub resolver
   * sends.  Additional records (an EDNS OPT) are allowed and ignored. */
  if (berth_dns_get16(msg + 4) != 1 || berth_dns_get16(msg + 6) != 0 ||
      berth_dns_get16(msg + 8) != 0)
    return BERTH_DNS_FORMERR;
  size_t off = BERTH_DNS_HDR;
  if (berth_dns_read_name(msg, len, &off, q->qname, &q->qname_len) < 0 ||
      off + 4 > len)
    return BERTH_DNS_FORMERR;
  q->qtype = berth_dns_get16(msg + off);
  q->qclass = berth_dns_get16(msg + off + 2);
  q->end = off + 4;
  name_text(q);
  return 0;
}

int berth_dns_name_from_text(const char *text, uint8_t *out, size_t cap,
                             size_t *out_len) {
  size_t n = 0, tl = strlen(text);
  if (tl && text[tl - 1] == '.')
    tl--;
  for (size_t i = 0; i < tl;) {
    size_t j = i;
    while (j < tl && text[j] != '.')
      j++;
    size_t l = j - i;
    if (l == 0 || l > BERTH_DNS_LABEL_MAX || n + 1 + l + 1 > cap ||
        n + 1 + l + 1 > BERTH_DNS_NAME_MAX)
      return -1;
    out[n++] = (uint8_t)l;
    memcpy(out + n, text + i, l);
    n += l;
    i = j + 1;
  }
  if (n + 1 > cap)
    return -1;
  out[n++] = 0;
  *out_len = n;
  return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
  size_t sl = strlen(suffix);
  return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* "d.c.b.a": four decimal labels, each 0-255 without a sign. */
static int ptr4(const char *s, size_t len, uint8_t addr[16]) {
  size_t i = 0;
  for (int k = 3; k >= 0; k--) {
    unsigned v = 0, digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
      v = v * 10 + (unsigned)(s[i] - '0');
    if (digits == 0 || digits > 3 || v > 255)
      return -1;
    addr[k] = (uint8_t)v;
    if (k > 0 && (i >= len || s[i++] != '.'))
      return -1;
  }
  return i == len ? 0 : -1;
}

/* 32 single-nibble labels, least significant first. */
static int ptr6(const char *s, size_t len, uint8_t addr[16]) {
  if (len != 63)
    return -1;
  memset(addr, 0, 16);
  for (int k = 0; k < 32; k++) {
    int v = hexval(s[2 * k]);
    if (v < 0 || (k < 31 && s[2 * k + 1] != '.'))
      return -1;
    int nib = 31 - k;
    addr[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
  }
  return 0;
}

int berth_dns_ptr_addr(const char *name, int *family, uint8_t addr[16]) {
  size_t len = strlen(name);
  if (ends_with(name, len, ".in-addr.arpa")) {
    *family = 2; /* AF_INET, without pulling in the socket headers */
    return ptr4(name, len - strlen(".in-addr.arpa"), addr);
  }
  if (ends_with(name, len, ".ip6.arpa")) {
    *family = 10; /* AF_INET6 */
    return ptr6(name, len - strlen(".ip6.arpa"), addr);
  }
  return -1;
}

static void put_header(uint8_t *out, const struct berth_dns_query *q, int rcode,
                       uint16_t qd, bool aa) {
  uint16_t f = F_QR | (q->flags & (F_OPCODE | F_RD | F_CD)) | F_RA |
               (uint16_t)(rcode & 0xF);
  if (aa)
    f |= F_AA;
  berth_dns_put16(out, q->id);
  berth_dns_put16(out + 2, f);
  berth_dns_put16(out + 4, qd);
  memset(out + 6, 0, 6);
}

int berth_dns_build_error(const struct berth_dns_query *q, int rcode,
                          uint8_t *out, size_t cap) {
  if (cap < BERTH_DNS_HDR)
    return -1;
  put_header(out, q, rcode, 0, false);
  return BERTH_DNS_HDR;
}

/* One record after the question: owner is a pointer to offset 12.  0 and
 * *pos moved, or -1 when it does not fit in limit (nothing written). */
static int put_rr(const struct berth_dns_rr *rr, uint32_t ttl, uint8_t *out,
                  size_t *pos, size_t limit) {
  uint8_t rdata[BERTH_DNS_NAME_MAX];
  size_t rdlen;
  if (rr->type == BERTH_DNS_T_A)
    memcpy(rdata, rr->addr, rdlen = 4);
  else if (rr->type == BERTH_DNS_T_AAAA)
    memcpy(rdata, rr->addr, rdlen = 16);
  else if (berth_dns_name_from_text(rr->ptr, rdata, sizeof rdata, &rdlen) < 0)
    return -1;
  size_t p = *pos;
  if (p + 12 + rdlen > limit)
    return -1;
  berth_dns_put16(out + p, 0xC000 | BERTH_DNS_HDR);
  berth_dns_put16(out + p + 2, rr->type);
  berth_dns_put16(out + p + 4, BERTH_DNS_C_IN);
  berth_dns_put16(out + p + 6, (uint16_t)(ttl >> 16));
  berth_dns_put16(out + p + 8, (uint16_t)ttl);
  berth_dns_put16(out + p + 10, (uint16_t)rdlen);
  memcpy(out + p + 12, rdata, rdlen);
  *pos = p + 12 + rdlen;
  return 0;
}

int berth_dns_build_reply(const struct berth_dns_query *q, int rcode,
                          const struct berth_dns_rr *rrs, size_t n,
                          uint32_t ttl, uint8_t *out, size_t cap,
                          size_t maxlen) {
  size_t limit = maxlen < cap ? maxlen : cap;
  size_t pos = BERTH_DNS_HDR + q->qname_len + 4;
  if (pos > limit)
    return -1;
  /* Names and NXDOMAIN are ours to say: authoritative. */
  put_header(out, q, rcode, 1,
             rcode == BERTH_DNS_NOERROR || rcode == BERTH_DNS_NXDOMAIN);
  memcpy(out + BERTH_DNS_HDR, q->qname, q->qname_len);
  berth_dns_put16(out + BERTH_DNS_HDR + q->qname_len, q->qtype);
  berth_dns_put16(out + BERTH_DNS_HDR + q->qname_len + 2, q->qclass);
  uint16_t an = 0;
  for (size_t i = 0; i < n; i++, an++)
    if (put_rr(&rrs[i], ttl, out, &pos, limit) < 0) {
      out[2] |= F_TC >> 8;
      break;
    }
  berth_dns_put16(out + 6, an);
  return (int)pos;
}
