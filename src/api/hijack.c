/* Hijacked connections (attach, exec start): the 101 answer, the raw
 * socket handed to the handler's `run` in the connection's thread, and
 * the relay between that socket and a container's stdio with Docker's
 * stdcopy framing. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <microhttpd.h>

#include "conn.h"

struct api_hijack {
  api_hijack_run run;
  void *data;
  void (*free_data)(void *);
  bool ran;
};

void api_hijack_free(struct api_hijack *h) {
  if (!h->ran && h->free_data)
    h->free_data(h->data);
  free(h);
}

/* How long a hijacked stream waits for its client to read the 101 head
 * before anything may follow it. */
#define HEAD_READ_WAIT_NS 2000000000L

/* Returns once the client has read everything sent so far (the 101
 * head), or after HEAD_READ_WAIT_NS, or when the client hangs up or the
 * server stops.
 * Why: docker-py (and any client on http.client) reads the head through
 * a buffered reader and then reads the stream from the raw socket under
 * it, so output that arrives with the head lands in that reader's buffer
 * and is lost (exec_run returned b'' one time in a few).  Docker starts
 * the process after the head is out; a fast process still beats a slow
 * reader, so we also wait for the head to be read.  On a unix stream
 * socket SIOCOUTQ is what the peer has not read yet (the send buffer's
 * charge, released only when the reader consumed a whole write: checked
 * on Linux 6.18, nonzero after a write and after a partial read, 0 once
 * all was read); on TCP it is what is not yet acknowledged, the closest
 * this end can see.  Clients that read the head at once (all do) wait
 * tens of microseconds. */
static void await_head_read(int sock) {
  struct timespec step = {0, 20 * 1000}; /* doubling, up to 5 ms */
  for (long waited = 0; waited < HEAD_READ_WAIT_NS; waited += step.tv_nsec) {
    int unread = 0;
    if (ioctl(sock, SIOCOUTQ, &unread) < 0 || unread == 0)
      return;
    /* events 0: only a hang-up (POLLHUP, POLLERR) wakes us, not early
     * stdin nor a half-close. */
    struct pollfd p[2] = {{.fd = sock, .events = 0},
                          {.fd = api_stop_fd(), .events = POLLIN}};
    if (ppoll(p, 2, &step, NULL) > 0)
      return;
    if (step.tv_nsec < 5 * 1000 * 1000)
      step.tv_nsec *= 2;
  }
}

/* Called by MHD in the connection's thread once the 101 is sent (thread
 * per connection: it may block for as long as the stream lasts).  run
 * starts once the client has read the head: whatever it sends follows
 * the head in a read of its own. */
static void on_upgrade(void *cls, struct MHD_Connection *mc, void *con_cls,
                       const char *extra_in, size_t extra_in_size,
                       MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
  (void)mc, (void)con_cls;
  struct api_hijack *h = cls;
  int fl = fcntl(sock, F_GETFL);
  if (fl >= 0)
    fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
  h->ran = true;
  await_head_read(sock);
  h->run(sock, extra_in, extra_in_size, h->data);
  if (h->free_data)
    h->free_data(h->data);
  h->data = NULL;
  MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

static bool asks_upgrade(struct api_req *r) {
  const char *up = api_header(r, "Upgrade");
  return up && *up;
}

int api_reply_hijack(struct api_req *r, api_hijack_run run, void *data,
                     void (*free_data)(void *)) {
  struct api_rq *q = api_rq_of(r);
  if (!asks_upgrade(r) || q->hijack) {
    if (free_data)
      free_data(data);
    return api_reply_errorf(r, 400, "%s needs Upgrade: tcp",
                            strstr(r->path, "/exec/") ? "exec start"
                                                      : "attach");
  }
  struct api_hijack *h = calloc(1, sizeof *h);
  struct MHD_Response *resp =
      h ? MHD_create_response_for_upgrade(on_upgrade, h) : NULL;
  if (!resp) {
    free(h);
    if (free_data)
      free_data(data);
    return api_reply_errorf(r, 500, "cannot upgrade the connection");
  }
  *h = (struct api_hijack){.run = run, .data = data, .free_data = free_data};
  /* Freed with the request; its data only if the upgrade never ran. */
  q->hijack = h;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "application/vnd.docker.raw-stream");
  if (r->response)
    MHD_destroy_response(r->response);
  r->response = resp;
  r->status = MHD_HTTP_SWITCHING_PROTOCOLS;
  api_add_headers(resp);
  return 0;
}

/* ---- framing and the relay ---- */

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int api_frame_write(int fd, int stream, const void *buf, size_t len) {
  unsigned char hdr[8] = {(unsigned char)stream, 0, 0, 0,
                          (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
  struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)buf, len}};
  size_t total = sizeof hdr + len;
  ssize_t n;
  do
    n = writev(fd, iov, 2);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  if ((size_t)n == total)
    return 0;
  /* A short write: the rest, in order. */
  size_t done = (size_t)n;
  if (done < sizeof hdr &&
      write_all(fd, hdr + done, sizeof hdr - done) < 0)
    return -1;
  size_t off = done > sizeof hdr ? done - sizeof hdr : 0;
  return write_all(fd, (const char *)buf + off, len - off);
}

struct relay {
  int sock, in_fd, out[2];
  bool tty;
  char in_buf[32 * 1024]; /* read from the client, not yet written */
  size_t in_len, in_off;
  bool sock_eof, client_gone;
};

/* The container's stdin ends.  A socket (the monitor's attach socket,
 * whose fd the caller may also read output from) is shut down for
 * writing: closing this one fd would not end it. */
static void close_in(struct relay *x) {
  struct stat st;
  if (x->in_fd >= 0 && fstat(x->in_fd, &st) == 0 && S_ISSOCK(st.st_mode))
    shutdown(x->in_fd, SHUT_WR);
  if (x->in_fd >= 0)
    close(x->in_fd);
  x->in_fd = -1;
  x->in_len = x->in_off = 0;
}

/* Client -> container stdin, one buffer at a time: the socket is read
 * only once the container took the last one, so a container that does
 * not read its stdin stalls its client, never its own output. */
static void pump_in(struct relay *x, bool sock_ready, bool in_ready) {
  if (in_ready && x->in_off < x->in_len) {
    ssize_t n = write(x->in_fd, x->in_buf + x->in_off, x->in_len - x->in_off);
    if (n > 0)
      x->in_off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
      close_in(x); /* the container closed its stdin */
    if (x->in_off == x->in_len)
      x->in_off = x->in_len = 0;
  }
  if (sock_ready && x->in_len == 0) {
    ssize_t n = read(x->sock, x->in_buf, sizeof x->in_buf);
    if (n > 0 && x->in_fd >= 0) {
      x->in_len = (size_t)n;
    } else if (n == 0) {
      x->sock_eof = true;
      if (x->in_fd >= 0 && x->in_len == 0)
        close_in(x);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      x->client_gone = true;
    }
  }
  if (x->sock_eof && x->in_len == 0 && x->in_fd >= 0)
    close_in(x);
}

/* Container output -> client; false once that stream ended. */
static bool pump_out(struct relay *x, int i) {
  char buf[32 * 1024];
  ssize_t n = read(x->out[i], buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  int rc = x->tty ? write_all(x->sock, buf, (size_t)n)
                  : api_frame_write(x->sock, i + 1, buf, (size_t)n);
  if (rc < 0)
    x->client_gone = true;
  return true;
}

static void early_input(struct relay *x, const char *early, size_t len) {
  if (x->in_fd < 0 || len == 0)
    return;
  /* Blocking for these few bytes: typed before the answer, the
   * container is about to read them. */
  int fl = fcntl(x->in_fd, F_GETFL);
  fcntl(x->in_fd, F_SETFL, fl & ~O_NONBLOCK);
  if (write_all(x->in_fd, early, len) < 0)
    close_in(x);
}

/* Whether the client closed its whole socket.  A unix socket reports
 * POLLHUP only when both directions are shut: the client's close (or its
 * SHUT_RDWR).  Its half-close (SHUT_WR: end of stdin, output still
 * wanted) is POLLIN with a read of 0, never POLLHUP, so the socket stays
 * watched after it for the full close alone: a silent process would
 * otherwise keep a gone client's thread and socket until its next output
 * or its exit.  POLLIN beside POLLHUP is the client's last input, read
 * first. */
static bool sock_gone(short revents) {
  return (revents & (POLLERR | POLLNVAL)) ||
         ((revents & POLLHUP) && !(revents & POLLIN));
}

/* One wait and what it allows; false when the relay is over (the server
 * stops, or poll fails). */
static bool relay_step(struct relay *x, bool open_out[2]) {
  struct pollfd p[5] = {
      {.fd = x->in_len == 0 ? x->sock : -1,
       .events = x->sock_eof ? 0 : POLLIN},
      {.fd = x->in_len ? x->in_fd : -1, .events = POLLOUT},
      {.fd = open_out[0] ? x->out[0] : -1, .events = POLLIN},
      {.fd = open_out[1] ? x->out[1] : -1, .events = POLLIN},
      {.fd = api_stop_fd(), .events = POLLIN}};
  if (poll(p, 5, -1) < 0)
    return errno == EINTR;
  if (p[4].revents)
    return false;
  if (sock_gone(p[0].revents))
    x->client_gone = true;
  pump_in(x, p[0].revents & (POLLIN | POLLHUP), p[1].revents != 0);
  for (int i = 0; i < 2; i++)
    if (p[2 + i].revents && !pump_out(x, i))
      open_out[i] = false;
  return true;
}

void api_relay(int sock, const char *early, size_t early_len, int in_fd,
               int out_fd, int err_fd, bool tty) {
  struct relay *x = calloc(1, sizeof *x);
  if (!x) {
    if (in_fd >= 0)
      close(in_fd);
    shutdown(sock, SHUT_WR);
    return;
  }
  *x = (struct relay){.sock = sock, .in_fd = in_fd, .out = {out_fd, err_fd},
                      .tty = tty};
  early_input(x, early, early_len);
  if (x->in_fd >= 0)
    fcntl(x->in_fd, F_SETFL, fcntl(x->in_fd, F_GETFL) | O_NONBLOCK);
  bool open_out[2] = {out_fd >= 0, err_fd >= 0};
  /* With no output attached, the relay lasts as long as the client. */
  bool wait_client = !open_out[0] && !open_out[1];
  while (!x->client_gone &&
         (open_out[0] || open_out[1] || (wait_client && !x->sock_eof)) &&
         relay_step(x, open_out))
    ;
  close_in(x);
  shutdown(sock, SHUT_WR);
  free(x);
}
