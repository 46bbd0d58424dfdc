/* Words of a Dockerfile instruction as Docker's builder processes them
 * (its "shell lexer"): quotes removed ('...' literal, "..." with
 * expansion and backslash escapes of " $ and the escape character),
 * the escape character (dockerfile.h) escaping the next character, and
 * variables expanded from the build's environment: $VAR, ${VAR},
 * ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg} and
 * ${VAR?msg} (errors), where word is itself processed.  An unset
 * variable expands to "".  Nothing else of a shell happens: no globbing,
 * no command substitution, no arithmetic; `$(`, `${` without its `}` or
 * an unknown modifier are errors. */
#ifndef BERTH_BUILD_SHELL_WORD_H
#define BERTH_BUILD_SHELL_WORD_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

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

/* Processes a raw string that may hold several words (EXPOSE, VOLUME
 * and COPY operands written unquoted): splits at unquoted, unescaped
 * whitespace AFTER expansion of each word as written (as Docker: a
 * variable holding spaces does not split), returns a NULL-terminated
 * strv in *out and its length in *n. */
int berth_words_expand(const char *raw, char escape,
                       const struct berth_word_env *env, char ***out,
                       size_t *n, berth_error **err);

#endif
