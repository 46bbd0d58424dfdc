/* Man pages (man(7) roff) made at build time from the command table and
 * the option tables the commands parse with: berth.1, berth-GROUP.1 and
 * berth-[GROUP-]COMMAND.1. */
#include "help.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

/* Text safe for roff: backslashes and hyphens escaped, no request at the
 * start of a line. */
static void roff(FILE *f, const char *s) {
  if (*s == '.' || *s == '\'')
    fputs("\\&", f);
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\e", f);
    else if (*s == '-')
      fputs("\\-", f);
    else
      fputc(*s, f);
  }
}

static void page_name(const struct cli_command *c, char *buf, size_t len) {
  snprintf(buf, len, "berth-%s%s%s", c->group ? c->group : "",
           c->group ? "-" : "", c->name);
}

static FILE *open_page(const char *dir, const char *name, const char *desc) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.1", dir, name);
  FILE *f = fopen(path, "we");
  if (!f) {
    cli_errorf(1, "write %s: %s", path, strerror(errno));
    return NULL;
  }
  fputs(".TH \"", f);
  for (const char *p = name; *p; p++)
    fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
  fputs("\" 1 \"\" \"berth\" \"berth Manual\"\n.SH NAME\n", f);
  roff(f, name);
  fputs(" \\- ", f);
  roff(f, desc ? desc : "");
  fputc('\n', f);
  return f;
}

/* add_help: --help is every command's, outside its table. */
static void options(FILE *f, const struct opt *opts, size_t n, bool add_help) {
  fputs(".SH OPTIONS\n", f);
  for (size_t k = 0; k < n; k++) {
    char words[256];
    cli_flag_words(&opts[k], words, sizeof words);
    fputs(".TP\n", f);
    /* Short names first, as Docker's pages write them. */
    size_t i = 0;
    for (int pass = 0; pass < 2; pass++) {
      char copy[256], *save = NULL;
      memcpy(copy, words, sizeof copy);
      for (char *w = strtok_r(copy, " ", &save); w;
           w = strtok_r(NULL, " ", &save)) {
        if ((w[1] == '-') != (pass == 1))
          continue;
        fputs(i++ ? ", \\fB" : "\\fB", f);
        roff(f, w);
        fputs("\\fR", f);
      }
    }
    static const char *types[] = {[OPT_BOOL] = "",
                                  [OPT_STRING] = "string",
                                  [OPT_INT] = "int",
                                  [OPT_LIST] = "list"};
    if (opts[k].kind != OPT_BOOL)
      fprintf(f, " \\fI%s\\fR", types[opts[k].kind]);
    fputc('\n', f);
    roff(f, opts[k].help ? opts[k].help : "");
    fputc('\n', f);
  }
  if (add_help)
    fputs(".TP\n\\fB\\-\\-help\\fR\nPrint usage\n", f);
}

static void synopsis(FILE *f, const char *cmd, const char *usage) {
  fputs(".SH SYNOPSIS\n", f);
  for (const char *p = usage ? usage : ""; p;) {
    size_t l = strcspn(p, "\n");
    fprintf(f, ".B %s\n", cmd);
    char *line = strndup(p, l);
    if (line && *line) {
      roff(f, line);
      fputc('\n', f);
    }
    free(line);
    p = p[l] ? p + l + 1 : NULL;
    if (p)
      fputs(".br\n", f);
  }
}

static int command_page(struct berth_cli *cli, const char *dir,
                        const struct cli_command *c) {
  char name[128], cmd[128];
  page_name(c, name, sizeof name);
  snprintf(cmd, sizeof cmd, "berth %s%s%s", c->group ? c->group : "",
           c->group ? " " : "", c->name);
  _cleanup_free_ struct opt *opts = NULL;
  size_t n;
  if (cli_command_options(cli, c, &opts, &n) < 0) {
    /* The page goes without options; `berth __help-check` (a test)
     * fails on such a command, the build need not. */
    fprintf(stderr, "berth: warning: %s: --help does not reach its flags\n",
            cmd);
    n = 0;
  }
  FILE *f = open_page(dir, name, cli_command_desc(c));
  if (!f)
    return 1;
  synopsis(f, cmd, cli_command_usage(c));
  fputs(".SH DESCRIPTION\n", f);
  roff(f, cli_command_desc(c) ? cli_command_desc(c) : "");
  fputc('\n', f);
  options(f, opts, n, true);
  fputs(".SH SEE ALSO\n.BR berth (1)\n", f);
  return fclose(f) == 0 ? 0 : 1;
}

/* One .TP entry per command of a group (NULL: the top level). */
static void command_list(FILE *f, const char *group) {
  for (size_t i = 0; i < cli_ncommands; i++) {
    const struct cli_command *c = &cli_commands[i];
    bool same = group ? c->group && strcmp(c->group, group) == 0 : !c->group;
    if (!same || cli_command_hidden(c))
      continue;
    char name[128];
    page_name(c, name, sizeof name);
    fputs(".TP\n.BR ", f);
    roff(f, name);
    fputs(" (1)\n", f);
    roff(f, cli_command_desc(c) ? cli_command_desc(c) : "");
    fputc('\n', f);
  }
}

static int group_page(const char *dir, const struct cli_group *g) {
  char name[64], cmd[64];
  snprintf(name, sizeof name, "berth-%s", g->name);
  snprintf(cmd, sizeof cmd, "berth %s", g->name);
  FILE *f = open_page(dir, name, g->desc);
  if (!f)
    return 1;
  synopsis(f, cmd, "COMMAND");
  fputs(".SH COMMANDS\n", f);
  command_list(f, g->name);
  fputs(".SH SEE ALSO\n.BR berth (1)\n", f);
  return fclose(f) == 0 ? 0 : 1;
}

static int main_page(const char *dir, const struct opt *globals, size_t n) {
  FILE *f = open_page(dir, "berth",
                      "A daemonless, secure-by-default container engine");
  if (!f)
    return 1;
  synopsis(f, "berth", "[OPTIONS] COMMAND");
  fputs(".SH DESCRIPTION\nberth runs containers with Docker's command line, "
        "without a daemon. Each command has its own page, "
        "\\fBberth\\-run\\fR(1) for \\fBberth run\\fR.\n",
        f);
  options(f, globals, n, false);
  fputs(".SH MANAGEMENT COMMANDS\n", f);
  for (size_t i = 0; i < cli_ngroups; i++) {
    fprintf(f, ".TP\n.BR berth\\-%s (1)\n", cli_groups[i].name);
    roff(f, cli_groups[i].desc);
    fputc('\n', f);
  }
  fputs(".SH COMMANDS\n", f);
  command_list(f, NULL);
  return fclose(f) == 0 ? 0 : 1;
}

int cli_man_write(struct berth_cli *cli, const char *dir,
                  const struct opt *globals, size_t nglobals) {
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return cli_errorf(1, "create %s: %s", dir, strerror(errno));
  int status = main_page(dir, globals, nglobals);
  for (size_t i = 0; status == 0 && i < cli_ngroups; i++)
    status = group_page(dir, &cli_groups[i]);
  for (size_t i = 0; status == 0 && i < cli_ncommands; i++)
    if (!cli_command_hidden(&cli_commands[i]))
      status = command_page(cli, dir, &cli_commands[i]);
  return status;
}
