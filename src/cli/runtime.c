/* berth-runtime: an OCI runtime with runc's command line. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "exit_status.h"

#define VERSION "0.1.0"

static const struct verb {
  const char *name;
  verb_fn fn;
  const char *usage;
} verbs[] = {
    {"create", verb_create, "create [options] <container-id>"},
    {"run", verb_run, "run [options] <container-id>"},
    {"start", verb_start, "start <container-id>"},
    {"state", verb_state, "state <container-id>"},
    {"kill", verb_kill, "kill [--all] <container-id> [signal]"},
    {"delete", verb_delete, "delete [--force] <container-id>"},
    {"list", verb_list, "list [--format table|json] [--quiet]"},
    {"ps", verb_ps, "ps [--format table|json] <container-id>"},
    {"pause", verb_pause, "pause <container-id>"},
    {"resume", verb_resume, "resume <container-id>"},
    {"exec", verb_exec, "exec [options] <container-id> <command> [args...]"},
    {"update", verb_update, "update [options] <container-id>"},
    {"features", verb_features, "features"},
    {"spec", verb_spec, "spec [--bundle DIR] [--rootless]"},
};

void cli_print_json(json_t *j) {
  char *s = json_dumps(j, JSON_INDENT(2));
  if (s) {
    puts(s);
    free(s);
  }
}

/* 1 as runc, or 126/127 when the container's process could not be
 * started (exit_status.h: the kind decides, as for `berth run`). */
int cli_fail(struct cli *cli, berth_error *err) {
  const char *msg = err ? err->msg : "unknown error";
  fprintf(stderr, "%s: %s\n", cli->progname, msg);
  berth_log_write(&cli->log, BERTH_LOG_ERROR, "%s", msg);
  int status = berth_exit_status(err, 1);
  berth_error_free(err);
  return status;
}

int cli_failf(struct cli *cli, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s: %s\n", cli->progname, buf);
  berth_log_write(&cli->log, BERTH_LOG_ERROR, "%s", buf);
  return 1;
}

/* A warning from the runtime library (a failing poststart or poststop
 * hook): to stderr, as runc logs them, and to --log. */
static void cli_warn(void *arg, berth_error *w) {
  struct cli *cli = arg;
  const char *msg = w ? w->msg : "unknown warning";
  fprintf(stderr, "%s: warning: %s\n", cli->progname, msg);
  berth_log_write(&cli->log, BERTH_LOG_WARN, "%s", msg);
  berth_error_free(w);
}

static void usage(FILE *f) {
  fprintf(f, "usage: berth-runtime [global options] <command> [options]\n\n"
             "global options: --root DIR --log FILE --log-format text|json "
             "--debug --systemd-cgroup\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
    fprintf(f, "  %s\n", verbs[i].usage);
}

static int open_log(struct cli *cli, const char *path, const char *format,
                    bool debug) {
  cli->log.fd = -1;
  cli->log.max_level = debug ? BERTH_LOG_DEBUG : BERTH_LOG_INFO;
  if (format && strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
    return cli_failf(cli, "invalid log format `%s` (text or json)", format);
  cli->log.json = format && strcmp(format, "json") == 0;
  if (path && path[0]) {
    cli->log.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (cli->log.fd < 0)
      return cli_failf(cli, "open log file `%s`: %s", path, strerror(errno));
  }
  return 0;
}

/* jansson seeds its hash function from /dev/urandom on first use; the
 * kernel already gave us random bytes (AT_RANDOM), which saves the open. */
static void seed_json(void) {
  const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
  size_t seed = 0;
  if (r)
    memcpy(&seed, r, sizeof(seed));
  json_object_seed(seed ? seed : 1);
}

int main(int argc, char **argv, char **envp) {
  seed_json();
  struct cli cli = {.progname = "berth-runtime", .log = {.fd = -1}};
  const char *root = "/run/berth", *log = NULL, *log_format = NULL;
  const char *criu = NULL, *rootless = NULL;
  bool debug = false, systemd = false, help = false, version = false;
  struct opt globals[] = {
      {"root", OPT_STRING, &root, NULL,
       "root directory for storage of container state (this should be located "
       "in tmpfs)"},
      {"log", OPT_STRING, &log, NULL,
       "set the log file to write runc logs to (default is '/dev/stderr')"},
      {"log-format", OPT_STRING, &log_format, NULL,
       "set the log format ('text' (default), or 'json')"},
      {"debug", OPT_BOOL, &debug, NULL, "enable debug logging"},
      {"systemd-cgroup", OPT_BOOL, &systemd, NULL,
       "enable systemd cgroup support (refused: berth has none)"},
      {"criu", OPT_STRING, &criu, NULL,
       "path to the criu binary used for checkpoint and restore"},
      {"rootless", OPT_STRING, &rootless, NULL,
       "ignore cgroup permission errors ('true', 'false', or 'auto')"},
      {"help,h", OPT_BOOL, &help, NULL, "show help"},
      {"version,v", OPT_BOOL, &version, NULL, "print the version"},
  };
  char msg[256];
  int i = 1;
  if (parse_opts(argc, argv, &i, globals, sizeof(globals) / sizeof(*globals),
                 msg, sizeof(msg)) < 0)
    return cli_failf(&cli, "%s", msg);
  if (open_log(&cli, log, log_format, debug))
    return 1;
  if (version) {
    printf("berth-runtime version %s\nspec: 1.2.0\n", VERSION);
    return 0;
  }
  if (help || i >= argc) {
    usage(help ? stdout : stderr);
    return help ? 0 : 1;
  }
  if (systemd)
    return cli_failf(&cli, "--systemd-cgroup: the systemd cgroup driver is "
                           "not supported; use cgroupfs paths");
  cli.ctx.state_root = root;
  cli.ctx.log = &cli.log;
  cli.ctx.argv = argv;
  cli.ctx.envp = envp;
  cli.ctx.warn = cli_warn;
  cli.ctx.warn_arg = &cli;
  for (size_t v = 0; v < sizeof(verbs) / sizeof(*verbs); v++) {
    if (strcmp(argv[i], verbs[v].name) != 0)
      continue;
    berth_log_write(&cli.log, BERTH_LOG_DEBUG, "%s", argv[i]);
    return verbs[v].fn(&cli, argc - i, argv + i);
  }
  if (strcmp(argv[i], "checkpoint") == 0 || strcmp(argv[i], "restore") == 0)
    return cli_failf(&cli, "%s: checkpoint/restore (CRIU) is not supported",
                     argv[i]);
  return cli_failf(&cli, "unknown command `%s`", argv[i]);
}
