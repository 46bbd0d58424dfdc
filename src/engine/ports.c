/* Published ports of a running container: host ports reserved by bound
 * sockets, recorded in port_maps, made real by the firewall's NAT (no
 * proxy process); and NetworkSettings.Ports as Docker shows it. */
#include "ports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "nft.h"
#include "ports_bind.h"
#include "ports_spec.h"

/* One mapping: a row of port_maps, an element of the firewall's set. */
struct mapping {
  char proto[8];
  char host_ip[64]; /* "": every address */
  unsigned host_port, ctr_port;
  char ctr_ip[64], ctr_ip6[64]; /* ctr_ip6 "": no IPv6 mapping */
};

struct mappings {
  struct mapping *v;
  size_t n;
};

static void mappings_clear(struct mappings *m) {
  free(m->v);
  m->v = NULL;
  m->n = 0;
}

static struct mapping *mapping_new(struct mappings *m, berth_error **err) {
  struct mapping *v = realloc(m->v, (m->n + 1) * sizeof *v);
  if (!v) {
    berth_error_sys(err, "allocate");
    return NULL;
  }
  m->v = v;
  memset(&v[m->n], 0, sizeof *v);
  return &v[m->n++];
}

static void to_nft(const struct mappings *m, struct berth_nft_port *p) {
  for (size_t i = 0; i < m->n; i++)
    p[i] = (struct berth_nft_port){
        .proto = m->v[i].proto,
        .host_ip = m->v[i].host_ip,
        .host_port = m->v[i].host_port,
        .ctr_ip = m->v[i].ctr_ip,
        .ctr_ip6 = *m->v[i].ctr_ip6 ? m->v[i].ctr_ip6 : NULL,
        .ctr_port = m->v[i].ctr_port};
}

/* Adds (add) or removes the mappings in the firewall. */
static int nft_apply(const struct mappings *m, bool add, berth_error **err) {
  if (m->n == 0)
    return 0;
  berth_error *local = NULL;
  if (!err)
    err = &local; /* best effort: the caller does not want the error */
  struct berth_nft *nft;
  struct berth_nft_port *p = calloc(m->n, sizeof *p);
  if (!p)
    return berth_error_sys(err, "allocate");
  to_nft(m, p);
  int rc = berth_nft_open(&nft, err);
  if (rc == 0) {
    rc = add ? berth_nft_ports_add(nft, p, m->n, err)
             : berth_nft_ports_remove(nft, p, m->n, err);
    berth_nft_close(nft);
  }
  free(p);
  berth_error_free(local);
  return rc;
}

static bool mode_publishes(const struct berth_ctr *c) {
  const char *m = json_string_value(json_object_get(
      json_object_get(c->config, "HostConfig"), "NetworkMode"));
  return !m || (strcmp(m, "none") != 0 && strcmp(m, "host") != 0 &&
                strncmp(m, "container:", 10) != 0);
}

/* ---- publish: what the container asks for, bound ---- */

struct fdlist {
  int *v;
  size_t n;
};

static void fdlist_close(struct fdlist *f) {
  for (size_t i = 0; i < f->n; i++)
    close(f->v[i]);
  free(f->v);
  f->v = NULL;
  f->n = 0;
}

/* One binding of key: the socket(s) and the mapping. */
static int publish_one(const struct berth_endpoint *ep, const char *key,
                       const char *host_ip, const char *host_port,
                       struct mappings *m, struct fdlist *fds,
                       berth_error **err) {
  struct berth_port_bind b = {.host_ip = host_ip};
  unsigned ctr_port, host;
  char proto[8];
  int family = 0;
  if (berth_port_key_parse(key, &ctr_port, proto) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid exposed port `%s`", key);
  if (*host_port && berth_port_range_parse(host_port, &b.lo, &b.hi) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid hostPort: %s", host_port);
  if (*host_ip && !berth_ip_family(host_ip, &family))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IP address: %s", host_ip);
  /* The firewall maps IPv6 to IPv6 only (NAT, not a proxy). */
  if (family == AF_INET6 && !ep->ip6)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot publish %s on [%s]: the container has no "
                           "IPv6 address",
                           key, host_ip);
  b.proto = proto;
  b.v6 = ep->ip6 != NULL;
  int *grown = realloc(fds->v, (fds->n + 2) * sizeof *grown);
  if (!grown)
    return berth_error_sys(err, "allocate");
  fds->v = grown;
  size_t got;
  if (berth_port_reserve(&b, &host, fds->v + fds->n, &got, err) < 0)
    return -1;
  fds->n += got;
  struct mapping *mp = mapping_new(m, err);
  if (!mp)
    return -1;
  snprintf(mp->proto, sizeof mp->proto, "%s", proto);
  snprintf(mp->host_ip, sizeof mp->host_ip, "%s", host_ip);
  mp->host_port = host;
  mp->ctr_port = ctr_port;
  snprintf(mp->ctr_ip, sizeof mp->ctr_ip, "%s", ep->ip ? ep->ip : "");
  if (ep->ip6 && (family == AF_INET6 || !*host_ip))
    snprintf(mp->ctr_ip6, sizeof mp->ctr_ip6, "%s", ep->ip6);
  return 0;
}

static const char *str_or(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

/* Every binding of PortBindings, then (-P) every exposed port that has
 * none on a port the kernel chooses. */
static int publish_all(const struct berth_ctr *c,
                       const struct berth_endpoint *ep, struct mappings *m,
                       struct fdlist *fds, berth_error **err) {
  json_t *hc = json_object_get(c->config, "HostConfig");
  json_t *pb = json_object_get(hc, "PortBindings");
  const char *key;
  json_t *list, *b;
  size_t i;
  json_object_foreach(pb, key, list) {
    json_array_foreach(list, i, b) {
      if (publish_one(ep, key, str_or(b, "HostIp"), str_or(b, "HostPort"), m,
                      fds, err) < 0)
        return -1;
    }
  }
  if (!json_is_true(json_object_get(hc, "PublishAllPorts")))
    return 0;
  json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, list) {
    unsigned port;
    char proto[8], k[32];
    if (berth_port_key_parse(key, &port, proto) < 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid exposed port `%s` (the image's "
                             "ExposedPorts?)",
                             key);
    snprintf(k, sizeof k, "%u/%s", port, proto);
    if (json_array_size(json_object_get(pb, k)) == 0 &&
        publish_one(ep, k, "", "", m, fds, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- port_maps rows ---- */

static int row_insert(struct berth_engine *e, const char *id,
                      const struct mapping *mp, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "INSERT INTO port_maps (container_id, proto, host_ip, "
                       "host_port, ctr_ip, ctr_ip6, ctr_port) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, mp->proto, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, mp->host_ip, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, (int)mp->host_port);
  sqlite3_bind_text(st, 5, mp->ctr_ip, -1, SQLITE_STATIC);
  if (*mp->ctr_ip6)
    sqlite3_bind_text(st, 6, mp->ctr_ip6, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, (int)mp->ctr_port);
  return berth_db_step_done(e->db, st, err);
}

static int rows_collect(sqlite3_stmt *st, struct mappings *m,
                        berth_error **err) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct mapping *mp = mapping_new(m, err);
    if (!mp)
      return -1;
    const char *ip6 = (const char *)sqlite3_column_text(st, 4);
    snprintf(mp->proto, sizeof mp->proto, "%s", sqlite3_column_text(st, 0));
    snprintf(mp->host_ip, sizeof mp->host_ip, "%s",
             sqlite3_column_text(st, 1));
    mp->host_port = (unsigned)sqlite3_column_int(st, 2);
    snprintf(mp->ctr_ip, sizeof mp->ctr_ip, "%s", sqlite3_column_text(st, 3));
    snprintf(mp->ctr_ip6, sizeof mp->ctr_ip6, "%s", ip6 ? ip6 : "");
    mp->ctr_port = (unsigned)sqlite3_column_int(st, 5);
  }
  return rc == SQLITE_DONE ? 0 : berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                                                 "read port_maps: %s",
                                                 sqlite3_errstr(rc));
}

#define ROW_COLUMNS "proto, host_ip, host_port, ctr_ip, ctr_ip6, ctr_port"

static int rows_of(struct berth_engine *e, const char *id, struct mappings *m,
                   berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT " ROW_COLUMNS " FROM port_maps WHERE "
                       "container_id = ? ORDER BY ctr_port, proto, host_ip",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  return rows_collect(st, m, err);
}

/* Rows that overlap mp (same proto and port; the same address or either
 * on every address) are stale: this process holds the port now, so
 * their owner (a container that died without unpublishing) does not.
 * They go, and their mappings into *stale for the firewall. */
static int rows_reclaim(struct berth_engine *e, const struct mapping *mp,
                        struct mappings *stale, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "DELETE FROM port_maps WHERE proto = ?1 AND "
                       "host_port = ?2 AND (host_ip = ?3 OR host_ip = '' OR "
                       "?3 = '') RETURNING " ROW_COLUMNS,
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, mp->proto, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, (int)mp->host_port);
  sqlite3_bind_text(st, 3, mp->host_ip, -1, SQLITE_STATIC);
  return rows_collect(st, stale, err);
}

static int rows_delete(struct berth_engine *e, const char *id,
                       berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "DELETE FROM port_maps WHERE container_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  return berth_db_step_done(e->db, st, err);
}

/* Rows and firewall in one go: the database's transaction is committed
 * only once the firewall has the mappings. */
static int record(struct berth_engine *e, const char *id,
                  const struct mappings *m, berth_error **err) {
  struct mappings stale = {0};
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < m->n; i++)
    rc = rows_reclaim(e, &m->v[i], &stale, err);
  for (size_t i = 0; rc == 0 && i < m->n; i++)
    rc = row_insert(e, id, &m->v[i], err);
  /* Stale mappings may point at an address leased again since: they
   * must not stay, but their removal failing does not stop this one. */
  if (rc == 0)
    nft_apply(&stale, false, NULL);
  if (rc == 0)
    rc = nft_apply(m, true, err);
  mappings_clear(&stale);
  if (rc < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  if (berth_db_commit(e->db, err) < 0) {
    nft_apply(m, false, NULL);
    return -1;
  }
  return 0;
}

int berth_ports_publish(struct berth_engine *e, const struct berth_ctr *c,
                        const struct berth_endpoint *ep, int **fds,
                        size_t *n_fds, berth_error **err) {
  struct fdlist held = {0};
  struct mappings m = {0};
  *fds = NULL;
  *n_fds = 0;
  if (!ep || !mode_publishes(c))
    return 0;
  if (publish_all(c, ep, &m, &held, err) < 0 ||
      record(e, c->id, &m, err) < 0) {
    fdlist_close(&held);
    mappings_clear(&m);
    return -1;
  }
  mappings_clear(&m);
  *fds = held.v;
  *n_fds = held.n;
  return 0;
}

int berth_ports_unpublish(struct berth_engine *e, const char *container_id,
                          berth_error **err) {
  struct mappings m = {0};
  if (rows_of(e, container_id, &m, err) < 0)
    return -1;
  /* The rows go even when the firewall refuses: `system check` compares
   * the firewall's mappings with the rows and removes the extra ones. */
  int rc = nft_apply(&m, false, err);
  mappings_clear(&m);
  if (berth_db_begin(e->db, rc < 0 ? NULL : err) < 0)
    return -1;
  if (rows_delete(e, container_id, rc < 0 ? NULL : err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  if (berth_db_commit(e->db, rc < 0 ? NULL : err) < 0)
    return -1;
  return rc;
}

/* ---- NetworkSettings.Ports ---- */

static void doc_null(json_t *doc, const char *key) {
  unsigned port;
  char proto[8], k[32];
  if (berth_port_key_parse(key, &port, proto) < 0)
    return;
  snprintf(k, sizeof k, "%u/%s", port, proto);
  if (!json_object_get(doc, k))
    json_object_set_new(doc, k, json_null());
}

static void doc_binding(json_t *doc, const struct mapping *mp) {
  char k[32], port[8];
  snprintf(k, sizeof k, "%u/%s", mp->ctr_port, mp->proto);
  snprintf(port, sizeof port, "%u", mp->host_port);
  json_t *list = json_object_get(doc, k);
  if (!json_is_array(list))
    json_object_set_new(doc, k, list = json_array());
  const char *ip = *mp->host_ip ? mp->host_ip : "0.0.0.0";
  json_array_append_new(list,
                        json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", port));
  if (!*mp->host_ip && *mp->ctr_ip6)
    json_array_append_new(
        list, json_pack("{s:s,s:s}", "HostIp", "::", "HostPort", port));
}

static bool running(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

json_t *berth_ports_doc(struct berth_engine *e, const struct berth_ctr *c) {
  json_t *doc = json_object();
  /* Docker's for a container that is not running (created or stopped),
   * and for none and host, which have no mappings: {}. */
  if (!running(c) || !mode_publishes(c))
    return doc;
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v)
      doc_null(doc, key);
  json_object_foreach(json_object_get(json_object_get(c->config, "HostConfig"),
                                      "PortBindings"),
                      key, v) doc_null(doc, key);
  struct mappings m = {0};
  if (rows_of(e, c->id, &m, NULL) == 0)
    for (size_t i = 0; i < m.n; i++)
      doc_binding(doc, &m.v[i]);
  mappings_clear(&m);
  return doc;
}
