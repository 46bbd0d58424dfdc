/* The regular expressions Docker turns `.dockerignore` patterns into
 * (moby/patternmatcher compiles them with Go's regexp package), for the
 * syntax that translation can produce: literals, escapes (\. \d \w \s
 * \x41 \101 \Q..\E \A \z \b \B), classes with ranges, negation, Perl
 * and POSIX classes, `.` (not newline), groups, `*` `?` `+`, `^` and `$`
 * (start and end of text).  Unicode classes (\pL) are refused.  Matching
 * is a Pike VM over Go's runes: time linear in the path for a given
 * pattern, whatever the pattern.  Internal to src/build. */
#ifndef BERTH_BUILD_IGNORE_REGEX_H
#define BERTH_BUILD_IGNORE_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The compiled form, shared by the compiler (ignore_regex.c) and the
 * matcher (ignore_regex_vm.c): NFA instructions over runes. */
struct re_range {
  uint32_t lo, hi;
};

struct re_cls {
  struct re_range *r;
  size_t n, cap;
};

enum re_op { I_RUNE, I_CLASS, I_ANY, I_SPLIT, I_JMP, I_ASSERT, I_MATCH };
enum re_assertion { A_BEGIN, A_END, A_WORD, A_NOT_WORD };

struct re_inst {
  uint8_t op;
  uint32_t x, y; /* RUNE: x rune; CLASS: x class; SPLIT: x, y; JMP: x;
                    ASSERT: x kind */
};

struct berth_re {
  struct re_inst *prog;
  size_t n, cap;
  struct re_cls *cls;
  size_t ncls;
};

/* NULL with *why set (a static string) when re is not valid. */
struct berth_re *berth_re_compile(const char *re, size_t len, const char **why);
/* Go's Regexp.MatchString: somewhere in s (the expressions here all
 * start with `^`, so at its start). */
bool berth_re_match(const struct berth_re *re, const char *s, size_t len);
void berth_re_free(struct berth_re *re);

#endif
