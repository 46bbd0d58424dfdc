/* The berth command line: shared state and helpers of its commands. */
#ifndef BERTH_CLI_BERTH_H
#define BERTH_CLI_BERTH_H

#include <jansson.h>
#include <stdbool.h>

#include "args.h"
#include "error.h"
#include "imgstore.h"

/* Docker's exit statuses: 125 when berth itself fails (bad flags, engine
 * errors) as `docker run` does; image commands fail with 1 as docker's. */
#define EXIT_USAGE 125

struct berth_cli {
  const char *root; /* --root, $BERTH_ROOT, /var/lib/berth */
  struct berth_imgstore *is;
};

typedef int (*berth_cmd_fn)(struct berth_cli *cli, int argc, char **argv);

/* Parses flags anywhere among the positional arguments (as docker does);
 * `--` ends flags.  pos/npos get the positionals.  Prints the error and
 * returns -1 on a bad flag. */
int cli_args(const char *cmd, int argc, char **argv, const struct opt *opts,
             size_t nopts, char **pos, size_t maxpos, size_t *npos);
/* Opens the image store lazily. */
int cli_store(struct berth_cli *cli, struct berth_imgstore **out);
/* Prints "berth: <msg>" and frees err; returns status. */
int cli_error(berth_error *err, int status);
int cli_errorf(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "12.3MB" as docker writes sizes (decimal units). */
void cli_human_size(double bytes, char *out, size_t len);
/* "3 weeks ago" from an RFC 3339 time or unix seconds. */
void cli_human_ago(const char *rfc3339, long long unix_s, char *out,
                   size_t len);
void cli_print_json(json_t *j);

/* Image commands (cmd_pull.c, cmd_images.c). */
int cmd_pull(struct berth_cli *cli, int argc, char **argv);
int cmd_push(struct berth_cli *cli, int argc, char **argv);
int cmd_login(struct berth_cli *cli, int argc, char **argv);
int cmd_logout(struct berth_cli *cli, int argc, char **argv);
int cmd_images(struct berth_cli *cli, int argc, char **argv);
int cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int cmd_tag(struct berth_cli *cli, int argc, char **argv);
int cmd_image_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_image_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_save(struct berth_cli *cli, int argc, char **argv);
int cmd_load(struct berth_cli *cli, int argc, char **argv);
int cmd_import(struct berth_cli *cli, int argc, char **argv);
int cmd_system_df(struct berth_cli *cli, int argc, char **argv);

/* Resolves what the user typed to an image id. */
int cli_resolve_image(struct berth_cli *cli, const char *what,
                      char id[BERTH_DIGEST_SIZE], berth_error **err);

#endif
