/* exec and update: the verbs whose flags build a JSON object first. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "caps.h"
#include "json.h"
#include "runtime.h"

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

struct exec_flags {
  const char *process, *cwd, *user, *console, *pid_file, *apparmor, *label;
  const char *cgroup;
  struct strlist env, caps, gids;
  bool tty, detach, nnp;
  long preserve;
};

static int set_user(json_t *proc, const char *spec, char *msg, size_t n) {
  char *end;
  json_t *user = json_object_get(proc, "user");
  if (!json_is_object(user)) {
    user = json_object();
    json_object_set_new(proc, "user", user);
  }
  long uid = strtol(spec, &end, 10);
  if (end == spec || (*end != '\0' && *end != ':') || uid < 0) {
    snprintf(msg, n, "--user `%s`: expected UID[:GID]", spec);
    return -1;
  }
  json_object_set_new(user, "uid", json_integer(uid));
  if (*end == ':') {
    const char *g = end + 1;
    long gid = strtol(g, &end, 10);
    if (end == g || *end != '\0' || gid < 0) {
      snprintf(msg, n, "--user `%s`: expected UID[:GID]", spec);
      return -1;
    }
    json_object_set_new(user, "gid", json_integer(gid));
  }
  return 0;
}

static void add_caps(json_t *proc, const struct strlist *caps) {
  if (caps->n == 0)
    return;
  json_t *c = json_object_get(proc, "capabilities");
  if (!json_is_object(c)) {
    c = json_object();
    json_object_set_new(proc, "capabilities", c);
  }
  const char *sets[] = {"bounding", "effective", "permitted"};
  for (size_t s = 0; s < 3; s++) {
    json_t *arr = json_object_get(c, sets[s]);
    if (!json_is_array(arr)) {
      arr = json_array();
      json_object_set_new(c, sets[s], arr);
    }
    for (size_t k = 0; k < caps->n; k++)
      json_array_append_new(arr, json_string(caps->items[k]));
  }
}

/* runc's rule: the process starts from the container's own process
 * (env, user, capabilities, rlimits...) and the flags override it. */
static json_t *process_from_flags(json_t *config, const struct exec_flags *f,
                                  int argc, char **argv, char *msg, size_t n) {
  json_t *base = json_object_get(config, "process");
  json_t *proc = json_is_object(base) ? json_deep_copy(base) : json_object();
  json_t *args = json_array();
  for (int k = 0; k < argc; k++)
    json_array_append_new(args, json_string(argv[k]));
  json_object_set_new(proc, "args", args);
  json_object_set_new(proc, "terminal", json_boolean(f->tty));
  json_object_del(proc, "consoleSize");
  if (f->cwd)
    json_object_set_new(proc, "cwd", json_string(f->cwd));
  json_t *env = json_object_get(proc, "env");
  if (!json_is_array(env)) {
    env = json_array();
    json_object_set_new(proc, "env", env);
  }
  for (size_t k = 0; k < f->env.n; k++)
    json_array_append_new(env, json_string(f->env.items[k]));
  if (f->user && set_user(proc, f->user, msg, n) < 0) {
    json_decref(proc);
    return NULL;
  }
  if (f->gids.n) {
    json_t *user = json_object_get(proc, "user");
    json_t *g = json_array();
    for (size_t k = 0; k < f->gids.n; k++)
      json_array_append_new(g, json_integer(atol(f->gids.items[k])));
    json_object_set_new(user, "additionalGids", g);
  }
  add_caps(proc, &f->caps);
  if (f->nnp)
    json_object_set_new(proc, "noNewPrivileges", json_true());
  return proc;
}

int verb_exec(struct cli *cli, int argc, char **argv) {
  struct exec_flags f = {0};
  struct opt opts[] = {
      {"process,p", OPT_STRING, &f.process, NULL, "path to the process.json"},
      {"cwd", OPT_STRING, &f.cwd, NULL,
       "current working directory in the container"},
      {"env,e", OPT_LIST, &f.env, NULL, "set environment variables"},
      {"user,u", OPT_STRING, &f.user, NULL, "UID (format: <uid>[:<gid>])"},
      {"additional-gids,g", OPT_LIST, &f.gids, NULL, "additional gids"},
      {"cap,c", OPT_LIST, &f.caps, NULL,
       "add a capability to the bounding set for the process"},
      {"tty,t", OPT_BOOL, &f.tty, NULL, "allocate a pseudo-TTY"},
      {"detach,d", OPT_BOOL, &f.detach, NULL,
       "detach from the container's process"},
      {"no-new-privs", OPT_BOOL, &f.nnp, NULL,
       "set the no new privileges value for the process"},
      {"console-socket", OPT_STRING, &f.console, NULL,
       "path to an AF_UNIX socket which will receive a file descriptor "
       "referencing the master end of the console's pseudoterminal"},
      {"pid-file", OPT_STRING, &f.pid_file, NULL,
       "specify the file to write the process id to"},
      {"preserve-fds", OPT_INT, &f.preserve, NULL,
       "Pass N additional file descriptors to the container (stdio + "
       "$LISTEN_FDS + N in total)"},
      {"apparmor", OPT_STRING, &f.apparmor, NULL,
       "set the apparmor profile for the process"},
      {"process-label", OPT_STRING, &f.label, NULL,
       "set the asm process label for the process commonly used with selinux"},
      {"cgroup", OPT_STRING, &f.cgroup, NULL,
       "run the process in an (existing) sub-cgroup(s)"},
  };
  char msg[512];
  int i = 1;
  if (parse_opts(argc, argv, &i, opts, NOPTS(opts), msg, sizeof(msg)) < 0)
    return cli_failf(cli, "exec: %s", msg);
  if (i >= argc)
    return cli_failf(cli, "exec: expected <container-id>");
  const char *id = argv[i++];
  if (f.process == NULL && i >= argc)
    return cli_failf(cli, "exec: expected a command or --process");
  if (f.preserve < 0 || f.preserve > 1024)
    return cli_failf(cli, "exec: --preserve-fds must be between 0 and 1024");
  berth_error *err = NULL;
  json_t *proc = NULL;
  if (f.process) {
    if (berth_json_load_file(f.process, 4u << 20, &proc, NULL, &err) < 0)
      return cli_fail(cli, err);
  } else {
    json_t *config = NULL;
    if (berth_container_config(&cli->ctx, id, &config, &err) < 0)
      return cli_fail(cli, err);
    proc = process_from_flags(config, &f, argc - i, argv + i, msg, sizeof(msg));
    json_decref(config);
    if (proc == NULL)
      return cli_failf(cli, "exec: %s", msg);
  }
  struct berth_exec_opts eo = {.process = proc,
                               .pid_file = f.pid_file,
                               .console_socket = f.console,
                               .detach = f.detach,
                               .preserve_fds = (int)f.preserve};
  int status = 0;
  int rc = berth_container_exec(&cli->ctx, id, &eo, &status, &err);
  json_decref(proc);
  if (rc < 0)
    return cli_fail(cli, err);
  return status;
}

/* "512m" -> bytes; plain numbers are bytes; -1 stays -1. */
static int parse_size(const char *s, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s)
    return -1;
  long long mult = 1;
  switch (tolower((unsigned char)*end)) {
  case '\0': break;
  case 'k': mult = 1LL << 10; break;
  case 'm': mult = 1LL << 20; break;
  case 'g': mult = 1LL << 30; break;
  case 't': mult = 1LL << 40; break;
  default: return -1;
  }
  if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]))
    return -1;
  *out = v * mult;
  return 0;
}

struct update_flag {
  const char *flag;
  const char *section, *key;
  bool size;   /* accepts 512m etc. */
  bool string; /* written as a string */
  const char *value;
};

int verb_update(struct cli *cli, int argc, char **argv) {
  const char *resources = NULL, *kmem = NULL, *kmem_tcp = NULL;
  struct update_flag fl[] = {
      {"blkio-weight", "blockIO", "weight", false, false, NULL},
      {"cpu-period", "cpu", "period", false, false, NULL},
      {"cpu-quota", "cpu", "quota", false, false, NULL},
      {"cpu-rt-period", "cpu", "realtimePeriod", false, false, NULL},
      {"cpu-rt-runtime", "cpu", "realtimeRuntime", false, false, NULL},
      {"cpu-share", "cpu", "shares", false, false, NULL},
      {"cpuset-cpus", "cpu", "cpus", false, true, NULL},
      {"cpuset-mems", "cpu", "mems", false, true, NULL},
      {"memory", "memory", "limit", true, false, NULL},
      {"memory-reservation", "memory", "reservation", true, false, NULL},
      {"memory-swap", "memory", "swap", true, false, NULL},
      {"pids-limit", "pids", "limit", false, false, NULL},
  };
  struct opt opts[NOPTS(fl) + 3];
  for (size_t k = 0; k < NOPTS(fl); k++)
    opts[k] = (struct opt){fl[k].flag, OPT_STRING, &fl[k].value, NULL, NULL};
  opts[NOPTS(fl)] =
      (struct opt){"resources,r", OPT_STRING, &resources, NULL,
                   "path to the file containing the resources to update or '-' "
                   "to read from the standard input"};
  opts[NOPTS(fl) + 1] = (struct opt){"kernel-memory", OPT_STRING, &kmem, NULL,
                                     "(obsoleted; do not use)"};
  opts[NOPTS(fl) + 2] = (struct opt){"kernel-memory-tcp", OPT_STRING, &kmem_tcp,
                                     NULL, "(obsoleted; do not use)"};
  char msg[512];
  int i = 1;
  if (parse_opts(argc, argv, &i, opts, NOPTS(opts), msg, sizeof(msg)) < 0)
    return cli_failf(cli, "update: %s", msg);
  if (argc - i != 1)
    return cli_failf(cli, "update: expected <container-id>");
  berth_error *err = NULL;
  json_t *res = NULL;
  if (resources) {
    const char *path = strcmp(resources, "-") == 0 ? "/dev/stdin" : resources;
    if (berth_json_load_file(path, 1u << 20, &res, NULL, &err) < 0)
      return cli_fail(cli, err);
  } else {
    res = json_object();
  }
  for (size_t k = 0; k < NOPTS(fl); k++) {
    if (fl[k].value == NULL)
      continue;
    json_t *sec = json_object_get(res, fl[k].section);
    if (!json_is_object(sec)) {
      sec = json_object();
      json_object_set_new(res, fl[k].section, sec);
    }
    long long v;
    if (fl[k].string) {
      json_object_set_new(sec, fl[k].key, json_string(fl[k].value));
      continue;
    }
    int bad = fl[k].size ? parse_size(fl[k].value, &v) : 0;
    if (!fl[k].size) {
      char *end;
      errno = 0;
      v = strtoll(fl[k].value, &end, 10);
      bad = errno || *end || end == fl[k].value;
    }
    if (bad) {
      json_decref(res);
      return cli_failf(cli, "update: invalid value `%s` for --%s",
                       fl[k].value, fl[k].flag);
    }
    json_object_set_new(sec, fl[k].key, json_integer(v));
  }
  struct berth_cgroup_resources *r = NULL;
  int rc = berth_cgroup_resources_parse(res, "resources", &r, &err);
  json_decref(res);
  /* New device rules replace the old ones: keep the nodes every container
   * needs usable, as at create. */
  if (rc == 0 && r->has_devices)
    rc = berth_cgroup_add_default_devices(&r, NULL, 0, &err);
  if (rc == 0)
    rc = berth_container_update(&cli->ctx, argv[i], r, &err);
  berth_cgroup_resources_free(r);
  if (rc < 0)
    return cli_fail(cli, err);
  return 0;
}
