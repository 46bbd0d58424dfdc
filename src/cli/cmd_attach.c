/* berth attach, and the terminal side of every attached client (run,
 * start -a, attach): raw mode, resizes, forwarded signals. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "attach.h"
#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "lifecycle.h"

void cli_raw_on(struct cli_raw_tty *t) {
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
    return;
  struct termios raw = t->saved;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST; /* keep "\n" -> "\r\n" for our own messages */
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
    t->on = true;
}

void cli_raw_off(struct cli_raw_tty *t) {
  if (t->on)
    tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
  t->on = false;
}

/* The size of the client's terminal (stdout's, as Docker's CLI). */
bool cli_term_size(struct winsize *ws) {
  int fds[] = {STDOUT_FILENO, STDIN_FILENO};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (isatty(fds[i]) && ioctl(fds[i], TIOCGWINSZ, ws) == 0 && ws->ws_row)
      return true;
  return false;
}

static void send_size(int status_fd) {
  struct winsize ws;
  if (cli_term_size(&ws))
    berth_attach_resize(status_fd, ws.ws_row, ws.ws_col);
}

int cli_attach_wait(struct berth_engine *e, const char *id, int status_fd,
                    bool tty, bool sig_proxy) {
  sigset_t set, old;
  /* Docker forwards no signals to a container with a terminal: the
   * terminal itself delivers ^C and friends there. */
  if (sig_proxy && !tty)
    berth_sig_proxy_set(&set);
  else
    sigemptyset(&set);
  if (tty)
    sigaddset(&set, SIGWINCH);
  sigprocmask(SIG_BLOCK, &set, &old);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (tty)
    send_size(status_fd);
  int code = EXIT_USAGE;
  for (;;) {
    struct pollfd p[2] = {{.fd = status_fd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[1].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGWINCH)
        send_size(status_fd);
      else
        berth_ctr_signal(e, id, (int)si.ssi_signo, NULL);
      continue;
    }
    berth_error *err = NULL;
    int ev = berth_attach_event(e, id, status_fd, &code, &err);
    if (ev == BERTH_ATTACH_RUNNING)
      continue;
    if (ev == BERTH_ATTACH_DETACHED)
      code = 0;
    if (ev < 0)
      code = cli_error(err, EXIT_USAGE);
    break;
  }
  if (sfd >= 0)
    close(sfd);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return code;
}

int cmd_attach(struct berth_cli *cli, int argc, char **argv) {
  bool no_stdin = false, sig_proxy = true;
  const char *keys_spec = NULL;
  const struct opt opts[] = {
      {"detach-keys", OPT_STRING, &keys_spec, NULL,
       "Override the key sequence for detaching a container"},
      {"no-stdin", OPT_BOOL, &no_stdin, NULL, "Do not attach STDIN"},
      {"sig-proxy", OPT_BOOL, &sig_proxy, NULL,
       "Proxy all received signals to the process"}};
  char *pos[2];
  size_t npos;
  if (cli_args("attach", argc, argv, opts, ARRAY_SIZE(opts), pos, 2,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "attach: requires exactly 1 argument");
  char keys[BERTH_DETACH_KEYS_LEN];
  berth_error *err = NULL;
  if (berth_detach_keys_parse(keys_spec, keys, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_attach_opts o = {.in = no_stdin ? -1 : STDIN_FILENO,
                                .out = STDOUT_FILENO, .err = STDERR_FILENO,
                                .detach_keys = keys};
  struct berth_attached at;
  if (berth_ctr_attach(e, pos[0], &o, &at, &err) < 0)
    return cli_error(err, 1);
  struct cli_raw_tty raw = {0};
  if (at.tty && !no_stdin)
    cli_raw_on(&raw);
  int code = cli_attach_wait(e, at.id, at.status_fd, at.tty, sig_proxy);
  cli_raw_off(&raw);
  close(at.status_fd);
  return code;
}
