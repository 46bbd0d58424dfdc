/* Networks: GET /networks, GET /networks/{id}, POST /networks/create,
 * DELETE /networks/{id}, POST /networks/{id}/connect and /disconnect,
 * POST /networks/prune.  The engine's networks.h decides (names,
 * subnets, IPAM, which network a reference means, what may be removed);
 * this file maps requests onto it and its errors onto Docker's statuses. */
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "filter_kv.h"
#include "networks.h"
#include "prune.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int net_filter_add(void *f, const char *key, const char *value,
                          berth_error **err) {
  return berth_network_filter_add(f, key, value, err);
}

static int prune_filter_add(void *f, const char *key, const char *value,
                            berth_error **err) {
  return berth_prune_filter_add(f, key, value, now_ns(), err);
}

/* Docker answers 403 Forbidden where the pre-defined networks are
 * concerned and for a network that still has endpoints (libnetwork's
 * ActiveEndpointsError is a Forbidden error); the engine reports those
 * as INVALID and STATE, which would otherwise be 400 and 409. */
static int reply_forbidden_or(struct api_req *r, berth_error *err,
                              bool forbidden) {
  if (!forbidden)
    return api_reply_error(r, err);
  int rc = api_reply_errorf(r, 403, "%s", err->msg);
  berth_error_free(err);
  return rc;
}

/* GET /networks: since API 1.28 the listing leaves out Containers (an
 * empty object), as Docker's smaller list representation. */
static int net_list(struct api_req *r) {
  berth_error *err = NULL;
  json_t *filters = NULL;
  struct berth_network_filter f = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_filters(r, &filters, &err) < 0 ||
      berth_filter_map_each(filters, net_filter_add, &f, &err) < 0) {
    json_decref(filters);
    return api_reply_error(r, err);
  }
  struct berth_network *v = NULL;
  size_t n = 0;
  json_t *out = json_array();
  int rc = berth_network_list(e, &v, &n, &err);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int users = berth_network_users(e, v[i].id, &err);
    json_t *doc = NULL;
    if (users < 0 || (berth_network_matches(&v[i], users, &f) &&
                      !(doc = berth_network_inspect(e, &v[i], &err)))) {
      rc = -1;
      break;
    }
    if (doc && r->version >= 128)
      json_object_set_new(doc, "Containers", json_object());
    if (doc)
      json_array_append_new(out, doc);
  }
  berth_networks_free(v, n);
  json_decref(filters);
  if (rc < 0) {
    json_decref(out);
    return api_reply_error(r, err);
  }
  return api_reply_json(r, 200, out);
}

/* GET /networks/{id}?verbose=&scope=: verbose adds only swarm details,
 * and every berth network is "local": another scope finds nothing. */
static int net_inspect(struct api_req *r) {
  berth_error *err = NULL;
  bool verbose;
  const char *scope = api_query(r, "scope");
  struct berth_network n = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_bool(r, "verbose", false, &verbose, &err) < 0)
    return api_reply_error(r, err);
  if (scope && *scope && strcmp(scope, "local") != 0)
    return api_reply_errorf(r, 404, "network %s not found", r->params[0]);
  if (berth_network_find(e, r->params[0], &n, &err) < 0)
    return api_reply_error(r, err);
  json_t *doc = berth_network_inspect(e, &n, &err);
  berth_network_clear(&n);
  return doc ? api_reply_json(r, 200, doc) : api_reply_error(r, err);
}

/* POST /networks/create -> 201 {"Id", "Warning"}; a duplicate name is
 * 409, a pre-defined one's name 403, an unknown driver 404 (Docker's
 * "plugin not found"). */
static int net_create(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL, *out = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  int rc = berth_network_create_request(e, body, &out, &err);
  bool builtin = berth_network_builtin(
      json_string_value(json_object_get(body, "Name")));
  json_decref(body);
  if (rc < 0)
    return reply_forbidden_or(r, err,
                              builtin && err->kind == BERTH_ERR_INVALID);
  return api_reply_json(r, 201, out);
}

/* DELETE /networks/{id} -> 204. */
static int net_remove(struct api_req *r) {
  berth_error *err = NULL;
  struct berth_network n = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || berth_network_find(e, r->params[0], &n, &err) < 0)
    return api_reply_error(r, err);
  bool builtin = berth_network_builtin(n.name);
  int rc = berth_network_remove(e, n.id, &err);
  berth_network_clear(&n);
  if (rc < 0)
    return reply_forbidden_or(r, err,
                              (builtin && err->kind == BERTH_ERR_INVALID) ||
                                  err->kind == BERTH_ERR_STATE);
  return api_reply_empty(r, 204);
}

/* A string member of o: absent or null is NULL (and "" too, where Docker
 * takes an empty address as none); another type is INVALID naming it. */
static int opt_string(json_t *o, const char *key, const char **out,
                      berth_error **err) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v && !json_is_null(v) && !json_is_string(v))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: expected a string", key);
  if (json_is_string(v) && *json_string_value(v))
    *out = json_string_value(v);
  return 0;
}

static int opt_object(json_t *o, const char *key, json_t **out,
                      berth_error **err) {
  json_t *v = json_object_get(o, key);
  *out = json_is_object(v) ? v : NULL;
  if (v && !json_is_null(v) && !json_is_object(v))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: expected an object", key);
  return 0;
}

/* The connect body: {Container, EndpointConfig {IPAMConfig
 * {IPv4Address, IPv6Address}, Aliases}}. */
struct connect_req {
  const char *ctr, *ip, *ip6;
  json_t *aliases;
};

static int connect_parse(json_t *body, struct connect_req *c,
                         berth_error **err) {
  json_t *ep, *ipam;
  if (opt_string(body, "Container", &c->ctr, err) < 0 ||
      opt_object(body, "EndpointConfig", &ep, err) < 0 ||
      opt_object(ep, "IPAMConfig", &ipam, err) < 0 ||
      opt_string(ipam, "IPv4Address", &c->ip, err) < 0 ||
      opt_string(ipam, "IPv6Address", &c->ip6, err) < 0)
    return -1;
  if (!c->ctr)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "Container: a container name or id is required");
  c->aliases = json_object_get(ep, "Aliases");
  if (json_is_null(c->aliases))
    c->aliases = NULL;
  return 0;
}

/* POST /networks/{id}/connect -> 200; already connected is Docker's 403
 * ("endpoint with name x already exists in network y"). */
static int net_connect(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL;
  struct connect_req c = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  int rc = connect_parse(body, &c, &err) < 0 ||
                   berth_network_connect(e, r->params[0], c.ctr, c.ip, c.ip6,
                                         c.aliases, &err) < 0
               ? -1
               : 0;
  json_decref(body);
  if (rc < 0)
    return reply_forbidden_or(r, err, err->kind == BERTH_ERR_EXISTS);
  return api_reply_empty(r, 200);
}

/* POST /networks/{id}/disconnect {Container, Force} -> 200. */
static int net_disconnect(struct api_req *r) {
  berth_error *err = NULL;
  json_t *body = NULL, *force;
  const char *ctr = NULL;
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_body_json(r, &body, &err) < 0)
    return api_reply_error(r, err);
  int rc = opt_string(body, "Container", &ctr, &err);
  force = json_object_get(body, "Force");
  if (rc == 0 && force && !json_is_boolean(force) && !json_is_null(force))
    rc = berth_error_set(&err, BERTH_ERR_INVALID, 0, "Force: expected a "
                                                     "boolean");
  if (rc == 0 && !ctr)
    rc = berth_error_set(&err, BERTH_ERR_INVALID, 0,
                         "Container: a container name or id is required");
  if (rc == 0)
    rc = berth_network_disconnect(e, r->params[0], ctr, json_is_true(force),
                                  &err);
  json_decref(body);
  return rc < 0 ? api_reply_error(r, err) : api_reply_empty(r, 200);
}

/* POST /networks/prune?filters={until, label} -> {"NetworksDeleted":
 * [names]}, null when none went (Go's nil slice, as Docker). */
static int net_prune(struct api_req *r) {
  berth_error *err = NULL;
  json_t *filters = NULL, *removed = NULL;
  struct berth_prune_filter f = {0};
  struct berth_engine *e = api_engine(r, &err);
  if (!e || api_query_filters(r, &filters, &err) < 0 ||
      berth_filter_map_each(filters, prune_filter_add, &f, &err) < 0 ||
      berth_network_prune(e, &f, &removed, &err) < 0) {
    json_decref(filters);
    json_decref(removed);
    return api_reply_error(r, err);
  }
  json_decref(filters);
  if (!json_array_size(removed)) {
    json_decref(removed);
    removed = json_null();
  }
  return api_reply_json(r, 200, json_pack("{s:o}", "NetworksDeleted", removed));
}

const struct api_route api_routes_net[] = {
    {"GET", "/networks", net_list, 0},
    {"POST", "/networks/create", net_create, 0},
    {"POST", "/networks/prune", net_prune, 0},
    {"GET", "/networks/{id}", net_inspect, 0},
    {"DELETE", "/networks/{id}", net_remove, 0},
    {"POST", "/networks/{id}/connect", net_connect, 0},
    {"POST", "/networks/{id}/disconnect", net_disconnect, 0},
    {NULL, NULL, NULL, 0},
};
