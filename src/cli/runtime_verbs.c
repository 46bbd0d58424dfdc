/* The lifecycle verbs: parse flags, make one library call, print. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "runtime_features.h"
#include "fs.h"
#include "runtime.h"
#include "signals.h"
#include "spec.h"

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* Parses flags and requires exactly `npos` positional arguments (or at
 * least npos when `more` is set). */
static int parse_verb(struct cli *cli, int argc, char **argv,
                      const struct opt *opts, size_t nopts, int npos,
                      bool more, int *first) {
  char msg[256];
  int i = 1;
  if (parse_opts(argc, argv, &i, opts, nopts, msg, sizeof(msg)) < 0) {
    cli_failf(cli, "%s: %s", argv[0], msg);
    return -1;
  }
  int have = argc - i;
  if (have < npos || (!more && have > npos)) {
    cli_failf(cli, "%s: expected %d argument%s, got %d", argv[0], npos,
              npos == 1 ? "" : "s", have);
    return -1;
  }
  *first = i;
  return 0;
}

static int create_or_run(struct cli *cli, int argc, char **argv, bool run) {
  const char *bundle = ".", *pid_file = NULL, *console = NULL;
  bool no_pivot = false, detach = false, keyring = false, keep = false;
  bool subreaper = false;
  long preserve = 0;
  struct opt opts[] = {
      {"bundle,b", OPT_STRING, &bundle, NULL,
       "path to the root of the bundle directory, defaults to the current "
       "directory"},
      {"pid-file", OPT_STRING, &pid_file, NULL,
       "specify the file to write the process id to"},
      {"console-socket", OPT_STRING, &console, NULL,
       "path to an AF_UNIX socket which will receive a file descriptor "
       "referencing the master end of the console's pseudoterminal"},
      {"no-pivot", OPT_BOOL, &no_pivot, NULL,
       "do not use pivot root to jail process inside rootfs"},
      {"no-new-keyring", OPT_BOOL, &keyring, NULL,
       "do not create a new session keyring for the container"},
      {"preserve-fds", OPT_INT, &preserve, NULL,
       "Pass N additional file descriptors to the container (stdio + "
       "$LISTEN_FDS + N in total)"},
      {"detach,d", OPT_BOOL, &detach, NULL,
       "detach from the container's process"},
      {"keep", OPT_BOOL, &keep, NULL,
       "do not delete the container after it exits"},
      {"no-subreaper", OPT_BOOL, &subreaper, NULL,
       "disable the use of the subreaper used to reap reparented processes"},
  };
  int i;
  /* detach/keep only belong to run. */
  if (parse_verb(cli, argc, argv, opts, run ? NOPTS(opts) : NOPTS(opts) - 3,
                 1, false, &i) < 0)
    return 1;
  if (no_pivot)
    return cli_failf(cli, "%s: --no-pivot is not supported: berth-runtime "
                          "always uses pivot_root", argv[0]);
  if (preserve < 0 || preserve > 1024)
    return cli_failf(cli, "%s: --preserve-fds must be between 0 and 1024",
                     argv[0]);
  char abs_bundle[PATH_MAX], abs_pid[PATH_MAX];
  if (realpath(bundle, abs_bundle) == NULL)
    return cli_failf(cli, "%s: bundle `%s`: %s", argv[0], bundle,
                     strerror(errno));
  if (pid_file && pid_file[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
      return cli_failf(cli, "getcwd: %s", strerror(errno));
    snprintf(abs_pid, sizeof(abs_pid), "%s/%s", cwd, pid_file);
    pid_file = abs_pid;
  }
  struct berth_create_opts co = {
      .bundle = abs_bundle,
      .pid_file = pid_file,
      .console_socket = console,
      .preserve_fds = (int)preserve,
      .mode = !run ? BERTH_CREATE : detach ? BERTH_RUN_DETACHED : BERTH_RUN,
  };
  berth_error *err = NULL;
  int status = 0;
  if (berth_container_create(&cli->ctx, argv[i], &co, &status, &err) < 0)
    return cli_fail(cli, err);
  return status;
}

int verb_create(struct cli *cli, int argc, char **argv) {
  return create_or_run(cli, argc, argv, false);
}

int verb_run(struct cli *cli, int argc, char **argv) {
  return create_or_run(cli, argc, argv, true);
}

int verb_start(struct cli *cli, int argc, char **argv) {
  int i;
  berth_error *err = NULL;
  if (parse_verb(cli, argc, argv, NULL, 0, 1, false, &i) < 0)
    return 1;
  if (berth_container_start(&cli->ctx, argv[i], &err) < 0)
    return cli_fail(cli, err);
  return 0;
}

int verb_state(struct cli *cli, int argc, char **argv) {
  int i;
  berth_error *err = NULL;
  json_t *st = NULL;
  if (parse_verb(cli, argc, argv, NULL, 0, 1, false, &i) < 0)
    return 1;
  if (berth_container_state(&cli->ctx, argv[i], &st, &err) < 0)
    return cli_fail(cli, err);
  cli_print_json(st);
  json_decref(st);
  return 0;
}

int verb_kill(struct cli *cli, int argc, char **argv) {
  bool all = false;
  struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "send the specified signal to all processes inside the container"}};
  int i;
  berth_error *err = NULL;
  if (parse_verb(cli, argc, argv, opts, NOPTS(opts), 1, true, &i) < 0)
    return 1;
  if (argc - i > 2)
    return cli_failf(cli, "kill: expected <container-id> [signal]");
  int sig = SIGTERM;
  if (argc - i == 2 && (sig = berth_signal_parse(argv[i + 1])) < 0)
    return cli_failf(cli, "kill: unknown signal `%s`", argv[i + 1]);
  if (berth_container_kill(&cli->ctx, argv[i], sig, all, &err) < 0)
    return cli_fail(cli, err);
  return 0;
}

int verb_delete(struct cli *cli, int argc, char **argv) {
  bool force = false;
  struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL,
       "Forcibly deletes the container if it is still running (uses SIGKILL)"}};
  int i;
  berth_error *err = NULL;
  if (parse_verb(cli, argc, argv, opts, NOPTS(opts), 1, false, &i) < 0)
    return 1;
  if (berth_container_delete(&cli->ctx, argv[i], force, &err) < 0)
    return cli_fail(cli, err);
  return 0;
}

static void print_table(json_t *list) {
  printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS",
         "BUNDLE", "CREATED", "OWNER");
  size_t k;
  json_t *c;
  json_array_foreach(list, k, c) {
    printf("%-12s %-10lld %-10s %-40s %-30s %s\n",
           json_string_value(json_object_get(c, "id")),
           (long long)json_integer_value(json_object_get(c, "pid")),
           json_string_value(json_object_get(c, "status")),
           json_string_value(json_object_get(c, "bundle")),
           json_string_value(json_object_get(c, "created")),
           json_string_value(json_object_get(c, "owner")));
  }
}

int verb_list(struct cli *cli, int argc, char **argv) {
  const char *format = "table";
  bool quiet = false;
  struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "select one of: table or json (default: \"table\")"},
      {"quiet,q", OPT_BOOL, &quiet, NULL, "display only container IDs"}};
  int i;
  berth_error *err = NULL;
  json_t *list = NULL;
  if (parse_verb(cli, argc, argv, opts, NOPTS(opts), 0, false, &i) < 0)
    return 1;
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cli_failf(cli, "list: invalid format `%s` (table or json)", format);
  if (berth_container_list(&cli->ctx, &list, &err) < 0)
    return cli_fail(cli, err);
  if (quiet) {
    size_t k;
    json_t *c;
    json_array_foreach(list, k, c)
        puts(json_string_value(json_object_get(c, "id")));
  } else if (strcmp(format, "json") == 0) {
    char *s = json_dumps(list, JSON_COMPACT);
    puts(s ? s : "[]");
    free(s);
  } else {
    print_table(list);
  }
  json_decref(list);
  return 0;
}

/* Starts ps(1) with `args` (argv[0] included) as its argv, directly: no
 * shell, so nothing in the caller's arguments is ever interpreted as a
 * command (runc does the same).  Its stdout comes back on *out. */
static int spawn_ps(char **args, pid_t *pid, FILE **out) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
  extern char **environ;
  int rc = posix_spawnp(pid, "ps", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0 || !(*out = fdopen(p[0], "r"))) {
    close(p[0]);
    if (rc == 0)
      waitpid(*pid, NULL, 0);
    return rc ? -rc : -ENOMEM;
  }
  return 0;
}

/* The index of the PID column in ps's header line, or -1. */
static int pid_column(const char *header) {
  char copy[4096];
  snprintf(copy, sizeof(copy), "%s", header);
  char *save = NULL;
  int c = 0;
  for (char *tok = strtok_r(copy, " \t\n", &save); tok;
       tok = strtok_r(NULL, " \t\n", &save), c++)
    if (strcmp(tok, "PID") == 0)
      return c;
  return -1;
}

static bool line_has_pid(const char *line, int col, const pid_t *pids,
                         size_t n) {
  char copy[4096];
  snprintf(copy, sizeof(copy), "%s", line);
  char *save = NULL, *tok = strtok_r(copy, " \t\n", &save);
  for (int c = 0; tok && c < col; c++)
    tok = strtok_r(NULL, " \t\n", &save);
  for (size_t k = 0; tok && k < n; k++)
    if (atoi(tok) == pids[k])
      return true;
  return false;
}

/* Copies ps's header and the lines of the container's pids to stdout;
 * returns the PID column's index, -1 when the header has none. */
static int filter_ps(FILE *p, const pid_t *pids, size_t n) {
  char line[4096];
  int col = -1;
  bool header = true;
  while (fgets(line, sizeof(line), p)) {
    if (header) {
      col = pid_column(line);
      header = false;
      fputs(line, stdout);
    } else if (col >= 0 && line_has_pid(line, col, pids, n)) {
      fputs(line, stdout);
    }
  }
  return col;
}

/* Like runc: ps(1) with the caller's options (default -ef), printing the
 * header and the lines whose PID column belongs to the container. */
static int print_ps(struct cli *cli, char **ps_args, int nargs,
                    const pid_t *pids, size_t n) {
  static char ps[] = "ps", ef[] = "-ef";
  _cleanup_free_ char **args = calloc((size_t)nargs + 3, sizeof(char *));
  if (!args)
    return cli_failf(cli, "ps: %s", strerror(ENOMEM));
  args[0] = ps;
  for (int k = 0; k < nargs; k++)
    args[k + 1] = ps_args[k];
  if (nargs == 0)
    args[1] = ef;
  pid_t pid = -1;
  FILE *p = NULL;
  int rc = spawn_ps(args, &pid, &p);
  if (rc < 0)
    return cli_failf(cli, "ps: run ps: %s", strerror(-rc));
  int col = filter_ps(p, pids, n);
  fclose(p);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return cli_failf(cli, "ps: ps exited with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  if (col < 0)
    return cli_failf(cli, "ps: no PID column in ps's output");
  return 0;
}

int verb_ps(struct cli *cli, int argc, char **argv) {
  const char *format = "table";
  struct opt opts[] = {{"format,f", OPT_STRING, &format, NULL,
                        "select one of: table or json (default: \"table\")"}};
  int i;
  berth_error *err = NULL;
  if (parse_verb(cli, argc, argv, opts, NOPTS(opts), 1, true, &i) < 0)
    return 1;
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cli_failf(cli, "ps: invalid format `%s` (table or json)", format);
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (berth_container_pids(&cli->ctx, argv[i], &pids, &n, &err) < 0)
    return cli_fail(cli, err);
  if (strcmp(format, "table") == 0)
    return print_ps(cli, argv + i + 1, argc - i - 1, pids, n);
  printf("[");
  for (size_t k = 0; k < n; k++)
    printf("%s%d", k ? "," : "", (int)pids[k]);
  printf("]\n");
  return 0;
}

static int pause_resume(struct cli *cli, int argc, char **argv, bool pause) {
  int i;
  berth_error *err = NULL;
  if (parse_verb(cli, argc, argv, NULL, 0, 1, false, &i) < 0)
    return 1;
  if (berth_container_pause(&cli->ctx, argv[i], pause, &err) < 0)
    return cli_fail(cli, err);
  return 0;
}

int verb_pause(struct cli *cli, int argc, char **argv) {
  return pause_resume(cli, argc, argv, true);
}

int verb_resume(struct cli *cli, int argc, char **argv) {
  return pause_resume(cli, argc, argv, false);
}

int verb_features(struct cli *cli, int argc, char **argv) {
  int i;
  if (parse_verb(cli, argc, argv, NULL, 0, 0, false, &i) < 0)
    return 1;
  json_t *f = berth_features();
  cli_print_json(f);
  json_decref(f);
  return 0;
}

int verb_spec(struct cli *cli, int argc, char **argv) {
  const char *bundle = ".";
  bool rootless = false;
  struct opt opts[] = {{"bundle,b", OPT_STRING, &bundle, NULL,
                        "path to the root of the bundle directory"},
                       {"rootless", OPT_BOOL, &rootless, NULL,
                        "generate a configuration for a rootless container"}};
  int i;
  if (parse_verb(cli, argc, argv, opts, NOPTS(opts), 0, false, &i) < 0)
    return 1;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/config.json", bundle);
  if (access(path, F_OK) == 0)
    return cli_failf(cli, "spec: `%s` already exists", path);
  json_t *spec = berth_spec_default(rootless, getuid(), getgid());
  char *text = json_dumps(spec, JSON_INDENT(2));
  json_decref(spec);
  berth_error *err = NULL;
  int rc = text ? berth_write_file_atomic(path, text, strlen(text), 0644, &err)
                : -1;
  free(text);
  if (rc < 0)
    return cli_fail(cli, err);
  return 0;
}
