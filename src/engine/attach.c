/* Attaching a client to a container's monitor (see attach.h). */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "start.h"

void berth_ctr_attach_path(const struct berth_engine *e, const char *id,
                           char *buf, size_t len) {
  berth_ctr_dir(e, id, buf, len);
  strncat(buf, "/attach.sock", len - strlen(buf) - 1);
}

/* Connects through the directory's /proc/self/fd link: the path itself
 * may not fit sun_path. */
static int attach_connect(struct berth_engine *e, const char *id,
                          berth_error **err) {
  char dir[4096];
  berth_ctr_dir(e, id, dir, sizeof dir);
  _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys(err, "open `%s`", dir);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/attach.sock",
           dfd);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e2 = errno;
    close(fd);
    errno = e2;
    return berth_error_sys(err, "connect to the monitor of `%s`", id);
  }
  return fd;
}

/* "attach STREAMS KEYS" with the streams' fds. */
static int send_request(int fd, const struct berth_attach_opts *o, bool stdin_ok,
                        berth_error **err) {
  int fds[3], n = 0;
  char streams[4] = "";
  const int mine[3] = {stdin_ok ? o->in : -1, o->out, o->err};
  for (int i = 0; i < 3; i++)
    if (mine[i] >= 0) {
      streams[n] = "ioe"[i];
      fds[n++] = mine[i];
    }
  char msg[160];
  int len = snprintf(msg, sizeof msg, "attach %s %s", n ? streams : "-",
                     o->detach_keys && *o->detach_keys ? o->detach_keys
                                                       : "-");
  union { /* aligned for struct cmsghdr */
    char buf[CMSG_SPACE(3 * sizeof(int))];
    struct cmsghdr align;
  } cbuf = {0};
  struct iovec iov = {.iov_base = msg, .iov_len = (size_t)len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n) {
    mh.msg_control = cbuf.buf;
    mh.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
  }
  if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
    return berth_error_sys(err, "send the attach request");
  /* The monitor answers at once unless it is stuck: bounded wait. */
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char reply[160];
  ssize_t r = recv(fd, reply, sizeof reply - 1, 0);
  tv.tv_sec = 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  reply[r > 0 ? r : 0] = '\0';
  if (strcmp(reply, "ok") == 0)
    return 0;
  return berth_error_set(err, BERTH_ERR_STATE, 0, "attach: %s",
                         r > 0 && !strncmp(reply, "err ", 4)
                             ? reply + 4
                             : "the container's monitor did not answer");
}

int berth_ctr_attach(struct berth_engine *e, const char *ref,
                     const struct berth_attach_opts *o,
                     struct berth_attached *out, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0 ||
      berth_ctr_refresh(e, c, err) < 0)
    return -1;
  if (strcmp(c->state, BERTH_ST_PAUSED) == 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "You cannot attach to a paused container, "
                           "unpause it first");
  if (strcmp(c->state, BERTH_ST_RUNNING) != 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "You cannot attach to a stopped container, "
                           "start it first");
  memcpy(out->id, c->id, sizeof out->id);
  out->tty = json_is_true(json_object_get(c->config, "Tty"));
  bool open_stdin = json_is_true(json_object_get(c->config, "OpenStdin"));
  int fd = attach_connect(e, c->id, err);
  if (fd < 0)
    return -1;
  if (send_request(fd, o, open_stdin, err) < 0) {
    close(fd);
    return -1;
  }
  out->status_fd = fd;
  return 0;
}

int berth_attach_resize(int status_fd, unsigned rows, unsigned cols) {
  char msg[48];
  int len = snprintf(msg, sizeof msg, "resize %u %u", rows, cols);
  return send(status_fd, msg, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

/* "exited CODE": the client records the exit and tells the monitor what
 * follows ("done", "done rm", "restart"; "failed": the monitor's helper
 * records it instead). */
static int record_exit(struct berth_engine *e, const char *id, int fd,
                       int code) {
  berth_error *err = NULL;
  struct berth_ctr *c = NULL;
  int rc = berth_ctr_find(e->db, id, &c, &err);
  if (rc == 0)
    rc = berth_ctr_exited(e, c->id, code, true, &err);
  berth_ctr_free(c);
  berth_error_free(err);
  const char *reply = rc < 0                        ? "failed"
                      : rc == BERTH_EXITED_RESTART  ? "restart"
                      : rc == BERTH_EXITED_TRASHED  ? "done rm"
                                                    : "done";
  (void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL);
  return rc < 0 || rc == BERTH_EXITED_RESTART ? BERTH_ATTACH_RUNNING
                                              : BERTH_ATTACH_EXITED;
}

int berth_attach_event(struct berth_engine *e, const char *id, int status_fd,
                       int *code, berth_error **err) {
  char buf[64];
  ssize_t n;
  do
    n = recv(status_fd, buf, sizeof buf - 1, 0);
  while (n < 0 && errno == EINTR);
  buf[n > 0 ? n : 0] = '\0';
  if (n > 0 && strncmp(buf, "detached", 8) == 0)
    return BERTH_ATTACH_DETACHED;
  if (n > 0 && sscanf(buf, "exited %d", code) == 1)
    return record_exit(e, id, status_fd, *code);
  if (n > 0 && sscanf(buf, "exit %d", code) == 1)
    return BERTH_ATTACH_EXITED;
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "lost the container's monitor: see `berth ps -a`");
}
