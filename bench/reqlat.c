/* reqlat: the latency of HTTP GETs on a unix socket without a client
 * program's own start in the figure (curl's ~5 ms start hides what a
 * server does per connection).
 *
 *   reqlat SOCKET PATH N [new|keep] [all]
 *
 * new (the default): N times, connect, send one GET, read the whole
 * answer (by its Content-Length or chunked framing), close; keep: N GETs
 * on one connection.  Prints the median time per request in
 * microseconds (all: every request's time, one a line, in the order
 * made), and exits 1 when an answer is not a 200.  Nothing sends
 * "Connection: close": the client closes, as docker's clients do when
 * they drop an idle connection. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_to(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (fd < 0 || strlen(path) >= sizeof sa.sun_path)
    return -1;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads more into buf[*len..]; -1 on error or an early end. */
static int more(int fd, size_t *len) {
  if (*len >= sizeof buf - 1)
    return -1;
  ssize_t n;
  do
    n = read(fd, buf + *len, sizeof buf - 1 - *len);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return -1;
  *len += (size_t)n;
  buf[*len] = '\0';
  return 0;
}

/* The end of a chunked body starting at body, or NULL when incomplete. */
static const char *chunked_end(const char *body, const char *end) {
  const char *p = body;
  for (;;) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol)
      return NULL;
    unsigned long n = strtoul(p, NULL, 16);
    p = eol + 2;
    if (n == 0) { /* no trailers are expected */
      return end - p >= 2 ? p + 2 : NULL;
    }
    if ((size_t)(end - p) < n + 2)
      return NULL;
    p += n + 2;
  }
}

/* One whole answer; its status, or -1. */
static int answer(int fd) {
  size_t len = 0;
  char *hend;
  while (!(hend = strstr(buf, "\r\n\r\n")) || len == 0) {
    if (more(fd, &len) < 0)
      return -1;
  }
  int status = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
    return -1;
  const char *body = hend + 4;
  *hend = '\0';
  const char *cl = strcasestr(buf, "\r\ncontent-length:");
  bool chunked = strcasestr(buf, "\r\ntransfer-encoding: chunked") != NULL;
  *hend = '\r';
  size_t off = (size_t)(body - buf);
  if (cl) {
    size_t want = off + strtoul(cl + 17, NULL, 10);
    while (len < want)
      if (more(fd, &len) < 0)
        return -1;
  } else if (chunked) {
    while (!chunked_end(buf + off, buf + len))
      if (more(fd, &len) < 0)
        return -1;
  } else {
    while (more(fd, &len) == 0)
      ;
  }
  buf[0] = '\0';
  return status;
}

static int get(int fd, const char *req, size_t req_len) {
  if (write(fd, req, req_len) != (ssize_t)req_len)
    return -1;
  return answer(fd);
}

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: reqlat SOCKET PATH N [new|keep] [all]\n");
    return 2;
  }
  int n = atoi(argv[3]);
  bool keep = argc > 4 && strcmp(argv[4], "keep") == 0;
  bool all = argc > 5 && strcmp(argv[5], "all") == 0;
  char req[1024];
  int req_len = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: d\r\n"
                         "User-Agent: reqlat\r\n\r\n",
                         argv[2]);
  long long *t = calloc((size_t)(n > 0 ? n : 1), sizeof *t);
  if (n <= 0 || !t)
    return 2;
  int fd = keep ? connect_to(argv[1]) : -1;
  for (int i = 0; i < n; i++) {
    long long t0 = now_ns();
    if (!keep)
      fd = connect_to(argv[1]);
    int status = fd < 0 ? -1 : get(fd, req, (size_t)req_len);
    if (!keep)
      close(fd);
    t[i] = now_ns() - t0;
    if (status != 200) {
      fprintf(stderr, "reqlat: %s: answer %d (%s)\n", argv[2], status,
                      fd < 0 ? strerror(errno) : "not a 200");
      return 1;
    }
  }
  if (all) {
    for (int i = 0; i < n; i++)
      printf("%.1f\n", (double)t[i] / 1000.0);
    return 0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  long long med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  printf("%.1f\n", (double)med / 1000.0);
  return 0;
}
