/* The berth command line: shared state and helpers of its commands. */
#ifndef BERTH_CLI_BERTH_H
#define BERTH_CLI_BERTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

#include "args.h"
#include "error.h"
#include "imgstore.h"
#include "template.h"

/* Docker's exit statuses: 125 when berth itself fails (bad flags, engine
 * errors) as `docker run` does; image commands fail with 1 as docker's. */
#define EXIT_USAGE 125

struct berth_cli {
  const char *root; /* --root, $BERTH_ROOT, /var/lib/berth */
  struct berth_imgstore *is;
  struct berth_engine *engine; /* owns `is` when open */
  char **envp;
};

typedef int (*berth_cmd_fn)(struct berth_cli *cli, int argc, char **argv);

/* Parses flags anywhere among the positional arguments (as docker does);
 * `--` ends flags.  pos/npos get the positionals.  Prints the error and
 * returns -1 on a bad flag. */
int cli_args(const char *cmd, int argc, char **argv, const struct opt *opts,
             size_t nopts, char **pos, size_t maxpos, size_t *npos);
/* A flag parser failed at argv[i] with msg: prints the command's help
 * (the failure was --help), Docker's "unknown flag: --bogus" with its
 * hint, or "berth: CMD: msg".  Always returns -1; the command then
 * returns, and main exits 0 after help (help.c). */
int cli_flag_error(const char *cmd, int argc, char **argv, int i,
                   const struct opt *opts, size_t nopts, const char *msg);
/* Expands short-flag clusters (-it, -eK=V) into separate words; with
 * stop_at_positional, words after the first positional are kept as they
 * are (a command's own arguments).  free() the result. */
char **cli_expand_short(int argc, char **argv, const struct opt *opts,
                        size_t nopts, int *out_argc, bool stop_at_positional);
/* Opens the engine lazily (and with it the image store). */
struct berth_engine;
int cli_engine(struct berth_cli *cli, struct berth_engine **out);
/* Opens the image store lazily. */
int cli_store(struct berth_cli *cli, struct berth_imgstore **out);
/* Prints "berth: <msg>" and frees err; returns status. */
int cli_error(berth_error *err, int status);
/* Prints "berth: <cmd>: <msg>" and frees err; returns status. */
int cli_prefixed_error(const char *cmd, berth_error *err, int status);
int cli_errorf(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "12.3MB" as docker writes sizes (decimal units). */
void cli_human_size(double bytes, char *out, size_t len);
/* "12.34MB": four significant digits, as `docker system df`. */
void cli_human_size4(double bytes, char *out, size_t len);
/* Docker's prune prompt: the warning, "Are you sure you want to
 * continue? [y/N]" on stderr; true for an answer starting with y. */
bool cli_confirm(const char *warning);
/* "Total reclaimed space: SIZE" (prune commands). */
void cli_print_reclaimed(uint64_t freed);
/* "3 weeks ago" from an RFC 3339 time or unix seconds. */
void cli_human_ago(const char *rfc3339, long long unix_s, char *out,
                   size_t len);
void cli_print_json(json_t *j);
/* --format (template.c): "table [TEMPLATE]", "json" or a Go template
 * (src/lib/template.h), run per row. */
#define CLI_TAB_MAX_COLS 64
struct cli_format {
  const char *cmd;
  struct berth_template *t;
  bool table, json;
  json_t *headers;
  char *buf; /* a table's text, aligned at close */
  size_t len, cap;
  bool pending, flushed; /* rows since the last flush; flushed once */
};
/* format NULL, "" or "table": default_table.  headers (may be NULL): the
 * column titles by field, for the header row of a table.  Prints the
 * error (one line, naming the command) and returns -1 on a bad template:
 * exit EXIT_USAGE. */
int cli_format_open(struct cli_format *f, const char *cmd, const char *format,
                    const char *default_table, json_t *headers);
/* One row (methods: see berth_template_exec); prints the error and
 * returns -1 when the template fails on it (an unknown field). */
int cli_format_row(struct cli_format *f, json_t *row, json_t *methods);
void cli_format_put(struct cli_format *f, const char *s, size_t n);
/* Prints the table so far (a stream's refresh) and, with again, starts
 * the next one with its header. */
void cli_format_flush(struct cli_format *f, bool again);
/* Prints what a table held, aligned; frees f. */
void cli_format_close(struct cli_format *f);
/* Inspect documents: a JSON array (no format or "json"), else each
 * through the template; 0 or EXIT_USAGE. */
int cli_print_docs(const char *cmd, json_t *all, const char *format);
/* The common part of the inspect commands: -f/--format, at least one
 * NAME, each NAME's document from doc() into *all (a NAME without one
 * prints its error and makes *status 1).  Returns EXIT_USAGE on a usage
 * error (printed), else 0. */
typedef json_t *(*cli_doc_fn)(struct berth_cli *cli, const char *name,
                              berth_error **err);
int cli_inspect_collect(struct berth_cli *cli, const char *cmd, int argc,
                        char **argv, cli_doc_fn doc, json_t **all,
                        const char **format, int *status);
/* One object through --format ("json": one line); 0 or EXIT_USAGE. */
int cli_print_formatted(const char *cmd, json_t *obj, const char *format);

/* The commands, one file per verb family (berth.c: the table). */
/* cmd_registry.c */
int cmd_pull(struct berth_cli *cli, int argc, char **argv);
int cmd_push(struct berth_cli *cli, int argc, char **argv);
int cmd_login(struct berth_cli *cli, int argc, char **argv);
int cmd_logout(struct berth_cli *cli, int argc, char **argv);
/* cmd_images.c */
int cmd_images(struct berth_cli *cli, int argc, char **argv);
int cmd_tag(struct berth_cli *cli, int argc, char **argv);
int cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int cmd_history(struct berth_cli *cli, int argc, char **argv);
/* cmd_archive.c */
int cmd_save(struct berth_cli *cli, int argc, char **argv);
int cmd_load(struct berth_cli *cli, int argc, char **argv);
int cmd_import(struct berth_cli *cli, int argc, char **argv);
/* cmd_run.c */
int cmd_run(struct berth_cli *cli, int argc, char **argv);
int cmd_create(struct berth_cli *cli, int argc, char **argv);
int cmd_start(struct berth_cli *cli, int argc, char **argv);
/* cmd_lifecycle.c */
int cmd_stop(struct berth_cli *cli, int argc, char **argv);
int cmd_restart(struct berth_cli *cli, int argc, char **argv);
int cmd_kill(struct berth_cli *cli, int argc, char **argv);
int cmd_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_pause(struct berth_cli *cli, int argc, char **argv);
int cmd_unpause(struct berth_cli *cli, int argc, char **argv);
int cmd_wait(struct berth_cli *cli, int argc, char **argv);
int cmd_rename(struct berth_cli *cli, int argc, char **argv);
/* cmd_update.c */
int cmd_update(struct berth_cli *cli, int argc, char **argv);
/* cmd_internal.c: the monitor's helpers */
int cmd_exited(struct berth_cli *cli, int argc, char **argv);
int cmd_restart_child(struct berth_cli *cli, int argc, char **argv);
int cmd_health(struct berth_cli *cli, int argc, char **argv);
int cmd_dns(struct berth_cli *cli, int argc, char **argv);
/* cmd_ps.c, cmd_inspect.c, cmd_logs.c, cmd_top.c, cmd_events.c,
 * cmd_stats.c */
int cmd_ps(struct berth_cli *cli, int argc, char **argv);
int cmd_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_image_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_logs(struct berth_cli *cli, int argc, char **argv);
int cmd_top(struct berth_cli *cli, int argc, char **argv);
int cmd_events(struct berth_cli *cli, int argc, char **argv);
int cmd_stats(struct berth_cli *cli, int argc, char **argv);
/* cmd_build.c */
int cmd_build(struct berth_cli *cli, int argc, char **argv);
/* cmd_exec.c, cmd_attach.c */
int cmd_exec(struct berth_cli *cli, int argc, char **argv);
int cmd_attach(struct berth_cli *cli, int argc, char **argv);

/* Attached clients (cmd_attach.c): the client's terminal in raw mode
 * while attached to a container's. */
struct cli_raw_tty {
  bool on;
  struct termios saved;
};
void cli_raw_on(struct cli_raw_tty *t);
void cli_raw_off(struct cli_raw_tty *t);
/* The client's terminal size; false when it has none. */
struct winsize;
bool cli_term_size(struct winsize *ws);
/* Waits on the monitor connection until the container exits (returns
 * its status) or the client detaches (0), sending resizes (tty) and
 * forwarding signals (sig_proxy, not with a tty, as Docker). */
struct berth_engine;
int cli_attach_wait(struct berth_engine *e, const char *id, int status_fd,
                    bool tty, bool sig_proxy);
/* cmd_filesystem.c */
int cmd_cp(struct berth_cli *cli, int argc, char **argv);
int cmd_export(struct berth_cli *cli, int argc, char **argv);
int cmd_commit(struct berth_cli *cli, int argc, char **argv);
int cmd_diff(struct berth_cli *cli, int argc, char **argv);
/* cmd_prune.c */
int cmd_container_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_image_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_system_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_builder_prune(struct berth_cli *cli, int argc, char **argv);
/* cmd_system.c */
int cmd_info(struct berth_cli *cli, int argc, char **argv);
int cmd_version(struct berth_cli *cli, int argc, char **argv);
int cmd_system_df(struct berth_cli *cli, int argc, char **argv);
int cmd_system_check(struct berth_cli *cli, int argc, char **argv);
int cmd_system_service(struct berth_cli *cli, int argc, char **argv);
int cmd_system_reset(struct berth_cli *cli, int argc, char **argv);
/* cmd_network.c */
int cmd_network_create(struct berth_cli *cli, int argc, char **argv);
int cmd_network_ls(struct berth_cli *cli, int argc, char **argv);
int cmd_network_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_network_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_network_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_network_connect(struct berth_cli *cli, int argc, char **argv);
int cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv);
/* cmd_volume.c */
int cmd_volume_create(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_ls(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_rm(struct berth_cli *cli, int argc, char **argv);
/* cmd_port.c */
int cmd_port(struct berth_cli *cli, int argc, char **argv);
/* The exit status for an engine error: 125 (Docker's for its own). */
int cli_engine_error(berth_error *err);

/* Pulls an image as `berth pull` does (for run --pull). */
int cli_pull_image(struct berth_cli *cli, const char *name, bool quiet,
                   char id[BERTH_DIGEST_SIZE], berth_error **err);
/* Resolves what the user typed to an image id. */
int cli_resolve_image(struct berth_cli *cli, const char *what,
                      char id[BERTH_DIGEST_SIZE], berth_error **err);

#endif
