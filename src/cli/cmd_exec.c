/* berth exec: a command in a running container. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "exec.h"
#include "flags.h"
#include "json.h"

int cmd_exec(struct berth_cli *cli, int argc, char **argv) {
  bool interactive = false, tty = false, detach = false, privileged = false;
  const char *user = NULL, *workdir = NULL;
  struct strlist env = {0}, env_file = {0};
  const struct opt opts[] = {
      {"interactive,i", OPT_BOOL, &interactive, NULL,
       "Keep STDIN open even if not attached"},
      {"tty,t", OPT_BOOL, &tty, NULL, "Allocate a pseudo-TTY"},
      {"detach,d", OPT_BOOL, &detach, NULL,
       "Detached mode: run command in the background"},
      {"privileged", OPT_BOOL, &privileged, NULL,
       "Give extended privileges to the command"},
      {"user,u", OPT_STRING, &user, NULL,
       "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},
      {"workdir,w", OPT_STRING, &workdir, NULL,
       "Working directory inside the container"},
      {"env,e", OPT_LIST, &env, NULL, "Set environment variables"},
      {"env-file", OPT_LIST, &env_file, NULL,
       "Read in a file of environment variables"}};
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, true);
  int i = 0;
  char msg[256];
  if (!w)
    return cli_errorf(EXIT_USAGE, "exec: out of memory");
  if (parse_opts(nw, w, &i, opts, ARRAY_SIZE(opts), msg, sizeof msg) < 0) {
    cli_flag_error("exec", nw, w, i, opts, ARRAY_SIZE(opts), msg);
    return EXIT_USAGE;
  }
  if (nw - i < 2)
    return cli_errorf(EXIT_USAGE,
                      "exec: requires at least 2 arguments (CONTAINER "
                      "COMMAND)");
  if (workdir && workdir[0] != '/')
    return cli_errorf(EXIT_USAGE, "exec: --workdir `%s` must be absolute",
                      workdir);
  berth_error *err = NULL;
  _cleanup_strv_ char **extra = calloc(1, sizeof(char *));
  for (size_t k = 0; extra && k < env_file.n; k++)
    if (berth_env_file_read(&extra, env_file.items[k], cli->envp, &err) < 0)
      return cli_error(err, EXIT_USAGE);
  for (size_t k = 0; extra && k < env.n; k++)
    if (berth_env_add(&extra, env.items[k], cli->envp, &err) < 0)
      return cli_error(err, EXIT_USAGE);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  if (!interactive && !tty) {
    /* Docker without -i: the command's stdin is empty. */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      close(null);
    }
  }
  struct termios saved;
  bool raw = false;
  if (tty && interactive && !detach && isatty(STDIN_FILENO) &&
      tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios t = saved;
    cfmakeraw(&t);
    raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
  }
  struct berth_exec_req r = {.argv = w + i + 1, .env = extra, .user = user,
                             .workdir = workdir, .tty = tty,
                             .interactive = interactive, .detach = detach,
                             .privileged = privileged, .in = STDIN_FILENO,
                             .out = STDOUT_FILENO, .err = STDERR_FILENO};
  int status = 0, failure = 0;
  int rc = berth_ctr_exec(e, w[i], &r, &status, &failure, &err);
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (rc < 0)
    return cli_error(err, failure ? failure : 1);
  return status;
}
