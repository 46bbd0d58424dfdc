/* Fuzzes Docker's --detach-keys parsing and the detach-key matcher: the
 * input is "SPEC\nSTREAM".  Invariants: a parsed spec always loads into
 * the matcher; until the sequence is seen, what passes plus what is held
 * back is exactly the stream, in order. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t slen = nl ? (size_t)(nl - data) : size;
  char *spec = malloc(slen + 1);
  if (spec == NULL)
    return 0;
  memcpy(spec, data, slen);
  spec[slen] = '\0';
  char list[BERTH_DETACH_KEYS_LEN];
  berth_error *err = NULL;
  struct berth_escape e;
  if (berth_detach_keys_parse(spec, list, &err) < 0) {
    berth_error_free(err);
    free(spec);
    return 0;
  }
  free(spec);
  if (!berth_escape_from_list(&e, list))
    abort();
  const char *in = nl ? (const char *)nl + 1 : "";
  size_t n = nl ? size - slen - 1 : 0;
  char *out = malloc(n + BERTH_ESCAPE_MAX + 1);
  if (out == NULL)
    return 0;
  size_t done = 0, o = 0;
  while (done < n) {
    size_t chunk = 1 + (unsigned char)in[done] % 7;
    if (chunk > n - done)
      chunk = n - done;
    size_t got;
    bool hit = berth_escape_feed(&e, in + done, chunk, out + o, &got);
    o += got;
    done += chunk;
    if (hit) {
      free(out);
      return 0;
    }
  }
  if (o + e.matched != n || memcmp(out, in, o) != 0 ||
      memcmp(in + o, e.keys, e.matched) != 0)
    abort();
  free(out);
  return 0;
}
