/* Fuzzes the port specs and the engine's checks of a create request's
 * network members.  Input "P<-p value>" or "E<--expose value>": what the
 * flag parser makes must pass berth_ports_check unchanged (the CLI never
 * builds a request the engine refuses or rewrites), and the PORTS text
 * of it must be made.  Input "J<json>": a request from an API client,
 * through berth_ports_check and berth_net_opts_check: errors, no crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_opts.h"
#include "ports.h"
#include "ports_spec.h"

static void flag(char kind, const char *s) {
  json_t *ex = json_object(), *pb = json_object();
  berth_error *err = NULL;
  int rc = kind == 'P' ? berth_publish_parse(s, ex, pb, &err)
                       : berth_expose_parse(s, ex, &err);
  if (rc < 0) {
    berth_error_free(err);
    json_decref(ex);
    json_decref(pb);
    return;
  }
  json_t *req = json_pack("{s:{s:s,s:O},s:O}", "HostConfig", "NetworkMode",
                          "bridge", "PortBindings", pb, "ExposedPorts", ex);
  if (berth_ports_check(req, &err) < 0 ||
      !json_equal(json_object_get(json_object_get(req, "HostConfig"),
                                  "PortBindings"),
                  pb) ||
      !json_equal(json_object_get(req, "ExposedPorts"), ex))
    abort();
  free(berth_ports_text(pb));
  json_decref(req);
  json_decref(ex);
  json_decref(pb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096)
    return 0;
  char *s = malloc(size);
  if (!s)
    return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  if (data[0] == 'P' || data[0] == 'E') {
    flag((char)data[0], s);
  } else if (data[0] == 'J') {
    json_t *req = json_loads(s, 0, NULL);
    berth_error *err = NULL;
    if (json_is_object(req) && berth_ports_check(req, &err) == 0)
      berth_net_opts_check(req, &err);
    berth_error_free(err);
    json_decref(req);
  }
  free(s);
  return 0;
}
