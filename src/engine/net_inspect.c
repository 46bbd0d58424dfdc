/* NetworkSettings of a container's inspect document, in Docker's shape:
 * one EndpointSettings per network it is on; the top-level address
 * members are the default bridge network's (empty on user networks, as
 * Docker shows them).  Addresses show while the container runs. */
#include "net_inspect.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "networks.h"
#include "ports.h"
#include "sha256.h"

static void hex_of(const char *a, const char *b, char out[65]) {
  char in[160];
  unsigned char d[32];
  snprintf(in, sizeof in, "%s/%s", a, b);
  berth_sha256(in, strlen(in), d);
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int prefix_of(const char *subnet) {
  struct berth_ipnet n;
  return subnet && berth_ipnet_parse(subnet, false, &n, NULL) == 0
             ? (int)n.prefix
             : 0;
}

static json_t *ipam_config(const struct berth_ctr *c, const char *net_name) {
  json_t *ep = json_object_get(
      json_object_get(json_object_get(c->config, "NetworkingConfig"),
                      "EndpointsConfig"),
      net_name);
  json_t *ipam = json_object_get(ep, "IPAMConfig");
  return json_is_object(ipam) ? json_deep_copy(ipam) : json_null();
}

static json_t *dns_names(const struct berth_ctr *c,
                         const struct berth_endpoint *ep) {
  json_t *v = json_pack("[s,s%]", c->name, c->id, (size_t)12);
  size_t i;
  json_t *a;
  json_array_foreach(ep->aliases, i, a) json_array_append(v, a);
  return v;
}

static json_t *endpoint_doc(const struct berth_ctr *c,
                            const struct berth_endpoint *ep,
                            const struct berth_network *n, bool live) {
  char eid[65];
  hex_of(c->id, n->id, eid);
  bool v6 = live && ep->ip6;
  return json_pack(
      "{s:o,s:n,s:O?,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:n,s:o}",
      "IPAMConfig", ipam_config(c, n->name), "Links", "Aliases",
      json_array_size(ep->aliases) ? ep->aliases : NULL, "MacAddress",
      live ? ep->mac : "", "NetworkID", n->id, "EndpointID",
      live ? eid : "", "Gateway", live && !n->internal ? n->gateway : "",
      "IPAddress", live ? ep->ip : "", "IPPrefixLen",
      live ? prefix_of(n->subnet) : 0, "IPv6Gateway",
      v6 && n->gateway6 ? n->gateway6 : "", "GlobalIPv6Address",
      v6 ? ep->ip6 : "", "GlobalIPv6PrefixLen",
      v6 ? prefix_of(n->subnet6) : 0, "DriverOpts", "DNSNames",
      strcmp(n->name, BERTH_NET_DEFAULT) ? dns_names(c, ep) : json_null());
}

/* Docker's EndpointSettings with zero values (none, host, container:). */
static json_t *empty_endpoint(void) {
  return json_pack(
      "{s:n,s:n,s:n,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:n,s:n}",
      "IPAMConfig", "Links", "Aliases", "MacAddress", "", "NetworkID", "",
      "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0,
      "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
      "DriverOpts", "DNSNames");
}

static bool running(const struct berth_ctr *c) {
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
         strcmp(c->state, BERTH_ST_RESTARTING) == 0;
}

static json_t *networks_doc(struct berth_engine *e, const struct berth_ctr *c,
                            json_t *top) {
  json_t *nets = json_object();
  struct berth_endpoint *eps = NULL;
  size_t n = 0;
  if (berth_endpoints_of(e, c->id, &eps, &n, NULL) < 0)
    n = 0;
  for (size_t i = 0; i < n; i++) {
    struct berth_network net = {0};
    if (berth_network_find(e, eps[i].network_id, &net, NULL) < 0)
      continue;
    json_t *doc = endpoint_doc(c, &eps[i], &net, running(c));
    if (strcmp(net.name, BERTH_NET_DEFAULT) == 0)
      json_object_update_existing(top, doc);
    json_object_set_new(nets, net.name, doc);
    berth_network_clear(&net);
  }
  berth_endpoints_free(eps, n);
  if (n == 0) {
    const char *mode = json_string_value(json_object_get(
        json_object_get(c->config, "HostConfig"), "NetworkMode"));
    json_object_set_new(nets, mode && *mode ? mode : "none",
                        empty_endpoint());
  }
  return nets;
}

json_t *berth_ctr_network_settings(struct berth_engine *e,
                                   const struct berth_ctr *c) {
  char sandbox[65] = "", key[64] = "";
  if (running(c) && c->pid > 0) {
    hex_of(c->id, "sandbox", sandbox);
    snprintf(key, sizeof key, "/proc/%d/ns/net", (int)c->pid);
  }
  json_t *top = json_pack(
      "{s:s,s:s,s:s,s:o,s:b,s:s,s:i,s:n,s:n,s:s,s:s,s:s,s:i,s:s,s:i,s:s,"
      "s:s}",
      "Bridge", "", "SandboxID", sandbox, "SandboxKey", key, "Ports",
      berth_ports_doc(e, c), "HairpinMode", 0, "LinkLocalIPv6Address", "",
      "LinkLocalIPv6PrefixLen", 0, "SecondaryIPAddresses",
      "SecondaryIPv6Addresses", "EndpointID", "", "Gateway", "",
      "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress", "",
      "IPPrefixLen", 0, "IPv6Gateway", "", "MacAddress", "");
  json_object_set_new(top, "Networks", networks_doc(e, c, top));
  return top;
}
