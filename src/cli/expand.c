/* Docker's short-flag clusters: `-it` is `-i -t`, `-dit` is `-d -i -t`,
 * and `-eFOO=1` is `-e FOO=1` (a value flag takes the rest). */
#include "berth.h"

#include <stdlib.h>
#include <string.h>

static const struct opt *short_opt(const struct opt *opts, size_t n, char c) {
  for (size_t k = 0; k < n; k++) {
    const char *p = opts[k].names;
    while (*p) {
      const char *comma = strchr(p, ',');
      size_t l = comma ? (size_t)(comma - p) : strlen(p);
      if (l == 1 && *p == c)
        return &opts[k];
      p += l + (comma ? 1 : 0);
    }
  }
  return NULL;
}

static bool long_opt_exists(const struct opt *opts, size_t n,
                            const char *name) {
  size_t len = strcspn(name, "=");
  for (size_t k = 0; k < n; k++) {
    const char *p = opts[k].names;
    while (*p) {
      const char *comma = strchr(p, ',');
      size_t l = comma ? (size_t)(comma - p) : strlen(p);
      if (l == len && strncmp(p, name, len) == 0)
        return true;
      p += l + (comma ? 1 : 0);
    }
  }
  return false;
}

char **cli_expand_short(int argc, char **argv, const struct opt *opts,
                        size_t nopts, int *out_argc, bool stop_at_positional) {
  /* Each cluster of k letters becomes at most k + 1 words. */
  size_t cap = 1;
  for (int i = 0; i < argc; i++)
    cap += strlen(argv[i]) + 1;
  /* The pointers, then room for the "-x" words made from clusters: one
   * allocation, freed by the caller with free(). */
  char **out = calloc(1, cap * sizeof(char *) + cap * 3);
  if (!out)
    return NULL;
  char *words = (char *)(out + cap);
  int n = 0, i = 0;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0)
      break;
    bool cluster = a[0] == '-' && a[1] && a[1] != '-' && a[2] &&
                   !long_opt_exists(opts, nopts, a + 1);
    if (a[0] != '-' && stop_at_positional)
      break;
    if (!cluster) {
      out[n++] = argv[i];
      /* A value flag's value is not a flag to expand. */
      if (a[0] == '-' && !strchr(a, '=')) {
        const char *name = a + (a[1] == '-' ? 2 : 1);
        for (size_t k = 0; k < nopts; k++) {
          const char *p = opts[k].names;
          size_t nl = strlen(name);
          bool match = false;
          while (*p && !match) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            match = l == nl && strncmp(p, name, l) == 0;
            p += l + (comma ? 1 : 0);
          }
          if (match && opts[k].kind != OPT_BOOL && i + 1 < argc) {
            out[n++] = argv[++i];
            break;
          }
        }
      }
      continue;
    }
    for (const char *c = a + 1; *c; c++) {
      const struct opt *o = short_opt(opts, nopts, *c);
      words[0] = '-';
      words[1] = *c;
      words[2] = '\0';
      out[n++] = words;
      words += 3;
      if (o && o->kind != OPT_BOOL) {
        if (c[1])
          out[n++] = (char *)c + 1;
        else if (i + 1 < argc)
          out[n++] = argv[++i];
        break;
      }
      if (!o)
        break;
    }
  }
  for (; i < argc; i++)
    out[n++] = argv[i];
  *out_argc = n;
  return out;
}
