/* Fuzzes the whole config.json parser (every module's parser behind it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct berth_spec *s = NULL;
  berth_error *err = NULL;
  /* As berth_read_file delivers it: NUL-terminated. */
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (berth_spec_parse("config.json", text, size, "/", &s, &err) == 0)
    berth_spec_free(s);
  berth_error_free(err);
  free(text);
  return 0;
}
