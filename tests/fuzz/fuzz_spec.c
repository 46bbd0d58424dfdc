/* Fuzzes the whole config.json parser (every module's parser behind it). */
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  if (berth_spec_parse("config.json", (const char *)data, size, "/", &s,
                       &err) == 0)
    berth_spec_free(s);
  berth_error_free(err);
  return 0;
}
