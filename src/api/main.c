/* berth-api: the Engine API server's program, exec'd by `berth system
 * service` (which parses the user's flags) with
 *   berth-api --root ROOT [--time SECONDS] [--group GROUP] [--debug] [URI]
 * A socket handed over by systemd (LISTEN_PID/LISTEN_FDS, fd 3) is served
 * instead of URI. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "engine.h"

extern char **environ;

#define EXIT_ENGINE 125

/* sd_listen_fds(3)'s protocol, without libsystemd: the first passed fd
 * is 3; the variables are for this process only, so they are removed
 * before anything is started (monitors would otherwise see them). */
static int activation_fd(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  int fd = -1;
  if (pid && fds && strtol(pid, NULL, 10) == (long)getpid() &&
      strtol(fds, NULL, 10) >= 1)
    fd = 3;
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return fd;
}

static int check_listening(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on) {
    fprintf(stderr, "berth-api: fd %d from socket activation is not a "
                    "listening socket\n", fd);
    return -1;
  }
  return 0;
}

static int parse_group(const char *s, gid_t *out) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (*s && !*end && !errno && n >= 0 && n <= INT_MAX) {
    *out = (gid_t)n;
    return 0;
  }
  struct group *g = getgrnam(s);
  if (!g) {
    fprintf(stderr, "berth-api: --group: no such group: %s\n", s);
    return -1;
  }
  *out = g->gr_gid;
  return 0;
}

static int parse_time(const char *s, int *out) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (!*s || *end || errno || n < 0 || n > INT_MAX) {
    fprintf(stderr, "berth-api: --time: not a number of seconds: %s\n", s);
    return -1;
  }
  *out = (int)n;
  return 0;
}

int main(int argc, char **argv) {
  struct berth_api_opts o = {.root = BERTH_DEFAULT_ROOT,
                             .listen_fd = -1,
                             .idle_timeout_s = 5};
  static const struct option longs[] = {
      {"root", required_argument, NULL, 'r'},
      {"time", required_argument, NULL, 't'},
      {"group", required_argument, NULL, 'g'},
      {"debug", no_argument, NULL, 'd'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    if ((c == 'r' && !(o.root = optarg)) ||
        (c == 't' && parse_time(optarg, &o.idle_timeout_s) < 0) ||
        (c == 'g' && parse_group(optarg, &o.group) < 0) || c == '?')
      return EXIT_ENGINE;
    if (c == 'd')
      o.debug = true;
  }
  if (argc - optind > 1) {
    fprintf(stderr, "berth-api: at most one URI\n");
    return EXIT_ENGINE;
  }
  o.socket_path = optind < argc ? argv[optind] : NULL;
  /* Whatever the service's starter left open (a shell's, a test
   * harness's fds) must not reach the monitors and containers requests
   * start: every fd past stdio is close-on-exec from here on. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  o.listen_fd = activation_fd();
  if (o.listen_fd >= 0 && check_listening(o.listen_fd) < 0)
    return EXIT_ENGINE;
  o.envp = environ;
  berth_error *err = NULL;
  if (berth_api_serve(&o, &err) < 0) {
    fprintf(stderr, "berth system service: %s\n",
            err && err->msg ? err->msg : "failed");
    berth_error_free(err);
    return EXIT_ENGINE;
  }
  /* Handlers still blocked after the grace period (a pull, a wait) are
   * left to die with the process: no exit handlers run under them. */
  fflush(stderr);
  _exit(0);
}
