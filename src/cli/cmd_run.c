/* berth run, create, start: creating containers and attaching to them. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "lookup.h"
#include "lifecycle.h"
#include "engine.h"
#include "images.h"
#include "reference.h"
#include "run_request.h"
#include "start.h"

#define RUN_OPTS(f)                                                        \
  {"detach,d", OPT_BOOL, &(f).detach, NULL},                               \
  {"interactive,i", OPT_BOOL, &(f).interactive, NULL},                     \
  {"tty,t", OPT_BOOL, &(f).tty, NULL},                                     \
  {"rm", OPT_BOOL, &(f).rm, NULL},                                         \
  {"name", OPT_STRING, &(f).name, NULL},                                   \
  {"env,e", OPT_LIST, &(f).env, NULL},                                     \
  {"env-file", OPT_LIST, &(f).env_file, NULL},                             \
  {"workdir,w", OPT_STRING, &(f).workdir, NULL},                           \
  {"user,u", OPT_STRING, &(f).user, NULL},                                 \
  {"entrypoint", OPT_STRING, &(f).entrypoint, &(f).entrypoint_set},        \
  {"volume,v", OPT_LIST, &(f).volume, NULL},                               \
  {"mount", OPT_LIST, &(f).mount, NULL},                                   \
  {"tmpfs", OPT_LIST, &(f).tmpfs, NULL},                                   \
  {"read-only", OPT_BOOL, &(f).read_only, NULL},                           \
  {"hostname,h", OPT_STRING, &(f).hostname, NULL},                         \
  {"label,l", OPT_LIST, &(f).label, NULL},                                 \
  {"memory,m", OPT_STRING, &(f).memory, NULL},                             \
  {"memory-swap", OPT_STRING, &(f).memory_swap, NULL},                     \
  {"shm-size", OPT_STRING, &(f).shm_size, NULL},                           \
  {"cpus", OPT_STRING, &(f).cpus, NULL},                                   \
  {"cpuset-cpus", OPT_STRING, &(f).cpuset, NULL},                          \
  {"pids-limit", OPT_INT, &(f).pids_limit, &(f).pids_limit_set},           \
  {"ulimit", OPT_LIST, &(f).ulimit, NULL},                                 \
  {"cap-add", OPT_LIST, &(f).cap_add, NULL},                               \
  {"cap-drop", OPT_LIST, &(f).cap_drop, NULL},                             \
  {"security-opt", OPT_LIST, &(f).security_opt, NULL},                     \
  {"privileged", OPT_BOOL, &(f).privileged, NULL},                         \
  {"device", OPT_LIST, &(f).device, NULL},                                 \
  {"sysctl", OPT_LIST, &(f).sysctl, NULL},                                 \
  {"init", OPT_BOOL, &(f).init, NULL},                                     \
  {"restart", OPT_STRING, &(f).restart, NULL},                             \
  {"stop-signal", OPT_STRING, &(f).stop_signal, NULL},                     \
  {"stop-timeout", OPT_INT, &(f).stop_timeout, &(f).stop_timeout_set},     \
  {"health-cmd", OPT_STRING, &(f).health_cmd, NULL},                       \
  {"health-interval", OPT_STRING, &(f).health_interval, NULL},             \
  {"health-timeout", OPT_STRING, &(f).health_timeout, NULL},               \
  {"health-start-period", OPT_STRING, &(f).health_start_period, NULL},     \
  {"health-retries", OPT_INT, &(f).health_retries,                         \
   &(f).health_retries_set},                                               \
  {"no-healthcheck", OPT_BOOL, &(f).no_healthcheck, NULL},                 \
  {"pull", OPT_STRING, &(f).pull, NULL},                                   \
  {"network,net", OPT_STRING, &(f).network, NULL},                         \
  {"userns", OPT_STRING, &(f).userns, NULL},                               \
  {"log-driver", OPT_STRING, &(f).log_driver, NULL},                       \
  {"log-opt", OPT_LIST, &(f).log_opt, NULL},                               \
  {"platform", OPT_STRING, &(f).platform, NULL},                           \
  {"cgroup-parent", OPT_STRING, &(f).cgroup_parent, NULL},                 \
  {"quiet,q", OPT_BOOL, &(f).quiet, NULL}

/* The image, pulled when missing (--pull missing, the default), always,
 * or never. */
static int image_for_run(struct berth_cli *cli, const struct run_flags *f,
                         const char *what, char id[BERTH_DIGEST_SIZE],
                         berth_error **err) {
  const char *pull = f->pull ? f->pull : "missing";
  if (strcmp(pull, "missing") && strcmp(pull, "always") &&
      strcmp(pull, "never"))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --pull `%s`: missing, always or never",
                           pull);
  if (strcmp(pull, "always") != 0) {
    berth_error *local = NULL;
    struct berth_image_match m;
    struct berth_imgstore *is;
    if (cli_store(cli, &is) < 0)
      return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the image store");
    if (berth_image_lookup(is->db, what, &m, &local) == 0) {
      /* podman's short-name rule: say which image a short name ran. */
      if (m.localhost)
        fprintf(stderr, "Using %s for \"%s\" (no such image from "
                "docker.io here)\n", m.name, what);
      memcpy(id, m.id, BERTH_DIGEST_SIZE);
      berth_image_match_clear(&m);
      return 0;
    }
    if (local->kind != BERTH_ERR_NOT_FOUND || strcmp(pull, "never") == 0) {
      *err = local;
      return -1;
    }
    berth_error_free(local);
    fprintf(stderr, "Unable to find image '%s' locally\n", what);
  }
  return cli_pull_image(cli, what, f->quiet, id, err);
}

static char *image_name(const char *what) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(what, &ref, NULL) < 0)
    return strdup(what);
  char *s = berth_ref_familiar(&ref);
  berth_ref_free(&ref);
  return s ? s : strdup(what);
}

/* Parses flags up to the image; the rest is the command. */
static int parse_run(const char *cmd, int argc, char **argv,
                     struct run_flags *f, char ***words, int *nwords,
                     int *first_pos) {
  const struct opt opts[] = {RUN_OPTS(*f)};
  *words = cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), nwords, true);
  if (!*words)
    return cli_errorf(EXIT_USAGE, "%s: out of memory", cmd) ? -1 : -1;
  int i = 0;
  char msg[256];
  if (parse_opts(*nwords, *words, &i, opts, ARRAY_SIZE(opts), msg,
                 sizeof msg) < 0) {
    cli_errorf(EXIT_USAGE, "%s: %s", cmd, msg);
    return -1;
  }
  if (i >= *nwords) {
    cli_errorf(EXIT_USAGE, "%s: requires at least 1 argument (IMAGE)", cmd);
    return -1;
  }
  *first_pos = i;
  return 0;
}

static int create_from_flags(struct berth_cli *cli, const char *cmd,
                             int argc, char **argv, struct run_flags *f,
                             char id[65]) {
  _cleanup_free_ char **words = NULL;
  int nwords, pos;
  if (parse_run(cmd, argc, argv, f, &words, &nwords, &pos) < 0)
    return -1;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return -1;
  berth_error *err = NULL;
  json_t *req = NULL;
  char image_id[BERTH_DIGEST_SIZE];
  if (run_request_build(f, words + pos + 1, (size_t)(nwords - pos - 1),
                        cli->envp, &req, &err) < 0 ||
      image_for_run(cli, f, words[pos], image_id, &err) < 0) {
    json_decref(req);
    cli_engine_error(err);
    return -1;
  }
  if (f->tty && isatty(STDOUT_FILENO)) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row)
      json_object_set_new(req, "ConsoleSize",
                          json_pack("[i,i]", ws.ws_row, ws.ws_col));
  }
  _cleanup_free_ char *name = image_name(words[pos]);
  int rc = berth_ctr_new(e, image_id, name, req, f->name, id, &err);
  json_decref(req);
  if (rc < 0) {
    cli_engine_error(err);
    return -1;
  }
  return 0;
}

int cmd_create(struct berth_cli *cli, int argc, char **argv) {
  struct run_flags f = {0};
  char id[65];
  if (create_from_flags(cli, "create", argc, argv, &f, id) < 0)
    return EXIT_USAGE;
  puts(id);
  return 0;
}

/* The client's terminal in raw mode while attached to a container's. */
struct raw_tty {
  bool on;
  struct termios saved;
};

static void raw_on(struct raw_tty *t) {
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
    return;
  struct termios raw = t->saved;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST; /* keep "\n" -> "\r\n" for our own messages */
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
    t->on = true;
}

static void raw_off(struct raw_tty *t) {
  if (t->on)
    tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

/* Waits for the monitor's "exit N", forwarding our signals to the
 * container (Docker's --sig-proxy). */
static int attached_wait(struct berth_engine *e, const char *id,
                         const struct berth_started *st) {
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
    sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  for (;;) {
    struct pollfd p[2] = {{.fd = st->status_fd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN}};
    if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (sfd >= 0 && p[1].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si)
        berth_ctr_signal(e, id, (int)si.ssi_signo, NULL);
      continue;
    }
    char buf[64];
    ssize_t n = read(st->status_fd, buf, sizeof buf - 1);
    if (n < 0 && errno == EINTR)
      continue;
    int code;
    buf[n > 0 ? n : 0] = '\0';
    if (n > 0 && sscanf(buf, "exited %d", &code) == 1) {
      /* The monitor lets us record the exit (we have the engine open);
       * if that fails it falls back to its helper and sends "exit". */
      berth_error *err = NULL;
      struct berth_ctr *c = NULL;
      int rc = berth_ctr_find(e->db, id, &c, &err);
      if (rc == 0)
        rc = berth_ctr_exited(e, c->id, code, true, &err);
      berth_ctr_free(c);
      if (rc < 0) {
        berth_error_free(err);
        (void)!write(st->status_fd, "failed", 6);
        continue;
      }
      if (rc == BERTH_EXITED_RESTART) {
        (void)!write(st->status_fd, "restart", 7);
        continue;
      }
      /* "done rm": the monitor deletes the --rm container's directory
       * (now in the trash) after we have returned to the user. */
      if (rc == BERTH_EXITED_TRASHED)
        (void)!write(st->status_fd, "done rm", 7);
      else
        (void)!write(st->status_fd, "done", 4);
      return code;
    }
    if (n > 0 && sscanf(buf, "exit %d", &code) == 1)
      return code;
    break;
  }
  return cli_errorf(EXIT_USAGE,
                    "lost the container's monitor: see `berth ps -a`");
}

static int start_and_attach(struct berth_cli *cli, const char *id,
                            bool attach, bool interactive, bool tty) {
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_start_opts o = {.attach = attach, .interactive = interactive,
                               .in = STDIN_FILENO, .out = STDOUT_FILENO,
                               .err = STDERR_FILENO};
  struct berth_started st;
  berth_error *err = NULL;
  struct raw_tty raw = {0};
  if (attach && tty && interactive)
    raw_on(&raw);
  if (berth_ctr_start(e, id, &o, &st, &err) < 0) {
    raw_off(&raw);
    int code = st.exec_failure ? st.exec_failure : EXIT_USAGE;
    cli_error(err, code);
    return code;
  }
  if (!attach)
    return 0;
  int code = attached_wait(e, id, &st);
  raw_off(&raw);
  close(st.status_fd);
  return code;
}

int cmd_run(struct berth_cli *cli, int argc, char **argv) {
  struct run_flags f = {0};
  char id[65];
  if (create_from_flags(cli, "run", argc, argv, &f, id) < 0)
    return EXIT_USAGE;
  int code = start_and_attach(cli, id, !f.detach, f.interactive, f.tty);
  if (code != 0 && f.rm) {
    /* A start that failed leaves the container created: --rm removes it
     * (the monitor removes containers that ran). */
    struct berth_engine *e;
    if (cli_engine(cli, &e) == 0)
      berth_ctr_remove(e, id, true, true, NULL);
  }
  if (f.detach && code == 0)
    puts(id);
  return code;
}

int cmd_start(struct berth_cli *cli, int argc, char **argv) {
  bool attach = false, interactive = false;
  const struct opt opts[] = {{"attach,a", OPT_BOOL, &attach, NULL},
                             {"interactive,i", OPT_BOOL, &interactive, NULL}};
  char *pos[64];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("start", nw, w, opts, ARRAY_SIZE(opts), pos, 64,
                     &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "start: requires at least 1 argument");
  if (attach && npos > 1)
    return cli_errorf(EXIT_USAGE,
                      "start: you cannot attach to several containers");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    struct berth_ctr *c = NULL;
    berth_error *err = NULL;
    if (berth_ctr_find(e->db, pos[i], &c, &err) < 0) {
      status = cli_error(err, 1);
      continue;
    }
    bool tty = json_is_true(json_object_get(c->config, "Tty"));
    bool open_stdin = json_is_true(json_object_get(c->config, "OpenStdin"));
    berth_ctr_free(c);
    int code = start_and_attach(cli, pos[i], attach, interactive && open_stdin,
                                tty);
    if (attach)
      return code;
    if (code)
      status = 1;
    else
      puts(pos[i]);
  }
  return status;
}
