/* berth run, create, start: creating containers and attaching to them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "attach.h"
#include "containers.h"
#include "create.h"
#include "lookup.h"
#include "lifecycle.h"
#include "engine.h"
#include "images.h"
#include "reference.h"
#include "run_request.h"
#include "start.h"

#define RUN_OPTS(f)                                                           \
  {"detach,d", OPT_BOOL, &(f).detach, NULL,                                   \
   "Run container in background and print container ID"},                     \
  {"interactive,i", OPT_BOOL, &(f).interactive, NULL,                         \
   "Keep STDIN open even if not attached"},                                   \
  {"tty,t", OPT_BOOL, &(f).tty, NULL, "Allocate a pseudo-TTY"},               \
  {"rm", OPT_BOOL, &(f).rm, NULL,                                             \
   "Automatically remove the container and its associated anonymous volumes " \
   "when it exits"},                                                          \
  {"name", OPT_STRING, &(f).name, NULL, "Assign a name to the container"},    \
  {"env,e", OPT_LIST, &(f).env, NULL, "Set environment variables"},           \
  {"env-file", OPT_LIST, &(f).env_file, NULL,                                 \
   "Read in a file of environment variables"},                                \
  {"workdir,w", OPT_STRING, &(f).workdir, NULL,                               \
   "Working directory inside the container"},                                 \
  {"user,u", OPT_STRING, &(f).user, NULL,                                     \
   "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},                 \
  {"entrypoint", OPT_STRING, &(f).entrypoint, &(f).entrypoint_set,            \
   "Overwrite the default ENTRYPOINT of the image"},                          \
  {"volume,v", OPT_LIST, &(f).volume, NULL, "Bind mount a volume"},           \
  {"mount", OPT_LIST, &(f).mount, NULL,                                       \
   "Attach a filesystem mount to the container"},                             \
  {"tmpfs", OPT_LIST, &(f).tmpfs, NULL, "Mount a tmpfs directory"},           \
  {"read-only", OPT_BOOL, &(f).read_only, NULL,                               \
   "Mount the container's root filesystem as read only"},                     \
  {"hostname,h", OPT_STRING, &(f).hostname, NULL, "Container host name"},     \
  {"label,l", OPT_LIST, &(f).label, NULL, "Set meta data on a container"},    \
  {"memory,m", OPT_STRING, &(f).memory, NULL, "Memory limit"},                \
  {"memory-swap", OPT_STRING, &(f).memory_swap, NULL,                         \
   "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"},    \
  {"shm-size", OPT_STRING, &(f).shm_size, NULL, "Size of /dev/shm"},          \
  {"cpus", OPT_STRING, &(f).cpus, NULL, "Number of CPUs"},                    \
  {"cpuset-cpus", OPT_STRING, &(f).cpuset, NULL,                              \
   "CPUs in which to allow execution (0-3, 0,1)"},                            \
  {"pids-limit", OPT_INT, &(f).pids_limit, &(f).pids_limit_set,               \
   "Tune container pids limit (set -1 for unlimited)"},                       \
  {"ulimit", OPT_LIST, &(f).ulimit, NULL, "Ulimit options"},                  \
  {"cap-add", OPT_LIST, &(f).cap_add, NULL, "Add Linux capabilities"},        \
  {"cap-drop", OPT_LIST, &(f).cap_drop, NULL, "Drop Linux capabilities"},     \
  {"security-opt", OPT_LIST, &(f).security_opt, NULL, "Security Options"},    \
  {"privileged", OPT_BOOL, &(f).privileged, NULL,                             \
   "Give extended privileges to this container"},                             \
  {"device", OPT_LIST, &(f).device, NULL,                                     \
   "Add a host device to the container"},                                     \
  {"sysctl", OPT_LIST, &(f).sysctl, NULL, "Sysctl options"},                  \
  {"init", OPT_BOOL, &(f).init, NULL,                                         \
   "Run an init inside the container that forwards signals and reaps "        \
   "processes"},                                                              \
  {"restart", OPT_STRING, &(f).restart, NULL,                                 \
   "Restart policy to apply when a container exits (default \"no\")"},        \
  {"stop-signal", OPT_STRING, &(f).stop_signal, NULL,                         \
   "Signal to stop the container"},                                           \
  {"stop-timeout", OPT_INT, &(f).stop_timeout, &(f).stop_timeout_set,         \
   "Timeout (in seconds) to stop a container"},                               \
  {"health-cmd", OPT_STRING, &(f).health_cmd, NULL,                           \
   "Command to run to check health"},                                         \
  {"health-interval", OPT_STRING, &(f).health_interval, NULL,                 \
   "Time between running the check (ms|s|m|h) (default 0s)"},                 \
  {"health-timeout", OPT_STRING, &(f).health_timeout, NULL,                   \
   "Maximum time to allow one check to run (ms|s|m|h) (default 0s)"},         \
  {"health-start-period", OPT_STRING, &(f).health_start_period, NULL,         \
   "Start period for the container to initialize before starting "            \
   "health-retries countdown (ms|s|m|h) (default 0s)"},                       \
  {"health-retries", OPT_INT, &(f).health_retries, &(f).health_retries_set,   \
   "Consecutive failures needed to report unhealthy"},                        \
  {"no-healthcheck", OPT_BOOL, &(f).no_healthcheck, NULL,                     \
   "Disable any container-specified HEALTHCHECK"},                            \
  {"pull", OPT_STRING, &(f).pull, NULL,                                       \
   "Pull image before running (\"always\", \"missing\", \"never\") (default " \
   "\"missing\")"},                                                           \
  {"network,net", OPT_STRING, &(f).network, NULL,                             \
   "Connect a container to a network"},                                       \
  {"publish,p", OPT_LIST, &(f).publish, NULL,                                 \
   "Publish a container's port(s) to the host"},                              \
  {"publish-all,P", OPT_BOOL, &(f).publish_all, NULL,                         \
   "Publish all exposed ports to random ports"},                              \
  {"expose", OPT_LIST, &(f).expose, NULL,                                     \
   "Expose a port or a range of ports"},                                      \
  {"ip", OPT_STRING, &(f).ip, NULL, "IPv4 address (e.g., 172.30.100.104)"},   \
  {"ip6", OPT_STRING, &(f).ip6, NULL, "IPv6 address (e.g., 2001:db8::33)"},   \
  {"network-alias", OPT_LIST, &(f).network_alias, NULL,                       \
   "Add network-scoped alias for the container"},                             \
  {"mac-address", OPT_STRING, &(f).mac_address, NULL,                         \
   "Container MAC address (e.g., 92:d0:c6:0a:29:33)"},                        \
  {"add-host", OPT_LIST, &(f).add_host, NULL,                                 \
   "Add a custom host-to-IP mapping (host:ip)"},                              \
  {"dns", OPT_LIST, &(f).dns, NULL, "Set custom DNS servers"},                \
  {"dns-search", OPT_LIST, &(f).dns_search, NULL,                             \
   "Set custom DNS search domains"},                                          \
  {"dns-option,dns-opt", OPT_LIST, &(f).dns_option, NULL, "Set DNS options"}, \
  {"userns", OPT_STRING, &(f).userns, NULL, "User namespace to use"},         \
  {"log-driver", OPT_STRING, &(f).log_driver, NULL,                           \
   "Logging driver for the container"},                                       \
  {"log-opt", OPT_LIST, &(f).log_opt, NULL, "Log driver options"},            \
  {"platform", OPT_STRING, &(f).platform, NULL,                               \
   "Set platform if server is multi-platform capable"},                       \
  {"cgroup-parent", OPT_STRING, &(f).cgroup_parent, NULL,                     \
   "Optional parent cgroup for the container"},                               \
  {"quiet,q", OPT_BOOL, &(f).quiet, NULL, "Suppress the pull output"},        \
  {"attach,a", OPT_LIST, &(f).attach, NULL,                                   \
   "Attach to STDIN, STDOUT or STDERR"},                                      \
  {"detach-keys", OPT_STRING, &(f).detach_keys, NULL,                         \
   "Override the key sequence for detaching a container"},                    \
  {"sig-proxy", OPT_BOOL, &(f).sig_proxy, NULL,                               \
   "Proxy received signals to the process"},                                  \
  {"pid", OPT_STRING, &(f).pid, NULL, "PID namespace to use"},                \
  {"ipc", OPT_STRING, &(f).ipc, NULL, "IPC mode to use"},                     \
  {"group-add", OPT_LIST, &(f).group_add, NULL,                               \
   "Add additional groups to join"},                                          \
  {"cidfile", OPT_STRING, &(f).cidfile, NULL,                                 \
   "Write the container ID to the file"},                                     \
  {"domainname", OPT_STRING, &(f).domainname, NULL,                           \
   "Container NIS domain name"},                                              \
  {"label-file", OPT_LIST, &(f).label_file, NULL,                             \
   "Read in a line delimited file of labels"}

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
  if (parse_opts(*nwords, *words, &i, opts, ARRAY_SIZE(opts), msg, sizeof msg) <
      0)
    return cli_flag_error(cmd, *nwords, *words, i, opts, ARRAY_SIZE(opts), msg);
  if (i >= *nwords) {
    cli_errorf(EXIT_USAGE, "%s: requires at least 1 argument (IMAGE)", cmd);
    return -1;
  }
  *first_pos = i;
  return 0;
}

/* How a foreground client attaches (run, start -a). */
struct attach_flags {
  bool attach, tty, sig_proxy;
  struct berth_streams streams;
  const char *detach_keys; /* berth_detach_keys_parse's form */
};

/* --detach-keys and -a into the attach flags (errors printed). */
static int attach_flags_of(const char *cmd, const struct run_flags *f,
                           char keys[BERTH_DETACH_KEYS_LEN],
                           struct attach_flags *a) {
  berth_error *err = NULL;
  if (berth_detach_keys_parse(f->detach_keys, keys, &err) < 0 ||
      berth_attach_streams(f->attach.items, f->attach.n, f->interactive,
                           f->detach, &a->streams, &err) < 0) {
    berth_error_prefix(&err, "%s", cmd);
    cli_error(err, EXIT_USAGE);
    return -1;
  }
  a->detach_keys = keys;
  return 0;
}

/* --cidfile, made before the container (as Docker: an existing file is
 * refused, so a second run cannot overwrite the first one's id).  The
 * file is the client's: written by the CLI, not the engine. */
static int cidfile_open(const char *cmd, const char *path) {
  if (!path)
    return -2;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0)
    return fd;
  if (errno == EEXIST)
    cli_errorf(EXIT_USAGE,
               "%s: Container ID file found, make sure the other container "
               "isn't running or delete %s",
               cmd, path);
  else
    cli_errorf(EXIT_USAGE, "%s: --cidfile `%s`: %s", cmd, path,
               strerror(errno));
  return -1;
}

static int cidfile_write(const char *cmd, int fd, const char *path,
                         const char *id) {
  size_t len = strlen(id);
  bool ok = write(fd, id, len) == (ssize_t)len;
  if (close(fd) < 0)
    ok = false;
  if (!ok) {
    cli_errorf(EXIT_USAGE, "%s: write --cidfile `%s`: %s", cmd, path,
               strerror(errno));
    return -1;
  }
  return 0;
}

static int create_from_flags(struct berth_cli *cli, const char *cmd,
                             int argc, char **argv, struct run_flags *f,
                             char id[65]) {
  _cleanup_free_ char **words = NULL;
  int nwords, pos;
  if (parse_run(cmd, argc, argv, f, &words, &nwords, &pos) < 0)
    return -1;
  /* How run attaches is checked before anything is created. */
  struct attach_flags a;
  char keys[BERTH_DETACH_KEYS_LEN];
  if (attach_flags_of(cmd, f, keys, &a) < 0)
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
  int cid_fd = cidfile_open(cmd, f->cidfile);
  if (cid_fd == -1) {
    json_decref(req);
    return -1;
  }
  /* The image as the user named it, as Docker records it (ps, inspect's
   * .Config.Image); the container is tied to image_id. */
  int rc = berth_ctr_new(e, image_id, words[pos], req, f->name, id, &err);
  json_decref(req);
  if (rc < 0) {
    if (cid_fd >= 0) {
      close(cid_fd);
      unlink(f->cidfile);
    }
    cli_engine_error(err);
    return -1;
  }
  if (cid_fd >= 0 && cidfile_write(cmd, cid_fd, f->cidfile, id) < 0) {
    berth_ctr_remove(e, id, true, true, NULL);
    unlink(f->cidfile);
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

static int start_and_attach(struct berth_cli *cli, const char *id,
                            const struct attach_flags *a) {
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_start_opts o = {.attach = a->attach,
                               .interactive = a->streams.in,
                               .in = STDIN_FILENO, .out = STDOUT_FILENO,
                               .err = STDERR_FILENO,
                               .skip_stdout = !a->streams.out,
                               .skip_stderr = !a->streams.err,
                               .detach_keys = a->detach_keys};
  struct berth_started st;
  berth_error *err = NULL;
  struct cli_raw_tty raw = {0};
  if (a->attach && a->tty && a->streams.in)
    cli_raw_on(&raw);
  if (berth_ctr_start(e, id, &o, &st, &err) < 0) {
    cli_raw_off(&raw);
    int code = st.exec_failure ? st.exec_failure : EXIT_USAGE;
    cli_error(err, code);
    return code;
  }
  if (!a->attach)
    return 0;
  int code = cli_attach_wait(e, id, st.status_fd, a->tty, a->sig_proxy);
  cli_raw_off(&raw);
  close(st.status_fd);
  return code;
}

int cmd_run(struct berth_cli *cli, int argc, char **argv) {
  struct run_flags f = {.sig_proxy = true};
  char id[65], keys[BERTH_DETACH_KEYS_LEN];
  if (create_from_flags(cli, "run", argc, argv, &f, id) < 0)
    return EXIT_USAGE;
  struct attach_flags a = {.attach = !f.detach, .tty = f.tty,
                           .sig_proxy = f.sig_proxy};
  if (attach_flags_of("run", &f, keys, &a) < 0)
    return EXIT_USAGE; /* checked before the create: cannot happen */
  int code = start_and_attach(cli, id, &a);
  if (code != 0 && f.rm) {
    /* A start that failed leaves the container created: --rm removes it
     * (the monitor removes containers that ran). */
    struct berth_engine *e;
    if (cli_engine(cli, &e) == 0)
      berth_ctr_discard_failed_start(e, id);
  }
  if (f.detach && code == 0)
    puts(id);
  return code;
}

int cmd_start(struct berth_cli *cli, int argc, char **argv) {
  bool attach = false, interactive = false;
  const char *keys_spec = NULL;
  const struct opt opts[] = {
      {"attach,a", OPT_BOOL, &attach, NULL,
       "Attach STDOUT/STDERR and forward signals"},
      {"interactive,i", OPT_BOOL, &interactive, NULL,
       "Attach container's STDIN"},
      {"detach-keys", OPT_STRING, &keys_spec, NULL,
       "Override the key sequence for detaching a container"}};
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
  char keys[BERTH_DETACH_KEYS_LEN];
  berth_error *kerr = NULL;
  if (berth_detach_keys_parse(keys_spec, keys, &kerr) < 0)
    return cli_error(kerr, EXIT_USAGE);
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
    struct attach_flags a = {
        .attach = attach, .tty = tty, .sig_proxy = true,
        .streams = {.in = interactive && open_stdin, .out = true, .err = true},
        .detach_keys = keys};
    int code = start_and_attach(cli, pos[i], &a);
    if (attach)
      return code;
    if (code)
      status = 1;
    else
      puts(pos[i]);
  }
  return status;
}
