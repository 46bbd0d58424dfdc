/* Internals of the Dockerfile parser (dockerfile*.c) and the word
 * processor (shell_word.c); not for use outside src/build/. */
#ifndef BERTH_BUILD_DOCKERFILE_INTERNAL_H
#define BERTH_BUILD_DOCKERFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "error.h"

/* What every message needs: the file's name and its escape character. */
struct df_ctx {
  const char *name;
  char escape;
};

/* The text's lines, one at a time: the line without its "\n" (and
 * without the "\r" of a CRLF file, as Docker's line scanner drops it). */
struct df_reader {
  const char *text;
  size_t len, pos;
  int lineno; /* lines returned so far: the current line's number */
};
bool df_next_line(struct df_reader *r, const char **line, size_t *n);

/* INVALID error "NAME:LINE: message"; returns -1. */
int df_fail(const struct df_ctx *c, int line, berth_error **err,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int df_oom(berth_error **err);

/* User text for a message: at most `max` bytes (then "..."), control
 * characters shown as '?', so a Dockerfile cannot write escape sequences
 * to the terminal that prints the error.  buf must hold max + 4 bytes. */
const char *df_shown(const char *s, size_t n, char *buf, size_t max);

/* A growing NULL-terminated string vector. */
struct df_strv {
  char **v;
  size_t n, cap;
};
int df_strv_add(struct df_strv *s, const char *p, size_t n);
/* The df_strv that df_strv_add calls built as (v, n) (its capacity
 * follows from n), to add more to it. */
struct df_strv df_strv_of(char **v, size_t n);
void df_strv_clear(struct df_strv *s);

/* A growing NUL-terminated byte string. */
struct df_buf {
  char *p;
  size_t n, cap;
};
int df_buf_add(struct df_buf *b, const char *s, size_t n);

/* Docker's whitespace inside a line ([\t\v\f\r ]). */
static inline bool df_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r' ||
         ch == '\n';
}

/* Docker's parseWords (ENV, LABEL, ARG): words split at whitespace
 * outside quotes, quotes and escape characters kept.  *open (may be NULL):
 * the text ended inside a quote.  -1: out of memory. */
int df_split_words(const char *s, char esc, struct df_strv *out, bool *open);

/* Parses one logical line (continuations joined, not empty) into *in;
 * in->line must be set.  *heredocs: whether the instruction may open
 * heredocs (RUN, COPY, ADD in shell form, or ONBUILD of one).  On error
 * *in may hold parts: df_instr_clear. */
int df_instr_parse(const struct df_ctx *c, const char *line,
                   struct berth_df_instr *in, bool *heredocs,
                   berth_error **err);
void df_instr_clear(struct berth_df_instr *in);

/* Splits the leading "--name[=value]" words off `rest` into in->flags
 * (quotes and backslashes removed, as Docker's flag splitter does) and
 * checks them against what in->cmd allows.  *args: the rest after them. */
int df_flags_parse(const struct df_ctx *c, const char *rest,
                   struct berth_df_instr *in, const char **args,
                   berth_error **err);
/* HEALTHCHECK's flag values: durations and the retry count. */
int df_flags_check_health(const struct df_ctx *c,
                          const struct berth_df_instr *in, berth_error **err);

/* Heredocs: when `line` (the instruction as written) opens any and the
 * instruction may have them, reads their bodies from r into in. */
int df_heredocs_read(const struct df_ctx *c, const char *line,
                     struct df_reader *r, struct berth_df_instr *in,
                     berth_error **err);
/* The heredoc a single word opens ("<<EOF", "<<-'EOF'", "3<<EOF"): 1 with
 * *name (malloc'd), *chomp and *expand set; 0 when the word opens none;
 * -1 on allocation failure. */
int df_heredoc_word(const char *w, size_t n, char **name, bool *chomp,
                    bool *expand);

#endif
