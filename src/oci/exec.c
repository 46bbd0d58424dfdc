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
#include "cloned_exe.h"
#include "exec_stub.h"
#include "container.h"
#include "container_internal.h"
#include "fs.h"
#include "init.h"
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

static int exec_child(struct exec_job *j) {
  berth_error *err = NULL;
  const struct berth_process *p = j->proc;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* One setns call with a pidfd joins every namespace atomically. */
  int flags = j->ns_flags & ~CLONE_NEWPID;
  if (flags && setns(j->target_pidfd, flags) < 0) {
    berth_error_sys(&err, "join the container's namespaces");
    goto fail;
  }
  close(j->target_pidfd);
  if (berth_sync_expect(j->sync_fd, BERTH_SYNC_GO, NULL, &err) < 0)
    goto fail;
  if (j->console_fd >= 0) {
    if (berth_terminal_setup(j->console_fd, p->console_height,
                             p->console_width, &err) < 0)
      goto fail;
    close(j->console_fd);
  }
  if (chdir(p->cwd) < 0) {
    berth_error_sys(&err, "chdir to cwd `%s`", p->cwd);
    goto fail;
  }
  if (berth_rlimits_apply(p->rlimits, p->n_rlimits, 0, &err) < 0)
    goto fail;
  int keep[] = {j->sync_fd, j->stub_fd};
  berth_close_fds_from(3 + j->opts->preserve_fds, keep, 2);
  if (j->spec->has_personality && personality(j->spec->personality) < 0) {
    berth_error_sys(&err, "personality");
    goto fail;
  }
  struct berth_exec_target target = {0};
  berth_exec_target_prepare(&target, p, p->creds.uid);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (berth_apply_process_security(p, j->have_prog ? &j->prog : NULL, &err) < 0)
    goto fail;
  return berth_exec_target_run(&target, j->sync_fd, j->stub_fd);
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

static int prepare(const struct berth_ctx *ctx, const struct berth_state *st,
                   struct exec_job *j, berth_error **err) {
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
  if (berth_needs_sealed_runtime(j->spec, j->proc) && !berth_exe_is_sealed() &&
      ctx->argv)
    return berth_reexec_sealed(ctx->argv, ctx->envp, err);
  berth_error *stub_err = NULL;
  j->stub_fd = berth_exec_stub_fd(&stub_err);
  if (stub_err) {
    *err = stub_err;
    return -1;
  }
  if (j->proc->terminal != (j->opts->console_socket != NULL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           j->proc->terminal
                               ? "a terminal needs --console-socket"
                               : "--console-socket needs --tty");
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
  j->ns_flags = namespaces_to_join(st->pid, j->spec);
  /* pid namespaces apply to children only: enter it here so the process
   * cloned below is born inside the container's. */
  if ((j->ns_flags & CLONE_NEWPID) && setns(j->target_pidfd, CLONE_NEWPID) < 0)
    return berth_error_sys(err, "join the container's pid namespace");
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

static int run_job(const struct berth_state *st, struct exec_job *j,
                   int *exit_status, berth_error **err) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berth_error_sys(err, "socketpair");
  int pidfd = -1;
  struct clone_args args = {.flags = CLONE_PIDFD,
                            .pidfd = (uint64_t)(uintptr_t)&pidfd,
                            .exit_signal = SIGCHLD};
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) {
    close(sp[0]);
    close(sp[1]);
    return berth_error_sys(err, "clone");
  }
  if (pid == 0) {
    close(sp[0]);
    j->sync_fd = sp[1];
    _exit(exec_child(j));
  }
  close(sp[1]);
  j->sync_fd = sp[0];
  _cleanup_close_ int pfd = pidfd;
  struct berth_cgroup *cg = NULL;
  int rc = 0;
  if (st->cgroup_path[0] && berth_cgroup_open(st->cgroup_path, &cg, err) < 0)
    rc = -1;
  if (rc == 0 && cg && berth_cgroup_enter(cg, pid, err) < 0)
    rc = -1;
  berth_cgroup_free(cg);
  if (rc == 0 && berth_sync_send(j->sync_fd, BERTH_SYNC_GO, 0, NULL) < 0)
    rc = berth_error_sys(err, "signal exec process");
  if (rc == 0)
    rc = berth_wait_exec(j->sync_fd, err);
  if (rc == 0 && j->opts->pid_file)
    rc = berth_write_pid_file(j->opts->pid_file, pid, err);
  if (rc < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
  }
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
  int rc = prepare(ctx, st, &j, err);
  if (rc == 0)
    rc = run_job(st, &j, exit_status, err);
  job_free(&j);
  berth_state_free(st);
  if (rc < 0)
    return berth_error_prefix(err, "exec in container `%s`", id);
  return 0;
}
