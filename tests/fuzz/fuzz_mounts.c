/* Fuzzes the `mounts` and `linux.devices` parsers: bytes -> JSON ->
 * berth_mounts_parse + berth_devices_parse.  An object input feeds its
 * "mounts" and "devices" members; any other JSON value is fed to both. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "devices.h"
#include "mounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
  if (doc == NULL)
    return 0;
  json_t *m = json_is_object(doc) ? json_object_get(doc, "mounts") : doc;
  json_t *d = json_is_object(doc) ? json_object_get(doc, "devices") : doc;
  struct berth_mount *mounts = NULL;
  struct berth_device *devs = NULL;
  size_t nm = 0, nd = 0;
  berth_error *err = NULL;
  if (berth_mounts_parse(m, "mounts", &mounts, &nm, &err) == 0)
    berth_mounts_free(mounts, nm);
  berth_error_free(err);
  err = NULL;
  if (berth_devices_parse(d, "linux.devices", &devs, &nd, &err) == 0)
    berth_devices_free(devs, nd);
  berth_error_free(err);
  if (json_is_object(doc)) {
    json_t *p = json_object_get(doc, "propagation");
    if (json_is_string(p))
      (void)berth_propagation_from_name(json_string_value(p));
  }
  json_decref(doc);
  return 0;
}
