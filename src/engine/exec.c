/* berth exec: the container's process settings with the request's
 * changes, through the runtime library's exec. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "attach.h"
#include "console.h"
#include "container.h"
#include "containers.h"
#include "exit_status.h"
#include "start.h"
#include "state.h"
#include "userspec.h"

static void set_env(json_t *env, const char *kv) {
  size_t klen = strcspn(kv, "=");
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || !s[klen])) {
      json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

static int resolve_user(const struct berth_ctr *c, const char *spec,
                        json_t *process, berth_error **err) {
  char root[64];
  snprintf(root, sizeof root, "/proc/%d/root", c->pid);
  _cleanup_close_ int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", root);
  struct berth_userspec us = {0};
  if (berth_userspec_resolve(fd, spec, NULL, &us, err) < 0)
    return -1;
  json_t *groups = json_array();
  for (size_t i = 0; i < us.n_groups; i++)
    json_array_append_new(groups, json_integer(us.groups[i]));
  json_object_set_new(process, "user",
                      json_pack("{s:I,s:I,s:o}", "uid", (json_int_t)us.uid,
                                "gid", (json_int_t)us.gid, "additionalGids",
                                groups));
  berth_userspec_clear(&us);
  return 0;
}

static json_t *all_caps(void) {
  json_t *a = json_array();
  for (int i = 0; i <= berth_cap_last(); i++)
    if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
      json_array_append_new(a, json_string(berth_cap_name(i)));
  return a;
}

json_t *berth_ctr_runtime_process(struct berth_engine *e,
                                  const struct berth_ctr *c,
                                  berth_error **err) {
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  json_t *cfg = NULL;
  if (berth_container_config(&ctx, c->id, &cfg, err) < 0)
    return NULL;
  json_t *p = json_deep_copy(json_object_get(cfg, "process"));
  json_decref(cfg);
  if (!p)
    berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                    "container `%s` has no process settings", c->name);
  return p;
}

static int build_process(struct berth_engine *e, const struct berth_ctr *c,
                         const struct berth_exec_req *r, json_t **out,
                         berth_error **err) {
  json_t *p = berth_ctr_runtime_process(e, c, err);
  if (!p)
    return -1;
  json_t *args = json_array();
  for (char *const *a = r->argv; *a; a++)
    json_array_append_new(args, json_string(*a));
  json_object_set_new(p, "args", args);
  json_t *env = json_object_get(p, "env");
  for (char *const *v = r->env; v && *v; v++)
    set_env(env, *v);
  if (r->workdir)
    json_object_set_new(p, "cwd", json_string(r->workdir));
  json_object_set_new(p, "terminal", json_boolean(r->tty));
  json_object_del(p, "consoleSize");
  if (r->tty && r->rows && r->cols)
    json_object_set_new(p, "consoleSize",
                        json_pack("{s:i,s:i}", "height", (int)r->rows,
                                  "width", (int)r->cols));
  if (r->user && resolve_user(c, r->user, p, err) < 0) {
    json_decref(p);
    return -1;
  }
  if (r->privileged) {
    json_t *caps = all_caps();
    json_object_set_new(p, "capabilities",
                        json_pack("{s:O,s:O,s:O,s:o}", "bounding", caps,
                                  "effective", caps, "permitted", caps,
                                  "inheritable", json_array()));
    json_decref(caps);
  }
  *out = p;
  return 0;
}

/* Detached from an exec: the process keeps its terminal, whose master a
 * process of ours holds (and reads, so that the process never blocks on
 * a full pty) until the process is gone.  It keeps none of the client's
 * fds: the client's terminal or pipe closes when the client exits. */
static void leave_running(int master, int stop_fd) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0)
    return;
  pid_t pid = fork();
  if (pid != 0) {
    /* Until it has its own session, the client's exit (the hangup of the
     * client's terminal) would kill it: wait for that. */
    close(ready[1]);
    char c;
    while (pid > 0 && read(ready[0], &c, 1) < 0 && errno == EINTR)
      ;
    close(ready[0]);
    return;
  }
  setsid();
  close(ready[0]);
  close(ready[1]);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++)
    dup2(null, fd);
  for (int fd = 3; fd < 1024; fd++)
    if (fd != master && fd != stop_fd && fd != null)
      close(fd);
  struct berth_relay rl = {.master = master, .in = -1, .out = null,
                           .stop_fd = stop_fd, .resize_fd = -1};
  berth_console_relay(&rl);
  _exit(0);
}

/* With a terminal: the process runs as the API's does (its helper
 * waits for it) while we relay between the client and the pty master. */
static int exec_tty(struct berth_engine *e, const char *ref,
                    const struct berth_exec_req *r, int *status,
                    int *exec_failure, berth_error **err) {
  struct berth_exec_proc p;
  if (berth_ctr_exec_spawn(e, ref, r, &p, exec_failure, err) < 0)
    return -1;
  struct berth_relay rl = {.master = p.master,
                           .in = r->interactive ? r->in : -1,
                           .out = r->out, .stop_fd = p.report_fd,
                           .resize_fd = r->resize_fd};
  if (!r->detach_keys || !berth_escape_from_list(&rl.keys, r->detach_keys)) {
    char def[BERTH_DETACH_KEYS_LEN];
    berth_detach_keys_parse(NULL, def, NULL);
    berth_escape_from_list(&rl.keys, def);
  }
  if (berth_console_relay(&rl) == 1) {
    leave_running(p.master, p.report_fd);
    close(p.master);
    close(p.report_fd);
    return BERTH_EXEC_DETACHED;
  }
  close(p.master);
  return berth_exec_proc_wait(&p, status, err);
}

int berth_exec_prepare(struct berth_engine *e, const char *ref,
                       const struct berth_exec_req *r, char id[65],
                       json_t **process, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0 ||
      berth_ctr_refresh(e, c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", c->name);
  memcpy(id, c->id, 65);
  return build_process(e, c, r, process, err);
}

/* berth exec, which has no create step, is its own exec instance:
 * exec_die is recorded with the id its start recorded. */
static void die_event(struct berth_engine *e, const char *ref,
                      const struct berth_exec_req *r, int status) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (r->exec_id && berth_ctr_find(e->db, ref, &c, NULL) == 0)
    berth_exec_event_die(e->db, c->id, r->exec_id, status, NULL);
}

int berth_ctr_exec(struct berth_engine *e, const char *ref,
                   const struct berth_exec_req *req, int *status,
                   int *exec_failure, berth_error **err) {
  *exec_failure = 0;
  char id[65], exec_id[65];
  struct berth_exec_req r1 = *req;
  const struct berth_exec_req *r = &r1;
  if (!r1.exec_id) {
    berth_exec_new_id(exec_id);
    r1.exec_id = exec_id;
    r1.exec_create = true;
  }
  int rc;
  if (r->tty && !r->detach) {
    rc = exec_tty(e, ref, r, status, exec_failure, err);
    if (rc == 0)
      die_event(e, ref, r, *status);
    return rc;
  }
  json_t *process = NULL;
  if (berth_exec_prepare(e, ref, r, id, &process, err) < 0)
    return -1;
  berth_exec_events_start(e->db, id, r);
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  struct berth_exec_opts o = {.process = process, .detach = r->detach};
  rc = berth_container_exec(&ctx, id, &o, status, err);
  if (rc < 0)
    *exec_failure = berth_exit_status_of_start(*err);
  json_decref(process);
  if (rc == 0 && !r->detach)
    die_event(e, id, r, *status);
  return rc;
}
