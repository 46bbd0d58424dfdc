/* berth's help: `--help` for every command, group listings, Docker's
 * unknown-flag messages, and the man pages and bash completion made from
 * the same option tables that parse the flags (so they cannot drift). */
#ifndef BERTH_CLI_HELP_H
#define BERTH_CLI_HELP_H

#include <stdbool.h>
#include <stdio.h>

#include "berth.h"

struct cli_command {
  const char *group, *name; /* group NULL: top level */
  berth_cmd_fn fn;
  /* The arguments after the command's name ("[OPTIONS] IMAGE [COMMAND]
   * [ARG...]"; "\n" separates alternative forms) and Docker's one-line
   * description.  NULL in an alias: taken from the entry with the same
   * function that has them. */
  const char *usage, *desc;
};

struct cli_group {
  const char *name, *desc;
};

/* The command table and the management commands (berth.c). */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_group cli_groups[];
extern const size_t cli_ngroups;

/* The monitor's helpers (`_exited`...): not listed, no help. */
bool cli_command_hidden(const struct cli_command *c);
const char *cli_command_usage(const struct cli_command *c);
const char *cli_command_desc(const struct cli_command *c);
const struct cli_group *cli_group_find(const char *name);

/* main() names the command about to run: its help and flag errors say
 * `berth container ls`, not the function's own name. */
void cli_help_begin(const struct cli_command *c);
/* True once a command printed its help: main then exits 0. */
bool cli_help_shown(void);
/* True for `--help`, and for `-h` where the command has no -h of its own. */
bool cli_is_help_flag(const char *arg, const struct opt *opts, size_t nopts);
/* `berth --help` (globals: main's own flags) and `berth GROUP`. */
void cli_help_top(FILE *f, const struct opt *globals, size_t nglobals);
void cli_help_group(FILE *f, const struct cli_group *g);

/* A command's option table, read by running the command with `--help`
 * while the parser hands the table over instead of printing it.  The
 * copy's out/seen pointers are NULL; free() it. */
int cli_command_options(struct berth_cli *cli, const struct cli_command *c,
                        struct opt **opts, size_t *n);
/* "  -d, --detach" or "      --name string": a flag's left column. */
void cli_flag_names(const struct opt *o, char *buf, size_t len);
/* Every long and short name of an option, "--detach -d". */
void cli_flag_words(const struct opt *o, char *buf, size_t len);

/* `berth __help-check`: every listed command has a usage and a
 * description and every option a help line; prints what lacks one. */
int cli_help_check(struct berth_cli *cli);
/* `berth __man DIR`: berth.1, berth-GROUP.1 and berth-[GROUP-]CMD.1. */
int cli_man_write(struct berth_cli *cli, const char *dir,
                  const struct opt *globals, size_t nglobals);
/* `berth __completion FILE`: the bash completion script. */
int cli_completion_write(struct berth_cli *cli, const char *path,
                         const struct opt *globals, size_t nglobals);

#endif
