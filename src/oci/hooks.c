/* OCI hooks: parsing and running. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

static const char *const kind_names[BERTH_HOOK_COUNT] = {
    [BERTH_HOOK_PRESTART] = "prestart",
    [BERTH_HOOK_CREATE_RUNTIME] = "createRuntime",
    [BERTH_HOOK_CREATE_CONTAINER] = "createContainer",
    [BERTH_HOOK_START_CONTAINER] = "startContainer",
    [BERTH_HOOK_POSTSTART] = "poststart",
    [BERTH_HOOK_POSTSTOP] = "poststop",
};

const char *berth_hook_kind_name(enum berth_hook_kind kind) {
  return kind < BERTH_HOOK_COUNT ? kind_names[kind] : "unknown";
}

static void hook_clear(struct berth_hook *h) {
  free(h->path);
  berth_strv_free(h->args);
  berth_strv_free(h->env);
}

static int parse_hook(json_t *o, const char *p, struct berth_hook *h,
                      berth_error **err) {
  if (!json_is_object(o))
    return berth_error_spec(err, p, "must be an object");
  if (bj_string(o, "path", p, true, &h->path, err) < 0)
    return -1;
  char fp[BERTH_PATH_MAX_LEN];
  berth_path_key(fp, p, "path");
  if (h->path[0] != '/')
    return berth_error_spec(err, fp, "`%s` must be an absolute path", h->path);
  if (bj_strv(o, "args", p, false, &h->args, err) < 0 ||
      bj_strv(o, "env", p, false, &h->env, err) < 0)
    return -1;
  for (char **e = h->env; e && *e; e++)
    if (strchr(*e, '=') == NULL) {
      berth_path_key(fp, p, "env");
      return berth_error_spec(err, fp, "`%s` is not of the form KEY=value",
                              *e);
    }
  int64_t t = 0;
  int rc = bj_range(o, "timeout", p, 1, 24 * 3600, &t, err);
  if (rc < 0)
    return -1;
  h->timeout = (int)t;
  return 0;
}

int berth_hooks_parse(json_t *hooks, const char *path, struct berth_hooks *out,
                      berth_error **err) {
  *out = (struct berth_hooks){0};
  if (hooks == NULL || json_is_null(hooks))
    return 0;
  if (!json_is_object(hooks))
    return berth_error_spec(err, path, "must be an object");
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  for (int k = 0; k < BERTH_HOOK_COUNT; k++) {
    json_t *arr = NULL;
    if (bj_array(hooks, kind_names[k], path, &arr, err) < 0)
      goto fail;
    if (arr == NULL || json_array_size(arr) == 0)
      continue;
    berth_path_key(p, path, kind_names[k]);
    out->list[k] = calloc(json_array_size(arr), sizeof(struct berth_hook));
    if (out->list[k] == NULL) {
      berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
      goto fail;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
      berth_path_idx(ip, p, i);
      out->n[k]++;
      if (parse_hook(v, ip, &out->list[k][i], err) < 0)
        goto fail;
    }
  }
  return 0;
fail:
  berth_hooks_free(out);
  return -1;
}

void berth_hooks_free(struct berth_hooks *h) {
  if (h == NULL)
    return;
  for (int k = 0; k < BERTH_HOOK_COUNT; k++) {
    for (size_t i = 0; i < h->n[k]; i++)
      hook_clear(&h->list[k][i]);
    free(h->list[k]);
    h->list[k] = NULL;
    h->n[k] = 0;
  }
}

/* In the forked child: only stdio survives, signals are as a freshly
 * started program expects them, and nothing returns. */
static _Noreturn void exec_hook(const struct berth_hook *h, int stdin_fd,
                                int errno_fd) {
  if (dup2(stdin_fd, STDIN_FILENO) < 0)
    goto fail;
  /* Close-on-exec rather than close: errno_fd must survive until execve
   * to report why it failed. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_DFL);
  /* A hook must not outlive the runtime that waits for it, and its own
   * children must go with it on a timeout: its own process group. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  setpgid(0, 0);
  char *argv0[] = {h->path, NULL};
  char *noenv[] = {NULL};
  execve(h->path, h->args && h->args[0] ? h->args : argv0,
         h->env ? h->env : noenv);
fail:;
  int e = errno;
  if (write(errno_fd, &e, sizeof(e)) < 0)
    _exit(127);
  _exit(127);
}

static bool wait_exit_or_deadline(pid_t pid, int timeout, int *status) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int rc;
    do
      rc = poll(&p, 1, timeout * 1000);
    while (rc < 0 && errno == EINTR);
    close(pfd);
    return rc != 0;
  }
  /* No pidfd (old kernel, or valgrind): poll the child instead. */
  for (long waited_ms = 0; waited_ms < timeout * 1000L; waited_ms += 10) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      return true;
    if (r < 0 && errno != EINTR)
      return true;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  return false;
}

/* Waits for the hook, killing it at the deadline.  Returns its wait status,
 * or -1 with errno ETIMEDOUT. */
static int wait_hook(pid_t pid, int timeout) {
  int status = -1;
  if (timeout > 0 && !wait_exit_or_deadline(pid, timeout, &status)) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
    errno = ETIMEDOUT;
    return -1;
  }
  if (status != -1)
    return status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

/* State goes through a socket rather than a pipe so that a hook which
 * never reads stdin cannot kill the runtime with SIGPIPE (MSG_NOSIGNAL). */
static void send_state(int fd, const char *state) {
  size_t len = strlen(state), off = 0;
  while (off < len) {
    ssize_t n = send(fd, state + off, len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    off += (size_t)n;
  }
}

static int run_one(const struct berth_hook *h, const char *what,
                   const char *state, berth_error **err) {
  int sv[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_error_sys(err, "%s: socketpair", what);
  if (pipe2(ep, O_CLOEXEC) < 0) {
    close(sv[0]);
    close(sv[1]);
    return berth_error_sys(err, "%s: pipe", what);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    close(ep[0]);
    close(ep[1]);
    return berth_error_set(err, BERTH_ERR_SYSTEM, e, "%s: fork", what);
  }
  if (pid == 0)
    exec_hook(h, sv[1], ep[1]);
  setpgid(pid, pid); /* also here: no race with a timeout kill */
  close(sv[1]);
  close(ep[1]);
  int exec_errno = 0;
  ssize_t got;
  do
    got = read(ep[0], &exec_errno, sizeof(exec_errno));
  while (got < 0 && errno == EINTR);
  close(ep[0]);
  if (got == (ssize_t)sizeof(exec_errno)) {
    close(sv[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    return berth_error_set(err, BERTH_ERR_SYSTEM, exec_errno,
                           "%s: execute `%s`", what, h->path);
  }
  /* The state is small (a few hundred bytes) and fits the socket buffer,
   * so this cannot block on a hook that does not read. */
  send_state(sv[0], state);
  close(sv[0]);
  int status = wait_hook(pid, h->timeout);
  if (status < 0 && errno == ETIMEDOUT)
    return berth_error_set(err, BERTH_ERR_TIMEOUT, 0,
                           "%s `%s` timed out after %d s and was killed", what,
                           h->path, h->timeout);
  if (status < 0)
    return berth_error_sys(err, "%s `%s`: wait", what, h->path);
  if (WIFSIGNALED(status))
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "%s `%s` was killed by signal %d", what, h->path,
                           WTERMSIG(status));
  if (WEXITSTATUS(status) != 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "%s `%s` exited with status %d", what, h->path,
                           WEXITSTATUS(status));
  return 0;
}

int berth_hooks_run(const struct berth_hooks *h, enum berth_hook_kind kind,
                    const char *state_json, berth_error **err) {
  if (kind >= BERTH_HOOK_COUNT)
    return berth_error_set(err, BERTH_ERR_INVALID, EINVAL, "unknown hook kind");
  for (size_t i = 0; i < h->n[kind]; i++) {
    char what[64];
    snprintf(what, sizeof(what), "hook %s[%zu]", kind_names[kind], i);
    if (run_one(&h->list[kind][i], what, state_json, err) < 0)
      return -1;
  }
  return 0;
}

void berth_hooks_run_each(const struct berth_hooks *h,
                          enum berth_hook_kind kind, const char *state_json,
                          void (*warn)(void *arg, berth_error *w), void *arg) {
  for (size_t i = 0; kind < BERTH_HOOK_COUNT && i < h->n[kind]; i++) {
    char what[64];
    snprintf(what, sizeof(what), "hook %s[%zu]", kind_names[kind], i);
    berth_error *e = NULL;
    if (run_one(&h->list[kind][i], what, state_json, &e) == 0)
      continue;
    if (warn)
      warn(arg, e);
    else
      berth_error_free(e);
  }
}
