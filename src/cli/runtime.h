/* berth-runtime's command line: global options and the verb handlers. */
#ifndef BERTH_CLI_RUNTIME_H
#define BERTH_CLI_RUNTIME_H

#include "container.h"
#include "error.h"

struct cli {
  struct berth_ctx ctx;
  berth_log log;
  const char *progname;
};

/* Every verb: argv[0] is the verb; returns the process exit status. */
typedef int (*verb_fn)(struct cli *cli, int argc, char **argv);

int verb_create(struct cli *, int, char **);
int verb_run(struct cli *, int, char **);
int verb_start(struct cli *, int, char **);
int verb_state(struct cli *, int, char **);
int verb_kill(struct cli *, int, char **);
int verb_delete(struct cli *, int, char **);
int verb_list(struct cli *, int, char **);
int verb_ps(struct cli *, int, char **);
int verb_pause(struct cli *, int, char **);
int verb_resume(struct cli *, int, char **);
int verb_features(struct cli *, int, char **);
int verb_spec(struct cli *, int, char **);
int verb_exec(struct cli *, int, char **);
int verb_update(struct cli *, int, char **);

/* Prints "berth-runtime: msg" to stderr and logs it; returns 1. */
int cli_fail(struct cli *cli, berth_error *err);
int cli_failf(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints a JSON value to stdout, indented. */
void cli_print_json(json_t *j);

#endif
