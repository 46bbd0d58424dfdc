/* The name server loop: local answers from the lookup callback, the rest
 * forwarded to the host's resolvers.  Bounded everywhere: a fixed table
 * of forwarded queries, of TCP clients, one message buffer. */
#include "dns_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_FWD 128 /* forwarded queries in flight */
#define MAX_TCP 16  /* TCP clients at once */
#define TCP_IDLE_MS 10000
#define MSG_MAX 65535
#define TICK_MS 1000
/* A local answer must not be cached: the container behind a name can be
 * replaced at any moment, and a later container must resolve at once. */
#define LOCAL_TTL 0

struct origin {
  int udp_fd;       /* the listener to answer from, or -1 */
  int tcp;          /* the TCP client's slot, or -1 */
  unsigned tcp_gen; /* that slot's generation: the client still there */
  struct sockaddr_storage src;
  socklen_t srclen;
};

struct fwd {
  int fd; /* connected to the upstream; -1: slot free */
  struct origin from;
  struct berth_dns_query q;
  uint16_t new_id;
  size_t up; /* which upstream is being asked */
  int64_t deadline, give_up;
  /* The query with new_id after a 2-byte length (TCP's framing; UDP
   * sends from msg + 2), kept for the next upstream. */
  uint8_t *msg;
  size_t len;
  /* A client that asked over TCP may take an answer too big for UDP: its
   * query goes upstream over TCP too. */
  bool tcp, connecting;
  uint8_t *rbuf; /* TCP: the reply read so far */
  size_t have;
};

struct tconn {
  int fd; /* -1: slot free */
  unsigned gen;
  int64_t idle;
  size_t have;
  uint8_t buf[2 + MSG_MAX];
};

struct server {
  const struct berth_dns_server_config *cfg;
  int udp[BERTH_DNS_MAX_LISTEN], tcp[BERTH_DNS_MAX_LISTEN];
  struct sockaddr_storage up[BERTH_DNS_MAX_UPSTREAMS];
  size_t nup;
  struct timespec conf_mtime;
  ino_t conf_ino;
  struct fwd fwd[MAX_FWD];
  struct tconn *tc; /* MAX_TCP slots */
  uint8_t out[2 + MSG_MAX];
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static socklen_t sa_len(const struct sockaddr_storage *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                  : sizeof(struct sockaddr_in);
}

static bool sa_same_ip(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return false;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* ---- upstreams ---- */

static int parse_nameserver(const char *text, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(53);
    return 0;
  }
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  snprintf(buf, sizeof buf, "%s", text);
  char *zone = strchr(buf, '%');
  if (zone)
    *zone++ = '\0';
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) != 1)
    return -1;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(53);
  if (zone && !(v6->sin6_scope_id = if_nametoindex(zone)))
    return -1;
  return 0;
}

int berth_dns_resolv_conf_read(const char *path, struct sockaddr_storage *out,
                               size_t max, size_t *n, berth_error **err) {
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (!f)
    return berth_error_sys(err, "open `%s`", path);
  char line[512];
  *n = 0;
  while (fgets(line, sizeof line, f) && *n < max) {
    char word[16], addr[128];
    if (sscanf(line, " %15s %127s", word, addr) == 2 &&
        strcmp(word, "nameserver") == 0 &&
        parse_nameserver(addr, &out[*n]) == 0)
      (*n)++;
  }
  if (*n == 0 && max > 0)
    parse_nameserver("127.0.0.1", &out[(*n)++]);
  return 0;
}

/* Re-reads the upstreams when the file changed (DHCP, a VPN); a server
 * never forwards to its own listeners, which would loop. */
static void upstreams_refresh(struct server *s) {
  struct stat st;
  if (stat(s->cfg->resolv_conf, &st) < 0 ||
      (st.st_ino == s->conf_ino && st.st_mtim.tv_sec == s->conf_mtime.tv_sec &&
       st.st_mtim.tv_nsec == s->conf_mtime.tv_nsec))
    return;
  struct sockaddr_storage all[BERTH_DNS_MAX_UPSTREAMS];
  size_t n;
  berth_error *err = NULL;
  if (berth_dns_resolv_conf_read(s->cfg->resolv_conf, all, ARRAY_SIZE(all), &n,
                                 &err) < 0) {
    berth_error_free(err);
    return;
  }
  s->conf_ino = st.st_ino;
  s->conf_mtime = st.st_mtim;
  s->nup = 0;
  for (size_t i = 0; i < n; i++) {
    bool self = false;
    for (size_t l = 0; l < s->cfg->nlisten; l++)
      self |= sa_same_ip(&all[i], &s->cfg->listen[l]);
    if (!self)
      s->up[s->nup++] = all[i];
  }
}

/* ---- listeners ---- */

static int bind_one(const struct sockaddr_storage *a, int type,
                    berth_error **err) {
  int fd = socket(a->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  int one = 1;
  if (type == SOCK_STREAM)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a->ss_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    /* A new IPv6 address stays tentative during duplicate address
     * detection and cannot be bound until it ends: bind it anyway. */
    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof one);
  }
  char txt[INET6_ADDRSTRLEN] = "?";
  const void *ip =
      a->ss_family == AF_INET
          ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
          : (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;
  inet_ntop(a->ss_family, ip, txt, sizeof txt);
  if (bind(fd, (const struct sockaddr *)a, sa_len(a)) < 0 ||
      (type == SOCK_STREAM && listen(fd, MAX_TCP) < 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return berth_error_sys(err, "bind the name server to %s (%s)", txt,
                           type == SOCK_STREAM ? "tcp" : "udp");
  }
  return fd;
}

static int bind_all(struct server *s, berth_error **err) {
  for (size_t i = 0; i < s->cfg->nlisten; i++) {
    if ((s->udp[i] = bind_one(&s->cfg->listen[i], SOCK_DGRAM, err)) < 0 ||
        (s->tcp[i] = bind_one(&s->cfg->listen[i], SOCK_STREAM, err)) < 0)
      return -1;
  }
  return 0;
}

/* ---- replies ---- */

static void tcp_close(struct server *s, int i) {
  close(s->tc[i].fd);
  s->tc[i].fd = -1;
  s->tc[i].gen++;
}

/* Sends a reply in out[2..2+len) to where the query came from. */
static void deliver(struct server *s, const struct origin *o, size_t len) {
  if (o->udp_fd >= 0) {
    sendto(o->udp_fd, s->out + 2, len, MSG_DONTWAIT | MSG_NOSIGNAL,
           (const struct sockaddr *)&o->src, o->srclen);
    return;
  }
  struct tconn *t = &s->tc[o->tcp];
  if (t->fd < 0 || t->gen != o->tcp_gen)
    return; /* the client left */
  berth_dns_put16(s->out, (uint16_t)len);
  /* A client that does not read its answers gets no more: a full socket
   * buffer must not stall everyone else. */
  ssize_t w = send(t->fd, s->out, len + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (w != (ssize_t)(len + 2))
    tcp_close(s, o->tcp);
}

static void reply_rcode(struct server *s, const struct origin *o,
                        const struct berth_dns_query *q, int rcode) {
  int len = berth_dns_build_reply(q, rcode, NULL, 0, LOCAL_TTL, s->out + 2,
                                  MSG_MAX, MSG_MAX);
  if (len > 0)
    deliver(s, o, (size_t)len);
}

/* ---- forwarding ---- */

static void fwd_free(struct fwd *f) {
  if (f->fd >= 0)
    close(f->fd);
  f->fd = -1;
  free(f->msg);
  f->msg = NULL;
  free(f->rbuf);
  f->rbuf = NULL;
}

/* A new socket to upstream u for f: UDP connected and the query sent, or
 * TCP connecting (sent once connected).  false: try the next one. */
static bool fwd_open(struct fwd *f, const struct sockaddr_storage *u) {
  if (f->fd >= 0)
    close(f->fd);
  f->have = 0;
  f->connecting = false;
  int type = f->tcp ? SOCK_STREAM : SOCK_DGRAM;
  f->fd = socket(u->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (f->fd < 0)
    return false;
  if (connect(f->fd, (const struct sockaddr *)u, sa_len(u)) < 0) {
    if (!f->tcp || errno != EINPROGRESS)
      return false;
    f->connecting = true;
    return true;
  }
  size_t n = f->tcp ? f->len + 2 : f->len;
  return send(f->fd, f->tcp ? f->msg : f->msg + 2, n, MSG_NOSIGNAL) ==
         (ssize_t)n;
}

/* Asks upstream f->up, or the next ones when it cannot be reached; past
 * the last one or the time budget, SERVFAIL. */
static void fwd_send(struct server *s, struct fwd *f) {
  int64_t now = now_ms();
  for (; f->up < s->nup && now < f->give_up; f->up++) {
    /* A connected socket with its own random port per query: the kernel
     * drops datagrams from anyone but this upstream, and a spoofer must
     * guess port and id together. */
    if (!fwd_open(f, &s->up[f->up]))
      continue;
    int64_t per = BERTH_DNS_FORWARD_MS / (int64_t)s->nup;
    f->deadline = now + per < f->give_up ? now + per : f->give_up;
    return;
  }
  reply_rcode(s, &f->from, &f->q, BERTH_DNS_SERVFAIL);
  fwd_free(f);
}

static void fwd_start(struct server *s, const uint8_t *msg, size_t len,
                      const struct berth_dns_query *q, const struct origin *o) {
  struct fwd *f = NULL;
  for (size_t i = 0; i < MAX_FWD && !f; i++)
    if (s->fwd[i].fd < 0 && !s->fwd[i].msg)
      f = &s->fwd[i];
  if (f && s->nup > 0)
    f->msg = malloc(len + 2);
  if (!f || !f->msg) { /* table full or no upstream: say so at once */
    reply_rcode(s, o, q, BERTH_DNS_SERVFAIL);
    return;
  }
  /* A fresh random id upstream: the client's id is its own business and
   * a predictable one would help a spoofer. */
  if (getrandom(&f->new_id, sizeof f->new_id, 0) != sizeof f->new_id)
    f->new_id = (uint16_t)(now_ms() ^ (uintptr_t)f);
  berth_dns_put16(f->msg, (uint16_t)len);
  memcpy(f->msg + 2, msg, len);
  berth_dns_put16(f->msg + 2, f->new_id);
  f->len = len;
  f->tcp = o->tcp >= 0;
  f->from = *o;
  f->q = *q;
  f->up = 0;
  f->give_up = now_ms() + BERTH_DNS_FORWARD_MS;
  fwd_send(s, f);
}

/* Whether an upstream's datagram answers f: its id, a response, and the
 * same question (a stray or forged answer is ignored, not relayed). */
static bool fwd_matches(const struct fwd *f, const uint8_t *m, size_t n) {
  if (n < BERTH_DNS_HDR || berth_dns_get16(m) != f->new_id || !(m[2] & 0x80) ||
      berth_dns_get16(m + 4) != 1)
    return false;
  uint8_t name[BERTH_DNS_NAME_MAX];
  size_t nlen, off = BERTH_DNS_HDR;
  return berth_dns_read_name(m, n, &off, name, &nlen) == 0 && off + 4 <= n &&
         berth_dns_name_equal(name, nlen, f->q.qname, f->q.qname_len) &&
         berth_dns_get16(m + off) == f->q.qtype &&
         berth_dns_get16(m + off + 2) == f->q.qclass;
}

static void fwd_next(struct server *s, struct fwd *f) {
  f->up++;
  fwd_send(s, f);
}

/* An upstream's answer m (n bytes) to f: relayed with the client's id,
 * or the next upstream asked when this one failed. */
static void fwd_answer(struct server *s, struct fwd *f, const uint8_t *m,
                       size_t n) {
  if (!fwd_matches(f, m, n)) {
    if (f->tcp) /* a stream that does not answer the query is useless */
      fwd_next(s, f);
    return;
  }
  memmove(s->out + 2, m, n);
  int rcode = s->out[3] & 0xF;
  if ((rcode == BERTH_DNS_SERVFAIL || rcode == BERTH_DNS_REFUSED) &&
      f->up + 1 < s->nup) {
    f->up++;
    fwd_send(s, f);
    return;
  }
  berth_dns_put16(s->out + 2, f->q.id);
  deliver(s, &f->from, n);
  fwd_free(f);
}

static void fwd_udp_readable(struct server *s, struct fwd *f) {
  ssize_t n = recv(f->fd, s->out + 2, MSG_MAX, MSG_DONTWAIT);
  if (n >= 0)
    fwd_answer(s, f, s->out + 2, (size_t)n);
  else if (errno == ECONNREFUSED) /* nothing listens there: next one */
    fwd_next(s, f);
}

static void fwd_tcp_readable(struct server *s, struct fwd *f) {
  if (!f->rbuf && !(f->rbuf = malloc(2 + MSG_MAX))) {
    fwd_next(s, f);
    return;
  }
  ssize_t n =
      recv(f->fd, f->rbuf + f->have, 2 + MSG_MAX - f->have, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) { /* refused, reset or closed before the whole answer */
    fwd_next(s, f);
    return;
  }
  f->have += (size_t)n;
  if (f->have >= 2 && f->have >= 2 + (size_t)berth_dns_get16(f->rbuf))
    fwd_answer(s, f, f->rbuf + 2, berth_dns_get16(f->rbuf));
}

static void fwd_event(struct server *s, struct fwd *f) {
  if (f->connecting) {
    int e = 0;
    socklen_t l = sizeof e;
    f->connecting = false;
    if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0 ||
        send(f->fd, f->msg, f->len + 2, MSG_NOSIGNAL) != (ssize_t)(f->len + 2))
      fwd_next(s, f);
    return;
  }
  if (f->tcp)
    fwd_tcp_readable(s, f);
  else
    fwd_udp_readable(s, f);
}

/* ---- queries ---- */

static void handle_query(struct server *s, const uint8_t *msg, size_t len,
                         const struct origin *o, size_t maxlen) {
  struct berth_dns_query q;
  int rc = berth_dns_parse_query(msg, len, &q);
  if (rc < 0)
    return;
  if (rc > 0) {
    int l = berth_dns_build_error(&q, rc, s->out + 2, MSG_MAX);
    if (l > 0)
      deliver(s, o, (size_t)l);
    return;
  }
  struct berth_dns_rr rrs[BERTH_DNS_MAX_ANSWERS];
  size_t n = 0;
  switch (s->cfg->lookup(s->cfg->ctx, (const struct sockaddr *)&o->src, &q, rrs,
                         ARRAY_SIZE(rrs), &n)) {
  case BERTH_DNS_LOCAL: {
    int l = berth_dns_build_reply(&q, BERTH_DNS_NOERROR, rrs, n, LOCAL_TTL,
                                  s->out + 2, MSG_MAX, maxlen);
    if (l > 0)
      deliver(s, o, (size_t)l);
    return;
  }
  case BERTH_DNS_NXLOCAL:
    reply_rcode(s, o, &q, BERTH_DNS_NXDOMAIN);
    return;
  case BERTH_DNS_DENY:
    reply_rcode(s, o, &q, BERTH_DNS_REFUSED);
    return;
  case BERTH_DNS_FAIL:
    reply_rcode(s, o, &q, BERTH_DNS_SERVFAIL);
    return;
  case BERTH_DNS_FORWARD:
    fwd_start(s, msg, len, &q, o);
    return;
  }
}

static void udp_readable(struct server *s, int fd) {
  uint8_t in[MSG_MAX];
  struct origin o = {.udp_fd = fd, .tcp = -1, .srclen = sizeof o.src};
  ssize_t n = recvfrom(fd, in, sizeof in, MSG_DONTWAIT,
                       (struct sockaddr *)&o.src, &o.srclen);
  if (n > 0)
    handle_query(s, in, (size_t)n, &o, BERTH_DNS_UDP_MAX);
}

static void tcp_accept(struct server *s, int lfd) {
  struct sockaddr_storage src;
  socklen_t sl = sizeof src;
  int fd =
      accept4(lfd, (struct sockaddr *)&src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return;
  for (int i = 0; i < MAX_TCP; i++)
    if (s->tc[i].fd < 0) {
      s->tc[i].fd = fd;
      s->tc[i].have = 0;
      s->tc[i].idle = now_ms() + TCP_IDLE_MS;
      return;
    }
  close(fd); /* full: bounded, the client retries */
}

/* Reads what arrived and answers each complete length-prefixed query. */
static void tcp_readable(struct server *s, int i) {
  struct tconn *t = &s->tc[i];
  ssize_t n =
      recv(t->fd, t->buf + t->have, sizeof t->buf - t->have, MSG_DONTWAIT);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
      tcp_close(s, i);
    return;
  }
  t->have += (size_t)n;
  t->idle = now_ms() + TCP_IDLE_MS;
  struct origin o = {
      .udp_fd = -1, .tcp = i, .tcp_gen = t->gen, .srclen = sizeof o.src};
  if (getpeername(t->fd, (struct sockaddr *)&o.src, &o.srclen) < 0) {
    tcp_close(s, i);
    return;
  }
  while (t->fd >= 0 && t->gen == o.tcp_gen && t->have >= 2) {
    size_t len = berth_dns_get16(t->buf);
    if (len == 0) {
      tcp_close(s, i);
      return;
    }
    if (t->have < 2 + len)
      return;
    uint8_t msg[MSG_MAX];
    memcpy(msg, t->buf + 2, len);
    memmove(t->buf, t->buf + 2 + len, t->have - 2 - len);
    t->have -= 2 + len;
    handle_query(s, msg, len, &o, MSG_MAX);
  }
}

/* ---- the loop ---- */

enum { P_STOP, P_UDP, P_TCP, P_CONN, P_FWD };
struct pref {
  int kind;
  int idx;
};

static size_t poll_set(struct server *s, struct pollfd *p, struct pref *r,
                       int64_t *next) {
  size_t n = 0;
#define ADD_EV(fd_, ev, k, i)                                                  \
  (p[n] = (struct pollfd){.fd = (fd_), .events = (ev)},                        \
   r[n++] = (struct pref){(k), (int)(i)})
#define ADD(fd_, k, i) ADD_EV(fd_, POLLIN, k, i)
  if (s->cfg->stop_fd >= 0)
    ADD(s->cfg->stop_fd, P_STOP, 0);
  for (size_t i = 0; i < s->cfg->nlisten; i++) {
    ADD(s->udp[i], P_UDP, i);
    ADD(s->tcp[i], P_TCP, i);
  }
  for (int i = 0; i < MAX_TCP; i++)
    if (s->tc[i].fd >= 0) {
      ADD(s->tc[i].fd, P_CONN, i);
      *next = s->tc[i].idle < *next ? s->tc[i].idle : *next;
    }
  for (int i = 0; i < MAX_FWD; i++)
    if (s->fwd[i].fd >= 0) {
      ADD_EV(s->fwd[i].fd, s->fwd[i].connecting ? POLLOUT : POLLIN, P_FWD, i);
      *next = s->fwd[i].deadline < *next ? s->fwd[i].deadline : *next;
    }
#undef ADD
#undef ADD_EV
  return n;
}

static void expire(struct server *s, int64_t now) {
  for (int i = 0; i < MAX_TCP; i++)
    if (s->tc[i].fd >= 0 && now >= s->tc[i].idle)
      tcp_close(s, i);
  for (int i = 0; i < MAX_FWD; i++)
    if (s->fwd[i].fd >= 0 && now >= s->fwd[i].deadline) {
      fwd_next(s, &s->fwd[i]);
    }
}

/* One turn: false when the server should stop. */
static bool serve_once(struct server *s, int64_t *tick) {
  struct pollfd p[1 + 2 * BERTH_DNS_MAX_LISTEN + MAX_TCP + MAX_FWD];
  struct pref r[ARRAY_SIZE(p)];
  int64_t next = *tick;
  size_t n = poll_set(s, p, r, &next);
  int64_t wait = next - now_ms();
  if (poll(p, n, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (!p[i].revents)
      continue;
    switch (r[i].kind) {
    case P_STOP:
      return false;
    case P_UDP:
      udp_readable(s, p[i].fd);
      break;
    case P_TCP:
      tcp_accept(s, p[i].fd);
      break;
    case P_CONN:
      if (s->tc[r[i].idx].fd == p[i].fd)
        tcp_readable(s, r[i].idx);
      break;
    case P_FWD:
      if (s->fwd[r[i].idx].fd == p[i].fd)
        fwd_event(s, &s->fwd[r[i].idx]);
      break;
    }
  }
  int64_t now = now_ms();
  expire(s, now);
  if (now >= *tick) {
    *tick = now + TICK_MS;
    upstreams_refresh(s);
    if (s->cfg->keep_running && !s->cfg->keep_running(s->cfg->ctx))
      return false;
  }
  return true;
}

static void server_close(struct server *s) {
  for (size_t i = 0; i < BERTH_DNS_MAX_LISTEN; i++) {
    if (s->udp[i] >= 0)
      close(s->udp[i]);
    if (s->tcp[i] >= 0)
      close(s->tcp[i]);
  }
  for (int i = 0; s->tc && i < MAX_TCP; i++)
    if (s->tc[i].fd >= 0)
      close(s->tc[i].fd);
  for (int i = 0; i < MAX_FWD; i++)
    fwd_free(&s->fwd[i]);
  free(s->tc);
  free(s);
}

int berth_dns_server_run(const struct berth_dns_server_config *cfg,
                         berth_error **err) {
  if (cfg->nlisten == 0 || cfg->nlisten > BERTH_DNS_MAX_LISTEN)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "name server: 1 to %d listen addresses",
                           BERTH_DNS_MAX_LISTEN);
  struct server *s = calloc(1, sizeof *s);
  if (!s || !(s->tc = calloc(MAX_TCP, sizeof *s->tc))) {
    free(s);
    return berth_error_sys(err, "allocate the name server");
  }
  s->cfg = cfg;
  for (size_t i = 0; i < BERTH_DNS_MAX_LISTEN; i++)
    s->udp[i] = s->tcp[i] = -1;
  for (int i = 0; i < MAX_TCP; i++)
    s->tc[i].fd = -1;
  for (int i = 0; i < MAX_FWD; i++)
    s->fwd[i].fd = -1;
  if (bind_all(s, err) < 0) {
    server_close(s);
    return -1;
  }
  upstreams_refresh(s);
  if (cfg->ready)
    cfg->ready(cfg->ctx);
  int64_t tick = now_ms() + TICK_MS;
  while (serve_once(s, &tick))
    ;
  server_close(s);
  return 0;
}
