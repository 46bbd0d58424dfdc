/* Words of a Dockerfile instruction as Docker's builder processes them
 * (its "shell lexer"): quotes removed ('...' literal, "..." with
 * expansion and backslash escapes of " $ and the escape character),
 * the escape character (dockerfile.h) escaping the next character, and
 * variables expanded from the build's environment: $VAR, ${VAR},
 * ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg} and
 * ${VAR?msg} (errors), where word is itself processed.  An unset
 * variable expands to "".  Nothing else of a shell happens: no globbing,
 * no command substitution, no arithmetic.  As in Docker, a '$' that
 * starts no name stays itself ("$(date)" and "cost: 5$" are literal);
 * `${` without its `}`, `${}` and other modifiers (${VAR#x}, ${VAR%x},
 * ${VAR/x/y}: not supported here) are errors. */
#ifndef BERTH_BUILD_SHELL_WORD_H
#define BERTH_BUILD_SHELL_WORD_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Longest result of one word (and of each ${VAR:-word} inside it):
 * `ENV A=$A$A` doubles a value per instruction. */
#define BERTH_WORD_MAX (1u << 20)
/* Longest expanded heredoc body (a body itself may be as long as the
 * Dockerfile, BERTH_DOCKERFILE_MAX). */
#define BERTH_HEREDOC_MAX (8u << 20)

/* Looks a variable up; NULL when unset.  The environment is a list of
 * "NAME=value" strings, last one wins (ENV and ARG append). */
struct berth_word_env {
  char *const *vars;
  size_t n;
};
const char *berth_word_env_get(const struct berth_word_env *env,
                               const char *name);

/* Processes one raw word into *out (malloc'd).  Whitespace inside the
 * word stays as it is (the word is already split). */
int berth_word_expand(const char *raw, char escape,
                      const struct berth_word_env *env, char **out,
                      berth_error **err);

/* Processes a raw string that may hold several words (Docker uses this
 * for EXPOSE: `EXPOSE $PORTS` with PORTS="80 443" exposes two ports):
 * splits at unquoted, unescaped whitespace, which includes whitespace
 * in the value of an unquoted $VAR (as Docker's ProcessWords: "$PORTS"
 * in quotes stays one word); empty words are dropped.  Returns a
 * NULL-terminated strv in *out and its length in *n.  (COPY, ADD and
 * VOLUME operands are one word each in Docker: berth_word_expand.) */
int berth_words_expand(const char *raw, char escape,
                       const struct berth_word_env *env, char ***out,
                       size_t *n, berth_error **err);

/* A COPY/ADD heredoc's body, when its delimiter was not quoted
 * (berth_df_heredoc.expand), as Docker expands it: $VAR and ${...}
 * expand and the escape character escapes the next character (so
 * "\$HOME" stays "$HOME" and a lone backslash goes), but quotes are
 * ordinary characters.  (A RUN heredoc is not expanded by the builder:
 * its shell does that.) */
int berth_heredoc_expand(const char *body, char escape,
                         const struct berth_word_env *env, char **out,
                         berth_error **err);

#endif
