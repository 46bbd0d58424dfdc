/* berth: Docker's command line on berth's runtime and image store. */
#include "berth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cgroup_warm.h"
#include "cleanup.h"
#include "engine.h"
#include "help.h"
#include "lookup.h"
#include "system_info.h"

#define VERSION BERTH_ENGINE_VERSION

/* Usage (the arguments after the name) and description in Docker's words
 * (its CLI reference); aliases leave them NULL and share the entry's with
 * the same function.  --help, the man pages and the bash completion are
 * made from this table and the commands' option tables. */
const struct cli_command cli_commands[] = {
    {NULL, "pull", cmd_pull, "[OPTIONS] NAME[:TAG|@DIGEST]",
     "Download an image from a registry"},
    {NULL, "push", cmd_push, "[OPTIONS] NAME[:TAG] [DESTINATION]",
     "Upload an image to a registry"},
    {NULL, "images", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images"},
    {NULL, "rmi", cmd_rmi, "[OPTIONS] IMAGE [IMAGE...]",
     "Remove one or more images"},
    {NULL, "tag", cmd_tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {NULL, "save", cmd_save, "[OPTIONS] IMAGE [IMAGE...]",
     "Save one or more images to a tar archive (streamed to STDOUT by "
     "default)"},
    {NULL, "load", cmd_load, "[OPTIONS]",
     "Load an image from a tar archive or STDIN"},
    {NULL, "import", cmd_import, "[OPTIONS] FILE|- [REPOSITORY[:TAG]]",
     "Import the contents from a tarball to create a filesystem image"},
    {NULL, "login", cmd_login, "[OPTIONS] SERVER", "Log in to a registry"},
    {NULL, "logout", cmd_logout, "[OPTIONS] SERVER", "Log out from a registry"},
    {"image", "pull", cmd_pull, NULL, NULL},
    {"image", "push", cmd_push, NULL, NULL},
    {"image", "ls", cmd_images, NULL, NULL},
    {"image", "list", cmd_images, NULL, NULL},
    {"image", "rm", cmd_rmi, NULL, NULL},
    {"image", "tag", cmd_tag, NULL, NULL},
    {"image", "inspect", cmd_image_inspect, "[OPTIONS] IMAGE [IMAGE...]",
     "Display detailed information on one or more images"},
    {"image", "save", cmd_save, NULL, NULL},
    {"image", "load", cmd_load, NULL, NULL},
    {"image", "import", cmd_import, NULL, NULL},
    {"image", "prune", cmd_image_prune, "[OPTIONS]", "Remove unused images"},
    {"system", "df", cmd_system_df, "[OPTIONS]", "Show berth disk usage"},
    {NULL, "build", cmd_build, "[OPTIONS] PATH | -",
     "Build an image from a Dockerfile"},
    {"image", "build", cmd_build, NULL, NULL},
    {NULL, "history", cmd_history, "[OPTIONS] IMAGE",
     "Show the history of an image"},
    {"image", "history", cmd_history, NULL, NULL},
    {NULL, "diff", cmd_diff, "CONTAINER",
     "Inspect changes to files or directories on a container's filesystem"},
    {"container", "diff", cmd_diff, NULL, NULL},
    {"system", "check", cmd_system_check, "[OPTIONS]",
     "Find and repair what a crash left behind in berth's store"},
    {"system", "reset", cmd_system_reset, "[OPTIONS]",
     "Remove all containers, networks, volumes and images"},
    {"system", "service", cmd_system_service, "[OPTIONS] [URI]",
     "Run the Docker Engine API service on a unix socket"},
    {NULL, "run", cmd_run, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
     "Create and run a new container from an image"},
    {NULL, "create", cmd_create, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
     "Create a new container"},
    {NULL, "start", cmd_start, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Start one or more stopped containers"},
    {NULL, "stop", cmd_stop, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Stop one or more running containers"},
    {NULL, "restart", cmd_restart, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Restart one or more containers"},
    {NULL, "kill", cmd_kill, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Kill one or more running containers"},
    {NULL, "rm", cmd_rm, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Remove one or more containers"},
    {NULL, "ps", cmd_ps, "[OPTIONS]", "List containers"},
    {NULL, "wait", cmd_wait, "CONTAINER [CONTAINER...]",
     "Block until one or more containers stop, then print their exit codes"},
    {NULL, "logs", cmd_logs, "[OPTIONS] CONTAINER",
     "Fetch the logs of a container"},
    {NULL, "inspect", cmd_inspect, "[OPTIONS] NAME|ID [NAME|ID...]",
     "Return low-level information on berth objects"},
    {NULL, "pause", cmd_pause, "CONTAINER [CONTAINER...]",
     "Pause all processes within one or more containers"},
    {NULL, "unpause", cmd_unpause, "CONTAINER [CONTAINER...]",
     "Unpause all processes within one or more containers"},
    {"container", "run", cmd_run, NULL, NULL},
    {"container", "create", cmd_create, NULL, NULL},
    {"container", "start", cmd_start, NULL, NULL},
    {"container", "stop", cmd_stop, NULL, NULL},
    {"container", "restart", cmd_restart, NULL, NULL},
    {"container", "kill", cmd_kill, NULL, NULL},
    {"container", "rm", cmd_rm, NULL, NULL},
    {"container", "ls", cmd_ps, NULL, NULL},
    {"container", "list", cmd_ps, NULL, NULL},
    {"container", "wait", cmd_wait, NULL, NULL},
    {"container", "logs", cmd_logs, NULL, NULL},
    {"container", "inspect", cmd_inspect, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Display detailed information on one or more containers"},
    {"container", "pause", cmd_pause, NULL, NULL},
    {"container", "unpause", cmd_unpause, NULL, NULL},
    {NULL, "update", cmd_update, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Update configuration of one or more containers"},
    {"container", "update", cmd_update, NULL, NULL},
    {NULL, "exec", cmd_exec, "[OPTIONS] CONTAINER COMMAND [ARG...]",
     "Execute a command in a running container"},
    {"container", "exec", cmd_exec, NULL, NULL},
    {NULL, "attach", cmd_attach, "[OPTIONS] CONTAINER",
     "Attach local standard input, output, and error streams to a running "
     "container"},
    {"container", "attach", cmd_attach, NULL, NULL},
    {NULL, "cp", cmd_cp,
     "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
     "[OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
     "Copy files/folders between a container and the local filesystem"},
    {NULL, "export", cmd_export, "[OPTIONS] CONTAINER",
     "Export a container's filesystem as a tar archive"},
    {NULL, "commit", cmd_commit, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
     "Create a new image from a container's changes"},
    {NULL, "events", cmd_events, "[OPTIONS]",
     "Get real time events from the engine"},
    {NULL, "top", cmd_top, "CONTAINER [ps OPTIONS]",
     "Display the running processes of a container"},
    {NULL, "stats", cmd_stats, "[OPTIONS] [CONTAINER...]",
     "Display a live stream of container(s) resource usage statistics"},
    {NULL, "info", cmd_info, "[OPTIONS]", "Display system-wide information"},
    {NULL, "version", cmd_version, "[OPTIONS]",
     "Show the berth version information"},
    {NULL, "rename", cmd_rename, "CONTAINER NEW_NAME", "Rename a container"},
    {NULL, "port", cmd_port, "CONTAINER [PRIVATE_PORT[/PROTO]]",
     "List port mappings or a specific mapping for the container"},
    {"container", "cp", cmd_cp, NULL, NULL},
    {"container", "export", cmd_export, NULL, NULL},
    {"container", "commit", cmd_commit, NULL, NULL},
    {"container", "top", cmd_top, NULL, NULL},
    {"container", "stats", cmd_stats, NULL, NULL},
    {"container", "rename", cmd_rename, NULL, NULL},
    {"container", "port", cmd_port, NULL, NULL},
    {"container", "prune", cmd_container_prune, "[OPTIONS]",
     "Remove all stopped containers"},
    {"system", "prune", cmd_system_prune, "[OPTIONS]", "Remove unused data"},
    {"builder", "build", cmd_build, NULL, NULL},
    {"builder", "prune", cmd_builder_prune, "[OPTIONS]",
     "Remove build cache"},
    {"system", "events", cmd_events, NULL, NULL},
    {"system", "info", cmd_info, NULL, NULL},
    {"volume", "create", cmd_volume_create, "[OPTIONS] [VOLUME]",
     "Create a volume"},
    {"volume", "ls", cmd_volume_ls, "[OPTIONS]", "List volumes"},
    {"volume", "list", cmd_volume_ls, NULL, NULL},
    {"volume", "inspect", cmd_volume_inspect, "[OPTIONS] VOLUME [VOLUME...]",
     "Display detailed information on one or more volumes"},
    {"volume", "rm", cmd_volume_rm, "[OPTIONS] VOLUME [VOLUME...]",
     "Remove one or more volumes"},
    {"volume", "prune", cmd_volume_prune, "[OPTIONS]",
     "Remove unused local volumes"},
    {"network", "create", cmd_network_create, "[OPTIONS] NETWORK",
     "Create a network"},
    {"network", "ls", cmd_network_ls, "[OPTIONS]", "List networks"},
    {"network", "list", cmd_network_ls, NULL, NULL},
    {"network", "inspect", cmd_network_inspect,
     "[OPTIONS] NETWORK [NETWORK...]",
     "Display detailed information on one or more networks"},
    {"network", "rm", cmd_network_rm, "[OPTIONS] NETWORK [NETWORK...]",
     "Remove one or more networks"},
    {"network", "remove", cmd_network_rm, NULL, NULL},
    {"network", "prune", cmd_network_prune, "[OPTIONS]",
     "Remove all unused networks"},
    {"network", "connect", cmd_network_connect,
     "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network"},
    {"network", "disconnect", cmd_network_disconnect,
     "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network"},
    /* The monitor's helpers; not for users. */
    {NULL, "_exited", cmd_exited, NULL, NULL},
    {NULL, "_restart", cmd_restart_child, NULL, NULL},
    {NULL, "_health", cmd_health, NULL, NULL},
    /* A network's name server, started by the engine (engine/netdns.h). */
    {NULL, "__dns", cmd_dns, NULL, NULL},
};
const size_t cli_ncommands = ARRAY_SIZE(cli_commands);

const struct cli_group cli_groups[] = {
    {"builder", "Manage builds"},
    {"container", "Manage containers"},
    {"image", "Manage images"},
    {"network", "Manage networks"},
    {"system", "Manage berth"},
    {"volume", "Manage volumes"},
};
const size_t cli_ngroups = ARRAY_SIZE(cli_groups);

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
    if (parse_opts(argc, argv, &i, opts, nopts, msg, sizeof msg) < 0)
      return cli_flag_error(cmd, argc, argv, i, opts, nopts, msg);
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

static const struct cli_command *find_command(int argc, char **argv,
                                              int *used) {
  for (size_t i = 0; i < cli_ncommands; i++) {
    const struct cli_command *c = &cli_commands[i];
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

/* Docker's words for a command it does not have. */
static int unknown_command(int argc, char **argv) {
  const struct cli_group *g = cli_group_find(argv[0]);
  if (g && argc > 1)
    fprintf(stderr,
            "berth: '%s %s' is not a berth command.\nSee 'berth %s --help'.\n",
            g->name, argv[1], g->name);
  else
    fprintf(stderr,
            "berth: '%s' is not a berth command.\nSee 'berth --help'.\n",
            argv[0]);
  return EXIT_USAGE;
}

/* `berth help [COMMAND]`, `berth GROUP [--help]` and the generators
 * run by the build; -1 when argv is none of these. */
static int help_commands(struct berth_cli *cli, int argc, char **argv,
                         const struct opt *globals, size_t nglobals) {
  if (strcmp(argv[0], "__man") == 0 && argc == 2)
    return cli_man_write(cli, argv[1], globals, nglobals);
  if (strcmp(argv[0], "__completion") == 0 && argc == 2)
    return cli_completion_write(cli, argv[1], globals, nglobals);
  if (strcmp(argv[0], "__help-check") == 0)
    return cli_help_check(cli);
  bool asked = strcmp(argv[0], "help") == 0;
  if (asked && (argc == 1 || cli_is_help_flag(argv[1], NULL, 0))) {
    cli_help_top(stdout, globals, nglobals);
    return 0;
  }
  const struct cli_group *g = cli_group_find(argv[asked]);
  if (g &&
      (argc == 1 + asked ||
       (argc == 2 + asked && cli_is_help_flag(argv[1 + asked], NULL, 0)))) {
    cli_help_group(stdout, g);
    return 0;
  }
  if (!asked)
    return -1;
  int used;
  const struct cli_command *c = find_command(argc - 1, argv + 1, &used);
  if (!c)
    return unknown_command(argc - 1, argv + 1);
  char arg[] = "--help", *hargv[] = {arg, NULL};
  cli_help_begin(c);
  c->fn(cli, 1, hargv);
  return cli_help_shown() ? 0 : EXIT_USAGE;
}

static bool asks_help(int argc, char **argv) {
  for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0)
      return true;
  return false;
}

int main(int argc, char **argv, char **envp) {
  struct berth_cli cli = {.root = getenv("BERTH_ROOT"), .envp = envp};
  if (!cli.root || !*cli.root)
    cli.root = BERTH_DEFAULT_ROOT;
  bool help = false, version = false;
  const struct opt globals[] = {
      {"root", OPT_STRING, &cli.root, NULL,
       "Root directory of persistent berth state (default \"/var/lib/berth\", "
       "or $BERTH_ROOT)"},
      {"version,v", OPT_BOOL, &version, NULL,
       "Print version information and quit"},
      {"help,h", OPT_BOOL, &help, NULL, "Print usage"}};
  int i = 1;
  char msg[256];
  if (parse_opts(argc, argv, &i, globals, ARRAY_SIZE(globals), msg,
                 sizeof msg) < 0) {
    cli_flag_error("berth", argc, argv, i, globals, ARRAY_SIZE(globals), msg);
    return EXIT_USAGE;
  }
  if (version) {
    printf("berth version %s\n", VERSION);
    return 0;
  }
  if (help || i >= argc) {
    cli_help_top(stdout, globals, ARRAY_SIZE(globals));
    return 0;
  }
  int status =
      help_commands(&cli, argc - i, argv + i, globals, ARRAY_SIZE(globals));
  if (status >= 0) {
    berth_engine_free(cli.engine);
    return status;
  }
  int used;
  const struct cli_command *c = find_command(argc - i, argv + i, &used);
  if (!c)
    return unknown_command(argc - i, argv + i);
  bool helping = asks_help(argc - i, argv + i);
  /* TLS initialisation costs milliseconds: only for registry commands
   * (run pulls through the same path and initialises when it does). */
  bool net = !helping &&
             (c->fn == cmd_pull || c->fn == cmd_push || c->fn == cmd_login);
  if (net)
    curl_global_init(CURL_GLOBAL_DEFAULT);
  /* Commands that put a process into a container's cgroups start the
   * kernel's grace period for that now, alongside their own work (see
   * cgroup_warm.h). */
  if (!helping &&
      (c->fn == cmd_run || c->fn == cmd_start || c->fn == cmd_restart ||
       c->fn == cmd_restart_child || c->fn == cmd_exec ||
       c->fn == cmd_build))
    berth_cgroup_prewarm();
  cli_help_begin(c);
  status = c->fn(&cli, argc - i - used, argv + i + used);
  berth_engine_free(cli.engine);
  if (net)
    curl_global_cleanup();
  return cli_help_shown() ? 0 : status;
}
