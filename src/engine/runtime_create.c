/* Creating (and starting, detached) a container's init through the
 * runtime: in-process, or as a berth-runtime process where the init must
 * run from a sealed copy of the runtime. */
#include "runtime_create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exit_status.h"
#include "fs.h"
#include "ns_share.h"
#include "state.h"

/* The runtime's error: the "msg" of the last entry of its JSON log.  Its
 * kind crosses the process boundary only as the runtime's exit status,
 * which is exit_status.h's table: 127 a missing program, 126 one that
 * cannot run; anything else is SYSTEM. */
static int runtime_error(const char *log, int status, berth_error **err) {
  berth_error_kind kind = BERTH_ERR_SYSTEM;
  int errno_value = 0;
  if (status == BERTH_EXIT_NOT_FOUND || status == BERTH_EXIT_CANNOT_RUN) {
    kind = BERTH_ERR_EXEC;
    errno_value = status == BERTH_EXIT_NOT_FOUND ? ENOENT : EACCES;
  }
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, log, 64 << 10, &text, NULL, NULL) < 0 ||
      !text || !*text)
    return berth_error_set(err, kind, errno_value, "berth-runtime failed");
  size_t len = strlen(text);
  while (len && text[len - 1] == '\n')
    text[--len] = '\0';
  char *last = strrchr(text, '\n');
  json_t *entry = json_loads(last ? last + 1 : text, 0, NULL);
  const char *msg = json_string_value(json_object_get(entry, "msg"));
  berth_error_set(err, kind, 0, "%s", msg ? msg : (last ? last + 1 : text));
  if (err && *err)
    (*err)->errno_value = errno_value; /* not appended: msg names it */
  json_decref(entry);
  return -1;
}

/* berth-runtime run --detach, for a container whose init joins another
 * container's pid namespace: until it execs, the init is visible there
 * and must run from a sealed copy of the runtime (CVE-2019-5736), which
 * only a runtime process of its own can re-execute into; the engine's
 * in-process runtime cannot. */
/* berth-runtime --root STATE --log LOG --log-format json VERB... [--bundle
 * DIR] [--console-socket S] ID, into argv (16 slots): `run --detach`, or
 * `create` then `start` when the engine has work between the two. */
static void runtime_argv(char *argv[16], const char *exe, const char *root,
                         char *log, const struct berth_create_opts *co,
                         const char *verb, const char *id) {
  int n = 0;
  const char *fixed[] = {exe, "--root", root, "--log", log, "--log-format",
                         "json"};
  for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
    argv[n++] = (char *)fixed[i];
  argv[n++] = (char *)verb;
  if (strcmp(verb, "run") == 0)
    argv[n++] = "--detach";
  if (strcmp(verb, "start") != 0) {
    argv[n++] = "--bundle";
    argv[n++] = (char *)co->bundle;
    if (co->console_socket) {
      argv[n++] = "--console-socket";
      argv[n++] = (char *)co->console_socket;
    }
  }
  argv[n++] = (char *)id;
  argv[n] = NULL;
}

static int run_runtime(char *argv[16], const char *log, berth_error **err) {
  pid_t p = fork();
  if (p < 0)
    return berth_error_sys(err, "fork");
  if (p == 0) {
    char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(argv[0], argv, env);
    _exit(127);
  }
  int st;
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR)
      return berth_error_sys(err, "wait for `%s`", argv[0]);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return 0;
  return runtime_error(log, WIFEXITED(st) ? WEXITSTATUS(st) : -1, err);
}

/* With a prestart, `create` and `start` apart, the prestart between them
 * (the init waits in `created` until started). */
static int create_by_runtime(struct berth_engine *e, const struct berth_ctr *c,
                             const struct berth_ctx *ctx,
                             const struct berth_create_opts *co,
                             berth_error **err) {
  /* Its messages go to a log of its own: its stderr is the container's
   * (fds 0-2 are what the init inherits). */
  char log[4200];
  snprintf(log, sizeof log, "%s/runtime.log", co->bundle);
  unlink(log);
  char *argv[16];
  /* The init, orphaned when the runtime exits, comes to us: we become
   * its monitor, which must be its parent to learn its exit. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    return berth_error_sys(err, "become a subreaper");
  if (!co->prestart) {
    runtime_argv(argv, e->runtime_exe, ctx->state_root, log, co, "run", c->id);
    return run_runtime(argv, log, err);
  }
  runtime_argv(argv, e->runtime_exe, ctx->state_root, log, co, "create",
               c->id);
  if (run_runtime(argv, log, err) < 0)
    return -1;
  struct berth_state *st = NULL;
  int rc = berth_state_read(ctx->state_root, c->id, &st, err);
  if (rc == 0)
    rc = co->prestart(co->prestart_arg, st->pid, err);
  berth_state_free(st);
  if (rc == 0) {
    runtime_argv(argv, e->runtime_exe, ctx->state_root, log, co, "start",
                 c->id);
    rc = run_runtime(argv, log, err);
  }
  if (rc < 0)
    berth_container_delete(ctx, c->id, true, NULL);
  return rc;
}

int berth_runtime_create(struct berth_engine *e, const struct berth_ctr *c,
                         const struct berth_create_opts *co,
                         berth_error **err) {
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  json_t *hc = json_object_get(c->config, "HostConfig");
  enum berth_ns_mode pm;
  if (berth_ns_mode(hc, "PidMode", &pm, NULL, err) < 0)
    return -1;
  if (pm == BERTH_NSMODE_CONTAINER)
    return create_by_runtime(e, c, &ctx, co, err);
  return berth_container_create(&ctx, c->id, co, NULL, err);
}

