/* Streamed answers: a producer thread writes into a pipe, and the
 * connection's thread (libmicrohttpd's content reader) sends what it
 * reads as HTTP chunks.  The pipe gives the producer back-pressure from a
 * slow client, and an EPIPE once the client has gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "conn.h"

struct api_stream {
  atomic_int refs;      /* the response and the producer */
  atomic_bool gone;     /* the client went, or the response is done */
  int rfd, wfd;         /* the pipe: MHD reads rfd, the producer writes */
  int sock;             /* the client's socket, watched for a hang-up */
  struct api_rq *rq;    /* kept alive for the producer */
  api_produce produce;
  void *data;
  void (*free_data)(void *);
};

static void stream_unref(struct api_stream *s) {
  if (atomic_fetch_sub(&s->refs, 1) != 1)
    return;
  if (s->rfd >= 0)
    close(s->rfd);
  if (s->wfd >= 0)
    close(s->wfd);
  api_rq_unref(s->rq);
  free(s);
}

/* MHD's content reader, in the connection's thread: blocks until the
 * producer wrote something, ended, or the client hung up (POLLRDHUP: a
 * client never half-closes a request whose answer it still reads). */
static ssize_t read_cb(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  struct api_stream *s = cls;
  struct pollfd p[3] = {{.fd = s->rfd, .events = POLLIN},
                        {.fd = s->sock, .events = POLLRDHUP},
                        {.fd = api_stop_fd(), .events = POLLIN}};
  for (;;) {
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[0].revents) {
      ssize_t n = read(s->rfd, buf, max);
      if (n > 0)
        return n;
      if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
      if (errno == EINTR || errno == EAGAIN)
        continue;
      break;
    }
    if (p[1].revents || p[2].revents)
      break;
  }
  atomic_store(&s->gone, true);
  return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* The response is done (sent, or the connection closed): a producer
 * still writing now gets EPIPE. */
static void free_cb(void *cls) {
  struct api_stream *s = cls;
  atomic_store(&s->gone, true);
  close(s->rfd);
  s->rfd = -1;
  stream_unref(s);
}

static void *producer(void *arg) {
  struct api_stream *s = arg;
  s->produce(s, s->data);
  if (s->free_data)
    s->free_data(s->data);
  s->data = NULL;
  /* The end of the body. */
  close(s->wfd);
  s->wfd = -1;
  stream_unref(s);
  return NULL;
}

static int stream_new(struct api_req *r, api_produce produce, void *data,
                      void (*free_data)(void *), struct api_stream **out) {
  struct api_stream *s = calloc(1, sizeof *s);
  int p[2];
  if (!s || pipe2(p, O_CLOEXEC) < 0) {
    free(s);
    return -1;
  }
  /* Large exports and saves: fewer wake-ups per megabyte. */
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  atomic_init(&s->refs, 2);
  s->rfd = p[0];
  s->wfd = p[1];
  s->sock = r->conn ? r->conn->fd : -1;
  s->rq = api_rq_of(r);
  atomic_fetch_add(&s->rq->refs, 1);
  s->produce = produce;
  s->data = data;
  s->free_data = free_data;
  *out = s;
  return 0;
}

int api_reply_stream(struct api_req *r, unsigned status, const char *ctype,
                     api_produce produce, void *data,
                     void (*free_data)(void *)) {
  struct api_stream *s;
  if (stream_new(r, produce, data, free_data, &s) < 0) {
    if (free_data)
      free_data(data);
    return api_reply_errorf(r, 500, "cannot start the stream");
  }
  struct MHD_Response *resp = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 64 * 1024, read_cb, s, free_cb);
  pthread_t t;
  if (!resp || pthread_create(&t, NULL, producer, s) != 0) {
    if (resp)
      MHD_destroy_response(resp); /* free_cb: one reference */
    else
      stream_unref(s);
    s->data = NULL;
    stream_unref(s);
    if (free_data)
      free_data(data);
    return api_reply_errorf(r, 500, "cannot start the stream");
  }
  pthread_detach(t);
  if (ctype)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  if (r->response)
    MHD_destroy_response(r->response);
  r->response = resp;
  r->status = status;
  api_add_headers(resp);
  return 0;
}

int api_stream_write(struct api_stream *s, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    if (atomic_load(&s->gone)) {
      errno = EPIPE;
      return -1;
    }
    ssize_t n = write(s->wfd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int api_stream_json(struct api_stream *s, json_t *doc) {
  char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(doc);
  if (!text)
    return -1;
  size_t len = strlen(text);
  char *line = realloc(text, len + 2);
  if (!line) {
    free(text);
    return -1;
  }
  line[len] = '\n';
  int rc = api_stream_write(s, line, len + 1);
  free(line);
  return rc;
}

bool api_stream_gone(struct api_stream *s) {
  if (atomic_load(&s->gone))
    return true;
  struct pollfd p = {.fd = api_stop_fd(), .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

struct berth_engine *api_stream_engine(struct api_stream *s,
                                       berth_error **err) {
  return api_engine(&s->rq->req, err);
}

struct writer {
  void (*write_to)(int fd, void *data);
  void *data;
  int fd;
};

static void *writer_main(void *p) {
  struct writer *w = p;
  w->write_to(w->fd, w->data);
  close(w->fd);
  return NULL;
}

void api_stream_from_writer(struct api_stream *s,
                            void (*write_to)(int fd, void *data),
                            void *data) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return;
  struct writer w = {write_to, data, fds[1]};
  pthread_t t;
  if (pthread_create(&t, NULL, writer_main, &w) != 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || api_stream_write(s, buf, (size_t)n) < 0)
      break;
  }
  close(fds[0]);
  pthread_join(t, NULL);
}
