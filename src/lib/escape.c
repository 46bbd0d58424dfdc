/* Detach keys in an input stream (see escape.h). */
#include "escape.h"

#include <stdlib.h>
#include <string.h>

bool berth_escape_feed(struct berth_escape *e, const char *in, size_t n,
                       char *out, size_t *out_n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (e->len == 0) {
      out[o++] = (char)c;
      continue;
    }
    if (c == e->keys[e->matched]) {
      if (++e->matched == e->len) {
        e->matched = 0;
        *out_n = o;
        return true;
      }
      continue;
    }
    /* Not the sequence after all: what was held goes through first, and
     * this byte may itself start the sequence again. */
    memcpy(out + o, e->keys, e->matched);
    o += e->matched;
    /* (A held prefix means the sequence is 2 keys or more.) */
    e->matched = c == e->keys[0] ? 1 : 0;
    if (!e->matched)
      out[o++] = (char)c;
  }
  *out_n = o;
  return false;
}

bool berth_escape_from_list(struct berth_escape *e, const char *list) {
  e->len = e->matched = 0;
  for (const char *p = list; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 255 || e->len == BERTH_ESCAPE_MAX)
      return false;
    e->keys[e->len++] = (unsigned char)v;
    if (*end == ',' && end[1])
      end++;
    else if (*end)
      return false;
    p = end;
  }
  return true;
}
