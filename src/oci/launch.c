#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cloned_exe.h"
#include "exec_stub.h"
#include "seccomp_cache.h"
#include "container_internal.h"
#include "hooks.h"
#include "mntns_shared.h"
#include "fs.h"
#include "container_init.h"
#include "rootfs_fds.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define CONFIG_MAX_BYTES (4u << 20)

/* Everything a failed create must undo, in one place. */
struct launch {
  const struct berth_ctx *ctx;
  const char *id;
  const struct berth_create_opts *opts;
  char dir[PATH_MAX];
  bool dir_created;
  struct berth_spec *spec;
  struct berth_seccomp_prog prog;
  bool have_prog;
  struct berth_cgroup *cg;
  char *created;           /* RFC 3339 creation time */
  const char *config_text; /* copied into the state dir */
  size_t config_len;
  pid_t pid;
  int pidfd, sync_fd, listen_fd, console_fd, stub_fd;
  unsigned long long base_mnt; /* see berth_state.rootfs_base_mnt */
};

static void launch_undo(struct launch *l) {
  if (l->pid > 0) {
    kill(l->pid, SIGKILL);
    waitpid(l->pid, NULL, 0);
  }
  if (l->cg) {
    berth_cgroup_destroy(l->cg, NULL);
    l->cg = NULL;
  }
  if (l->base_mnt)
    berth_detach_stacked(l->spec->root_path, l->base_mnt);
  if (l->dir_created)
    berth_rm_rf(l->dir, NULL);
}

static void launch_free(struct launch *l) {
  berth_spec_free(l->spec);
  if (l->have_prog)
    berth_seccomp_prog_free(&l->prog);
  berth_cgroup_free(l->cg);
  int fds[] = {l->pidfd, l->sync_fd, l->listen_fd, l->console_fd,
               l->stub_fd};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian).  Done by
 * hand because glibc's gmtime_r reads /etc/localtime on first use. */
static void civil_from_days(long z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

void berth_now_rfc3339(char *buf, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long days = (long)(ts.tv_sec / 86400), secs = (long)(ts.tv_sec % 86400);
  int y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, len, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%09ldZ", y, m, d,
           secs / 3600, secs / 60 % 60, secs % 60, ts.tv_nsec);
}

int berth_write_pid_file(const char *path, pid_t pid, berth_error **err) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
  return berth_write_file_replace(path, buf, (size_t)n, 0644, err);
}

/* The state directory is also the lock on the id: it is made before
 * anything else exists, so a duplicate id fails with nothing to undo. */
static int make_state_dir(struct launch *l, berth_error **err) {
  snprintf(l->dir, sizeof(l->dir), "%s/%s", l->ctx->state_root, l->id);
  int rc = mkdir(l->dir, 0700);
  if (rc < 0 && errno == ENOENT) {
    if (berth_mkdir_p(l->ctx->state_root, 0700, err) < 0)
      return -1;
    rc = mkdir(l->dir, 0700);
  }
  if (rc < 0) {
    if (errno == EEXIST)
      return berth_error_set(err, BERTH_ERR_EXISTS, 0,
                             "container `%s` already exists", l->id);
    return berth_error_sys(err, "mkdir `%s`", l->dir);
  }
  l->dir_created = true;
  return 0;
}

static int write_config_copy(struct launch *l, berth_error **err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/config.json", l->dir);
  return berth_write_file_replace(path, l->config_text, l->config_len, 0600,
                                  err);
}

static int listen_exec_socket(struct launch *l, berth_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  /* bind() takes a path of at most 107 bytes: go through the directory fd
   * so a long --root still works. */
  _cleanup_close_ int dfd = open(l->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys(err, "open `%s`", l->dir);
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/exec.sock",
           dfd);
  l->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (l->listen_fd < 0)
    return berth_error_sys(err, "socket");
  if (bind(l->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
      listen(l->listen_fd, 1) < 0)
    return berth_error_sys(err, "listen on `%s/exec.sock`", l->dir);
  return 0;
}

/* Namespaces joined by path are entered by the runtime itself before the
 * clone, except user and mount which the init joins (the runtime must keep
 * its own filesystem view and privileges). */
static int join_parent_namespaces(const struct berth_spec *s,
                                  berth_error **err) {
  static const enum berth_ns_kind kinds[] = {BERTH_NS_PID, BERTH_NS_NET,
                                             BERTH_NS_IPC, BERTH_NS_UTS,
                                             BERTH_NS_CGROUP, BERTH_NS_TIME};
  for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
    const char *path = s->ns.path[kinds[i]];
    if (path == NULL)
      continue;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return berth_error_sys(err, "open namespace `%s`", path);
    /* Checked on what is joined, not only on the path the spec named. */
    if ((s->own_ns & (1u << kinds[i])) && berth_ns_is_hosts(kinds[i], fd, NULL))
      return berth_error_set(err, BERTH_ERR_STATE, 0,
                             "namespace `%s` is the runtime's own: the "
                             "config may not write into it", path);
    if (setns(fd, berth_ns_table[kinds[i]].clone_flag) < 0)
      return berth_error_sys(err, "join namespace `%s`", path);
  }
  return 0;
}

/* Fds handed to the child must not sit where preserved fds go. */
int berth_move_fd_above(int *fd, int min, berth_error **err) {
  if (*fd < 0 || *fd >= min)
    return 0;
  int nfd = fcntl(*fd, F_DUPFD_CLOEXEC, min);
  if (nfd < 0)
    return berth_error_sys(err, "dup fd");
  close(*fd);
  *fd = nfd;
  return 0;
}

static pid_t clone_init(struct launch *l, int child_sync, berth_error **err) {
  /* The time namespace needs its offsets first, and a new cgroup
   * namespace must be rooted at the container's cgroup, which the init
   * enters only after the clone: the init unshares both itself. */
  int flags = berth_namespaces_clone_flags(&l->spec->ns) &
              ~(CLONE_NEWTIME | CLONE_NEWCGROUP);
  struct clone_args args = {
      .flags = (uint64_t)flags | CLONE_PIDFD,
      .pidfd = (uint64_t)(uintptr_t)&l->pidfd,
      .exit_signal = SIGCHLD,
  };
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0)
    return berth_error_sys(err, "clone the container init");
  if (pid == 0) {
    close(l->sync_fd);
    struct berth_init_ctx ictx = {
        .spec = l->spec,
        .id = l->id,
        .bundle = l->opts->bundle,
        .sync_fd = child_sync,
        .listen_fd = l->listen_fd,
        .console_fd = l->console_fd,
        .preserve_fds = l->opts->preserve_fds,
        .stub_fd = l->stub_fd,
        .seccomp = l->have_prog ? &l->prog : NULL,
    };
    _exit(berth_init_run(&ictx));
  }
  return pid;
}

static char *state_json_text(const struct berth_state *st, const char *status) {
  json_t *o = berth_state_to_json(st, status);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return s;
}

int berth_run_state_hooks(const struct berth_hooks *h, enum berth_hook_kind k,
                          const struct berth_state *st, const char *status,
                          berth_error **err) {
  if (h->n[k] == 0)
    return 0;
  _cleanup_free_ char *text = state_json_text(st, status);
  if (text == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "state");
  return berth_hooks_run(h, k, text, err);
}

void berth_run_state_hooks_warn(const struct berth_ctx *ctx,
                                const struct berth_hooks *h,
                                enum berth_hook_kind k,
                                const struct berth_state *st,
                                const char *status) {
  if (h->n[k] == 0)
    return;
  _cleanup_free_ char *text = state_json_text(st, status);
  if (text != NULL) {
    berth_hooks_run_each(h, k, text, ctx->warn, ctx->warn_arg);
    return;
  }
  berth_error *e = NULL;
  berth_error_set(&e, BERTH_ERR_SYSTEM, ENOMEM, "%s hooks: state",
                  berth_hook_kind_name(k));
  if (ctx->warn)
    ctx->warn(ctx->warn_arg, e);
  else
    berth_error_free(e);
}

static void fill_state(struct launch *l, struct berth_state *st,
                       char *created) {
  *st = (struct berth_state){
      .id = (char *)l->id,
      .pid = l->pid,
      .start_time = berth_proc_start_time(l->pid),
      .bundle = (char *)l->opts->bundle,
      .rootfs = l->spec->root_path,
      .created = created,
      .cgroup_path = (char *)berth_cgroup_path(l->cg),
      .owner = "",
      .annotations = l->spec->annotations,
      .started = l->opts->mode != BERTH_CREATE,
      .no_poststop = l->spec->hooks.n[BERTH_HOOK_POSTSTOP] == 0,
      .rootfs_base_mnt = l->base_mnt,
  };
}

static int write_oom_score(pid_t pid, int adj, berth_error **err) {
  char path[64], val[16];
  snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
  int n = snprintf(val, sizeof(val), "%d", adj);
  return berth_write_file(AT_FDCWD, path, val, (size_t)n, err);
}

/* A send to the init failed: it has exited, and the error it reported on
 * its way out (if any) is still queued on the socket. */
static int init_gone(struct launch *l, berth_error **err) {
  if (berth_sync_expect(l->sync_fd, BERTH_SYNC_NS_READY, NULL, err) == 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPIPE,
                           "the container init stopped listening");
  return -1;
}

/* The init mounts from fds we open with the host's credentials: as root
 * of its user namespace it may not be able to search the directories
 * above the bundle or a bind source (rootfs_fds.h). */
static int give_rootfs_fds(struct launch *l, berth_error **err) {
  struct berth_rootfs_fds fds = BERTH_ROOTFS_FDS_INIT;
  if (berth_rootfs_fds_open_for(l->spec, l->opts->bundle, l->pidfd, &fds,
                                err) < 0)
    return -1;
  int rc = berth_rootfs_fds_send(l->sync_fd, &fds);
  berth_rootfs_fds_close(&fds);
  return rc < 0 ? init_gone(l, err) : 0;
}

/* The parent's half of the handshake with the init, up to "created". */
static int handshake(struct launch *l, struct berth_state *st, char *created,
                     berth_error **err) {
  const struct berth_spec *s = l->spec;
  if (s->ns.present[BERTH_NS_USER] && !s->ns.path[BERTH_NS_USER] &&
      berth_namespaces_write_id_maps(&s->ns, l->pid, err) < 0)
    return -1;
  /* The init prepares its mounts while we create its cgroup (see
   * wait_for_cgroup in container_init.c). */
  if (berth_sync_send(l->sync_fd, BERTH_SYNC_MAPPED, 0, NULL) < 0)
    return init_gone(l, err);
  if (give_rootfs_fds(l, err) < 0)
    return -1;
  if (berth_cgroup_create(s->cgroups_path, l->id, s->resources, &l->cg,
                          err) < 0 ||
      berth_cgroup_enter(l->cg, l->pid, err) < 0)
    return -1;
  if (s->process->has_oom_score_adj &&
      write_oom_score(l->pid, s->process->oom_score_adj, err) < 0)
    return -1;
  if (berth_sync_send(l->sync_fd, BERTH_SYNC_GO, l->pid, NULL) < 0)
    return init_gone(l, err);
  /* Done while the init sets up its root. */
  if (write_config_copy(l, err) < 0)
    return -1;
  if (l->opts->prestart &&
      l->opts->prestart(l->opts->prestart_arg, l->pid, err) < 0)
    return -1;
  if (berth_sync_expect(l->sync_fd, BERTH_SYNC_NS_READY, NULL, err) < 0)
    return -1;
  fill_state(l, st, created);
  /* runtime.md, State: "created: the runtime has finished the create
   * operation (after step 2 in the lifecycle), and the container process
   * has neither exited nor executed the user-specified program"; these
   * hooks are steps 3 and 4.  (runc 1.1 passes "creating", crun
   * "created"; `state` asked meanwhile still says creating, since the
   * container cannot be started yet.) */
  if (berth_run_state_hooks(&s->hooks, BERTH_HOOK_PRESTART, st, "created",
                            err) < 0 ||
      berth_run_state_hooks(&s->hooks, BERTH_HOOK_CREATE_RUNTIME, st,
                            "created", err) < 0)
    return -1;
  if (berth_sync_send(l->sync_fd, BERTH_SYNC_HOOKS_DONE, 0, NULL) < 0)
    return berth_error_sys(err, "signal the container init");
  return berth_sync_expect(l->sync_fd, BERTH_SYNC_CREATED, NULL, err);
}

static int record_state(struct launch *l, struct berth_state *st,
                        berth_error **err) {
  st->start_time = berth_proc_start_time(l->pid);
  if (berth_state_write(l->ctx->state_root, st, err) < 0)
    return -1;
  if (l->opts->pid_file &&
      berth_write_pid_file(l->opts->pid_file, l->pid, err) < 0)
    return -1;
  return 0;
}

/* Waits for the init's end of the channel to close at exec; an error
 * message instead means the exec failed. */
int berth_wait_exec(int fd, berth_error **err) {
  struct berth_sync_msg m;
  int rc = berth_sync_recv(fd, &m, err);
  if (rc < 0)
    return -1;
  if (rc > 0 && m.type == BERTH_SYNC_ERROR)
    return berth_sync_error_of(&m, err);
  return 0;
}

static const int forwarded_signals[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
                                        SIGUSR1, SIGUSR2, SIGWINCH};

/* Waits for the child, forwarding the signals the runtime receives, as
 * runc does for a foreground container.  Returns its exit status. */
int berth_wait_forwarding(pid_t pid, int pidfd, int *status_out,
                          berth_error **err) {
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
    sigaddset(&set, forwarded_signals[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  int status = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN}};
    if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si))
        syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (p[0].revents & POLLIN)
      break;
  }
  pid_t r;
  do
    r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (r < 0)
    return berth_error_sys(err, "wait for container process");
  *status_out = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
  return 0;
}

static int load_spec_text(const char *bundle, char **text, size_t *len,
                          struct berth_spec **spec, berth_error **err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/config.json", bundle);
  if (berth_read_file(AT_FDCWD, path, CONFIG_MAX_BYTES, text, len, err) < 0)
    return -1;
  return berth_spec_parse("config.json", *text, *len, bundle, spec, err);
}

/* Until it execs the stub, the init runs our own binary with the host's
 * privileges.  In a pid namespace of its own nobody sees it (exec refuses
 * a process that could ptrace it while it waits for `start`).  In a pid
 * namespace joined by path, other containers' processes see it, and what
 * they can do is unknown: it runs from a sealed copy, so /proc/PID/exe
 * leads to a memfd nobody can write (CVE-2019-5736). */
static bool init_needs_sealed_runtime(const struct launch *l) {
  return berth_pidns_shared(l->spec);
}

static int prepare_launch(struct launch *l, const char *text, size_t len,
                          berth_error **err) {
  const struct berth_spec *s = l->spec;
  if (s->process == NULL)
    return berth_error_spec(err, "process", "required to create a container");
  if (s->process->terminal && l->opts->console_socket == NULL)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "process.terminal is true: --console-socket is "
                           "required");
  if (!s->process->terminal && l->opts->console_socket != NULL)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "--console-socket given but process.terminal is "
                           "false");
  bool exposed = init_needs_sealed_runtime(l);
  if (exposed && !berth_exe_is_sealed()) {
    if (l->ctx->argv == NULL)
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "this container's init needs a sealed copy of "
                             "the runtime, which only berth-runtime can "
                             "make");
    return berth_reexec_sealed(l->ctx->argv, l->ctx->envp, err);
  }
  l->config_text = text;
  l->config_len = len;
  /* Noted before anything is mounted, and kept from the first state on,
   * so that whatever ends this container can take its mounts off the
   * runtime's namespace. */
  if (!s->ns.present[BERTH_NS_MNT] &&
      (l->base_mnt = berth_mount_id(s->root_path, err)) == 0)
    return -1;
  if (make_state_dir(l, err) < 0)
    return -1;
  /* Until the init reports back, `state` and `list` say "creating". */
  struct berth_state creating = {
      .id = (char *)l->id, .bundle = (char *)l->opts->bundle,
      .rootfs = l->spec->root_path, .created = l->created,
      .cgroup_path = "", .owner = "", .annotations = l->spec->annotations,
      .rootfs_base_mnt = l->base_mnt};
  if (berth_state_write(l->ctx->state_root, &creating, err) < 0)
    return -1;
  /* The same processes could hold the stub's file open (O_PATH) and try
   * to reopen it for writing once it has run. */
  l->stub_fd = berth_exec_stub_open(exposed, err);
  if (l->stub_fd < 0)
    return -1;
  if (s->seccomp) {
    char cache[PATH_MAX];
    snprintf(cache, sizeof(cache), "%s/" BERTH_SECCOMP_CACHE_NAME,
             l->ctx->state_root);
    if (berth_seccomp_compile(s->seccomp, cache, &l->prog, err) < 0)
      return -1;
    l->have_prog = true;
  }
  if (l->opts->console_socket) {
    l->console_fd = berth_console_socket_connect(l->opts->console_socket, err);
    if (l->console_fd < 0)
      return -1;
  }
  if (l->opts->mode == BERTH_CREATE && listen_exec_socket(l, err) < 0)
    return -1;
  return 0;
}

static int spawn(struct launch *l, berth_error **err) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berth_error_sys(err, "socketpair");
  l->sync_fd = sp[0];
  int child_sync = sp[1];
  int min = 3 + l->opts->preserve_fds;
  if (berth_move_fd_above(&l->sync_fd, min, err) < 0 ||
      berth_move_fd_above(&child_sync, min, err) < 0 ||
      berth_move_fd_above(&l->listen_fd, min, err) < 0 ||
      berth_move_fd_above(&l->console_fd, min, err) < 0 ||
      berth_move_fd_above(&l->stub_fd, min, err) < 0 ||
      join_parent_namespaces(l->spec, err) < 0) {
    close(child_sync);
    return -1;
  }
  l->pid = clone_init(l, child_sync, err);
  close(child_sync);
  return l->pid < 0 ? -1 : 0;
}

static int finish_run(struct launch *l, struct berth_state *st,
                      int *exit_status, berth_error **err) {
  if (berth_sync_send(l->sync_fd, BERTH_SYNC_START, 0, NULL) < 0)
    return berth_error_sys(err, "start the container");
  /* `run` returns only after this, so nobody can look before it exists;
   * written while the init execs. */
  if (record_state(l, st, err) < 0)
    return -1;
  if (berth_wait_exec(l->sync_fd, err) < 0)
    return -1;
  berth_run_state_hooks_warn(l->ctx, &l->spec->hooks, BERTH_HOOK_POSTSTART,
                             st, "running");
  if (l->opts->mode == BERTH_RUN_DETACHED)
    return 0;
  if (berth_wait_forwarding(l->pid, l->pidfd, exit_status, err) < 0)
    return -1;
  l->pid = 0; /* reaped */
  return 0;
}

/* The end of a foreground `run`: the container has exited, and everything
 * needed to remove it is still in memory, so nothing is read back. */
static int remove_after_run(struct launch *l, struct berth_state *st,
                            berth_error **err) {
  _cleanup_close_ int lock = berth_state_lock(l->ctx->state_root, l->id, err);
  if (lock < 0)
    return -1;
  /* poststop failures are warnings by the spec: removal goes on. */
  if (l->base_mnt)
    berth_detach_stacked(l->spec->root_path, l->base_mnt);
  berth_run_state_hooks_warn(l->ctx, &l->spec->hooks, BERTH_HOOK_POSTSTOP, st,
                             "stopped");
  if (l->cg && berth_cgroup_destroy(l->cg, err) < 0)
    return -1;
  return berth_rm_rf(l->dir, err);
}

int berth_container_create(const struct berth_ctx *ctx, const char *id,
                           const struct berth_create_opts *opts,
                           int *exit_status, berth_error **err) {
  struct launch l = {.ctx = ctx, .id = id, .opts = opts, .pidfd = -1,
                     .sync_fd = -1, .listen_fd = -1, .console_fd = -1,
                     .stub_fd = -1};
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  char created[64];
  struct berth_state st;
  if (berth_id_validate(id, err) < 0)
    return -1;
  if (load_spec_text(opts->bundle, &text, &len, &l.spec, err) < 0)
    return -1;
  berth_now_rfc3339(created, sizeof(created));
  l.created = created;
  int rc = prepare_launch(&l, text, len, err);
  if (rc == 0)
    rc = spawn(&l, err);
  if (rc == 0)
    rc = handshake(&l, &st, created, err);
  if (rc == 0 && opts->mode == BERTH_CREATE)
    rc = record_state(&l, &st, err);
  else if (rc == 0)
    rc = finish_run(&l, &st, exit_status, err);
  if (rc < 0) {
    launch_undo(&l);
    launch_free(&l);
    return berth_error_prefix(err, "create container `%s`", id);
  }
  if (opts->mode == BERTH_RUN)
    rc = remove_after_run(&l, &st, err);
  launch_free(&l);
  return rc;
}
