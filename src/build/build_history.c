/* The history lines of step images as BuildKit writes them (`docker
 * history` shows them): Go's formatting of the instruction's values,
 * `CMD ["sh" "-c" "x"]` (%q of a list), `VOLUME [/a /b]` (%v),
 * `EXPOSE map[80/tcp:{}]`, durations as "1m30s". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "build_history.h"

/* strconv.Quote for the ASCII and UTF-8 text instructions hold. */
void go_quote(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\t': fputs("\\t", f); break;
    case '\r': fputs("\\r", f); break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fprintf(f, "\\x%02x", *p);
      else
        fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* %q of a []string: ["a" "b"]. */
void go_quote_list(FILE *f, char *const *v, size_t n) {
  fputc('[', f);
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputc(' ', f);
    go_quote(f, v[i]);
  }
  fputc(']', f);
}

/* %v of a []string: [a b]. */
void go_plain_list(FILE *f, char *const *v, size_t n) {
  fputc('[', f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s%s", i ? " " : "", v[i]);
  fputc(']', f);
}

/* time.Duration.String(): "0s", "500ms", "1.5s", "1m30s", "2h0m0s". */
void go_duration(FILE *f, int64_t ns) {
  if (ns == 0) {
    fputs("0s", f);
    return;
  }
  if (ns < 1000000000) {
    const char *unit = ns < 1000 ? "ns" : ns < 1000000 ? "µs" : "ms";
    int64_t div = ns < 1000 ? 1 : ns < 1000000 ? 1000 : 1000000;
    char frac[16] = "";
    if (ns % div) {
      snprintf(frac, sizeof frac, ".%0*lld", div == 1000 ? 3 : 6,
               (long long)(ns % div));
      for (size_t l = strlen(frac); l > 1 && frac[l - 1] == '0'; l--)
        frac[l - 1] = '\0';
    }
    fprintf(f, "%lld%s%s", (long long)(ns / div), frac, unit);
    return;
  }
  int64_t h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
  int64_t s = ns / 1000000000 % 60, sub = ns % 1000000000;
  if (h)
    fprintf(f, "%lldh", (long long)h);
  if (h || m)
    fprintf(f, "%lldm", (long long)m);
  fprintf(f, "%lld", (long long)s);
  if (sub) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09lld", (long long)sub);
    for (size_t l = strlen(frac); frac[l - 1] == '0'; l--)
      frac[l - 1] = '\0';
    fputs(frac, f);
  }
  fputc('s', f);
}

/* %q of an int: a quoted rune, '\x03'. */
void go_quote_rune(FILE *f, int64_t r) {
  static const char esc[] = "abtnvfr";
  if (r >= 7 && r <= 13)
    fprintf(f, "'\\%c'", esc[r - 7]);
  else if (r == '\'' || r == '\\')
    fprintf(f, "'\\%c'", (char)r);
  else if (r >= 0x20 && r < 0x7f)
    fprintf(f, "'%c'", (char)r);
  else if (r >= 0 && r < 0x80)
    fprintf(f, "'\\x%02llx'", (long long)r);
  else
    fprintf(f, "'\\u%04llx'", (long long)r);
}
