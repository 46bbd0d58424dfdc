/* Fuzzes linux.seccomp: parse arbitrary JSON, compile what parses. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "seccomp_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *j = NULL;
  if (berth_json_parse("seccomp", (const char *)data, size, &j, NULL) < 0)
    return 0;
  struct berth_seccomp *s = NULL;
  berth_error *err = NULL;
  if (berth_seccomp_parse(j, "linux.seccomp", &s, &err) == 0 && s) {
    struct berth_seccomp_prog prog;
    if (berth_seccomp_compile(s, NULL, &prog, &err) == 0)
      berth_seccomp_prog_free(&prog);
  }
  berth_seccomp_free(s);
  berth_error_free(err);
  json_decref(j);
  return 0;
}
