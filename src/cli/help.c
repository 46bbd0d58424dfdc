/* --help in Docker's layout, and Docker's unknown-flag messages.  The
 * options printed are the very table the command parses with: a command
 * asked for help reaches its parser, which fails on `--help` and lands in
 * cli_flag_error with its table. */
#include "help.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static struct {
  const struct cli_command *cmd; /* the command running */
  bool shown;                    /* it printed its help */
  bool capture;                  /* hand the table over, print nothing */
  struct opt *opts;              /* the captured copy */
  size_t n;
  bool got;
} help;

bool cli_command_hidden(const struct cli_command *c) {
  return c->name[0] == '_';
}

/* A field of an alias comes from the entry with the same function. */
static const struct cli_command *with_field(const struct cli_command *c,
                                            size_t offset) {
  if (*(const char *const *)((const char *)c + offset))
    return c;
  for (size_t i = 0; i < cli_ncommands; i++)
    if (cli_commands[i].fn == c->fn &&
        *(const char *const *)((const char *)&cli_commands[i] + offset))
      return &cli_commands[i];
  return c;
}

/* Tolerates a usage written with the command's name in front. */
static const char *skip_word(const char *s, const char *word) {
  size_t n = word ? strlen(word) : 0;
  if (n && strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\0'))
    return s + n + (s[n] == ' ');
  return s;
}

const char *cli_command_usage(const struct cli_command *c) {
  const struct cli_command *u =
      with_field(c, offsetof(struct cli_command, usage));
  if (!u->usage)
    return NULL;
  return skip_word(skip_word(u->usage, u->group), u->name);
}

const char *cli_command_desc(const struct cli_command *c) {
  return with_field(c, offsetof(struct cli_command, desc))->desc;
}

const struct cli_group *cli_group_find(const char *name) {
  for (size_t i = 0; i < cli_ngroups; i++)
    if (strcmp(cli_groups[i].name, name) == 0)
      return &cli_groups[i];
  return NULL;
}

void cli_help_begin(const struct cli_command *c) { help.cmd = c; }

bool cli_help_shown(void) { return help.shown; }

/* Whether a table has the name ("time,t,timeout" has "t"). */
static bool has_name(const struct opt *opts, size_t n, const char *name) {
  for (size_t k = 0; k < n; k++)
    for (const char *p = opts[k].names; *p;) {
      size_t l = strcspn(p, ",");
      if (l == strlen(name) && strncmp(p, name, l) == 0)
        return true;
      p += l + (p[l] == ',');
    }
  return false;
}

static bool has_short(const struct opt *opts, size_t n, char c) {
  char name[2] = {c, '\0'};
  return has_name(opts, n, name);
}

bool cli_is_help_flag(const char *a, const struct opt *opts, size_t nopts) {
  return strcmp(a, "--help") == 0 ||
         (strcmp(a, "-h") == 0 && !has_short(opts, nopts, 'h'));
}

static void invoked(const struct cli_command *c, char *buf, size_t len) {
  if (!c)
    snprintf(buf, len, "berth");
  else
    snprintf(buf, len, "berth %s%s%s", c->group ? c->group : "",
             c->group ? " " : "", c->name);
}

/* Docker's words (pflag's): the flag as typed, and for a short one the
 * letter it does not know. */
static void unknown_flag(const char *a, const struct opt *opts, size_t n) {
  char cmd[128];
  invoked(help.cmd, cmd, sizeof cmd);
  if (a[1] == '-')
    fprintf(stderr, "unknown flag: %.*s\n", (int)strcspn(a, "="), a);
  else {
    const char *c = a + 1;
    while (c[1] && c[1] != '=' && has_short(opts, n, *c))
      c++;
    fprintf(stderr, "unknown shorthand flag: '%c' in %s\n", *c, a);
  }
  fprintf(stderr, "See '%s --help'.\n", cmd);
}

static void capture(const struct opt *opts, size_t n) {
  free(help.opts);
  help.opts = calloc(n + 1, sizeof *opts);
  if (!help.opts)
    return;
  for (size_t k = 0; k < n; k++)
    help.opts[k] =
        (struct opt){opts[k].names, opts[k].kind, NULL, NULL, opts[k].help};
  help.n = n;
  help.got = true;
}

static void print_command(FILE *f, const struct opt *opts, size_t n);

int cli_flag_error(const char *cmd, int argc, char **argv, int i,
                   const struct opt *opts, size_t nopts, const char *msg) {
  const char *a = i < argc ? argv[i] : NULL;
  if (a && cli_is_help_flag(a, opts, nopts)) {
    if (help.capture)
      capture(opts, nopts);
    else if (help.cmd) {
      print_command(stdout, opts, nopts);
      help.shown = true;
    }
    return -1;
  }
  if (a && a[0] == '-' &&
      strncmp(msg, OPT_ERR_UNKNOWN, strlen(OPT_ERR_UNKNOWN)) == 0)
    unknown_flag(a, opts, nopts);
  else
    cli_errorf(EXIT_USAGE, "%s: %s", cmd, msg);
  return -1;
}

/* The first short and first long name, e.g. 'd' and "detach". */
static void names_of(const struct opt *o, char *sh, const char **lg,
                     size_t *lglen) {
  *sh = 0;
  *lg = NULL;
  for (const char *p = o->names; *p;) {
    size_t l = strcspn(p, ",");
    if (l == 1 && !*sh)
      *sh = *p;
    else if (l > 1 && !*lg) {
      *lg = p;
      *lglen = l;
    }
    p += l + (p[l] == ',');
  }
}

void cli_flag_names(const struct opt *o, char *buf, size_t len) {
  static const char *types[] = {[OPT_BOOL] = "",
                                [OPT_STRING] = " string",
                                [OPT_INT] = " int",
                                [OPT_LIST] = " list"};
  char sh;
  const char *lg;
  size_t lglen = 0;
  names_of(o, &sh, &lg, &lglen);
  char s[8] = "   ";
  if (sh)
    snprintf(s, sizeof s, "-%c%s", sh, lg ? "," : "");
  if (lg)
    snprintf(buf, len, "  %s --%.*s%s", s, (int)lglen, lg, types[o->kind]);
  else
    snprintf(buf, len, "  %s%s", s, types[o->kind]);
}

void cli_flag_words(const struct opt *o, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (const char *p = o->names; *p && used < len;) {
    size_t l = strcspn(p, ",");
    used += snprintf(buf + used, len - used, "%s%s%.*s", used ? " " : "",
                     l == 1 ? "-" : "--", (int)l, p);
    p += l + (p[l] == ',');
  }
}

/* The Options: section; --help is every command's. */
static void print_options(FILE *f, const struct opt *opts, size_t n) {
  struct opt h = {has_short(opts, n, 'h') ? "help" : "help,h", OPT_BOOL, NULL,
                  NULL, "Print usage"};
  char left[128];
  size_t width = 0, all = n + !has_name(opts, n, "help");
  for (size_t k = 0; k < all; k++) {
    cli_flag_names(k < n ? &opts[k] : &h, left, sizeof left);
    width = strlen(left) > width ? strlen(left) : width;
  }
  fputs("\nOptions:\n", f);
  for (size_t k = 0; k < all; k++) {
    const struct opt *o = k < n ? &opts[k] : &h;
    cli_flag_names(o, left, sizeof left);
    fprintf(f, "%-*s   %s\n", (int)width, left, o->help ? o->help : "");
  }
}

static void print_usage_line(FILE *f, const char *cmd, const char *usage) {
  fprintf(f, "\nUsage:  %s", cmd);
  for (const char *p = usage; p && *p;) {
    size_t l = strcspn(p, "\n");
    fprintf(f, " %.*s", (int)l, p);
    p += l;
    if (*p == '\n' && *++p)
      fprintf(f, "\n\t%s", cmd);
  }
  fputc('\n', f);
}

/* Whether o is another name of c: the same function documented by the
 * same entry (`container inspect`, with its own usage, is not `inspect`). */
static bool alias_of(const struct cli_command *o, const struct cli_command *c) {
  size_t usage = offsetof(struct cli_command, usage);
  return o->fn == c->fn && !cli_command_hidden(o) &&
         with_field(o, usage) == with_field(c, usage);
}

/* Docker's "Aliases:": every name that runs the same command. */
static void print_aliases(FILE *f, const struct cli_command *c) {
  size_t n = 0;
  for (size_t i = 0; i < cli_ncommands; i++)
    n += alias_of(&cli_commands[i], c);
  if (n < 2)
    return;
  fputs("\nAliases:\n  ", f);
  for (size_t i = 0, k = 0; i < cli_ncommands; i++) {
    if (!alias_of(&cli_commands[i], c))
      continue;
    char name[128];
    invoked(&cli_commands[i], name, sizeof name);
    fprintf(f, "%s%s", k++ ? ", " : "", name);
  }
  fputc('\n', f);
}

static void print_command(FILE *f, const struct opt *opts, size_t n) {
  const struct cli_command *c = help.cmd;
  char cmd[128];
  invoked(c, cmd, sizeof cmd);
  print_usage_line(f, cmd, cli_command_usage(c));
  const char *desc = cli_command_desc(c);
  if (desc)
    fprintf(f, "\n%s\n", desc);
  print_aliases(f, c);
  print_options(f, opts, n);
}

static int by_name(const void *a, const void *b) {
  const struct cli_command *x = *(const struct cli_command *const *)a;
  const struct cli_command *y = *(const struct cli_command *const *)b;
  return strcmp(x->name, y->name);
}

/* The commands of a group (NULL: the top level), one per function,
 * sorted by name as Docker lists them; free() the array. */
static const struct cli_command **listed(const char *group, size_t *n) {
  const struct cli_command **out = calloc(cli_ncommands, sizeof *out);
  *n = 0;
  for (size_t i = 0; out && i < cli_ncommands; i++) {
    const struct cli_command *c = &cli_commands[i];
    bool same = group ? c->group && strcmp(c->group, group) == 0 : !c->group;
    bool dup = false;
    for (size_t k = 0; k < *n; k++)
      dup = dup || out[k]->fn == c->fn;
    if (same && !dup && !cli_command_hidden(c))
      out[(*n)++] = c;
  }
  if (out)
    qsort(out, *n, sizeof *out, by_name);
  return out;
}

static void print_list(FILE *f, const char *title, const char *group) {
  size_t n;
  _cleanup_free_ const struct cli_command **cs = listed(group, &n);
  size_t width = 11;
  for (size_t i = 0; i < n; i++)
    width = strlen(cs[i]->name) > width ? strlen(cs[i]->name) : width;
  fprintf(f, "\n%s:\n", title);
  for (size_t i = 0; i < n; i++) {
    const char *d = cli_command_desc(cs[i]);
    fprintf(f, "  %-*s %s\n", (int)width, cs[i]->name, d ? d : "");
  }
}

void cli_help_top(FILE *f, const struct opt *globals, size_t nglobals) {
  print_usage_line(f, "berth", "[OPTIONS] COMMAND");
  fputs("\nA daemonless, secure-by-default container engine\n", f);
  print_options(f, globals, nglobals);
  fputs("\nManagement Commands:\n", f);
  for (size_t i = 0; i < cli_ngroups; i++)
    fprintf(f, "  %-11s %s\n", cli_groups[i].name, cli_groups[i].desc);
  print_list(f, "Commands", NULL);
  fputs("\nRun 'berth COMMAND --help' for more information on a command.\n", f);
}

void cli_help_group(FILE *f, const struct cli_group *g) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "berth %s", g->name);
  print_usage_line(f, cmd, "COMMAND");
  fprintf(f, "\n%s\n", g->desc);
  print_list(f, "Commands", g->name);
  fprintf(f, "\nRun '%s COMMAND --help' for more information on a command.\n",
          cmd);
}

int cli_command_options(struct berth_cli *cli, const struct cli_command *c,
                        struct opt **opts, size_t *n) {
  char arg[] = "--help", *argv[] = {arg, NULL};
  help = (typeof(help)){.cmd = c, .capture = true};
  c->fn(cli, 1, argv);
  bool got = help.got;
  *opts = help.opts;
  *n = help.n;
  help = (typeof(help)){0};
  if (!got) {
    free(*opts);
    *opts = NULL;
    return -1;
  }
  return 0;
}

int cli_help_check(struct berth_cli *cli) {
  int bad = 0;
  for (size_t i = 0; i < cli_ncommands; i++) {
    const struct cli_command *c = &cli_commands[i];
    if (cli_command_hidden(c))
      continue;
    char cmd[128];
    invoked(c, cmd, sizeof cmd);
    if (!cli_command_usage(c) || !cli_command_desc(c))
      bad += fprintf(stderr, "%s: no usage or description\n", cmd) > 0;
    _cleanup_free_ struct opt *opts = NULL;
    size_t n;
    if (cli_command_options(cli, c, &opts, &n) < 0) {
      bad += fprintf(stderr, "%s: --help does not reach its flags\n", cmd) > 0;
      continue;
    }
    for (size_t k = 0; k < n; k++)
      if (!opts[k].help || !*opts[k].help)
        bad += fprintf(stderr, "%s: --%s has no help line\n", cmd,
                       opts[k].names) > 0;
  }
  if (bad)
    fprintf(stderr, "%d problem(s)\n", bad);
  return bad ? 1 : 0;
}
