/* berth: Docker's command line on berth's runtime and image store. */
#include "berth.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cgroup_warm.h"
#include "cleanup.h"
#include "engine.h"
#include "images.h"
#include "lookup.h"
#include "reference.h"

#define VERSION "0.1.0"

static const struct command {
  const char *group, *name; /* group NULL: top level */
  berth_cmd_fn fn;
  const char *usage;
} commands[] = {
    {NULL, "pull", cmd_pull, "pull [-q] [--platform OS/ARCH] NAME[:TAG|@DIGEST]"},
    {NULL, "push", cmd_push, "push [-q] IMAGE [DESTINATION]"},
    {NULL, "images", cmd_images, "images [-q] [-a] [--digests] [--filter K=V] [--format json] [REPO[:TAG]]"},
    {NULL, "rmi", cmd_rmi, "rmi [-f] [--no-prune] IMAGE..."},
    {NULL, "tag", cmd_tag, "tag SOURCE TARGET"},
    {NULL, "save", cmd_save, "save [-o FILE] [--format oci-archive|docker-archive] IMAGE..."},
    {NULL, "load", cmd_load, "load [-i FILE]"},
    {NULL, "import", cmd_import, "import [-c CHANGE]... FILE|- [REFERENCE]"},
    {NULL, "login", cmd_login, "login [-u USER] [-p PASS|--password-stdin] REGISTRY"},
    {NULL, "logout", cmd_logout, "logout REGISTRY"},
    {"image", "pull", cmd_pull, NULL},
    {"image", "push", cmd_push, NULL},
    {"image", "ls", cmd_images, "image ls (as images)"},
    {"image", "list", cmd_images, NULL},
    {"image", "rm", cmd_rmi, "image rm (as rmi)"},
    {"image", "tag", cmd_tag, NULL},
    {"image", "inspect", cmd_image_inspect, "image inspect IMAGE..."},
    {"image", "save", cmd_save, NULL},
    {"image", "load", cmd_load, NULL},
    {"image", "import", cmd_import, NULL},
    {"image", "prune", cmd_image_prune, "image prune [-a] [-f]"},
    {"system", "df", cmd_system_df, "system df [-v]"},
    {NULL, "history", cmd_history, "history [--no-trunc] [-q] [-H] IMAGE"},
    {"image", "history", cmd_history, NULL},
    {NULL, "diff", cmd_diff, "diff CONTAINER"},
    {"container", "diff", cmd_diff, NULL},
    {"system", "check", cmd_system_check, "system check [--dry-run]"},
    {NULL, "run", cmd_run, "run [OPTIONS] IMAGE [COMMAND [ARG...]]"},
    {NULL, "create", cmd_create, "create [OPTIONS] IMAGE [COMMAND [ARG...]]"},
    {NULL, "start", cmd_start, "start [-a] [-i] CONTAINER..."},
    {NULL, "stop", cmd_stop, "stop [-t SECONDS] [-s SIGNAL] CONTAINER..."},
    {NULL, "restart", cmd_restart, "restart [-t SECONDS] CONTAINER..."},
    {NULL, "kill", cmd_kill, "kill [-s SIGNAL] CONTAINER..."},
    {NULL, "rm", cmd_rm, "rm [-f] [-v] CONTAINER..."},
    {NULL, "ps", cmd_ps, "ps [-a] [-q] [--filter K=V] [--format json]"},
    {NULL, "wait", cmd_wait, "wait CONTAINER..."},
    {NULL, "logs", cmd_logs, "logs [-f] [--tail N] [--since T] [-t] CONTAINER"},
    {NULL, "inspect", cmd_inspect, "inspect CONTAINER|IMAGE..."},
    {NULL, "pause", cmd_pause, "pause CONTAINER..."},
    {NULL, "unpause", cmd_unpause, "unpause CONTAINER..."},
    {"container", "run", cmd_run, NULL},
    {"container", "create", cmd_create, NULL},
    {"container", "start", cmd_start, NULL},
    {"container", "stop", cmd_stop, NULL},
    {"container", "restart", cmd_restart, NULL},
    {"container", "kill", cmd_kill, NULL},
    {"container", "rm", cmd_rm, NULL},
    {"container", "ls", cmd_ps, NULL},
    {"container", "list", cmd_ps, NULL},
    {"container", "wait", cmd_wait, NULL},
    {"container", "logs", cmd_logs, NULL},
    {"container", "inspect", cmd_inspect, NULL},
    {"container", "pause", cmd_pause, NULL},
    {"container", "unpause", cmd_unpause, NULL},
    {NULL, "exec", cmd_exec, "exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]"},
    {"container", "exec", cmd_exec, NULL},
    {NULL, "cp", cmd_cp, "cp [-aL] CONTAINER:SRC DEST|- | SRC|- CONTAINER:DEST"},
    {NULL, "export", cmd_export, "export [-o FILE] CONTAINER"},
    {NULL, "commit", cmd_commit, "commit [-c CHANGE]... [-m MSG] [-a AUTHOR] [-p=false] CONTAINER [REPOSITORY[:TAG]]"},
    {NULL, "events", cmd_events, "events [--since T] [--until T] [--filter K=V] [--format json]"},
    {NULL, "top", cmd_top, "top CONTAINER [ps OPTIONS]"},
    {NULL, "stats", cmd_stats, "stats [--no-stream] [-a] [--format json] [CONTAINER...]"},
    {NULL, "info", cmd_info, "info [--format json]"},
    {NULL, "version", cmd_version, "version [--format json]"},
    {NULL, "rename", cmd_rename, "rename CONTAINER NEW_NAME"},
    {NULL, "port", cmd_port, "port CONTAINER [PRIVATE_PORT[/PROTO]]"},
    {"container", "cp", cmd_cp, NULL},
    {"container", "export", cmd_export, NULL},
    {"container", "commit", cmd_commit, NULL},
    {"container", "top", cmd_top, NULL},
    {"container", "stats", cmd_stats, NULL},
    {"container", "rename", cmd_rename, NULL},
    {"container", "port", cmd_port, NULL},
    {"container", "prune", cmd_container_prune, "container prune [-f] [--filter until=|label=]"},
    {"system", "prune", cmd_system_prune, "system prune [-a] [-f] [--volumes] [--filter until=]"},
    {"system", "events", cmd_events, NULL},
    {"system", "info", cmd_info, NULL},
    {"volume", "create", cmd_volume_create, "volume create [--label K=V] [NAME]"},
    {"volume", "ls", cmd_volume_ls, "volume ls [-q] [--filter K=V] [--format json]"},
    {"volume", "list", cmd_volume_ls, NULL},
    {"volume", "inspect", cmd_volume_inspect, "volume inspect VOLUME..."},
    {"volume", "rm", cmd_volume_rm, "volume rm [-f] VOLUME..."},
    {"volume", "prune", cmd_volume_prune, "volume prune [-a] [-f]"},
    /* The monitor's helpers; not for users. */
    {NULL, "_exited", cmd_exited, NULL},
    {NULL, "_restart", cmd_restart_child, NULL},
    {NULL, "_health", cmd_health, NULL},
};

int cli_errorf(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("berth: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return status;
}

int cli_error(berth_error *err, int status) {
  cli_errorf(status, "%s", err ? err->msg : "unknown error");
  berth_error_free(err);
  return status;
}

void cli_print_json(json_t *j) {
  char *s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  if (s) {
    puts(s);
    free(s);
  }
}

int cli_args(const char *cmd, int argc, char **argv, const struct opt *opts,
             size_t nopts, char **pos, size_t maxpos, size_t *npos) {
  char msg[256];
  int i = 0;
  *npos = 0;
  while (i < argc) {
    if (strcmp(argv[i], "--") == 0) {
      for (i++; i < argc; i++)
        if (*npos < maxpos)
          pos[(*npos)++] = argv[i];
      break;
    }
    if (parse_opts(argc, argv, &i, opts, nopts, msg, sizeof msg) < 0) {
      cli_errorf(EXIT_USAGE, "%s: %s", cmd, msg);
      return -1;
    }
    if (i < argc && strcmp(argv[i], "--") != 0) {
      if (*npos >= maxpos) {
        cli_errorf(EXIT_USAGE, "%s: too many arguments", cmd);
        return -1;
      }
      pos[(*npos)++] = argv[i++];
    }
  }
  return 0;
}

/* Image commands use the engine's database too (rmi asks whether a
 * container uses the image), so the store is always opened through it. */
int cli_engine(struct berth_cli *cli, struct berth_engine **out) {
  if (!cli->engine) {
    berth_error *err = NULL;
    if (berth_engine_open(cli->root, cli->envp, &cli->engine, &err) < 0) {
      cli_error(err, EXIT_USAGE);
      return -1;
    }
    cli->is = cli->engine->is;
  }
  *out = cli->engine;
  return 0;
}

int cli_store(struct berth_cli *cli, struct berth_imgstore **out) {
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return -1;
  *out = cli->is;
  return 0;
}

int cli_engine_error(berth_error *err) { return cli_error(err, EXIT_USAGE); }

int cli_resolve_image(struct berth_cli *cli, const char *what,
                      char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the image store");
  struct berth_image_match m;
  if (berth_image_lookup(is->db, what, &m, err) < 0)
    return -1;
  memcpy(id, m.id, BERTH_DIGEST_SIZE);
  berth_image_match_clear(&m);
  return 0;
}

static void human_size(double bytes, int precision, char *out, size_t len) {
  static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (bytes >= 1000 && u + 1 < ARRAY_SIZE(units)) {
    bytes /= 1000;
    u++;
  }
  if (u == 0)
    snprintf(out, len, "%.0f%s", bytes, units[u]);
  else
    snprintf(out, len, "%.*g%s", precision, bytes, units[u]);
}

void cli_human_size(double bytes, char *out, size_t len) {
  human_size(bytes, 3, out, len);
}

void cli_human_size4(double bytes, char *out, size_t len) {
  human_size(bytes, 4, out, len);
}

void cli_split_image_name(const char *name, char *repo, size_t rlen,
                          char *tag, size_t tlen) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(name, &ref, NULL) < 0) {
    snprintf(repo, rlen, "%s", name);
    snprintf(tag, tlen, "<none>");
    return;
  }
  struct berth_ref plain = ref;
  plain.tag = plain.digest = NULL;
  _cleanup_free_ char *fam = berth_ref_familiar(&plain);
  char *colon = fam ? strrchr(fam, ':') : NULL;
  if (colon && !strchr(colon, '/'))
    *colon = '\0'; /* familiar() adds ":latest" */
  snprintf(repo, rlen, "%s", fam ? fam : name);
  snprintf(tag, tlen, "%s", ref.tag ? ref.tag : "<none>");
  berth_ref_free(&ref);
}

void cli_human_ago(const char *rfc3339, long long unix_s, char *out,
                   size_t len) {
  struct tm tm = {0};
  if (rfc3339 && strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
    unix_s = (long long)timegm(&tm);
  if (unix_s <= 0) {
    snprintf(out, len, "N/A");
    return;
  }
  long long d = (long long)time(NULL) - unix_s;
  static const struct {
    long long secs;
    const char *name;
  } u[] = {{365LL * 86400, "year"}, {30LL * 86400, "month"},
           {7LL * 86400, "week"},   {86400, "day"},
           {3600, "hour"},          {60, "minute"}};
  for (size_t i = 0; i < ARRAY_SIZE(u); i++)
    if (d >= u[i].secs) {
      long long n = d / u[i].secs;
      snprintf(out, len, "%lld %s%s ago", n, u[i].name, n > 1 ? "s" : "");
      return;
    }
  snprintf(out, len, "%s", d < 2 ? "Less than a second ago" : "Seconds ago");
}

static void usage(FILE *f) {
  fprintf(f, "usage: berth [--root DIR] COMMAND [OPTIONS]\n\ncommands:\n");
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
    if (commands[i].usage)
      fprintf(f, "  %s\n", commands[i].usage);
}

static const struct command *find_command(int argc, char **argv, int *used) {
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
    const struct command *c = &commands[i];
    if (!c->group && argc >= 1 && strcmp(argv[0], c->name) == 0) {
      *used = 1;
      return c;
    }
    if (c->group && argc >= 2 && strcmp(argv[0], c->group) == 0 &&
        strcmp(argv[1], c->name) == 0) {
      *used = 2;
      return c;
    }
  }
  return NULL;
}

int main(int argc, char **argv, char **envp) {
  struct berth_cli cli = {.root = getenv("BERTH_ROOT"), .envp = envp};
  if (!cli.root || !*cli.root)
    cli.root = "/var/lib/berth";
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
      cli.root = argv[++i];
    else if (strncmp(argv[i], "--root=", 7) == 0)
      cli.root = argv[i] + 7;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0 ||
               strcmp(argv[i], "-v") == 0) {
      printf("berth version %s\n", VERSION);
      return 0;
    } else
      return cli_errorf(EXIT_USAGE, "unknown flag: %s", argv[i]);
  }
  if (i >= argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  int used;
  const struct command *c = find_command(argc - i, argv + i, &used);
  if (!c)
    return cli_errorf(EXIT_USAGE, "unknown command `%s`; see `berth --help`",
                      argv[i]);
  /* TLS initialisation costs milliseconds: only for registry commands
   * (run pulls through the same path and initialises when it does). */
  bool net = c->fn == cmd_pull || c->fn == cmd_push || c->fn == cmd_login;
  if (net)
    curl_global_init(CURL_GLOBAL_DEFAULT);
  /* Commands that put a process into a container's cgroups start the
   * kernel's grace period for that now, alongside their own work (see
   * cgroup_warm.h). */
  if (c->fn == cmd_run || c->fn == cmd_start || c->fn == cmd_restart ||
      c->fn == cmd_restart_child || c->fn == cmd_exec)
    berth_cgroup_prewarm();
  int status = c->fn(&cli, argc - i - used, argv + i + used);
  berth_engine_free(cli.engine);
  if (net)
    curl_global_cleanup();
  return status;
}
