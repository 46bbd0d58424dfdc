/* runtime exec: a new process inside a running container's namespaces and
 * cgroup, with the container's security settings. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec_stub.h"
#include "container.h"
#include "container_internal.h"
#include "fs.h"
#include "container_init.h"
#include "json.h"
#include "seccomp_cache.h"
#include "spec.h"
#include "sync.h"
#include "terminal.h"

#define CONFIG_MAX_BYTES (4u << 20)

struct exec_job {
  const struct berth_exec_opts *opts;
  struct berth_spec *spec;
  struct berth_process *proc;
  struct berth_seccomp_prog prog;
  bool have_prog;
  int target_pidfd;
  int ns_flags;
  int sync_fd;
  int console_fd;
  int stub_fd;
};

/* Namespaces of the container that differ from ours.  Joining one's own
 * user namespace is EINVAL, so compare inodes first. */
static int namespaces_to_join(pid_t pid, const struct berth_spec *s) {
  int flags = 0;
  for (int i = 0; i < BERTH_NS_COUNT; i++) {
    if (!s->ns.present[i])
      continue;
    char theirs[64], ours[64];
    snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid,
             berth_ns_table[i].proc_name);
    snprintf(ours, sizeof(ours), "/proc/self/ns/%s",
             berth_ns_table[i].proc_name);
    struct stat a, b;
    if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev)
      continue;
    flags |= berth_ns_table[i].clone_flag;
  }
  return flags;
}

/* A cwd is resolved inside the container's root without following /proc
 * magic links: /proc/PID/fd/N, cwd and root can name directories outside
 * the container (CVE-2024-21626).  The joining process is not in the
 * container's pid namespace, so its /proc/self does not resolve there. */
static int enter_cwd(const char *cwd, berth_error **err) {
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  berth_error *e = NULL;
  _cleanup_close_ int fd =
      berth_open_in_root(root, cwd, O_PATH | O_DIRECTORY, 0, &e);
  if (fd < 0) {
    int en = e->errno_value;
    berth_error_free(e);
    const char *c = cwd + strspn(cwd, "/");
    /* The errno (ELOOP, or ENOENT for /proc/self, which does not
     * resolve in a namespace we are not in) would only confuse. */
    if (en == ELOOP || strncmp(c, "proc/", 5) == 0)
      return berth_error_set(err, BERTH_ERR_CWD, 0,
                             "cwd `%s` is refused: it goes through /proc, "
                             "whose fd, cwd and root links lead out of the "
                             "container, or through a symlink loop",
                             cwd);
    return berth_error_set(err, BERTH_ERR_CWD, en,
                           "cwd `%s` in the container", cwd);
  }
  /* Kind CWD: the caller exits 126 (exit_status.h), as docker exec. */
  if (fchdir(fd) < 0)
    return berth_error_set(err, BERTH_ERR_CWD, errno, "chdir to cwd `%s`",
                           cwd);
  /* As `run` checks it: a cwd that resolves outside the root would mean
   * a reference we did not mean to have. */
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == NULL)
    return berth_error_sys(err, "cwd `%s` is outside the container", cwd);
  return 0;
}

/* The joining process: in every namespace of the container but its pid
 * namespace (only its children are born there), so no process of the
 * container can see it while it runs our binary with host privileges. */
static int join(struct exec_job *j, berth_error **err) {
  /* Nothing of our caller's may reach the container: before any
   * namespace is joined, only stdio, the preserved fds and ours stay. */
  int keep[] = {j->sync_fd, j->stub_fd, j->console_fd, j->target_pidfd};
  berth_close_fds_from(3 + j->opts->preserve_fds, keep, ARRAY_SIZE(keep));
  /* One setns call with a pidfd joins every namespace atomically. */
  if (j->ns_flags && setns(j->target_pidfd, j->ns_flags) < 0)
    return berth_error_sys(err, "join the container's namespaces");
  close(j->target_pidfd);
  return berth_sync_expect(j->sync_fd, BERTH_SYNC_GO, NULL, err);
}

static int exec_child(struct exec_job *j) {
  berth_error *err = NULL;
  const struct berth_process *p = j->proc;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (join(j, &err) < 0)
    goto fail;
  if (j->console_fd >= 0) {
    if (berth_terminal_open(j->console_fd, p->console_height,
                            p->console_width, &err) < 0)
      goto fail;
    close(j->console_fd);
  }
  if (enter_cwd(p->cwd, &err) < 0 ||
      berth_rlimits_apply(p->rlimits, p->n_rlimits, 0, &err) < 0)
    goto fail;
  if (j->spec->has_personality && personality(j->spec->personality) < 0) {
    berth_error_sys(&err, "personality");
    goto fail;
  }
  struct berth_exec_target target = {0};
  berth_exec_target_prepare(&target, p, p->creds.uid);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  /* The stub reports on it; it closes it itself before the program. */
  if (fcntl(j->sync_fd, F_SETFD, 0) < 0) {
    berth_error_sys(&err, "pass the sync socket to the exec stub");
    goto fail;
  }
  if (berth_apply_process_security(p, j->have_prog ? &j->prog : NULL, &err) < 0)
    goto fail;
  /* The stub clones the container's process: the first process born in
   * the container's pid namespace already runs the stub, with the final
   * credentials, and never our binary. */
  return berth_stub_spawn(&target, j->stub_fd, j->sync_fd, p->terminal);
fail:
  berth_sync_send_error(j->sync_fd, err);
  berth_error_free(err);
  return 1;
}

static int load_container_spec(const struct berth_ctx *ctx,
                               const struct berth_state *st,
                               struct berth_spec **out, berth_error **err) {
  char path[PATH_MAX];
  _cleanup_free_ char *text = NULL;
  size_t len;
  snprintf(path, sizeof(path), "%s/%s/config.json", ctx->state_root, st->id);
  if (berth_read_file(AT_FDCWD, path, CONFIG_MAX_BYTES, &text, &len, err) < 0)
    return -1;
  return berth_spec_parse("config.json", text, len, st->bundle, out, err);
}

/* An init waiting for `start` still holds the host's privileges (it
 * drops them after the startContainer hooks).  A process that could
 * ptrace it (CAP_SYS_PTRACE in the host user namespace) could take them
 * over, or reach the runtime's binary: it may join only after `start`. */
static int check_waiting_init(const struct berth_state *st,
                              const char *status, const struct exec_job *j,
                              berth_error **err) {
  if (strcmp(status, "created") != 0 ||
      !berth_ptrace_reaches_host(j->spec, j->proc))
    return 0;
  return berth_error_set(err, BERTH_ERR_STATE, 0,
                         "container `%s` is not started and its init still "
                         "holds the runtime's privileges: a process with "
                         "CAP_SYS_PTRACE may join only after `start`",
                         st->id);
}

static int prepare_fds(const struct berth_ctx *ctx,
                       const struct berth_state *st, struct exec_job *j,
                       berth_error **err) {
  /* Processes that can reach the new process could hold its stub open
   * and try to reopen it for writing later: a read-only mount then. */
  bool exposed = berth_ptrace_reaches_host(j->spec, j->proc) ||
                 berth_pidns_shared(j->spec);
  j->stub_fd = berth_exec_stub_open(exposed, err);
  if (j->stub_fd < 0)
    return -1;
  if (j->spec->seccomp) {
    char cache[PATH_MAX];
    snprintf(cache, sizeof(cache), "%s/" BERTH_SECCOMP_CACHE_NAME,
             ctx->state_root);
    if (berth_seccomp_compile(j->spec->seccomp, cache, &j->prog, err) < 0)
      return -1;
    j->have_prog = true;
  }
  if (j->opts->console_socket) {
    j->console_fd = berth_console_socket_connect(j->opts->console_socket, err);
    if (j->console_fd < 0)
      return -1;
  }
  j->target_pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (j->target_pidfd < 0 || !berth_proc_alive(st->pid, st->start_time))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", st->id);
  int min = 3 + j->opts->preserve_fds;
  if (berth_move_fd_above(&j->stub_fd, min, err) < 0 ||
      berth_move_fd_above(&j->console_fd, min, err) < 0 ||
      berth_move_fd_above(&j->target_pidfd, min, err) < 0)
    return -1;
  return 0;
}

static int prepare(const struct berth_ctx *ctx, const struct berth_state *st,
                   const char *status, struct exec_job *j, berth_error **err) {
  if (load_container_spec(ctx, st, &j->spec, err) < 0)
    return -1;
  /* Such a container lives chrooted in our mount namespace: joining its
   * namespaces would leave the new process at the host's root. */
  if (!j->spec->ns.present[BERTH_NS_MNT])
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "container `%s` has no mount namespace of its "
                           "own: exec into it is not supported", st->id);
  if (berth_process_parse(j->opts->process, "process", &j->proc, err) < 0)
    return -1;
  if (j->proc->terminal != (j->opts->console_socket != NULL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           j->proc->terminal
                               ? "a terminal needs --console-socket"
                               : "--console-socket needs --tty");
  if (check_waiting_init(st, status, j, err) < 0 ||
      prepare_fds(ctx, st, j, err) < 0)
    return -1;
  j->ns_flags = namespaces_to_join(st->pid, j->spec);
  return 0;
}

static void job_free(struct exec_job *j) {
  berth_spec_free(j->spec);
  berth_process_free(j->proc);
  if (j->have_prog)
    berth_seccomp_prog_free(&j->prog);
  if (j->target_pidfd >= 0)
    close(j->target_pidfd);
  if (j->sync_fd >= 0)
    close(j->sync_fd);
  if (j->console_fd >= 0)
    close(j->console_fd);
  if (j->stub_fd >= 0)
    close(j->stub_fd);
}

/* Messages until end-of-file, which comes once the joining process has
 * exited and the new process has executed the program (or failed):
 * ERROR from the joining process, PID or STUB_FAILED from the stub. */
static int await_spawn(int fd, pid_t *pid, berth_error **err) {
  *pid = 0;
  berth_error *first = NULL;
  struct berth_sync_msg m;
  int r;
  while ((r = berth_sync_recv(fd, &m, first ? NULL : &first)) > 0) {
    if (m.type == BERTH_SYNC_PID && m.value > 0 && *pid == 0) {
      *pid = m.value; /* from the stub, before the program can write */
    } else if (first == NULL && m.type == BERTH_SYNC_STUB_FAILED) {
      berth_error_set(&first, BERTH_ERR_SYSTEM, m.value, "%s", m.text);
    } else if (first == NULL && m.type == BERTH_SYNC_ERROR) {
      /* Kind and errno kept: exit_status.h maps them to 127/126. */
      berth_sync_error_of(&m, &first);
    }
  }
  if (first == NULL)
    return 0;
  if (err && *err == NULL)
    *err = first;
  else
    berth_error_free(first);
  return -1;
}

/* Reaps the joining process; when it died without a word (a seccomp
 * profile that kills on execveat or clone), says so. */
static int reap_joiner(pid_t jpid, pid_t pid, int rc, berth_error **err) {
  int ws = 0;
  while (waitpid(jpid, &ws, 0) < 0 && errno == EINTR)
    ;
  if (rc < 0 || pid > 0)
    return rc;
  if (WIFSIGNALED(ws))
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "the joining process was killed by signal %d "
                           "before the program started (does the seccomp "
                           "profile kill execveat or clone?)",
                           WTERMSIG(ws));
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "the joining process exited (status %d) before the "
                         "program started", WEXITSTATUS(ws));
}

static pid_t clone_joiner(struct exec_job *j, berth_error **err) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berth_error_sys(err, "socketpair");
  int min = 3 + j->opts->preserve_fds;
  if (berth_move_fd_above(&sp[0], min, err) < 0 ||
      berth_move_fd_above(&sp[1], min, err) < 0) {
    close(sp[0]);
    close(sp[1]);
    return -1;
  }
  struct clone_args args = {.exit_signal = SIGCHLD};
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    close(sp[0]);
    j->sync_fd = sp[1];
    _exit(exec_child(j));
  }
  close(sp[1]);
  if (pid < 0) {
    close(sp[0]);
    return berth_error_sys(err, "clone");
  }
  j->sync_fd = sp[0];
  return pid;
}

/* The joining process, moved into the container's cgroup (so that what
 * it clones is born there) and told to go on. */
static pid_t start_joiner(const struct berth_state *st, struct exec_job *j,
                          berth_error **err) {
  pid_t jpid = clone_joiner(j, err);
  if (jpid < 0)
    return -1;
  struct berth_cgroup *cg = NULL;
  int rc = 0;
  if (st->cgroup_path[0] && berth_cgroup_open(st->cgroup_path, &cg, err) < 0)
    rc = -1;
  if (rc == 0 && cg && berth_cgroup_enter(cg, jpid, err) < 0)
    rc = -1;
  berth_cgroup_free(cg);
  if (rc == 0 && berth_sync_send(j->sync_fd, BERTH_SYNC_GO, 0, NULL) < 0)
    rc = berth_error_sys(err, "signal exec process");
  if (rc < 0) {
    kill(jpid, SIGKILL);
    waitpid(jpid, NULL, 0);
    return -1;
  }
  return jpid;
}

static void kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* The joining process is our child; the new process, cloned by the stub
 * with CLONE_PARENT, is our child too.  Returns its pid once it runs the
 * program. */
static pid_t await_new_process(pid_t jpid, struct exec_job *j,
                               berth_error **err) {
  pid_t pid = 0;
  int rc = await_spawn(j->sync_fd, &pid, err);
  rc = reap_joiner(jpid, pid, rc, err);
  if (rc < 0 && pid > 0)
    kill_and_reap(pid);
  return rc < 0 ? -1 : pid;
}

static int run_job(const struct berth_state *st, struct exec_job *j,
                   int *exit_status, berth_error **err) {
  pid_t jpid = start_joiner(st, j, err);
  if (jpid < 0)
    return -1;
  pid_t pid = await_new_process(jpid, j, err);
  if (pid < 0)
    return -1;
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0 || (j->opts->pid_file &&
                  berth_write_pid_file(j->opts->pid_file, pid, err) < 0)) {
    if (pfd < 0)
      berth_error_sys(err, "open the new process");
    kill_and_reap(pid);
    return -1;
  }
  if (j->opts->pid_out)
    *j->opts->pid_out = pid;
  if (j->opts->detach)
    return 0;
  return berth_wait_forwarding(pid, pfd, exit_status, err);
}

int berth_container_exec(const struct berth_ctx *ctx, const char *id,
                         const struct berth_exec_opts *opts, int *exit_status,
                         berth_error **err) {
  struct berth_state *st = NULL;
  if (berth_state_read(ctx->state_root, id, &st, err) < 0)
    return -1;
  const char *status = berth_state_status(ctx->state_root, st);
  if (strcmp(status, "running") != 0 && strcmp(status, "created") != 0) {
    berth_error_set(err, BERTH_ERR_STATE, 0,
                    "cannot exec in container `%s`: it is %s", id, status);
    berth_state_free(st);
    return -1;
  }
  struct exec_job j = {.opts = opts, .target_pidfd = -1, .sync_fd = -1,
                       .console_fd = -1, .stub_fd = -1};
  int rc = prepare(ctx, st, status, &j, err);
  if (rc == 0)
    rc = run_job(st, &j, exit_status, err);
  job_free(&j);
  berth_state_free(st);
  if (rc < 0)
    return berth_error_prefix(err, "exec in container `%s`", id);
  return 0;
}
