/* Fuzzes the position finder used for error messages: it walks raw text
 * that jansson accepted, but must also never overrun on any input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  int line, col;
  berth_json_locate(text, "linux.namespaces[1].type", &line, &col);
  berth_json_locate(text, "", &line, &col);
  free(text);
  return 0;
}
