/* RUN: the command in a container the engine creates and starts from
 * the step's parent image, exactly as `berth run` would (its own user
 * namespace, the default seccomp profile and capabilities, masked
 * paths, the build's network), with the stage's USER, WORKDIR and
 * variables; its output streams to the progress; a non-zero exit fails
 * the build with BuildKit's words.
 *
 * Shell form runs in the stage's SHELL.  Heredocs as BuildKit runs
 * them: `RUN <<EOF` alone runs the body as the shell's script, or, when
 * it starts with "#!", as a program of its own: a file bound read-only
 * on /dev/pipes/EOF (outside the layer); any other form hands the line
 * and its heredocs to the shell, which reads them itself. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "build_internal.h"
#include "cleanup.h"
#include "fs.h"
#include "lifecycle.h"
#include "start.h"

struct run_plan {
  struct slist argv;
  struct slist env;
  const char *network; /* RUN --network, else the build's */
  const struct berth_df_heredoc *script; /* run as /dev/pipes/NAME */
  char *script_dir; /* the host directory bound there */
};

static void plan_clear(struct run_plan *p) {
  slist_free(&p->argv);
  slist_free(&p->env);
  if (p->script_dir)
    berth_rm_rf(p->script_dir, NULL);
  free(p->script_dir);
}

/* "<<EOF", "<<-EOF", "<<'EOF'": the whole command is one heredoc. */
static bool lone_heredoc(const char *cmd) {
  while (*cmd == ' ' || *cmd == '\t')
    cmd++;
  if (strncmp(cmd, "<<", 2) != 0)
    return false;
  cmd += 2 + (cmd[2] == '-');
  size_t n = strcspn(cmd, " \t");
  for (const char *p = cmd + n; *p; p++)
    if (*p != ' ' && *p != '\t')
      return false;
  return n > 0;
}

static int heredoc_argv(struct stage_run *r, const struct berth_df_instr *in,
                        struct run_plan *p, berth_error **err) {
  const struct berth_df_heredoc *h = &in->heredocs[0];
  if (in->n_heredocs == 1 && lone_heredoc(in->args[0])) {
    if (strncmp(h->content, "#!", 2) == 0) {
      if (!*h->name || strchr(h->name, '/') || !strcmp(h->name, ".") ||
          !strcmp(h->name, ".."))
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "heredoc name `%s` cannot be a file name",
                               h->name);
      p->script = h;
      return slist_addf(&p->argv, err, "/dev/pipes/%s", h->name);
    }
    return stage_with_shell(r, h->content, &p->argv, err);
  }
  _cleanup_free_ char *full = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&full, &len);
  if (!f)
    return berth_error_sys(err, "allocate");
  fputs(in->args[0], f);
  for (size_t i = 0; i < in->n_heredocs; i++)
    fprintf(f, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
  if (fclose(f) != 0)
    return berth_error_sys(err, "allocate");
  return stage_with_shell(r, full, &p->argv, err);
}

/* RUN's flags: --network (default, none, host) for this step;
 * --security=sandbox (the default); --mount and --security=insecure are
 * refused rather than ignored: a cache, secret or bind mount missing
 * would change what the command sees, and insecure would need an
 * entitlement berth does not grant. */
static int run_flags(struct stage_run *r, const struct berth_df_instr *in,
                     struct run_plan *p, berth_error **err) {
  p->network = r->b->network;
  const char *net = berth_df_flag(in, "network", NULL);
  const char *sec = berth_df_flag(in, "security", NULL);
  bool mount = false;
  berth_df_flag(in, "mount", &mount);
  if (mount)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "RUN --mount is not supported");
  if (sec && strcmp(sec, "sandbox") != 0)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "RUN --security=%s is not supported (only "
                           "sandbox)",
                           sec);
  if (!net || !strcmp(net, "default"))
    return 0;
  if (strcmp(net, "none") && strcmp(net, "host"))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "unsupported network mode \"%s\": default, none "
                           "or host",
                           net);
  p->network = net;
  return 0;
}

static int run_plan_of(struct stage_run *r, const struct berth_df_instr *in,
                       struct run_plan *p, berth_error **err) {
  int rc = run_flags(r, in, p, err);
  if (rc < 0)
    return -1;
  if (in->json) {
    for (size_t i = 0; rc == 0 && i < in->n_args; i++)
      rc = slist_add(&p->argv, in->args[i], err);
  } else if (in->n_heredocs > 0) {
    rc = heredoc_argv(r, in, p, err);
  } else {
    rc = stage_with_shell(r, in->n_args ? in->args[0] : "", &p->argv, err);
  }
  if (rc == 0 && p->argv.n == 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "RUN without a command");
  /* What instructions see, ARG values included (they are the step's
   * environment, not the image's). */
  return rc < 0 ? -1 : slist_copy(&p->env, &r->vars, err);
}

/* Key material: the command, its environment, stdin, the network. */
static int run_key(struct stage_run *r, const struct run_plan *p,
                   char key[BERTH_DIGEST_SIZE], berth_error **err) {
  struct slist m = {0};
  const char *net = p->network;
  int rc = slist_addf(&m, err, "argv %zu", p->argv.n);
  for (size_t i = 0; rc == 0 && i < p->argv.n; i++)
    rc = slist_add(&m, p->argv.v[i], err);
  if (rc == 0)
    rc = slist_addf(&m, err, "env %zu", p->env.n);
  for (size_t i = 0; rc == 0 && i < p->env.n; i++)
    rc = slist_add(&m, p->env.v[i], err);
  if (rc == 0 && p->script)
    rc = slist_addf(&m, err, "script %s %zu:%s", p->script->name,
                    strlen(p->script->content), p->script->content);
  if (rc == 0)
    rc = slist_addf(&m, err, "network %s", net);
  if (rc == 0)
    rc = build_key(r, "RUN", &m, key, err);
  slist_free(&m);
  return rc;
}

/* The predefined proxy ARGs reach RUN without an ARG (not in the key). */
static int add_proxies(struct build *b, struct slist *env,
                       berth_error **err) {
  for (size_t i = 0; i < b->bargs.n; i++) {
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(b->bargs.v[i], "="),
             b->bargs.v[i]);
    if (build_is_proxy_arg(name) && !slist_has_name(env, name) &&
        slist_add(env, b->bargs.v[i], err) < 0)
      return -1;
  }
  return 0;
}

/* The "#!" heredoc as a file of its own, in a directory of the engine's
 * (0755: the container's root, an unmapped user to the host, reads it). */
static int script_file(struct build *b, struct run_plan *p, json_t *hc,
                       berth_error **err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tmp", b->e->root);
  if (berth_mkdir_p(dir, 0700, err) < 0)
    return -1;
  if (asprintf(&p->script_dir, "%s/run-XXXXXX", dir) < 0) {
    p->script_dir = NULL;
    return berth_error_sys(err, "allocate");
  }
  if (!mkdtemp(p->script_dir)) {
    free(p->script_dir);
    p->script_dir = NULL;
    return berth_error_sys(err, "create a directory in `%s`", dir);
  }
  _cleanup_close_ int dfd =
      open(p->script_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int fd =
      dfd < 0 ? -1
              : openat(dfd, p->script->name,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0700);
  const char *body = p->script->content;
  size_t len = strlen(body);
  if (fd < 0 || write(fd, body, len) != (ssize_t)len ||
      fchmod(fd, 0755) < 0 || fchmod(dfd, 0755) < 0)
    return berth_error_sys(err, "write the heredoc `%s`", p->script->name);
  json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "Type", "bind",
                        "Source", p->script_dir, "Target", "/dev/pipes",
                        "ReadOnly", true, "BindOptions", "Propagation",
                        "rprivate");
  json_object_set_new(hc, "Mounts", json_pack("[o]", m));
  return 0;
}

static json_t *run_request(struct stage_run *r, struct run_plan *p,
                           berth_error **err) {
  const char *wd = json_string_value(json_object_get(r->config, "WorkingDir"));
  const char *user = json_string_value(json_object_get(r->config, "User"));
  json_t *req = json_pack("{s:o, s:[], s:o, s:s, s:s, s:{s:[s]}, s:{s:s}}",
                          "Cmd", slist_json(&p->argv), "Entrypoint", "Env",
                          slist_json(&p->env), "WorkingDir",
                          wd && *wd ? wd : "/", "User", user ? user : "",
                          "Healthcheck", "Test", "NONE", "HostConfig",
                          "NetworkMode", p->network);
  if (!req) {
    berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
    return NULL;
  }
  if (p->script &&
      script_file(r->b, p, json_object_get(req, "HostConfig"), err) < 0) {
    json_decref(req);
    return NULL;
  }
  return req;
}

/* ---- the running container ---- */

struct run_io {
  struct stage_run *r;
  int n;             /* the step's progress number */
  double t0;
  const struct run_plan *p;
  const char *shown; /* the command as errors quote it */
  char line[65536];  /* a partial output line */
  size_t len;
};

static void emit_line(struct run_io *io) {
  build_event(io->r->b, BERTH_BUILD_OUTPUT, io->n, io->line, io->len,
              build_now() - io->t0);
  io->len = 0;
}

/* Output to progress, one event per line. */
static void take_output(struct run_io *io, const char *buf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == '\n') {
      emit_line(io);
      continue;
    }
    io->line[io->len++] = buf[i];
    if (io->len == sizeof io->line)
      emit_line(io);
  }
}

/* Reads what is there; 0 at EOF. */
static int drain(struct run_io *io, int fd) {
  char buf[8192];
  ssize_t k = read(fd, buf, sizeof buf);
  if (k < 0)
    return errno == EINTR || errno == EAGAIN ? 1 : 0;
  take_output(io, buf, (size_t)k);
  return k > 0;
}

struct run_fds {
  int out, status;
};

/* Waits for the exit (the container killed once when the build is
 * canceled), streaming output; then reads the output to its end (the
 * monitor closes it when it exits). */
static int wait_exit(struct run_io *io, const char *id, struct run_fds *f,
                     int *code, berth_error **err) {
  struct build *b = io->r->b;
  bool exited = false, killed = false, out_open = true;
  double deadline = 0;
  while (!exited || out_open) {
    if (b->o->cancel && *b->o->cancel && !killed && !exited) {
      berth_ctr_signal(b->e, id, SIGKILL, NULL);
      killed = true;
    }
    struct pollfd pf[2] = {{.fd = out_open ? f->out : -1, .events = POLLIN},
                           {.fd = exited ? -1 : f->status, .events = POLLIN}};
    /* A timeout: the cancel flag is read even if its signal came just
     * before poll. */
    int k = poll(pf, 2, 200);
    if (k < 0 && errno != EINTR)
      return berth_error_sys(err, "poll");
    if (pf[0].revents)
      out_open = drain(io, f->out);
    if (pf[1].revents) {
      int ev = berth_attach_event(b->e, id, f->status, code, err);
      if (ev < 0)
        return -1;
      exited = ev == BERTH_ATTACH_EXITED;
      deadline = build_now() + 5;
    }
    /* A daemon the command left holding the output cannot hold the
     * build: its container is gone with the command's pid namespace, so
     * this only guards against the unexpected. */
    if (exited && out_open && build_now() > deadline)
      break;
  }
  if (io->len)
    emit_line(io);
  if (killed)
    return berth_error_set(err, BERTH_ERR_STATE, 0, "build canceled");
  return 0;
}

/* Started attached, stdout and stderr both into one pipe (their lines
 * interleave as the command wrote them); stdin is /dev/null. */
static int run_in(struct build *b, const char *id, void *arg,
                  berth_error **err) {
  struct run_io *io = arg;
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0)
    return berth_error_sys(err, "pipe");
  struct berth_start_opts o = {.attach = true, .in = -1, .out = out[1],
                               .err = out[1]};
  struct berth_started st = {.status_fd = -1};
  int rc = berth_ctr_start(b->e, id, &o, &st, err);
  close(out[1]);
  struct run_fds f = {.out = out[0], .status = st.status_fd};
  int code = 0;
  if (rc == 0)
    rc = wait_exit(io, id, &f, &code, err);
  else
    berth_error_prefix(err, "process \"%s\" did not complete successfully",
                       io->shown);
  close(out[0]);
  if (st.status_fd >= 0)
    close(st.status_fd);
  if (rc == 0 && code != 0) {
    struct build *b = io->r->b;
    free(b->run_cmd);
    b->run_cmd = strdup(io->shown);
    b->run_exit = b->run_cmd ? code : 0;
  }
  if (rc == 0 && code != 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "process \"%s\" did not complete successfully: exit "
                         "code: %d",
                         io->shown, code);
  return rc;
}

/* BuildKit's history line: "RUN |2 A=1 B=2 /bin/sh -c make # buildkit",
 * the stage's ARGs with the values the command saw. */
static char *run_history(struct stage_run *r, const struct run_plan *p) {
  struct slist a = {0};
  for (size_t i = 0; i < r->args.n; i++) {
    char name[256];
    const char *s = r->args.v[i];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(s, "="), s);
    const char *v = slist_getenv(&r->vars, name);
    const char *own = strchr(s, '=');
    if (slist_setenv(&a, name, v ? v : own ? own + 1 : "", NULL) < 0)
      break;
  }
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (f) {
    fputs("RUN ", f);
    if (a.n)
      fprintf(f, "|%zu ", a.n);
    for (size_t i = 0; i < a.n; i++)
      fprintf(f, "%s ", a.v[i]);
    for (size_t i = 0; i < p->argv.n; i++)
      fprintf(f, "%s%s", i ? " " : "", p->argv.v[i]);
    fputs(" # buildkit", f);
    if (fclose(f) != 0) {
      free(out);
      out = NULL;
    }
  }
  slist_free(&a);
  return out;
}

static char *joined(const struct slist *l) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  for (size_t i = 0; f && i < l->n; i++)
    fprintf(f, "%s%s", i ? " " : "", l->v[i]);
  if (!f || fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

static int run_step(struct stage_run *r, struct run_plan *p,
                    const char *key, int n, double t0, berth_error **err) {
  _cleanup_free_ char *shown = joined(&p->argv);
  _cleanup_free_ char *hist = run_history(r, p);
  json_t *req = NULL;
  if (!shown || !hist)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  if (add_proxies(r->b, &p->env, err) < 0 || !(req = run_request(r, p, err)))
    return -1;
  struct run_io *io = calloc(1, sizeof *io);
  if (!io) {
    json_decref(req);
    return berth_error_sys(err, "allocate");
  }
  *io = (struct run_io){.r = r, .n = n, .t0 = t0, .p = p, .shown = shown};
  struct build_ctr_req q = {.req = req, .fn = run_in, .arg = io};
  char layer[BERTH_DIGEST_SIZE];
  uint64_t size;
  int rc = stage_in_container(r, &q, layer, &size, err);
  free(io);
  json_decref(req);
  if (rc == 0)
    rc = stage_commit(r, key, layer, size, hist, err);
  return rc;
}

int stage_run_instr(struct stage_run *r, const struct berth_df_instr *in,
                    berth_error **err) {
  struct run_plan p = {0};
  char key[BERTH_DIGEST_SIZE];
  if (run_plan_of(r, in, &p, err) < 0 || run_key(r, &p, key, err) < 0) {
    plan_clear(&p);
    return -1;
  }
  double t0 = build_now();
  int n = stage_step_begin(r, in, NULL);
  int hit = stage_cached(r, key, err);
  int rc = hit == 0 ? run_step(r, &p, key, n, t0, err) : hit;
  if (rc < 0)
    stage_step_error(r, n, *err);
  else
    stage_step_end(r, n, t0, hit > 0);
  plan_clear(&p);
  return rc < 0 ? -1 : 0;
}
