/* Go's formatting of values in history lines (build_history.c). */
#ifndef BERTH_BUILD_BUILD_HISTORY_H
#define BERTH_BUILD_BUILD_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void go_quote(FILE *f, const char *s);
void go_quote_list(FILE *f, char *const *v, size_t n);
void go_plain_list(FILE *f, char *const *v, size_t n);
void go_duration(FILE *f, int64_t ns);
void go_quote_rune(FILE *f, int64_t r);

#endif
