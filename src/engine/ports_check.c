/* berth_ports_check: a create request's published and exposed ports,
 * whichever front end built it. */
#include <stdio.h>
#include <string.h>

#include "ports.h"
#include "ports_spec.h"

static bool nonempty(json_t *o) { return json_object_size(o) > 0; }

/* A binding's members: HostIp an address or empty, HostPort a port, a
 * range, or empty (0 and empty: the kernel chooses). */
static int check_binding(const char *key, json_t *b, berth_error **err) {
  if (!json_is_object(b))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid PortBindings for %s: a list of "
                           "{HostIp, HostPort}",
                           key);
  json_t *ip = json_object_get(b, "HostIp"), *hp = json_object_get(b, "HostPort");
  if ((ip && !json_is_null(ip) && !json_is_string(ip)) ||
      (hp && !json_is_null(hp) && !json_is_string(hp)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid PortBindings for %s: HostIp and "
                           "HostPort are strings",
                           key);
  const char *ips = json_string_value(ip), *hps = json_string_value(hp);
  unsigned lo, hi;
  if (ips && *ips && !berth_ip_family(ips, NULL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IP address: %s (HostIp for %s)", ips, key);
  if (hps && *hps && berth_port_range_parse(hps, &lo, &hi) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid hostPort: %s (for %s)", hps, key);
  json_object_set_new(b, "HostIp", json_string(ips ? ips : ""));
  json_object_set_new(b, "HostPort", json_string(hps ? hps : ""));
  return 0;
}

/* "80" -> "80/tcp", "80/TCP" -> "80/tcp"; the key must be one port. */
static int normal_key(const char *key, const char *member, char out[32],
                      berth_error **err) {
  unsigned port;
  char proto[8];
  if (berth_port_key_parse(key, &port, proto) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid port `%s` in %s: PORT[/tcp|udp|sctp], "
                           "PORT 1-65535",
                           key, member);
  snprintf(out, 32, "%u/%s", port, proto);
  return 0;
}

static int check_bindings(json_t *hc, berth_error **err) {
  json_t *pb = json_object_get(hc, "PortBindings");
  if (!pb || json_is_null(pb))
    return 0;
  if (!json_is_object(pb))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid PortBindings: an object");
  json_t *out = json_object();
  const char *key;
  json_t *list;
  json_object_foreach(pb, key, list) {
    char k[32];
    size_t i;
    json_t *b;
    if (normal_key(key, "PortBindings", k, err) < 0 ||
        (!json_is_array(list) && !json_is_null(list) &&
         berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid PortBindings for %s: a list", key) < 0)) {
      json_decref(out);
      return -1;
    }
    json_t *merged = json_object_get(out, k);
    if (!merged)
      json_object_set_new(out, k, merged = json_array());
    json_array_foreach(list, i, b) {
      if (check_binding(k, b, err) < 0) {
        json_decref(out);
        return -1;
      }
      json_array_append(merged, b);
    }
  }
  json_object_set_new(hc, "PortBindings", out);
  return 0;
}

static int check_exposed(json_t *req, berth_error **err) {
  json_t *ex = json_object_get(req, "ExposedPorts");
  if (!ex || json_is_null(ex))
    return 0;
  if (!json_is_object(ex))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid ExposedPorts: an object");
  json_t *out = json_object();
  const char *key;
  json_t *v;
  json_object_foreach(ex, key, v) {
    char k[32];
    if (normal_key(key, "ExposedPorts", k, err) < 0) {
      json_decref(out);
      return -1;
    }
    json_object_set_new(out, k, json_object());
  }
  json_object_set_new(req, "ExposedPorts", out);
  return 0;
}

int berth_ports_check(json_t *req, berth_error **err) {
  json_t *hc = json_object_get(req, "HostConfig");
  const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
  json_t *all = json_object_get(hc, "PublishAllPorts");
  if (all && !json_is_boolean(all) && !json_is_null(all))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid PublishAllPorts: a boolean");
  if (check_bindings(hc, err) < 0 || check_exposed(req, err) < 0)
    return -1;
  /* Docker's rules: another container's network namespace is that
   * container's to publish; with the host's (and none) publishing means
   * nothing and the bindings are kept but never made. */
  if (mode && strncmp(mode, "container:", 10) == 0) {
    if (nonempty(json_object_get(hc, "PortBindings")) || json_is_true(all))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "conflicting options: port publishing and the "
                             "container type network mode");
    if (nonempty(json_object_get(req, "ExposedPorts")))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "conflicting options: port exposing and the "
                             "container type network mode");
  }
  return 0;
}
