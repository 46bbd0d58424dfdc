/* Networks as the Engine API shows and takes them: the NetworkResource
 * document, `network ls` rows and filters, create requests. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "cleanup.h"
#include "filter_kv.h"
#include "network_priv.h"
#include "networks.h"
#include "sha256.h"

bool berth_net_label_matches(json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  if (!eq)
    return json_object_get(labels, want) != NULL;
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(eq - want), want);
  const char *v = json_string_value(json_object_get(labels, key));
  return v && strcmp(v, eq + 1) == 0;
}

/* Go's RFC3339Nano in UTC: fraction without trailing zeros. */
static void rfc3339nano(int64_t ns, char *out, size_t len) {
  time_t s = (time_t)(ns / 1000000000);
  long frac = (long)(ns % 1000000000);
  struct tm tm;
  char base[32], f[16] = "";
  gmtime_r(&s, &tm);
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac) {
    snprintf(f, sizeof f, ".%09ld", frac);
    for (size_t n = strlen(f); f[n - 1] == '0'; n--)
      f[n - 1] = '\0';
  }
  snprintf(out, len, "%s%sZ", base, f);
}

/* The options users gave (berth's own hidden). */
static json_t *shown_options(json_t *options) {
  json_t *o = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(options, k, v) if (strncmp(k, BERTH_NET_OPT_PREFIX,
                                                 strlen(BERTH_NET_OPT_PREFIX)))
      json_object_set(o, k, v);
  return o;
}

static json_t *ipam_config(const struct berth_network *n) {
  json_t *c = json_array();
  const char *range =
      json_string_value(json_object_get(n->options, BERTH_NET_OPT_RANGE));
  if (n->subnet) {
    /* Docker's IPAMConfig field order: Subnet, IPRange, Gateway. */
    json_t *v4 = json_pack("{s:s}", "Subnet", n->subnet);
    if (range)
      json_object_set_new(v4, "IPRange", json_string(range));
    json_object_set_new(v4, "Gateway",
                        json_string(n->gateway ? n->gateway : ""));
    json_array_append_new(c, v4);
  }
  if (n->subnet6)
    json_array_append_new(c,
                          json_pack("{s:s,s:s}", "Subnet", n->subnet6,
                                    "Gateway", n->gateway6 ? n->gateway6 : ""));
  return c;
}

/* "a.b.c.d/len" with the subnet's length, "" without an address. */
static void with_len(const char *ip, const char *subnet, char *out,
                     size_t len) {
  const char *slash = subnet ? strchr(subnet, '/') : NULL;
  if (!ip || !slash)
    snprintf(out, len, "%s", "");
  else
    snprintf(out, len, "%s%s", ip, slash);
}

/* Docker's endpoint ids are 64 hex digits; berth's endpoint is the
 * (container, network) pair, so its id is derived from the pair. */
static void endpoint_id(const char *ctr, const char *net, char out[65]) {
  char buf[140];
  unsigned char d[32];
  int n = snprintf(buf, sizeof buf, "%s/%s", ctr, net);
  berth_sha256(buf, (size_t)n, d);
  for (int i = 0; i < 32; i++)
    sprintf(out + 2 * i, "%02x", d[i]);
}

static int containers_of(struct berth_engine *e, const struct berth_network *n,
                         json_t *out, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT p.container_id, c.name, p.ip, p.ip6, p.mac "
                       "FROM endpoints p JOIN containers c ON c.id = "
                       "p.container_id WHERE p.network_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *col[5];
    for (int i = 0; i < 5; i++)
      col[i] = (const char *)sqlite3_column_text(st, i);
    char epid[65], a4[80], a6[80];
    endpoint_id(col[0], n->id, epid);
    with_len(col[2], n->subnet, a4, sizeof a4);
    with_len(col[3], n->subnet6, a6, sizeof a6);
    json_object_set_new(out, col[0],
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name",
                                  col[1] ? col[1] : "", "EndpointID", epid,
                                  "MacAddress", col[4] ? col[4] : "",
                                  "IPv4Address", a4, "IPv6Address", a6));
  }
  return rc == SQLITE_DONE ? 0 : berth_db_error(e->db, "read endpoints", err);
}

json_t *berth_network_inspect(struct berth_engine *e,
                              const struct berth_network *n,
                              berth_error **err) {
  char created[48];
  json_t *ctrs = json_object();
  if (containers_of(e, n, ctrs, err) < 0) {
    json_decref(ctrs);
    return NULL;
  }
  rfc3339nano(n->created, created, sizeof created);
  json_t *ipam = json_pack("{s:s,s:o,s:o}", "Driver", "default", "Options",
                           json_object(), "Config", ipam_config(n));
  return json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:b,s:b,s:b,s:{s:s},s:b,s:o,s:o,s:O}",
      "Name", n->name, "Id", n->id, "Created", created, "Scope", "local",
      "Driver", n->driver, "EnableIPv6", n->subnet6 != NULL, "IPAM", ipam,
      "Internal", n->internal, "Attachable", 0, "Ingress", 0, "ConfigFrom",
      "Network", "", "ConfigOnly", 0, "Containers", ctrs, "Options",
      shown_options(n->options), "Labels", n->labels);
}

static char *labels_text(json_t *labels) {
  size_t len = 0, cap = 64;
  char *s = calloc(1, cap);
  const char *k;
  json_t *v;
  json_object_foreach(labels, k, v) {
    const char *val = json_string_value(v) ? json_string_value(v) : "";
    size_t need = len + strlen(k) + strlen(val) + 3;
    if (!s)
      return NULL;
    if (need > cap) {
      char *ns = realloc(s, cap = need * 2);
      if (!ns) {
        free(s);
        return NULL;
      }
      s = ns;
    }
    len += (size_t)sprintf(s + len, "%s%s=%s", len ? "," : "", k, val);
  }
  return s;
}

/* Go's time.String in UTC, as `network ls --format {{.CreatedAt}}`. */
static void go_time(int64_t ns, char *out, size_t len) {
  time_t s = (time_t)(ns / 1000000000);
  struct tm tm;
  char base[32];
  gmtime_r(&s, &tm);
  strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(out, len, "%s.%09lld +0000 UTC", base, (long long)(ns % 1000000000));
}

json_t *berth_network_row(const struct berth_network *n, bool no_trunc,
                          json_t **methods) {
  char id[65], created[64];
  snprintf(id, sizeof id, no_trunc ? "%s" : "%.12s", n->id);
  go_time(n->created, created, sizeof created);
  _cleanup_free_ char *labels = labels_text(n->labels);
  if (methods)
    *methods = json_pack("{s:O}", "Label", n->labels);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Name",
                   n->name, "Driver", n->driver, "Scope", "local", "IPv6",
                   n->subnet6 ? "true" : "false", "Internal",
                   n->internal ? "true" : "false", "Labels",
                   labels ? labels : "", "CreatedAt", created);
}

json_t *berth_network_row_headers(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "NETWORK ID",
                   "Name", "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6",
                   "IPV6", "Internal", "INTERNAL", "Labels", "LABELS",
                   "CreatedAt", "CREATED AT");
}

/* ---- Filters --------------------------------------------------------- */

static bool is_bool(const char *v) {
  return !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "1") ||
         !strcmp(v, "0");
}

int berth_network_filter_add(struct berth_network_filter *f, const char *key,
                             const char *value, berth_error **err) {
  const char **to = NULL;
  size_t *n = NULL;
  if (strcmp(key, "name") == 0)
    to = f->name, n = &f->nname;
  else if (strcmp(key, "id") == 0)
    to = f->id, n = &f->nid;
  else if (strcmp(key, "driver") == 0)
    to = f->driver, n = &f->ndriver;
  else if (strcmp(key, "label") == 0)
    to = f->label, n = &f->nlabel;
  else if (strcmp(key, "type") == 0 &&
           (!strcmp(value, "custom") || !strcmp(value, "builtin")))
    to = f->type, n = &f->ntype;
  else if (strcmp(key, "dangling") == 0 && is_bool(value))
    to = f->dangling, n = &f->ndangling;
  if (!to || *n >= ARRAY_SIZE(f->name))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s=%s`",
                           key, value);
  to[(*n)++] = value;
  return 0;
}

int berth_network_filter_parse(struct berth_network_filter *f, const char *kv,
                               berth_error **err) {
  char key[16];
  const char *value;
  if (berth_filter_kv(kv, key, sizeof key, &value, err) < 0)
    return -1;
  return berth_network_filter_add(f, key, value, err);
}

/* Any of the values (none given: any network). */
static bool any_of(const char *const *vals, size_t n,
                   bool (*test)(const struct berth_network *, const char *,
                                int),
                   const struct berth_network *net, int users) {
  for (size_t i = 0; i < n; i++)
    if (test(net, vals[i], users))
      return true;
  return n == 0;
}

static bool t_name(const struct berth_network *n, const char *v, int u) {
  return strstr(n->name, v) != NULL;
}
static bool t_id(const struct berth_network *n, const char *v, int u) {
  return strstr(n->id, v) != NULL;
}
static bool t_driver(const struct berth_network *n, const char *v, int u) {
  return strcmp(n->driver, v) == 0;
}
static bool t_type(const struct berth_network *n, const char *v, int u) {
  return berth_network_builtin(n->name) == (strcmp(v, "builtin") == 0);
}
static bool t_dangling(const struct berth_network *n, const char *v, int u) {
  bool want = v[0] == 't' || v[0] == '1';
  return want == (u == 0 && !berth_network_builtin(n->name));
}

bool berth_network_matches(const struct berth_network *n, int users,
                           const struct berth_network_filter *f) {
  for (size_t i = 0; i < f->nlabel; i++)
    if (!berth_net_label_matches(n->labels, f->label[i]))
      return false;
  return any_of(f->name, f->nname, t_name, n, users) &&
         any_of(f->id, f->nid, t_id, n, users) &&
         any_of(f->driver, f->ndriver, t_driver, n, users) &&
         any_of(f->type, f->ntype, t_type, n, users) &&
         any_of(f->dangling, f->ndangling, t_dangling, n, users);
}

/* ---- Create requests ------------------------------------------------- */

static const char *jstr(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : NULL;
}

static int check_strings(json_t *o, const char *what, berth_error **err) {
  const char *k;
  json_t *v;
  if (o && !json_is_object(o) && !json_is_null(o))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: not an object",
                           what);
  json_object_foreach(o, k, v) if (!json_is_string(v)) return berth_error_set(
      err, BERTH_ERR_INVALID, 0, "%s `%s`: not a string", what, k);
  return 0;
}

/* IPAM.Config into req: one entry per family, told apart by Subnet. */
static int ipam_into(json_t *ipam, struct berth_network_create *req,
                     berth_error **err) {
  const char *drv = jstr(ipam, "Driver");
  size_t i;
  json_t *c;
  if (drv && strcmp(drv, "default") != 0)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "plugin \"%s\" not found", drv);
  json_array_foreach(json_object_get(ipam, "Config"), i, c) {
    const char *subnet = jstr(c, "Subnet");
    struct berth_ipnet s;
    if (!subnet)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "every ip-range or gateway must have a "
                             "corresponding subnet");
    if (berth_ipnet_parse(subnet, false, &s, err) < 0)
      return -1;
    bool v6 = s.family == AF_INET6;
    if (v6 ? req->subnet6 != NULL : req->subnet != NULL)
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "more than one %s subnet: berth networks have "
                             "one of each family",
                             v6 ? "IPv6" : "IPv4");
    if (v6 && jstr(c, "IPRange"))
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "an ip-range on an IPv6 subnet is not supported");
    *(v6 ? &req->subnet6 : &req->subnet) = subnet;
    *(v6 ? &req->gateway6 : &req->gateway) = jstr(c, "Gateway");
    if (!v6)
      req->ip_range = jstr(c, "IPRange");
  }
  return 0;
}

/* Known members of the wrong JSON type are refused (Go's decoder fails
 * on them, and a silently ignored "EnableIPv6": "yes" would make another
 * network than asked); unknown members are ignored, as Docker does. */
static int check_member(json_t *o, const char *key, json_type want,
                        berth_error **err) {
  json_t *v = json_object_get(o, key);
  bool ok = !v || json_is_null(v) || json_typeof(v) == want ||
            (want == JSON_TRUE && json_is_boolean(v));
  if (ok)
    return 0;
  static const char *const names[] = {
      [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
      [JSON_STRING] = "a string", [JSON_TRUE] = "a boolean"};
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: expected %s", key,
                         names[want]);
}

static int check_types(json_t *body, berth_error **err) {
  static const char *const strs[] = {"Name", "Driver", "Scope"};
  static const char *const bools[] = {"CheckDuplicate", "Internal",
                                      "Attachable",     "Ingress",
                                      "EnableIPv6",     "ConfigOnly"};
  json_t *ipam = json_object_get(body, "IPAM"), *c;
  size_t i;
  for (i = 0; i < ARRAY_SIZE(strs); i++)
    if (check_member(body, strs[i], JSON_STRING, err) < 0)
      return -1;
  for (i = 0; i < ARRAY_SIZE(bools); i++)
    if (check_member(body, bools[i], JSON_TRUE, err) < 0)
      return -1;
  if (check_member(body, "IPAM", JSON_OBJECT, err) < 0 ||
      check_member(ipam, "Driver", JSON_STRING, err) < 0 ||
      check_member(ipam, "Config", JSON_ARRAY, err) < 0)
    return -1;
  json_array_foreach(json_object_get(ipam, "Config"), i, c) {
    if (!json_is_object(c))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "IPAM.Config[%zu]: expected an object", i);
    if (check_member(c, "Subnet", JSON_STRING, err) < 0 ||
        check_member(c, "Gateway", JSON_STRING, err) < 0 ||
        check_member(c, "IPRange", JSON_STRING, err) < 0)
      return berth_error_prefix(err, "IPAM.Config[%zu]", i);
  }
  return 0;
}

int berth_network_create_request(struct berth_engine *e, json_t *body,
                                 json_t **out, berth_error **err) {
  struct berth_network_create req = {
      .name = jstr(body, "Name"),
      .driver = jstr(body, "Driver"),
      .ipv6 = json_is_true(json_object_get(body, "EnableIPv6")),
      .internal = json_is_true(json_object_get(body, "Internal")),
      .labels = json_object_get(body, "Labels"),
      .options = json_object_get(body, "Options")};
  struct berth_network n = {0};
  *out = NULL;
  if (check_types(body, err) < 0)
    return -1;
  if (!req.name)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network name cannot be empty");
  if (check_strings(req.labels, "label", err) < 0 ||
      check_strings(req.options, "option", err) < 0 ||
      ipam_into(json_object_get(body, "IPAM"), &req, err) < 0)
    return -1;
  if (!json_is_object(req.labels))
    req.labels = NULL;
  if (!json_is_object(req.options))
    req.options = NULL;
  if (berth_network_create(e, &req, &n, err) < 0)
    return -1;
  *out = json_pack("{s:s,s:s}", "Id", n.id, "Warning", "");
  berth_network_clear(&n);
  return 0;
}

/* Puts a gateway or range (key) on the entry of the subnet holding it. */
static int pair_one(json_t *config, const struct berth_ipnet *s, size_t ns,
                    const char *key, const char *v, berth_error **err) {
  bool gw = strcmp(key, "Gateway") == 0;
  struct berth_ipnet a;
  if ((gw ? berth_ip_parse(v, &a, NULL)
          : berth_ipnet_parse(v, false, &a, NULL)) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid %s %s",
                           gw ? "gateway" : "ip-range", v);
  for (size_t i = 0; i < ns; i++) {
    if (!berth_ipnet_contains(&s[i], &a))
      continue;
    json_t *entry = json_array_get(config, i);
    const char *had = json_string_value(json_object_get(entry, key));
    if (had)
      return berth_error_set(
          err, BERTH_ERR_INVALID, 0,
          "cannot configure multiple %s (%s, %s) on the same subnet (%s)",
          gw ? "gateways" : "ranges", had, v,
          json_string_value(json_object_get(entry, "Subnet")));
    json_object_set_new(entry, key, json_string(v));
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "no matching subnet for %s %s",
                         gw ? "gateway" : "range", v);
}

int berth_network_ipam_pairs(const char *const *subnets, size_t ns,
                             const char *const *gateways, size_t ng,
                             const char *const *ranges, size_t nr,
                             json_t **config, berth_error **err) {
  struct berth_ipnet s[8];
  json_t *c = json_array();
  *config = c;
  if (ns > ARRAY_SIZE(s))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "too many subnets");
  for (size_t i = 0; i < ns; i++) {
    if (berth_ipnet_parse(subnets[i], false, &s[i], err) < 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (berth_ipnet_overlap(&s[i], &s[j]))
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "multiple overlapping subnet configuration is "
                               "not supported");
    json_array_append_new(c, json_pack("{s:s}", "Subnet", subnets[i]));
  }
  for (size_t k = 0; k < ng; k++)
    if (pair_one(c, s, ns, "Gateway", gateways[k], err) < 0)
      return -1;
  for (size_t k = 0; k < nr; k++)
    if (pair_one(c, s, ns, "IPRange", ranges[k], err) < 0)
      return -1;
  return 0;
}
