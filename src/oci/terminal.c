#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"

static int send_fd(int sock, int fd, const char *name, berth_error **err) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof(cbuf));
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
    return berth_error_sys(err, "send pty master to console socket");
  return 0;
}

int berth_terminal_open(int console_sock, unsigned rows, unsigned cols,
                        berth_error **err) {
  _cleanup_close_ int master =
      open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return berth_error_sys(err, "open `/dev/ptmx`");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return berth_error_sys(err, "unlock pty");
  /* TIOCGPTPEER opens the peer through the master itself: no path lookup
   * in /dev/pts that the container could have swapped. */
  _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0)
    return berth_error_sys(err, "open pty peer");
  if (rows && cols) {
    struct winsize ws = {.ws_row = (unsigned short)rows,
                         .ws_col = (unsigned short)cols};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (send_fd(console_sock, master, "/dev/ptmx", err) < 0)
    return -1;
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0)
      return berth_error_sys(err, "dup pty to fd %d", i);
  return 0;
}

int berth_terminal_setup(int console_sock, unsigned rows, unsigned cols,
                         berth_error **err) {
  if (berth_terminal_open(console_sock, rows, cols, err) < 0)
    return -1;
  if (setsid() < 0 && errno != EPERM)
    return berth_error_sys(err, "setsid");
  if (ioctl(0, TIOCSCTTY, 0) < 0)
    return berth_error_sys(err, "set controlling terminal");
  return 0;
}

int berth_console_socket_connect(const char *path, berth_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "console socket path `%s` is too long", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    berth_error_sys(err, "connect to console socket `%s`", path);
    close(fd);
    return -1;
  }
  return fd;
}

int berth_recv_fd(int sock, berth_error **err) {
  char name[256];
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
    return berth_error_sys(err, "receive fd");
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPROTO, "no fd received");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}
