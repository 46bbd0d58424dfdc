/* Fuzzes image reference parsing and the strings made back from it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct berth_ref r;
  berth_error *err = NULL;
  if (berth_ref_parse(s, &r, &err) == 0) {
    /* What we print must parse back to the same reference. */
    char *full = berth_ref_string(&r), *fam = berth_ref_familiar(&r);
    struct berth_ref again;
    if (full && berth_ref_parse(full, &again, NULL) == 0) {
      char *full2 = berth_ref_string(&again);
      if (full2 && strcmp(full, full2) != 0)
        abort();
      free(full2);
      berth_ref_free(&again);
    } else if (full) {
      abort();
    }
    free(full);
    free(fam);
    berth_ref_free(&r);
  }
  berth_error_free(err);
  free(s);
  return 0;
}
