/* Published ports: -p/--expose values into the request, the engine's
 * check of a request's ports, and host port reservation by sockets
 * (only on 127.0.0.1, ports 42000-42999 or the kernel's choice). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ports.h"
#include "ports_bind.h"
#include "ports_spec.h"

static void assert_json(json_t *j, const char *expected) {
  json_error_t je;
  json_t *want = json_loads(expected, 0, &je);
  assert_non_null(want);
  char *got = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
  if (!json_equal(j, want))
    fail_msg("got %s, want %s", got, expected);
  free(got);
  json_decref(want);
}

/* A refusal: INVALID, one line, containing `words`. */
static void assert_refused(int rc, berth_error *err, const char *words) {
  assert_true(rc < 0);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  if (!strstr(err->msg, words))
    fail_msg("`%s` lacks `%s`", err->msg, words);
  assert_null(strchr(err->msg, '\n'));
  berth_error_free(err);
}

/* Calls first, then looks at the error it filled. */
#define REFUSED(call, e, words)                                               \
  do {                                                                        \
    int rc_ = (call);                                                         \
    assert_refused(rc_, e, words);                                            \
    e = NULL;                                                                 \
  } while (0)

/* ---- -p and --expose ---------------------------------------------------- */

static void test_publish_good(void **state) {
  (void)state;
  static const struct {
    const char *spec, *bindings;
  } cases[] = {
      {"80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}"},
      {"8080:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}"},
      {"127.0.0.1:8080:80/UDP",
       "{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}"},
      {"[::1]:8080:80", "{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"8080\"}]}"},
      {"::1:8080:80", "{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"8080\"}]}"},
      {"127.0.0.1::80", "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}"},
      {"8000-8001:80-81/sctp",
       "{\"80/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"8000\"}],"
       "\"81/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"8001\"}]}"},
      {"8000-8010:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}]}"},
      {"80-81", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
                "\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *ex = json_object(), *pb = json_object();
    berth_error *err = NULL;
    assert_int_equal(berth_publish_parse(cases[i].spec, ex, pb, &err), 0);
    assert_json(pb, cases[i].bindings);
    /* Every published port is exposed too (Docker's CLI). */
    assert_int_equal(json_object_size(ex), json_object_size(pb));
    json_decref(ex);
    json_decref(pb);
  }
}

static void test_publish_bad(void **state) {
  (void)state;
  static const struct {
    const char *spec, *words;
  } cases[] = {
      {"abc", "invalid containerPort: abc"},
      {"0", "invalid containerPort: 0"},
      {"", "no port specified"},
      {"8080:", "no port specified"},
      {"8080-8082:80-81", "invalid ranges specified for container and host "
                          "Ports: 80-81 and 8080-8082"},
      {"8080:80/xyz", "invalid proto: xyz"},
      {"1.2.3:80:80", "invalid IP address: 1.2.3"},
      {"[::1:80:80", "invalid IP address"},
      {"70000:80", "invalid hostPort: 70000"},
      {"90-80:80", "invalid hostPort: 90-80"},
      {"+80", "invalid containerPort"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *ex = json_object(), *pb = json_object();
    berth_error *err = NULL;
    REFUSED(berth_publish_parse(cases[i].spec, ex, pb, &err), err,
                   cases[i].words);
    json_decref(ex);
    json_decref(pb);
  }
}

static void test_expose(void **state) {
  (void)state;
  json_t *ex = json_object();
  berth_error *err = NULL;
  assert_int_equal(berth_expose_parse("7000-7002/udp", ex, &err), 0);
  assert_int_equal(berth_expose_parse("53", ex, &err), 0);
  assert_json(ex, "{\"7000/udp\":{},\"7001/udp\":{},\"7002/udp\":{},"
                  "\"53/tcp\":{}}");
  REFUSED(berth_expose_parse("1:2", ex, &err), err,
                 "invalid port format for --expose: 1:2");
  REFUSED(berth_expose_parse("x", ex, &err), err,
                 "invalid range format for --expose: x");
  REFUSED(berth_expose_parse("80/icmp", ex, &err), err,
                 "invalid range format for --expose: 80/icmp");
  json_decref(ex);
}

static void test_ports_text(void **state) {
  (void)state;
  static const struct {
    const char *doc, *text;
  } cases[] = {
      {"{}", ""},
      {"{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
       "{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"443/tcp\":null}",
       "443/tcp, 0.0.0.0:8080->80/tcp, :::8080->80/tcp"},
      {"{\"8001/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8001\"}],"
       "\"8000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8000\"}]}",
       "0.0.0.0:8000-8001->8000-8001/tcp"},
      {"{\"54/udp\":null,\"53/udp\":null,\"80/tcp\":null,\"56/udp\":null}",
       "53-54/udp, 56/udp, 80/tcp"},
      {"{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"42080\"}]}",
       "127.0.0.1:42080->80/tcp"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *doc = json_loads(cases[i].doc, 0, NULL);
    assert_non_null(doc);
    char *text = berth_ports_text(doc);
    assert_non_null(text);
    assert_string_equal(text, cases[i].text);
    free(text);
    json_decref(doc);
  }
}

/* ---- berth_ports_check --------------------------------------------------- */

static json_t *request(const char *mode, const char *bindings,
                       const char *exposed) {
  json_t *req = json_pack("{s:{s:s}}", "HostConfig", "NetworkMode", mode);
  if (bindings)
    json_object_set_new(json_object_get(req, "HostConfig"), "PortBindings",
                        json_loads(bindings, 0, NULL));
  if (exposed)
    json_object_set_new(req, "ExposedPorts", json_loads(exposed, 0, NULL));
  return req;
}

static void test_check_accepts(void **state) {
  (void)state;
  berth_error *err = NULL;
  json_t *req = request(
      "bridge",
      "{\"80\":[{\"HostPort\":\"8080\"}],\"53/UDP\":[{\"HostIp\":\"::1\","
      "\"HostPort\":\"0\"}],\"81/tcp\":null,\"82/tcp\":[{\"HostIp\":"
      "\"127.0.0.1\",\"HostPort\":\"9000-9010\"}]}",
      "{\"80\":{},\"443/tcp\":{}}");
  assert_int_equal(berth_ports_check(req, &err), 0);
  /* Normalised: Docker's keys, both members in every binding. */
  assert_json(json_object_get(json_object_get(req, "HostConfig"),
                              "PortBindings"),
              "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
              "\"53/udp\":[{\"HostIp\":\"::1\",\"HostPort\":\"0\"}],"
              "\"81/tcp\":[],\"82/tcp\":[{\"HostIp\":\"127.0.0.1\","
              "\"HostPort\":\"9000-9010\"}]}");
  assert_json(json_object_get(req, "ExposedPorts"),
              "{\"80/tcp\":{},\"443/tcp\":{}}");
  json_decref(req);
  /* none and host: kept, never made (Docker's rules). */
  const char *modes[] = {"none", "host"};
  for (int i = 0; i < 2; i++) {
    req = request(modes[i], "{\"80/tcp\":[{\"HostPort\":\"8080\"}]}", NULL);
    assert_int_equal(berth_ports_check(req, &err), 0);
    json_decref(req);
  }
}

static void test_check_refuses(void **state) {
  (void)state;
  static const struct {
    const char *mode, *bindings, *exposed, *words;
  } cases[] = {
      {"bridge", "{\"0/tcp\":[]}", NULL, "invalid port `0/tcp` in PortBindings"},
      {"bridge", "{\"80-81/tcp\":[]}", NULL, "invalid port `80-81/tcp`"},
      {"bridge", "{\"80/icmp\":[]}", NULL, "invalid port `80/icmp`"},
      {"bridge", "{\"80/tcp\":[{\"HostPort\":\"x\"}]}", NULL,
       "invalid hostPort: x"},
      {"bridge", "{\"80/tcp\":[{\"HostPort\":\"65536\"}]}", NULL,
       "invalid hostPort: 65536"},
      {"bridge", "{\"80/tcp\":[{\"HostIp\":\"1.2.3.400\"}]}", NULL,
       "invalid IP address: 1.2.3.400"},
      {"bridge", "{\"80/tcp\":[{\"HostPort\":8080}]}", NULL, "are strings"},
      {"bridge", "{\"80/tcp\":{}}", NULL, "a list"},
      {"bridge", "[]", NULL, "invalid PortBindings"},
      {"bridge", NULL, "{\"x/tcp\":{}}", "invalid port `x/tcp` in ExposedPorts"},
      {"container:abc", "{\"80/tcp\":[{\"HostPort\":\"8080\"}]}", NULL,
       "conflicting options: port publishing and the container type network "
       "mode"},
      {"container:abc", NULL, "{\"80/tcp\":{}}",
       "conflicting options: port exposing and the container type network "
       "mode"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    berth_error *err = NULL;
    json_t *req = request(cases[i].mode, cases[i].bindings, cases[i].exposed);
    REFUSED(berth_ports_check(req, &err), err, cases[i].words);
    json_decref(req);
  }
  /* -P with another container's network. */
  berth_error *err = NULL;
  json_t *req = request("container:abc", NULL, NULL);
  json_object_set_new(json_object_get(req, "HostConfig"), "PublishAllPorts",
                      json_true());
  REFUSED(berth_ports_check(req, &err), err, "port publishing");
  json_decref(req);
}

/* ---- reservation ---------------------------------------------------------- */

/* A socket of the test's own on 127.0.0.1:port (-1: taken). */
static int hold(int type, unsigned port, bool reuse) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  assert_true(fd >= 0);
  if (reuse)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Three consecutive ports in 42000-42999 that nobody holds now. */
static unsigned free_ports(int type) {
  for (unsigned p = 42000 + (unsigned)(getpid() % 300) * 3; p + 2 <= 42999;
       p += 3) {
    int a = hold(type, p, false), b = hold(type, p + 1, false),
        c = hold(type, p + 2, false);
    bool ok = a >= 0 && b >= 0 && c >= 0;
    if (a >= 0)
      close(a);
    if (b >= 0)
      close(b);
    if (c >= 0)
      close(c);
    if (ok)
      return p;
  }
  fail_msg("no free ports in 42000-42999");
  return 0;
}

static void close_fds(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

static void test_reserve_conflict(void **state) {
  (void)state;
  const char *protos[] = {"tcp", "udp"};
  int types[] = {SOCK_STREAM, SOCK_DGRAM};
  for (int t = 0; t < 2; t++) {
    unsigned p = free_ports(types[t]), got;
    int fds[2], held = hold(types[t], p, false);
    size_t n;
    berth_error *err = NULL;
    char want[96];
    assert_true(held >= 0);
    struct berth_port_bind b = {protos[t], "127.0.0.1", false, p, p};
    assert_int_equal(berth_port_reserve(&b, &got, fds, &n, &err), -1);
    snprintf(want, sizeof want,
             "Bind for 127.0.0.1:%u failed: port is already allocated", p);
    assert_string_equal(err->msg, want);
    assert_int_equal(err->kind, BERTH_ERR_EXISTS);
    berth_error_free(err);
    err = NULL;
    /* Control: the same reservation once the test lets the port go. */
    close(held);
    assert_int_equal(berth_port_reserve(&b, &got, fds, &n, &err), 0);
    assert_int_equal(got, p);
    assert_int_equal(n, 1);
    /* Held now: nobody else gets it, not even with SO_REUSEADDR. */
    assert_int_equal(hold(types[t], p, true), -1);
    close_fds(fds, n);
  }
}

/* Why berth's sockets leave SO_REUSEADDR off: two TCP sockets that both
 * set it bind the same port while neither listens, so a reservation
 * made that way would keep nobody out.  (The kernel behaviour the
 * reservation relies on; the assertion above is its check.) */
static void test_reuseaddr_would_not_reserve(void **state) {
  (void)state;
  unsigned p = free_ports(SOCK_STREAM);
  int a = hold(SOCK_STREAM, p, true), b = hold(SOCK_STREAM, p, true);
  assert_true(a >= 0);
  assert_true(b >= 0);
  close(a);
  close(b);
}

static void test_reserve_kernel_ports(void **state) {
  (void)state;
  /* The kernel's choice (its ephemeral range), on 127.0.0.1 only. */
  struct berth_port_bind b = {"tcp", "127.0.0.1", false, 0, 0};
  unsigned p1, p2;
  int f1[2], f2[2];
  size_t n1, n2;
  berth_error *err = NULL;
  assert_int_equal(berth_port_reserve(&b, &p1, f1, &n1, &err), 0);
  assert_int_equal(berth_port_reserve(&b, &p2, f2, &n2, &err), 0);
  assert_true(p1 > 0 && p2 > 0);
  assert_int_not_equal(p1, p2);
  assert_int_equal(hold(SOCK_STREAM, p1, false), -1);
  close_fds(f1, n1);
  close_fds(f2, n2);
}

static void test_reserve_range(void **state) {
  (void)state;
  unsigned p = free_ports(SOCK_STREAM), got;
  int held = hold(SOCK_STREAM, p, false), fds[2], fds2[2], fds3[2];
  size_t n, n2;
  berth_error *err = NULL;
  assert_true(held >= 0);
  struct berth_port_bind b = {"tcp", "127.0.0.1", false, p, p + 2};
  /* The first free port of the range. */
  assert_int_equal(berth_port_reserve(&b, &got, fds, &n, &err), 0);
  assert_int_equal(got, p + 1);
  unsigned got2;
  assert_int_equal(berth_port_reserve(&b, &got2, fds2, &n2, &err), 0);
  assert_int_equal(got2, p + 2);
  /* All taken: Docker's message with the range. */
  assert_int_equal(berth_port_reserve(&b, &got2, fds3, &n2, &err), -1);
  char want[96];
  snprintf(want, sizeof want,
           "Bind for 127.0.0.1:%u-%u failed: port is already allocated", p,
           p + 2);
  assert_string_equal(err->msg, want);
  berth_error_free(err);
  close(held);
  close_fds(fds, n);
  close_fds(fds2, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_publish_good),
      cmocka_unit_test(test_publish_bad),
      cmocka_unit_test(test_expose),
      cmocka_unit_test(test_ports_text),
      cmocka_unit_test(test_check_accepts),
      cmocka_unit_test(test_check_refuses),
      cmocka_unit_test(test_reserve_conflict),
      cmocka_unit_test(test_reuseaddr_would_not_reserve),
      cmocka_unit_test(test_reserve_kernel_ports),
      cmocka_unit_test(test_reserve_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
