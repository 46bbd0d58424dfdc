#include "container_init.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "exec_stub.h"
#include "exit_status.h"
#include "fs.h"
#include "hooks.h"
#include "namespaces.h"
#include "rlimits.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char default_path[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static int join_ns_path(const char *path, int type, berth_error **err) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open namespace `%s`", path);
  if (setns(fd, type) < 0)
    return berth_error_sys(err, "join namespace `%s`", path);
  return 0;
}

/* Offsets can only be written before any process lives in the time
 * namespace, so the init unshares it for its children and the exec moves
 * the init itself into it. */
static int setup_time_ns(const struct berth_namespaces *ns, berth_error **err) {
  if (unshare(CLONE_NEWTIME) < 0)
    return berth_error_sys(err, "create time namespace");
  if (!ns->has_time_offsets)
    return 0;
  char buf[128];
  int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
                   (long long)ns->monotonic_secs, ns->monotonic_nsecs,
                   (long long)ns->boottime_secs, ns->boottime_nsecs);
  return berth_write_file(AT_FDCWD, "/proc/self/timens_offsets", buf,
                          (size_t)n, err);
}

static int apply_sysctl(const struct berth_spec *s, berth_error **err) {
  for (size_t i = 0; i < s->n_sysctl; i++) {
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i].key);
    for (char *c = path + 10; c < path + n; c++)
      if (*c == '.')
        *c = '/';
    if (berth_write_file(AT_FDCWD, path, s->sysctl[i].value,
                         strlen(s->sysctl[i].value), err) < 0)
      return berth_error_prefix(err, "sysctl `%s`", s->sysctl[i].key);
  }
  return 0;
}

static int setup_uts(const struct berth_spec *s, berth_error **err) {
  if (s->hostname && s->hostname[0] &&
      sethostname(s->hostname, strlen(s->hostname)) < 0)
    return berth_error_sys(err, "set hostname `%s`", s->hostname);
  if (s->domainname && s->domainname[0] &&
      setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return berth_error_sys(err, "set domainname `%s`", s->domainname);
  return 0;
}

static char *hook_state_json(const struct berth_init_ctx *ctx, pid_t host_pid,
                             const char *status) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s}", "ociVersion", "1.2.0", "id",
                        ctx->id, "status", status, "pid", (json_int_t)host_pid,
                        "bundle", ctx->bundle);
  if (o == NULL)
    return NULL;
  if (ctx->spec->annotations)
    json_object_set(o, "annotations", ctx->spec->annotations);
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}

static int run_hooks(const struct berth_init_ctx *ctx, enum berth_hook_kind k,
                     pid_t host_pid, const char *status, berth_error **err) {
  if (ctx->spec->hooks.n[k] == 0)
    return 0;
  _cleanup_free_ char *st = hook_state_json(ctx, host_pid, status);
  if (st == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "hook state");
  return berth_hooks_run(&ctx->spec->hooks, k, st, err);
}

static struct berth_rootfs_plan make_plan(const struct berth_init_ctx *ctx) {
  const struct berth_spec *s = ctx->spec;
  return (struct berth_rootfs_plan){
      .rootfs = s->root_path,
      .readonly = s->root_readonly,
      .rootfs_propagation = s->rootfs_propagation,
      .mounts = s->mounts,
      .n_mounts = s->n_mounts,
      .devices = s->devices,
      .n_devices = s->n_devices,
      .masked_paths = s->masked_paths,
      .readonly_paths = s->readonly_paths,
      .in_userns = s->ns.present[BERTH_NS_USER],
      .new_cgroupns = s->ns.present[BERTH_NS_CGROUP] &&
                      !s->ns.path[BERTH_NS_CGROUP],
      .shared_mntns = !s->ns.present[BERTH_NS_MNT],
  };
}

/* Before anything of the container runs, only fds we were asked to pass
 * may stay open: a leaked directory fd is how CVE-2024-21626 escaped. */
static void close_leaked_fds(const struct berth_init_ctx *ctx, int report_fd) {
  int keep[3] = {report_fd, ctx->stub_fd, ctx->listen_fd};
  int first = 3 + ctx->preserve_fds;
  berth_close_fds_from(first, keep, ARRAY_SIZE(keep));
  for (int fd = 3; fd < first; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
      fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
}

static int enter_cwd(const char *cwd, berth_error **err) {
  /* A missing cwd is created, as runc and Docker do (WORKDIR of an image
   * need not exist).  This runs after pivot_root, so the path cannot
   * resolve outside the container. */
  berth_error *e = NULL;
  if (chdir(cwd) < 0 && (errno != ENOENT || berth_mkdir_p(cwd, 0755, &e) < 0 ||
                         chdir(cwd) < 0)) {
    /* Kind CWD: the program cannot be invoked there (126). */
    int en = e ? e->errno_value : errno;
    berth_error_free(e);
    return berth_error_set(err, BERTH_ERR_CWD, en, "chdir to cwd `%s`", cwd);
  }
  /* After pivot_root nothing outside the root is reachable; a cwd that
   * still resolves outside would mean a leaked reference: refuse it. */
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == NULL)
    return berth_error_sys(err, "cwd `%s` is outside the container", cwd);
  return 0;
}

/* Waits for `start`: create's caller has gone, so the accepted connection
 * becomes the channel that reports exec failures to `start`. */
static int wait_for_start(const struct berth_init_ctx *ctx, int *report_fd,
                          berth_error **err) {
  if (ctx->listen_fd < 0)
    return berth_sync_expect(ctx->sync_fd, BERTH_SYNC_START, NULL, err);
  int conn;
  do
    conn = accept4(ctx->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    return berth_error_sys(err, "wait for start");
  close(ctx->listen_fd);
  close(ctx->sync_fd);
  *report_fd = conn;
  return berth_sync_expect(conn, BERTH_SYNC_START, NULL, err);
}

int berth_apply_process_security(const struct berth_process *p,
                                 const struct berth_seccomp_prog *seccomp,
                                 berth_error **err) {
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
   * while we still hold it.  With no_new_privs, load it last so that the
   * filter does not have to allow the credential syscalls. */
  if (seccomp && !p->creds.no_new_privileges &&
      berth_seccomp_load(seccomp, err) < 0)
    return -1;
  if (berth_creds_apply(&p->creds, err) < 0 || berth_exec_stub_hide(err) < 0)
    return -1;
  if (p->creds.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_error_sys(err, "set no_new_privs");
  if (seccomp && p->creds.no_new_privileges &&
      berth_seccomp_load(seccomp, err) < 0)
    return -1;
  return 0;
}

static int finish_process(const struct berth_init_ctx *ctx,
                          berth_error **err) {
  const struct berth_spec *s = ctx->spec;
  if (s->has_personality && personality(s->personality) < 0)
    return berth_error_sys(err, "personality");
  return berth_apply_process_security(s->process, ctx->seccomp, err);
}

struct cgroup_wait {
  const struct berth_init_ctx *ctx;
  int32_t host_pid;
};

/* The runtime creates the container's cgroup while we mount (on a host
 * where the first migration waits for an RCU grace period, that overlap
 * is most of a container's start).  GO arrives once it has moved us in: a
 * new cgroup namespace is then rooted there (the container sees "/"), and
 * cgroup mounts show that namespace. */
static int wait_for_cgroup(void *arg, berth_error **err) {
  struct cgroup_wait *cw = arg;
  const struct berth_spec *s = cw->ctx->spec;
  if (berth_sync_expect(cw->ctx->sync_fd, BERTH_SYNC_GO, &cw->host_pid, err) <
      0)
    return -1;
  if (s->ns.present[BERTH_NS_CGROUP] && !s->ns.path[BERTH_NS_CGROUP] &&
      unshare(CLONE_NEWCGROUP) < 0)
    return berth_error_sys(err, "create the cgroup namespace");
  return 0;
}

static int init_setup(const struct berth_init_ctx *ctx, int *report_fd,
                      struct berth_exec_target *target, berth_error **err) {
  const struct berth_spec *s = ctx->spec;
  const struct berth_process *p = s->process;
  struct cgroup_wait cw = {.ctx = ctx};
  /* Host fds: closed by the pivot (and by close_leaked_fds at the latest,
   * never passed on: they sit above the preserved fds). */
  struct berth_rootfs_fds fds = BERTH_ROOTFS_FDS_INIT;
  if (berth_sync_expect(ctx->sync_fd, BERTH_SYNC_MAPPED, NULL, err) < 0)
    return -1;
  /* Before a user namespace is joined by path: a network namespace the
   * runtime created belongs to the runtime's user namespace. */
  if (s->ns.present[BERTH_NS_NET] && !s->ns.path[BERTH_NS_NET] &&
      berth_netns_loopback_up(err) < 0)
    return -1;
  if (s->ns.path[BERTH_NS_USER] &&
      join_ns_path(s->ns.path[BERTH_NS_USER], CLONE_NEWUSER, err) < 0)
    return -1;
  if (s->ns.path[BERTH_NS_MNT] &&
      join_ns_path(s->ns.path[BERTH_NS_MNT], CLONE_NEWNS, err) < 0)
    return -1;
  if (s->ns.present[BERTH_NS_USER]) {
    /* Become the namespace's root so that mounts and mknod are checked
     * against the container's ids, not the host's. */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      return berth_error_sys(err, "become root in the user namespace");
  }
  if (s->ns.present[BERTH_NS_TIME] && !s->ns.path[BERTH_NS_TIME] &&
      setup_time_ns(&s->ns, err) < 0)
    return -1;
  if (setup_uts(s, err) < 0 || apply_sysctl(s, err) < 0)
    return -1;
  if (berth_rootfs_fds_recv(ctx->sync_fd, s->root_path, s->mounts,
                            s->n_mounts, ctx->bundle, 3 + ctx->preserve_fds,
                            &fds, err) < 0)
    return -1;
  struct berth_rootfs_plan plan = make_plan(ctx);
  plan.fds = &fds;
  plan.enter_cgroup = wait_for_cgroup;
  plan.enter_cgroup_arg = &cw;
  if (berth_rootfs_prepare(&plan, err) < 0)
    return -1;
  int32_t host_pid = cw.host_pid;
  if (berth_sync_send(ctx->sync_fd, BERTH_SYNC_NS_READY, 0, NULL) < 0)
    return berth_error_sys(err, "notify runtime");
  if (berth_sync_expect(ctx->sync_fd, BERTH_SYNC_HOOKS_DONE, NULL, err) < 0)
    return -1;
  /* Steps 5 and 7 of the lifecycle: created, as for prestart (see
   * handshake() in launch.c); "running" only once the program runs. */
  if (run_hooks(ctx, BERTH_HOOK_CREATE_CONTAINER, host_pid, "created",
                err) < 0)
    return -1;
  if (berth_rootfs_pivot(&plan, err) < 0 || berth_rootfs_finalize(&plan, err) < 0)
    return -1;
  if (ctx->console_fd >= 0) {
    if (berth_terminal_setup(ctx->console_fd, p->console_height,
                             p->console_width, err) < 0)
      return -1;
    close(ctx->console_fd);
  } else if (setsid() < 0) {
    return berth_error_sys(err, "setsid");
  }
  /* Before the cwd is entered: a leaked fd is reachable as
   * /proc/self/fd/N until it is closed, close-on-exec or not. */
  close_leaked_fds(ctx, ctx->sync_fd);
  if (enter_cwd(p->cwd, err) < 0)
    return -1;
  if (berth_rlimits_apply(p->rlimits, p->n_rlimits, 0, err) < 0)
    return -1;
  /* Everything the exec needs happens before the seccomp filter exists.
   * A program that cannot be found or run fails `create`, as in runc:
   * that is where podman and conmon look for the reason (127 / 126). */
  berth_exec_target_prepare(target, p, p->creds.uid);
  if (target->lookup_rc < 0)
    return berth_exec_target_error(target, target->lookup_rc, err);
  /* `create` exits once we are created; we must outlive it. */
  if (ctx->listen_fd >= 0)
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (berth_sync_send(ctx->sync_fd, BERTH_SYNC_CREATED, 0, NULL) < 0)
    return berth_error_sys(err, "notify runtime");
  if (wait_for_start(ctx, report_fd, err) < 0)
    return -1;
  if (run_hooks(ctx, BERTH_HOOK_START_CONTAINER, host_pid, "created", err) < 0)
    return -1;
  /* Once started, the container must outlive the runtime that created it. */
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  return finish_process(ctx, err);
}

int berth_init_run(const struct berth_init_ctx *ctx) {
  berth_error *err = NULL;
  int report_fd = ctx->sync_fd;
  /* The runtime's image is mapped into this process until exec: keep other
   * container processes from opening it via /proc (CVE-2019-5736). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  struct berth_exec_target target = {0};
  if (init_setup(ctx, &report_fd, &target, &err) < 0) {
    berth_sync_send_error(report_fd, err);
    berth_error_free(err);
    return 1;
  }
  return berth_stub_exec(&target, ctx->stub_fd, report_fd);
}

static const char *env_path(char *const *env) {
  for (char *const *e = env; e && *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0)
      return *e + 5;
  return default_path;
}

/* As runc (Go's exec.LookPath) decides: a directory or a file without
 * any execute bit cannot be run, whoever asks. */
static int check_executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -errno;
  if (S_ISDIR(st.st_mode))
    return -EISDIR;
  if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
    return -EACCES;
  return 0;
}

int berth_find_executable(const char *file, char *const *env, char *out,
                          size_t out_len) {
  if (strchr(file, '/')) {
    snprintf(out, out_len, "%s", file);
    return check_executable(out);
  }
  const char *path = env_path(env);
  int last = -ENOENT;
  while (*path) {
    const char *colon = strchrnul(path, ':');
    int dlen = (int)(colon - path);
    snprintf(out, out_len, "%.*s%s%s", dlen, path, dlen ? "/" : "", file);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(out, X_OK) == 0)
        return 0;
      last = -EACCES;
    }
    path = *colon ? colon + 1 : colon;
  }
  return last;
}

/* The home directory of uid in the container's /etc/passwd, or "/".
 * The container owns that file and an exec'd process still has the
 * runtime's privileges here: a FIFO planted there must not hang `exec`,
 * a device node must not be opened, a symlink (into /proc, say) must not
 * be followed.  berth_open_regular opens nothing but a regular file. */
static void passwd_home(uid_t uid, char *out, size_t out_len) {
  snprintf(out, out_len, "/");
  int fd = berth_open_regular(AT_FDCWD, "/etc/passwd", 0, NULL);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (f == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  char line[1024];
  while (fgets(line, sizeof(line), f)) {
    /* name:passwd:uid:gid:gecos:home:shell */
    char *field[7] = {0};
    char *tok = line;
    int n = 0;
    for (char *c = strsep(&tok, ":"); c && n < 7; c = strsep(&tok, ":"))
      field[n++] = c;
    if (n < 6 || field[2][0] == '\0')
      continue;
    char *end;
    unsigned long u = strtoul(field[2], &end, 10);
    if (*end == '\0' && u == uid && field[5][0] == '/') {
      snprintf(out, out_len, "%s", field[5]);
      break;
    }
  }
  fclose(f);
}

/* Like runc and crun, a process without HOME gets its user's home
 * directory: programs (shells, ssh, git) misbehave without one. */
static char **env_with_home(char *const *env, uid_t uid) {
  size_t n = 0;
  for (; env && env[n]; n++)
    if (strncmp(env[n], "HOME=", 5) == 0)
      return NULL;
  char **out = calloc(n + 2, sizeof(char *));
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    out[i] = env[i];
  char home[PATH_MAX];
  passwd_home(uid, home, sizeof(home));
  if (asprintf(&out[n], "HOME=%s", home) < 0) {
    free(out);
    return NULL;
  }
  return out;
}

void berth_exec_target_prepare(struct berth_exec_target *t,
                               const struct berth_process *p, uid_t uid) {
  t->file = p->args[0];
  t->args = p->args;
  t->env_owned = env_with_home(p->env, uid);
  t->env = t->env_owned ? t->env_owned : p->env;
  t->lookup_rc = berth_find_executable(t->file, t->env, t->path,
                                       sizeof(t->path));
}

/* Worded as runc words it (Go's lower-case errno texts, "executable file
 * not found in $PATH"): podman and others match these words to choose
 * exit status 127 or 126.  The engine decides on the kind instead. */
int berth_exec_target_error(const struct berth_exec_target *t, int rc,
                            berth_error **err) {
  char why[128];
  if (rc == -ENOENT && !strchr(t->file, '/'))
    snprintf(why, sizeof(why), "executable file not found in $PATH");
  else
    snprintf(why, sizeof(why), "%s", strerror(-rc));
  why[0] = (char)tolower((unsigned char)why[0]);
  berth_error_set(err, BERTH_ERR_EXEC, 0, "exec `%s`: %s", t->file, why);
  if (err && *err)
    (*err)->errno_value = -rc;
  return -1;
}

int berth_exec_target_run(const struct berth_exec_target *t, int report_fd,
                          int stub_fd) {
  int rc = t->lookup_rc;
  if (rc == 0)
    rc = berth_exec_via_stub(stub_fd, t->path, t->args, t->env);
  berth_error *err = NULL;
  berth_exec_target_error(t, rc, &err);
  berth_sync_send_error(report_fd, err);
  int status = berth_exit_status_of_start(err);
  berth_error_free(err);
  return status;
}
