/* Go's filepath.Clean, filepath.Match and strings.TrimSpace, written from
 * the Go documentation's definitions, because Docker's `.dockerignore`
 * and COPY globs are defined by them (whose edge cases users rely on
 * without knowing: "[^a]" negates, a class may match '/', "\\" escapes,
 * a malformed pattern is an error even when it could not match). */
#include "path_match.h"

#include <stdlib.h>
#include <string.h>

#define RUNE_ERROR 0xFFFDu

uint32_t berth_utf8_decode(const char *str, size_t len, size_t *width) {
  const unsigned char *s = (const unsigned char *)str;
  *width = 1;
  if (s[0] < 0x80)
    return s[0];
  size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || n > len || s[0] > 0xF4)
    return RUNE_ERROR;
  uint32_t r = s[0] & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return RUNE_ERROR;
    r = r << 6 | (s[i] & 0x3F);
  }
  /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < min[n] || (r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF)
    return RUNE_ERROR;
  *width = n;
  return r;
}

size_t berth_utf8_encode(uint32_t r, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (r < 0x80) {
    o[0] = (unsigned char)r;
    return 1;
  }
  if (r < 0x800) {
    o[0] = (unsigned char)(0xC0 | r >> 6);
    o[1] = (unsigned char)(0x80 | (r & 0x3F));
    return 2;
  }
  if (r < 0x10000) {
    o[0] = (unsigned char)(0xE0 | r >> 12);
    o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (r & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | r >> 18);
  o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (r & 0x3F));
  return 4;
}

/* Go's unicode.IsSpace. */
static bool is_space(uint32_t r) {
  if (r < 0x100)
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
         r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

/* The last rune of s[0..len), as Go's utf8.DecodeLastRune. */
static uint32_t last_rune(const char *s, size_t len, size_t *width) {
  size_t start = len - 1;
  while (start > 0 && len - start < 4 &&
         ((unsigned char)s[start] & 0xC0) == 0x80)
    start--;
  uint32_t r = berth_utf8_decode(s + start, len - start, width);
  if (*width != len - start) {
    *width = 1;
    return RUNE_ERROR;
  }
  return r;
}

void berth_go_trim_space(const char **s, size_t *len) {
  size_t w;
  while (*len > 0 && is_space(berth_utf8_decode(*s, *len, &w)))
    *s += w, *len -= w;
  while (*len > 0 && is_space(last_rune(*s, *len, &w)))
    *len -= w;
}

/* Go's path.Clean: the shortest equivalent path by lexical processing. */
char *berth_go_clean(const char *p, size_t n) {
  char *out = malloc(n + 2);
  if (!out)
    return NULL;
  bool rooted = n > 0 && p[0] == '/';
  size_t w = 0, r = 0, dotdot = 0;
  if (rooted)
    out[w++] = '/', r = 1, dotdot = 1;
  while (r < n) {
    if (p[r] == '/') {
      r++;
    } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
      r++;
    } else if (p[r] == '.' && p[r + 1] == '.' &&
               (r + 2 == n || p[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        for (w--; w > dotdot && out[w] != '/'; w--)
          ;
      } else if (!rooted) {
        if (w > 0)
          out[w++] = '/';
        out[w++] = '.', out[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0))
        out[w++] = '/';
      for (; r < n && p[r] != '/'; r++)
        out[w++] = p[r];
    }
  }
  if (w == 0)
    out[w++] = '.';
  out[w] = '\0';
  return out;
}

/* One range end of a class ("a" or "\a"); NULL when malformed. */
static const char *class_char(const char *c, const char *end, uint32_t *r) {
  if (c == end || *c == '-' || *c == ']')
    return NULL;
  if (*c == '\\' && ++c == end)
    return NULL;
  size_t w;
  *r = berth_utf8_decode(c, (size_t)(end - c), &w);
  if (*r == RUNE_ERROR && w == 1)
    return NULL;
  c += w;
  return c == end ? NULL : c;
}

/* A class at c (just past '['), matched against rune r (has_r false:
 * only checked).  Returns the end of the class or NULL when malformed. */
static const char *match_class(const char *c, const char *end, uint32_t r,
                               bool *hit) {
  bool negated = c < end && *c == '^';
  c += negated;
  bool match = false;
  for (int n = 0;; n++) {
    if (c < end && *c == ']' && n > 0)
      break;
    uint32_t lo, hi;
    if (!(c = class_char(c, end, &lo)))
      return NULL;
    hi = lo;
    if (*c == '-' && !(c = class_char(c + 1, end, &hi)))
      return NULL;
    match |= lo <= r && r <= hi;
  }
  *hit = match != negated;
  return c + 1;
}

/* Matches one chunk (no '*') at the start of s: returns the rest of s,
 * NULL when it does not match; *bad when the chunk is malformed.  After a
 * failure the chunk is still read to the end, for its syntax. */
static const char *match_chunk(const char *c, const char *cend, const char *s,
                               bool *bad) {
  bool failed = false;
  size_t w;
  while (c < cend) {
    failed |= *s == '\0';
    if (*c == '[') {
      uint32_t r = failed ? 0 : berth_utf8_decode(s, strlen(s), &w);
      bool hit;
      if (!(c = match_class(c + 1, cend, r, &hit))) {
        *bad = true;
        return NULL;
      }
      if (!failed)
        s += w;
      failed |= !hit;
      continue;
    }
    if (*c == '?') {
      if (!failed) {
        failed = *s == '/';
        berth_utf8_decode(s, strlen(s), &w);
        s += w;
      }
      c++;
      continue;
    }
    if (*c == '\\' && ++c == cend) {
      *bad = true;
      return NULL;
    }
    if (!failed)
      failed = *c != *s++;
    c++;
  }
  return failed ? NULL : s;
}

/* Splits the pattern at its next unbracketed '*': *star tells whether
 * stars led the chunk. */
static const char *scan_chunk(const char *p, bool *star, const char **cend) {
  *star = false;
  while (*p == '*')
    p++, *star = true;
  bool in_range = false;
  const char *c = p;
  for (; *c; c++) {
    if (*c == '\\' && c[1])
      c++;
    else if (*c == '[')
      in_range = true;
    else if (*c == ']')
      in_range = false;
    else if (*c == '*' && !in_range)
      break;
  }
  *cend = c;
  return p;
}

/* The remaining chunks only for their syntax. */
static int check_rest(const char *p) {
  while (*p) {
    bool star, bad = false;
    const char *cend, *c = scan_chunk(p, &star, &cend);
    match_chunk(c, cend, "", &bad);
    if (bad)
      return -1;
    p = cend;
  }
  return 0;
}

int berth_go_match(const char *p, const char *name) {
  while (*p) {
    bool star, bad = false;
    const char *cend, *c = scan_chunk(p, &star, &cend);
    p = cend;
    if (star && c == cend)
      return strchr(name, '/') == NULL;
    const char *t = match_chunk(c, cend, name, &bad);
    if (t && (*t == '\0' || *p)) {
      name = t;
      continue;
    }
    if (bad)
      return -1;
    bool advanced = false;
    for (size_t i = 0; !advanced && star && name[i] && name[i] != '/'; i++) {
      t = match_chunk(c, cend, name + i + 1, &bad);
      if (bad)
        return -1;
      if (t && !(*p == '\0' && *t != '\0'))
        name = t, advanced = true;
    }
    if (!advanced)
      return check_rest(p) < 0 ? -1 : 0;
  }
  return *name == '\0';
}

bool berth_go_has_wildcards(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '*' || s[i] == '?' || s[i] == '[')
      return true;
  }
  return false;
}
