/* Fuzzes the types check of a create request as an API client sends it
 * (berth_create_types_check): any JSON object gets an error or a request
 * that, checked again, is unchanged.  HostConfig.Binds is left out: a
 * bind's missing host directory is made, as Docker does (its values are
 * the -v parser's, fuzzed by fuzz_mounts). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "create_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  json_t *req = json_loadb((const char *)data, size, 0, NULL);
  if (!json_is_object(req)) {
    json_decref(req);
    return 0;
  }
  json_object_del(json_object_get(req, "HostConfig"), "Binds");
  berth_error *err = NULL;
  if (berth_create_types_check(req, &err) == 0) {
    json_t *again = json_deep_copy(req);
    if (berth_create_types_check(again, &err) < 0 || !json_equal(again, req))
      abort();
    json_decref(again);
  }
  berth_error_free(err);
  json_decref(req);
  return 0;
}
