/* Console sockets: how the runtime hands a container's pty master to the
 * engine (start with -t, exec -t), and relaying a terminal to it. */
#include "console.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "terminal.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A console socket for the runtime to hand us the pty master.  Its path
 * must fit sun_path (108 bytes), which a container directory under a long
 * root does not: it goes to /run (or /tmp) under a unique name. */
int berth_console_listen(char *path, size_t len, berth_error **err) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  const char *dir = access("/run", W_OK) == 0 ? "/run" : "/tmp";
  snprintf(path, len, "%s/berth-console-%d-%lld.sock", dir, getpid(),
           (long long)(now_ns() % 1000000000));
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return berth_error_sys(err, "console socket `%s`", path);
  }
  return fd;
}

int berth_console_accept(int listen_fd, berth_error **err) {
  _cleanup_close_ int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return berth_error_sys(err, "accept on the console socket");
  return berth_recv_fd(conn, err);
}


static bool copy_once(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    off += w;
  }
  return true;
}

/* Forwards the client's input, unless it ends with the detach keys
 * (returns true). */
static bool copy_input(struct berth_relay *r, bool *in_open) {
  char buf[4096], pass[sizeof buf + BERTH_ESCAPE_MAX];
  ssize_t n = read(r->in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return false;
  if (n <= 0) {
    *in_open = false;
    return false;
  }
  size_t np;
  bool detach = berth_escape_feed(&r->keys, buf, (size_t)n, pass, &np);
  for (size_t off = 0; off < np;) {
    ssize_t w = write(r->master, pass + off, np - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      *in_open = false;
      break;
    }
    off += (size_t)w;
  }
  return detach;
}

static void apply_resize(struct berth_relay *r) {
  struct winsize ws;
  ssize_t n = read(r->resize_fd, &ws, sizeof ws);
  if (n == (ssize_t)sizeof ws)
    /* The kernel sends SIGWINCH to the pty's foreground process group. */
    ioctl(r->master, TIOCSWINSZ, &ws);
  else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
    r->resize_fd = -1;
}

int berth_console_relay(struct berth_relay *r) {
  bool in_open = r->in >= 0;
  for (;;) {
    struct pollfd p[4] = {{.fd = r->master, .events = POLLIN},
                          {.fd = r->stop_fd, .events = POLLIN},
                          {.fd = in_open ? r->in : -1, .events = POLLIN},
                          {.fd = r->resize_fd, .events = POLLIN}};
    if (poll(p, 4, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 0;
    }
    if (p[0].revents && !copy_once(r->master, r->out))
      return 0;
    if (p[2].revents && copy_input(r, &in_open))
      return 1;
    if (p[3].revents)
      apply_resize(r);
    if (p[1].revents) {
      /* The process is gone: what it wrote last is still in the pty. */
      while (poll(p, 1, 50) > 0 && copy_once(r->master, r->out))
        ;
      return 0;
    }
  }
}
