/* Flag parsing in the style runc's CLI accepts: `-flag`, `--flag`,
 * `--flag=value`, `--flag value`, booleans as `--flag` or `--flag=false`,
 * and parsing stops at the first positional argument or `--`. */
#ifndef BERTH_CLI_ARGS_H
#define BERTH_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum opt_kind { OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST };

struct opt {
  const char *names; /* "bundle,b" */
  enum opt_kind kind;
  void *out;         /* bool*, const char**, long*, struct strlist* */
  bool *seen;        /* optional: set when given */
  const char *help;  /* one line for --help, man pages and completion */
};

struct strlist {
  const char *items[64];
  size_t n;
};

/* The start of parse_opts' message for a flag the table lacks (argv[*i]
 * is then that flag, as typed). */
#define OPT_ERR_UNKNOWN "flag provided but not defined"

/* Parses flags from argv[*i] on; on return argv[*i] is the first
 * positional argument.  Returns -1 and fills msg on an error. */
int parse_opts(int argc, char **argv, int *i, const struct opt *opts,
               size_t nopts, char *msg, size_t msglen);

#endif
