/* The listing's entries, from the same pieces inspect and ps use. */
#include "ctr_summary.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "inspect.h"
#include "net_inspect.h"
#include "ports.h"
#include "rows.h"

/* NetworkSettings.Ports ({"80/tcp": [{"HostIp", "HostPort"}] or null})
 * as the summary's list. */
static json_t *ports_list(json_t *doc) {
  json_t *out = json_array(), *binds, *b;
  const char *key;
  size_t i;
  json_object_foreach(doc, key, binds) {
    char proto[16] = "tcp";
    int port = atoi(key);
    const char *slash = strchr(key, '/');
    if (slash)
      snprintf(proto, sizeof proto, "%s", slash + 1);
    if (!json_array_size(binds)) {
      json_array_append_new(out, json_pack("{s:i,s:s}", "PrivatePort", port,
                                           "Type", proto));
      continue;
    }
    json_array_foreach(binds, i, b) {
      const char *ip = json_string_value(json_object_get(b, "HostIp"));
      const char *hp = json_string_value(json_object_get(b, "HostPort"));
      json_array_append_new(
          out, json_pack("{s:s,s:i,s:i,s:s}", "IP", ip ? ip : "",
                         "PrivatePort", port, "PublicPort", hp ? atoi(hp) : 0,
                         "Type", proto));
    }
  }
  return out;
}

static json_t *networks(struct berth_engine *e, const struct berth_ctr *c) {
  json_t *ns = berth_ctr_network_settings(e, c);
  json_t *n = json_object_get(ns, "Networks");
  json_t *r = json_pack("{s:O}", "Networks", n ? n : json_object());
  json_decref(ns);
  return r;
}

json_t *berth_ctr_summary(struct berth_engine *e, const struct berth_ctr *c,
                          bool size) {
  char name[300], status[128];
  snprintf(name, sizeof name, "/%s", c->name);
  berth_ctr_status_text(c, status, sizeof status);
  _cleanup_free_ char *cmd = berth_ctr_command_text(c);
  json_t *pdoc = berth_ports_doc(e, c);
  json_t *labels = json_object_get(c->config, "Labels");
  labels = json_is_object(labels) ? json_incref(labels) : json_object();
  const char *net = json_string_value(json_object_get(
      json_object_get(c->config, "HostConfig"), "NetworkMode"));
  json_t *s = json_pack(
      "{s:s,s:[s],s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:{s:s},s:o,s:o}", "Id",
      c->id, "Names", name, "Image", c->image_name, "ImageID", c->image_id,
      "Command", cmd ? cmd : "", "Created",
      (json_int_t)(c->created / 1000000000), "Ports", ports_list(pdoc),
      "Labels", labels, "State",
      c->state, "Status", status, "HostConfig", "NetworkMode",
      net && *net ? net : "default", "NetworkSettings", networks(e, c),
      "Mounts", berth_ctr_mount_points(c));
  json_decref(pdoc);
  if (s && size) {
    uint64_t rw, rootfs;
    berth_ctr_size(e, c, &rw, &rootfs);
    json_object_set_new(s, "SizeRw", json_integer((json_int_t)rw));
    json_object_set_new(s, "SizeRootFs", json_integer((json_int_t)rootfs));
  }
  return s;
}
