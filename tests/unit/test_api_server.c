/* The API server's core in one process: berth_api_serve on a socket of a
 * temp dir, with route tables of this test (the router finds them as it
 * finds the handler files'), driven by a raw client.  Streams (chunked,
 * the client's going seen by the producer, the request kept alive for
 * it), hijacked connections (101, early bytes, stdcopy frames, half-close
 * ending stdin, output after it), spooled bodies, and the stop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api_internal.h"

static char dir[64], sock_path[128];
static pthread_t server;
static atomic_int server_rc = 1;

/* ---- routes of the test ---- */

static atomic_bool saw_gone, param_ok;

/* Writes two lines, then waits for the client to go (at most 5 s) and
 * reads the request's parameter afterwards (it must still be valid). */
static void produce_until_gone(struct api_stream *s, void *data) {
  struct api_req *r = data;
  api_stream_write(s, "one\n", 4);
  api_stream_json(s, json_pack("{s:s}", "id", r->params[0]));
  for (int i = 0; i < 500 && !api_stream_gone(s); i++)
    usleep(10000);
  /* A write now fails too. */
  bool gone = api_stream_gone(s) && api_stream_write(s, "x", 1) < 0;
  atomic_store(&saw_gone, gone);
  atomic_store(&param_ok, strcmp(r->params[0], "p1") == 0);
}

static int h_stream(struct api_req *r) {
  return api_reply_stream(r, 200, "application/json", produce_until_gone, r,
                          NULL);
}

static void produce_three(struct api_stream *s, void *data) {
  (void)data;
  for (int i = 0; i < 3; i++)
    api_stream_write(s, "line\n", 5);
}

static int h_short(struct api_req *r) {
  return api_reply_stream(r, 200, "text/plain", produce_three, NULL, NULL);
}

/* The container of the hijack test: reads its stdin (a pipe) to EOF,
 * upper-cases it to stdout, writes "err" to stderr, then "end". */
struct fake_ctr {
  int in, out, err;
};

static void *fake_ctr_main(void *arg) {
  struct fake_ctr *c = arg;
  char buf[256];
  ssize_t n;
  while ((n = read(c->in, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    if (write(c->out, buf, (size_t)n) < 0)
      break;
  }
  if (write(c->err, "err", 3) < 0 || write(c->out, "end", 3) < 0) {
    /* the relay went away: nothing to do */
  }
  close(c->in);
  close(c->out);
  close(c->err);
  return NULL;
}

static void run_hijacked(int sock, const char *early, size_t len,
                         void *data) {
  (void)data;
  int in[2], out[2], err[2];
  if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0)
    return;
  struct fake_ctr c = {in[0], out[1], err[1]};
  pthread_t t;
  pthread_create(&t, NULL, fake_ctr_main, &c);
  api_relay(sock, early, len, in[1], out[0], err[0], false);
  pthread_join(t, NULL);
  close(out[0]);
  close(err[0]);
}

static atomic_int freed;
static void free_marker(void *p) {
  (void)p;
  atomic_fetch_add(&freed, 1);
}

static int h_hijack(struct api_req *r) {
  return api_reply_hijack(r, run_hijacked, NULL, free_marker);
}

/* Answers the body file's size and whether its content is the pattern
 * and it has no name left in the filesystem. */
static int h_file(struct api_req *r) {
  char buf[65536], link[64], target[512] = "";
  size_t total = 0;
  bool pattern = true;
  ssize_t n;
  while ((n = read(r->body_fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      pattern &= buf[i] == (char)('a' + (total + (size_t)i) % 26);
    total += (size_t)n;
  }
  snprintf(link, sizeof link, "/proc/self/fd/%d", r->body_fd);
  if (readlink(link, target, sizeof target - 1) < 0)
    target[0] = '\0';
  struct stat st;
  bool unlinked = fstat(r->body_fd, &st) == 0 && st.st_nlink == 0;
  return api_reply_json(r, 200,
                        json_pack("{s:I,s:b,s:b}", "size", (json_int_t)total,
                                  "pattern", pattern, "unlinked", unlinked));
}

static int h_query(struct api_req *r) {
  bool b = false;
  int64_t n = 0;
  json_t *f = NULL;
  berth_error *err = NULL;
  if (api_query_bool(r, "all", false, &b, &err) < 0 ||
      api_query_int(r, "n", 7, 0, 100, &n, &err) < 0 ||
      api_query_filters(r, &f, &err) < 0)
    return api_reply_error(r, err);
  const char *s = api_query(r, "s");
  return api_reply_json(r, 200,
                        json_pack("{s:b,s:I,s:o,s:s?,s:s?}", "all", b,
                                  "n", (json_int_t)n, "filters", f, "s", s,
                                  "ua", api_header(r, "User-Agent")));
}

static int h_kind(struct api_req *r) {
  berth_error *err = NULL;
  berth_error_set(&err, BERTH_ERR_EXISTS, 0, "already there: %s",
                  r->params[0]);
  return api_reply_error(r, err);
}

const struct api_route api_routes_events[] = {
    {"GET", "/t/stream/{id}", h_stream, 0},
    {"GET", "/t/short", h_short, 0},
    {"POST", "/t/hijack", h_hijack, 0},
    {"POST", "/t/file", h_file, API_BODY_FILE},
    {"GET", "/t/query", h_query, 0},
    {"DELETE", "/t/kind/{x}", h_kind, 0},
    {NULL, NULL, NULL, 0},
};

/* ---- a raw client ---- */

static int dial(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

static void send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    assert_true(n > 0);
    p += n;
    len -= (size_t)n;
  }
}

/* Reads until EOF or 5 s; returns the length (buf NUL-terminated). */
static size_t recv_all(int fd, char *buf, size_t cap) {
  size_t len = 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (len + 1 < cap && poll(&p, 1, 5000) > 0) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  return len;
}

/* Reads up to the end of the head ("\r\n\r\n"); returns what followed. */
static size_t recv_head(int fd, char *head, size_t cap, char *rest,
                        size_t *rest_len) {
  size_t len = 0;
  char *end = NULL;
  while (!end && len + 1 < cap) {
    ssize_t n = read(fd, head + len, cap - 1 - len);
    assert_true(n > 0);
    len += (size_t)n;
    head[len] = '\0';
    end = strstr(head, "\r\n\r\n");
  }
  assert_non_null(end);
  size_t hl = (size_t)(end + 4 - head);
  *rest_len = len - hl;
  memcpy(rest, head + hl, *rest_len);
  head[hl] = '\0';
  return hl;
}

/* One request on its own connection; the whole answer. */
static void exchange(const char *req, char *resp, size_t cap) {
  int fd = dial();
  send_all(fd, req, strlen(req));
  recv_all(fd, resp, cap);
  close(fd);
}

/* ---- the server ---- */

static void *serve(void *arg) {
  (void)arg;
  struct berth_api_opts o = {.root = dir, .socket_path = sock_path,
                             .listen_fd = -1, .idle_timeout_s = 0};
  berth_error *err = NULL;
  int rc = berth_api_serve(&o, &err);
  berth_error_free(err);
  atomic_store(&server_rc, rc);
  return NULL;
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/berth-api-test.XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s/tmp", dir);
  mkdir(tmp, 0700);
  snprintf(sock_path, sizeof sock_path, "%s/s.sock", dir);
  pthread_create(&server, NULL, serve, NULL);
  for (int i = 0; i < 500; i++) {
    struct stat st;
    if (stat(sock_path, &st) == 0)
      return 0;
    usleep(10000);
  }
  return -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_stream_complete(void **state) {
  (void)state;
  char resp[4096];
  exchange("GET /t/short HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "HTTP/1.1 200"));
  assert_non_null(strstr(resp, "Transfer-Encoding: chunked"));
  assert_non_null(strstr(resp, "Api-Version: 1.41"));
  /* The three lines, then the last chunk. */
  char *body = strstr(resp, "\r\n\r\n") + 4;
  assert_non_null(strstr(body, "line\n"));
  assert_true(strlen(body) >= 5 && strcmp(body + strlen(body) - 5,
                                          "0\r\n\r\n") == 0);
}

static void test_stream_client_gone(void **state) {
  (void)state;
  int fd = dial();
  const char *req = "GET /v1.41/t/stream/p1 HTTP/1.1\r\nHost: d\r\n\r\n";
  send_all(fd, req, strlen(req));
  char head[4096], rest[4096];
  size_t rl;
  recv_head(fd, head, sizeof head, rest, &rl);
  assert_non_null(strstr(head, "200 OK"));
  /* The producer's first lines arrive before it ends. */
  char more[4096];
  size_t n = rl;
  memcpy(more, rest, rl);
  more[n] = '\0';
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (!strstr(more, "{\"id\":\"p1\"}") && poll(&p, 1, 5000) > 0) {
    ssize_t k = read(fd, more + n, sizeof more - 1 - n);
    assert_true(k > 0);
    n += (size_t)k;
    more[n] = '\0';
  }
  assert_non_null(strstr(more, "one\n"));
  assert_non_null(strstr(more, "{\"id\":\"p1\"}\n"));
  close(fd);
  /* The producer noticed, and its request was still valid after. */
  for (int i = 0; i < 300 && !atomic_load(&param_ok); i++)
    usleep(10000);
  assert_true(atomic_load(&saw_gone));
  assert_true(atomic_load(&param_ok));
}

/* Parses stdcopy frames: stdout and stderr payloads concatenated. */
static void unframe(const char *buf, size_t len, char *out, char *err) {
  size_t o = 0, e = 0;
  while (len >= 8) {
    size_t n = (size_t)(unsigned char)buf[4] << 24 |
               (size_t)(unsigned char)buf[5] << 16 |
               (size_t)(unsigned char)buf[6] << 8 | (unsigned char)buf[7];
    assert_true(buf[0] == 1 || buf[0] == 2);
    assert_true(buf[1] == 0 && buf[2] == 0 && buf[3] == 0);
    assert_true(8 + n <= len);
    char *dst = buf[0] == 1 ? out + o : err + e;
    memcpy(dst, buf + 8, n);
    *(buf[0] == 1 ? &o : &e) += n;
    buf += 8 + n;
    len -= 8 + n;
  }
  assert_int_equal(len, 0);
  out[o] = err[e] = '\0';
}

static void test_hijack(void **state) {
  (void)state;
  int fd = dial();
  /* Stdin typed before the answer comes with the request. */
  const char *req = "POST /t/hijack HTTP/1.1\r\nHost: d\r\n"
                    "Connection: Upgrade\r\nUpgrade: tcp\r\n"
                    "Content-Length: 0\r\n\r\nearly ";
  send_all(fd, req, strlen(req));
  char head[4096], rest[8192];
  size_t rl;
  recv_head(fd, head, sizeof head, rest, &rl);
  assert_non_null(strstr(head, "HTTP/1.1 101"));
  assert_non_null(strstr(head, "Upgrade: tcp"));
  assert_non_null(strstr(head, "application/vnd.docker.raw-stream"));
  send_all(fd, "rest", 4);
  /* The client's half-close ends the container's stdin; its output
   * still comes, then the server's half-close. */
  shutdown(fd, SHUT_WR);
  rl += recv_all(fd, rest + rl, sizeof rest - rl);
  char out[4096], err[4096];
  unframe(rest, rl, out, err);
  assert_string_equal(out, "EARLY RESTend");
  assert_string_equal(err, "err");
  close(fd);
  for (int i = 0; i < 100 && atomic_load(&freed) < 1; i++)
    usleep(10000);
  assert_int_equal(atomic_load(&freed), 1);
}

static void test_hijack_needs_upgrade(void **state) {
  (void)state;
  int before = atomic_load(&freed);
  char resp[4096];
  exchange("POST /t/hijack HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n"
           "Connection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "HTTP/1.1 400"));
  assert_non_null(strstr(resp, "needs Upgrade: tcp"));
  /* The data handed over was freed without a run. */
  assert_int_equal(atomic_load(&freed), before + 1);
}

static void test_body_file(void **state) {
  (void)state;
  size_t len = 3 * 1024 * 1024 + 7;
  char *req = malloc(len + 256);
  int h = snprintf(req, 256,
                   "POST /t/file HTTP/1.1\r\nHost: d\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   len);
  for (size_t i = 0; i < len; i++)
    req[h + i] = (char)('a' + i % 26);
  int fd = dial();
  send_all(fd, req, (size_t)h + len);
  free(req);
  char resp[4096];
  recv_all(fd, resp, sizeof resp);
  close(fd);
  char want[64];
  snprintf(want, sizeof want, "{\"size\":%zu,", len);
  assert_non_null(strstr(resp, want));
  assert_non_null(strstr(resp, "\"pattern\":true"));
  assert_non_null(strstr(resp, "\"unlinked\":true"));
}

static void test_query(void **state) {
  (void)state;
  char resp[4096];
  exchange("GET /t/query?all=1&n=42&s=a+b%2Bc&filters=%7B%22label%22%3A%7B"
           "%22x%3Dy%22%3Atrue%7D%7D HTTP/1.1\r\nHost: d\r\n"
           "User-Agent: t/1\r\nConnection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "HTTP/1.1 200"));
  assert_non_null(strstr(resp, "\"all\":true"));
  assert_non_null(strstr(resp, "\"n\":42"));
  assert_non_null(strstr(resp, "\"s\":\"a b+c\""));
  assert_non_null(strstr(resp, "\"filters\":{\"label\":[\"x=y\"]}"));
  assert_non_null(strstr(resp, "\"ua\":\"t/1\""));
  exchange("GET /t/query?n=1000 HTTP/1.1\r\nHost: d\r\n"
           "Connection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "HTTP/1.1 400"));
  assert_non_null(strstr(resp, "\"message\":\"invalid value for n"));
  exchange("GET /t/query?n=3&all HTTP/1.1\r\nHost: d\r\n"
           "Connection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "\"all\":false,\"n\":3"));
}

static void test_error_kind(void **state) {
  (void)state;
  char resp[4096];
  exchange("DELETE /t/kind/k%3Av HTTP/1.1\r\nHost: d\r\n"
           "Connection: close\r\n\r\n",
           resp, sizeof resp);
  assert_non_null(strstr(resp, "HTTP/1.1 409"));
  assert_non_null(strstr(resp, "Content-Type: application/json"));
  assert_non_null(strstr(resp, "{\"message\":\"already there: k:v\"}\n"));
}

static void test_stop(void **state) {
  (void)state;
  /* A client in the middle of a stream does not hold the stop up. */
  int fd = dial();
  const char *req = "GET /t/stream/p2 HTTP/1.1\r\nHost: d\r\n\r\n";
  send_all(fd, req, strlen(req));
  usleep(100000);
  time_t t0 = time(NULL);
  kill(getpid(), SIGTERM);
  pthread_join(server, NULL);
  assert_int_equal(atomic_load(&server_rc), 0);
  assert_true(time(NULL) - t0 <= 3);
  struct stat st;
  assert_int_equal(stat(sock_path, &st), -1);
  char buf[4096];
  recv_all(fd, buf, sizeof buf);
  close(fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stream_complete),
      cmocka_unit_test(test_stream_client_gone),
      cmocka_unit_test(test_hijack),
      cmocka_unit_test(test_hijack_needs_upgrade),
      cmocka_unit_test(test_body_file),
      cmocka_unit_test(test_query),
      cmocka_unit_test(test_error_kind),
      cmocka_unit_test(test_stop),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
