/* Go's path primitives, as Docker's builder applies them to
 * `.dockerignore` patterns and COPY/ADD globs: filepath.Clean,
 * filepath.Match (its syntax and its matching), strings.TrimSpace and
 * UTF-8 decoding with Go's rule for invalid bytes.  Internal to
 * src/build. */
#ifndef BERTH_BUILD_PATH_MATCH_H
#define BERTH_BUILD_PATH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rune at s (len > 0 bytes) and its width; an invalid or truncated
 * sequence is U+FFFD of width 1, as Go's utf8.DecodeRune. */
uint32_t berth_utf8_decode(const char *s, size_t len, size_t *width);
/* Appends r as UTF-8 to out (room for 4 bytes); returns the width. */
size_t berth_utf8_encode(uint32_t r, char *out);

/* filepath.Clean of s[0..len) with '/' separators: a new string ("."
 * for an empty result), NULL when out of memory. */
char *berth_go_clean(const char *s, size_t len);

/* strings.TrimSpace: narrows [*s, *s + *len) past Unicode white space. */
void berth_go_trim_space(const char **s, size_t *len);

/* filepath.Match(pattern, name): 1 when name matches, 0 when not, -1
 * when the pattern is malformed (Go >= 1.16 reports that whatever the
 * name, so berth_go_match(p, ".") < 0 is Docker's syntax check). */
int berth_go_match(const char *pattern, const char *name);

/* Whether a path element holds an unescaped `*`, `?` or `[` (fsutil's
 * containsWildcards, which decides what COPY globs). */
bool berth_go_has_wildcards(const char *s, size_t len);

#endif
