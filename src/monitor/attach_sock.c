/* The monitor's attach socket (see attach_sock.h). */
#include "attach_sock.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int mon_attach_listen(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    return -1;
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  /* A container directory under a long --root does not fit sun_path (108
   * bytes); its /proc/self/fd link always does. */
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dfd,
           slash + 1);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  unlinkat(dfd, slash + 1, 0);
  /* Only root (the owner) may connect: whoever attaches reads the
   * container's output and types into it. */
  mode_t old = umask(0177);
  int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
           listen(fd, 4) == 0;
  umask(old);
  close(dfd);
  if (!ok && fd >= 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

int mon_attach_accept(int listen_fd, char *req, size_t len, int fds[3]) {
  fds[0] = fds[1] = fds[2] = -1;
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return -1;
  /* A client that connects and sends nothing must not stall the
   * container's output: the request is waited for 2 s at most. */
  struct timeval tv = {.tv_sec = 2};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  union { /* aligned for struct cmsghdr */
    char buf[CMSG_SPACE(3 * sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct iovec iov = {.iov_base = req, .iov_len = len - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = cbuf.buf,
                       .msg_controllen = sizeof cbuf.buf};
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) {
    close(conn);
    return -1;
  }
  req[n] = '\0';
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
    size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    memcpy(fds, CMSG_DATA(c), (nfd > 3 ? 3 : nfd) * sizeof(int));
  }
  tv.tv_sec = 0;
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return conn;
}
