/* An exec whose stdio the caller provides (see exec.h): the API server's
 * way to run `docker exec`.  The process is the one berth_ctr_exec runs
 * (same berth_exec_prepare, same runtime call); only where its stdio
 * comes from and who waits for it differ. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "container.h"
#include "exit_status.h"

/* Messages from the helper on a SOCK_SEQPACKET pair: "pid N", then
 * "exit N"; or an encoded error (berth_error_encode) instead. */
#define REPORT_MAX 4200

static void report(int fd, const char *fmt, int v) {
  char msg[32];
  int len = snprintf(msg, sizeof msg, fmt, v);
  (void)!send(fd, msg, (size_t)len, MSG_NOSIGNAL);
}

/* The helper's stdio is the process's (no terminal): what the caller
 * gave, /dev/null for what it did not. */
static int helper_stdio(const struct berth_exec_req *r) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  const int want[3] = {r->in, r->out, r->err};
  int got[3];
  /* Above 2 first: dup2 onto 0..2 must not overwrite a source. */
  for (int i = 0; i < 3; i++)
    got[i] = fcntl(want[i] >= 0 ? want[i] : null, F_DUPFD_CLOEXEC, 3);
  for (int i = 0; i < 3; i++)
    if (got[i] < 0 || dup2(got[i], i) < 0)
      return -1;
  return 0;
}

/* The server's signal handling (ignored SIGPIPE, blocked signals of its
 * threads) is not the process's: a container process starts with the
 * defaults, as under docker. */
static void default_signals(void) {
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void helper_main(struct berth_ctx *ctx, const char *id,
                                  struct berth_exec_opts *o,
                                  const struct berth_exec_req *r, int rep) {
  default_signals();
  /* Out of the server's session; a terminal of its own with -t. */
  setsid();
  if (!r->tty && helper_stdio(r) < 0)
    _exit(255);
  /* Nothing else of the caller's (other clients' sockets, the database)
   * may stay open for as long as the process runs. */
  if (dup2(rep, 3) < 0)
    _exit(255);
  syscall(SYS_close_range, 4, ~0U, 0);
  pid_t pid = 0;
  o->pid_out = &pid;
  o->detach = true;
  berth_error *err = NULL;
  int st = 0;
  if (berth_container_exec(ctx, id, o, &st, &err) < 0) {
    char msg[REPORT_MAX];
    int len = berth_error_encode(err, msg, sizeof msg);
    if (len > 0)
      (void)!send(3, msg, (size_t)len, MSG_NOSIGNAL);
    _exit(255);
  }
  report(3, "pid %d", pid);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  report(3, "exit %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
  _exit(0);
}

/* Reads one message; an error message becomes *err (and *failure). */
static int read_report(int fd, const char *want, int *v, int *failure,
                       berth_error **err) {
  char msg[REPORT_MAX];
  ssize_t n;
  do
    n = recv(fd, msg, sizeof msg - 1, 0);
  while (n < 0 && errno == EINTR);
  msg[n > 0 ? n : 0] = '\0';
  char fmt[16];
  snprintf(fmt, sizeof fmt, "%s %%d", want);
  if (n > 0 && sscanf(msg, fmt, v) == 1)
    return 0;
  if (n > 0) {
    berth_error_decode(msg, err);
    if (failure && err && *err)
      *failure = berth_exit_status_of_start(*err);
    return -1;
  }
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "the exec helper ended without a word");
}

/* With a terminal, the runtime hands the pty master to our console
 * socket before the program starts; a failure closes rep instead. */
static int accept_master(int lfd, int rep) {
  struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN},
                         {.fd = rep, .events = POLLIN}};
  while (poll(pf, 2, -1) < 0)
    if (errno != EINTR)
      return -1;
  return pf[0].revents ? berth_console_accept(lfd, NULL) : -1;
}

static pid_t fork_helper(struct berth_ctx *ctx, const char *id,
                         struct berth_exec_opts *o,
                         const struct berth_exec_req *r, int sp[2],
                         berth_error **err) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berth_error_sys(err, "socketpair");
  pid_t pid = fork();
  if (pid == 0) {
    close(sp[0]);
    helper_main(ctx, id, o, r, sp[1]);
  }
  close(sp[1]);
  if (pid < 0) {
    close(sp[0]);
    return berth_error_sys(err, "fork");
  }
  return pid;
}

static int spawn(struct berth_ctx *ctx, const char *id,
                 struct berth_exec_opts *o, const struct berth_exec_req *r,
                 struct berth_exec_proc *out, int *failure,
                 berth_error **err) {
  char sock[4096];
  _cleanup_close_ int lfd = -1;
  if (r->tty) {
    lfd = berth_console_listen(sock, sizeof sock, err);
    if (lfd < 0)
      return -1;
    o->console_socket = sock;
  }
  int sp[2];
  out->helper = fork_helper(ctx, id, o, r, sp, err);
  if (out->helper < 0) {
    if (r->tty)
      unlink(sock);
    return -1;
  }
  out->report_fd = sp[0];
  if (r->tty) {
    out->master = accept_master(lfd, sp[0]);
    unlink(sock);
  }
  int pid = 0;
  if (read_report(sp[0], "pid", &pid, failure, err) < 0) {
    close(sp[0]);
    out->report_fd = -1;
    while (waitpid(out->helper, NULL, 0) < 0 && errno == EINTR)
      ;
    out->helper = -1;
    if (out->master >= 0)
      close(out->master);
    out->master = -1;
    return -1;
  }
  out->pid = pid;
  return 0;
}

int berth_ctr_exec_spawn(struct berth_engine *e, const char *ref,
                         const struct berth_exec_req *r,
                         struct berth_exec_proc *out, int *exec_failure,
                         berth_error **err) {
  *exec_failure = 0;
  *out = (struct berth_exec_proc){.master = -1, .report_fd = -1,
                                  .helper = -1};
  char id[65];
  json_t *process = NULL;
  if (berth_exec_prepare(e, ref, r, id, &process, err) < 0)
    return -1;
  berth_exec_events_start(e->db, id, r);
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  struct berth_exec_opts o = {.process = process};
  int rc = spawn(&ctx, id, &o, r, out, exec_failure, err);
  json_decref(process);
  return rc;
}

int berth_exec_proc_wait(struct berth_exec_proc *p, int *status,
                         berth_error **err) {
  int rc = 0;
  if (p->report_fd >= 0) {
    rc = read_report(p->report_fd, "exit", status, NULL, err);
    close(p->report_fd);
    p->report_fd = -1;
  }
  while (p->helper > 0 && waitpid(p->helper, NULL, 0) < 0 && errno == EINTR)
    ;
  p->helper = -1;
  return rc;
}
