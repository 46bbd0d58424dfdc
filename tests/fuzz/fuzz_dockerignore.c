/* Fuzzes .dockerignore: the input is the file's text, a NUL byte, then
 * paths one per line.  Parsing and matching must never crash or run
 * away, and two properties the context walk relies on must hold for
 * every path:
 *  - stepping through a path's elements with the parent's pattern hits
 *    (what the walk does) gives berth_ignore_match's answer;
 *  - below an ignored directory for which no `!` pattern can re-include
 *    anything (the walk then skips it), every path is ignored. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "context_internal.h"

static bool walked(const struct berth_ignore *ig, const char *p, size_t n) {
  bool *hits = calloc(n ? n : 1, sizeof *hits);
  bool *parent = calloc(n ? n : 1, sizeof *parent);
  bool ignored = false;
  if (!hits || !parent)
    abort();
  for (size_t end = 0;; end++) {
    if (p[end] == '/' || p[end] == '\0') {
      ignored = berth_ignore_step(ig, parent, p, end, hits);
      memcpy(parent, hits, n * sizeof *hits);
      if (p[end] && ignored && n) {
        char *dir = strndup(p, end);
        bool prunable = !berth_ignore_may_reinclude_below(ig, dir);
        free(dir);
        if (prunable && !berth_ignore_match(ig, p))
          abort(); /* the walk would have skipped an included path */
      }
    }
    if (!p[end])
      break;
  }
  free(hits);
  free(parent);
  return ignored;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, '\0', size);
  size_t ilen = nul ? (size_t)(nul - text) : size;
  struct berth_ignore *ig = NULL;
  berth_error *err = NULL;
  if (berth_ignore_parse(text, ilen, &ig, &err) < 0) {
    berth_error_free(err);
    return 0;
  }
  size_t n = berth_ignore_count(ig);
  char *paths = nul ? strndup(nul + 1, size - ilen - 1) : NULL;
  char *save = NULL;
  for (char *p = paths ? strtok_r(paths, "\n", &save) : NULL; p;
       p = strtok_r(NULL, "\n", &save)) {
    if (strlen(p) > 4096)
      continue;
    if (walked(ig, p, n) != berth_ignore_match(ig, p) && strcmp(p, ".") != 0)
      abort();
  }
  free(paths);
  berth_ignore_free(ig);
  return 0;
}
