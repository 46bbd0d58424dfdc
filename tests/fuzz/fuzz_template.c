/* Fuzzes the Go template parser and executor (--format is user input):
 * the first line of the input is the template, the rest a JSON dot. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static const char fallback[] =
    "{\"A\":\"x\",\"B\":[1,2.5,{\"C\":null}],\"L\":{\"k\":\"v\"},\"N\":3}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  char *nl = memchr(s, '\n', size);
  json_t *dot = NULL;
  if (nl) {
    *nl = '\0';
    dot = json_loads(nl + 1, JSON_DECODE_ANY, NULL);
  }
  if (!dot)
    dot = json_loads(fallback, 0, NULL);
  json_t *methods = json_pack("{s:{s:s}}", "Label", "k", "v");
  struct berth_template *t = NULL;
  berth_error *err = NULL;
  if (berth_template_parse(s, &t, &err) == 0) {
    char *out = NULL;
    size_t len = 0;
    if (berth_template_exec(t, dot, methods, &out, &len, &err) == 0 &&
        strlen(out) > len)
      abort(); /* the length reported is the string's */
    free(out);
    berth_template_free(t);
  }
  berth_error_free(err);
  json_decref(dot);
  json_decref(methods);
  free(s);
  return 0;
}
