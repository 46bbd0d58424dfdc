/* berth-init: the container's pid 1 with `berth run --init`.
 *
 * A program that never expected to be pid 1 neither reaps the orphans
 * the kernel hands to it (they stay zombies) nor gets default signal
 * actions (the kernel ignores SIGTERM/SIGINT to pid 1 unless handled).
 * This init runs the command as its child, forwards every signal it can
 * catch to it, reaps everything, and exits with the command's status.
 * Static and libc-only: it is bind-mounted into containers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0)
    first++;
  if (first >= argc) {
    fputs("usage: berth-init [--] COMMAND [ARG...]\n", stderr);
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    perror("berth-init: fork");
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Its own process group, so a terminal's ^C reaches the command. */
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    int e = errno;
    fprintf(stderr, "berth-init: exec `%s`: %s\n", argv[first], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == child)
        return WIFEXITED(status) ? WEXITSTATUS(status)
                                 : 128 + WTERMSIG(status);
  }
}
