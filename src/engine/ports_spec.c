/* Port specifications: "80/tcp" keys, ranges, -p and --expose values,
 * and the PORTS column of ps. */
#include "ports_spec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"

static bool proto_ok(const char *p) {
  return strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0 ||
         strcmp(p, "sctp") == 0;
}

/* Digits only (no sign, no spaces: strtoul would take them), 0-65535. */
static int number(const char *s, size_t len, unsigned *out) {
  if (len == 0 || len > 5)
    return -1;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 65535)
    return -1;
  *out = v;
  return 0;
}

int berth_port_range_parse(const char *s, unsigned *lo, unsigned *hi) {
  const char *dash = strchr(s, '-');
  if (!dash)
    return number(s, strlen(s), lo) < 0 ? -1 : (*hi = *lo, 0);
  if (number(s, (size_t)(dash - s), lo) < 0 ||
      number(dash + 1, strlen(dash + 1), hi) < 0 || *hi < *lo)
    return -1;
  return 0;
}

int berth_port_key_parse(const char *key, unsigned *port, char proto[8]) {
  const char *slash = strchr(key, '/');
  size_t plen = slash ? (size_t)(slash - key) : strlen(key);
  const char *p = slash ? slash + 1 : "tcp";
  if (strlen(p) >= 8 || number(key, plen, port) < 0 || *port == 0)
    return -1;
  for (size_t i = 0; i <= strlen(p); i++)
    proto[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
  return proto_ok(proto) ? 0 : -1;
}

bool berth_ip_family(const char *s, int *family) {
  unsigned char buf[16];
  int f = inet_pton(AF_INET, s, buf) == 1    ? AF_INET
          : inet_pton(AF_INET6, s, buf) == 1 ? AF_INET6
                                             : 0;
  if (family)
    *family = f;
  return f != 0;
}

/* The parts of a -p value: the last two colons separate the container
 * port and the host port, whatever is before is the IP (IPv6 has
 * colons: Docker's rule). */
struct publish_parts {
  char ip[64], host[32], ctr[32], proto[16];
};

static int split_publish(const char *spec, struct publish_parts *p,
                         berth_error **err) {
  memset(p, 0, sizeof *p);
  const char *last = strrchr(spec, ':');
  const char *ctr = last ? last + 1 : spec;
  const char *slash = strchr(ctr, '/');
  size_t clen = slash ? (size_t)(slash - ctr) : strlen(ctr);
  snprintf(p->proto, sizeof p->proto, "%s", slash && slash[1] ? slash + 1 : "tcp");
  if (clen == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "no port specified: %s<empty>", spec);
  if (clen >= sizeof p->ctr)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid containerPort: %.*s", (int)clen, ctr);
  memcpy(p->ctr, ctr, clen);
  if (!last)
    return 0;
  const char *prev = last;
  while (prev > spec && prev[-1] != ':')
    prev--;
  size_t hlen = (size_t)(last - prev);
  if (hlen >= sizeof p->host)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid hostPort: %.*s", (int)hlen, prev);
  memcpy(p->host, prev, hlen);
  if (prev == spec)
    return 0;
  size_t ilen = (size_t)(prev - 1 - spec);
  if (ilen >= sizeof p->ip)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IP address: %.*s", (int)ilen, spec);
  memcpy(p->ip, spec, ilen);
  return 0;
}

/* "[::1]" -> "::1"; the IP must parse. */
static int publish_ip(char *ip, berth_error **err) {
  size_t n = strlen(ip);
  if (n && ip[0] == '[') {
    if (n < 3 || ip[n - 1] != ']')
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid IP address: %s", ip);
    memmove(ip, ip + 1, n - 2);
    ip[n - 2] = '\0';
  }
  if (*ip && !berth_ip_family(ip, NULL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IP address: %s", ip);
  return 0;
}

static void add_binding(json_t *exposed, json_t *bindings, unsigned port,
                        const char *proto, const char *ip,
                        const char *host_port) {
  char key[32];
  snprintf(key, sizeof key, "%u/%s", port, proto);
  json_object_set_new(exposed, key, json_object());
  json_t *list = json_object_get(bindings, key);
  if (!json_is_array(list)) {
    list = json_array();
    json_object_set_new(bindings, key, list);
  }
  json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip,
                                        "HostPort", host_port));
}

int berth_publish_parse(const char *spec, json_t *exposed, json_t *bindings,
                        berth_error **err) {
  struct publish_parts p;
  unsigned lo, hi, hlo = 0, hhi = 0;
  if (split_publish(spec, &p, err) < 0)
    return -1;
  for (char *c = p.proto; *c; c++)
    *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
  if (!proto_ok(p.proto))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid proto: %s",
                           p.proto);
  if (publish_ip(p.ip, err) < 0)
    return -1;
  if (berth_port_range_parse(p.ctr, &lo, &hi) < 0 || lo == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid containerPort: %s", p.ctr);
  if (*p.host && berth_port_range_parse(p.host, &hlo, &hhi) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid hostPort: %s",
                           p.host);
  /* A host range longer than one container port is where that port is
   * published (its first free port); otherwise the lengths must agree. */
  if (*p.host && hhi - hlo != hi - lo && hi != lo)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid ranges specified for container and host "
                           "Ports: %s and %s",
                           p.ctr, p.host);
  for (unsigned i = 0; i <= hi - lo; i++) {
    char hp[16] = "";
    if (*p.host && lo == hi && hlo != hhi)
      snprintf(hp, sizeof hp, "%u-%u", hlo, hhi);
    else if (*p.host)
      snprintf(hp, sizeof hp, "%u", hlo + i);
    add_binding(exposed, bindings, lo + i, p.proto, p.ip, hp);
  }
  return 0;
}

int berth_expose_parse(const char *spec, json_t *exposed, berth_error **err) {
  char port[32], proto[16];
  const char *slash = strchr(spec, '/');
  size_t plen = slash ? (size_t)(slash - spec) : strlen(spec);
  unsigned lo, hi;
  snprintf(proto, sizeof proto, "%s", slash && slash[1] ? slash + 1 : "tcp");
  for (char *c = proto; *c; c++)
    *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
  if (strchr(spec, ':'))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid port format for --expose: %s", spec);
  if (plen >= sizeof port || !proto_ok(proto))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid range format for --expose: %s", spec);
  snprintf(port, sizeof port, "%.*s", (int)plen, spec);
  if (berth_port_range_parse(port, &lo, &hi) < 0 || lo == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid range format for --expose: %s", spec);
  for (unsigned p = lo; p <= hi; p++) {
    char key[32];
    snprintf(key, sizeof key, "%u/%s", p, proto);
    json_object_set_new(exposed, key, json_object());
  }
  return 0;
}

/* ---- the PORTS column: Docker's DisplayablePorts ---- */

struct port_row {
  char ip[64], type[8];
  unsigned pub, priv;
};

static int port_row_cmp(const void *a, const void *b) {
  const struct port_row *x = a, *y = b;
  if (x->priv != y->priv)
    return x->priv < y->priv ? -1 : 1;
  int c = strcmp(x->ip, y->ip);
  if (c)
    return c;
  if (x->pub != y->pub)
    return x->pub < y->pub ? -1 : 1;
  return strcmp(x->type, y->type);
}

/* NetworkSettings.Ports as the API's Port list (one entry per binding,
 * one without IP per exposed-only port), sorted as Docker's. */
static struct port_row *port_rows(json_t *doc, size_t *n) {
  size_t cap = 0;
  const char *key;
  json_t *v, *b;
  json_object_foreach(doc, key, v) cap += json_array_size(v) + 1;
  struct port_row *r = calloc(cap ? cap : 1, sizeof *r);
  *n = 0;
  if (!r)
    return NULL;
  json_object_foreach(doc, key, v) {
    struct port_row base = {0};
    const char *slash = strchr(key, '/');
    base.priv = (unsigned)atoi(key);
    snprintf(base.type, sizeof base.type, "%s", slash ? slash + 1 : "tcp");
    size_t i;
    if (!json_array_size(v))
      r[(*n)++] = base;
    json_array_foreach(v, i, b) {
      r[*n] = base;
      snprintf(r[*n].ip, sizeof r[*n].ip, "%s",
               json_string_value(json_object_get(b, "HostIp")) ?: "");
      r[(*n)++].pub = (unsigned)atoi(
          json_string_value(json_object_get(b, "HostPort")) ?: "0");
    }
  }
  qsort(r, *n, sizeof *r, port_row_cmp);
  return r;
}

struct port_group {
  char key[80]; /* "tcp" or "0.0.0.0/tcp" */
  unsigned first, last;
};

static void form_group(FILE *f, const struct port_group *g, bool *sep) {
  char range[16];
  const char *slash = strrchr(g->key, '/');
  snprintf(range, sizeof range, g->first == g->last ? "%u" : "%u-%u",
           g->first, g->last);
  fputs(*sep ? ", " : "", f);
  *sep = true;
  if (slash)
    fprintf(f, "%.*s:%s->%s/%s", (int)(slash - g->key), g->key, range, range,
            slash + 1);
  else
    fprintf(f, "%s/%s", range, g->key);
}

char *berth_ports_text(json_t *doc) {
  size_t n, ng = 0;
  _cleanup_free_ struct port_row *r = port_rows(doc, &n);
  _cleanup_free_ struct port_group *g = calloc(n ? n : 1, sizeof *g);
  char *buf = NULL, *maps = NULL;
  size_t len, mlen;
  bool sep = false, msep = false;
  FILE *f = open_memstream(&buf, &len), *m = open_memstream(&maps, &mlen);
  for (size_t i = 0; r && g && f && m && i < n; i++) {
    char key[80];
    if (*r[i].ip && r[i].pub != r[i].priv) {
      fprintf(m, "%s%s:%u->%u/%s", msep ? ", " : "", r[i].ip, r[i].pub,
              r[i].priv, r[i].type);
      msep = true;
      continue;
    }
    snprintf(key, sizeof key, *r[i].ip ? "%s/%s" : "%s%s", r[i].ip, r[i].type);
    size_t k = 0;
    while (k < ng && strcmp(g[k].key, key) != 0)
      k++;
    if (k == ng) {
      snprintf(g[ng].key, sizeof g[ng].key, "%s", key);
      g[ng].first = g[ng].last = r[i].priv;
      ng++;
    } else if (r[i].priv == g[k].last + 1) {
      g[k].last = r[i].priv;
    } else {
      form_group(f, &g[k], &sep);
      g[k].first = g[k].last = r[i].priv;
    }
  }
  for (size_t k = 0; f && k < ng; k++)
    form_group(f, &g[k], &sep);
  if (m)
    fclose(m);
  if (f && maps && *maps)
    fprintf(f, "%s%s", sep ? ", " : "", maps);
  free(maps);
  if (f)
    fclose(f);
  return buf;
}
