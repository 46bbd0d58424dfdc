/* Networks and endpoints against a real SQLite database: the pre-defined
 * networks, create requests as the Engine API sends them, leases at
 * create from NetworkingConfig, ranges and exhaustion, connect of a
 * running container and rm when the live part fails (both must roll
 * back), the CLI's subnet/gateway pairing, listing filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctr_net.h"
#include "db.h"
#include "engine.h"
#include "fs.h"
#include "net_apply.h"
#include "networks.h"

/* The live parts are another module's: here they record their calls and
 * fail when told to, so the records' rollback can be seen. */
static int live_calls, live_fail;

int berth_ctr_net_connect_live(struct berth_engine *e,
                               const struct berth_ctr *c,
                               const struct berth_endpoint *ep,
                               berth_error **err) {
  live_calls++;
  return live_fail ? berth_error_set(err, BERTH_ERR_SYSTEM, 0, "live failed")
                   : 0;
}

/* The container's /etc files are etc_files_write.c's (no container
 * directory here): connect and disconnect must ask for it. */
static int hosts_updates;
int berth_etc_net_update(struct berth_engine *e, const struct berth_ctr *c,
                         berth_error **err) {
  hosts_updates++;
  return 0;
}

int berth_ctr_net_disconnect_live(struct berth_engine *e,
                                  const struct berth_ctr *c,
                                  const struct berth_endpoint *ep,
                                  berth_error **err) {
  live_calls++;
  return live_fail ? berth_error_set(err, BERTH_ERR_SYSTEM, 0, "live failed")
                   : 0;
}

int berth_net_remove_live(struct berth_engine *e, const struct berth_network *n,
                          berth_error **err) {
  live_calls++;
  return live_fail ? berth_error_set(err, BERTH_ERR_SYSTEM, 0, "live failed")
                   : 0;
}

struct t {
  char root[64];
  struct berth_engine e;
};

static int setup(void **state) {
  struct t *t = calloc(1, sizeof *t);
  char dbpath[128];
  strcpy(t->root, "/tmp/berth-test-networks.XXXXXX");
  if (!mkdtemp(t->root))
    return -1;
  snprintf(dbpath, sizeof dbpath, "%s/berth.db", t->root);
  t->e.root = t->root;
  if (berth_db_open(dbpath, &t->e.db, NULL) < 0 ||
      berth_engine_migrate(t->e.db, NULL) < 0)
    return -1;
  live_calls = live_fail = hosts_updates = 0;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  struct t *t = *state;
  berth_db_close(t->e.db);
  int rc = berth_rm_rf(t->root, NULL);
  free(t);
  return rc;
}

static void sql(struct t *t, const char *q) {
  char *msg = NULL;
  int rc = sqlite3_exec(berth_db_sqlite(t->e.db), q, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    fail_msg("%s: %s", q, msg);
}

/* The first column of the first row of q, as text ("" when none). */
static const char *one(struct t *t, const char *q) {
  static char buf[512];
  sqlite3_stmt *st;
  assert_int_equal(
      sqlite3_prepare_v2(berth_db_sqlite(t->e.db), q, -1, &st, NULL),
      SQLITE_OK);
  buf[0] = '\0';
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return buf;
}

static void add_ctr(struct t *t, const char *id, const char *state) {
  char q[512];
  snprintf(q, sizeof q,
           "INSERT INTO containers (id, name, image_id, image_name, created, "
           "config, state, id_base, id_count) VALUES ('%s', 'n%s', "
           "'sha256:img', 'img', 0, '{}', '%s', 0, 0)",
           id, id, state);
  sql(t, q);
}

/* A network from an Engine API body; its id into id (may be NULL). */
static int create(struct t *t, const char *body, char id[65],
                  berth_error **err) {
  json_t *b = json_loads(body, 0, NULL), *out = NULL;
  assert_non_null(b);
  int rc = berth_network_create_request(&t->e, b, &out, err);
  if (rc == 0 && id)
    snprintf(id, 65, "%s", json_string_value(json_object_get(out, "Id")));
  json_decref(b);
  json_decref(out);
  return rc;
}

static void must_fail(struct t *t, const char *body, berth_error_kind kind,
                      const char *words) {
  berth_error *err = NULL;
  assert_int_equal(create(t, body, NULL, &err), -1);
  assert_int_equal(err->kind, kind);
  if (!strstr(err->msg, words))
    fail_msg("`%s` lacks `%s`", err->msg, words);
  berth_error_free(err);
}

static void test_defaults(void **state) {
  struct t *t = *state;
  struct berth_network *v = NULL;
  size_t n = 0;
  assert_int_equal(berth_network_list(&t->e, &v, &n, NULL), 0);
  assert_int_equal(n, 3);
  assert_string_equal(v[0].name, "bridge");
  /* A root of its own: not berth0 (the default root's), but "bb-" and
   * the network id's first 12 hex digits. */
  char want[16];
  snprintf(want, sizeof want, "bb-%.12s", v[0].id);
  assert_string_equal(v[0].bridge, want);
  assert_non_null(v[0].subnet);
  assert_string_equal(v[1].driver, "host");
  assert_null(v[1].subnet);
  assert_string_equal(v[2].driver, "null");
  berth_networks_free(v, n);
  /* Again: still three (recorded once). */
  assert_int_equal(berth_network_list(&t->e, &v, &n, NULL), 0);
  assert_int_equal(n, 3);
  berth_networks_free(v, n);
}

static void test_create_requests(void **state) {
  struct t *t = *state;
  char id[65];
  assert_int_equal(
      create(t,
             "{\"Name\":\"api\",\"EnableIPv6\":true,\"Internal\":true,"
             "\"IPAM\":{\"Config\":[{\"Subnet\":\"fd20:203:40::/64\"},"
             "{\"Subnet\":\"10.203.40.0/24\",\"Gateway\":\"10.203.40.254\","
             "\"IPRange\":\"10.203.40.64/26\"}]},\"Labels\":{\"a\":\"b\"}}",
             id, NULL),
      0);
  struct berth_network net = {0};
  assert_int_equal(berth_network_find(&t->e, "api", &net, NULL), 0);
  assert_string_equal(net.id, id);
  assert_string_equal(net.subnet, "10.203.40.0/24");
  assert_string_equal(net.gateway, "10.203.40.254");
  assert_string_equal(net.subnet6, "fd20:203:40::/64");
  assert_string_equal(net.gateway6, "fd20:203:40::1");
  assert_true(net.internal);
  json_t *doc = berth_network_inspect(&t->e, &net, NULL);
  json_t *cfg = json_object_get(json_object_get(doc, "IPAM"), "Config");
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(cfg, 0), "IPRange")),
      "10.203.40.64/26");
  /* berth's own option is not shown. */
  assert_int_equal(json_object_size(json_object_get(doc, "Options")), 0);
  json_decref(doc);
  berth_network_clear(&net);
  /* The range's lowest address is leased first. */
  add_ctr(t, "c1", "created");
  assert_int_equal(berth_network_find(&t->e, id, &net, NULL), 0);
  struct berth_endpoint ep = {0};
  assert_int_equal(
      berth_endpoint_add(&t->e, "c1", &net, NULL, NULL, NULL, NULL, &ep, NULL),
      0);
  assert_string_equal(ep.ip, "10.203.40.64");
  assert_string_equal(ep.ip6, "fd20:203:40::2");
  assert_string_equal(ep.mac, "02:42:0a:cb:28:40");
  assert_string_equal(ep.ifname, "eth0");
  berth_endpoint_clear(&ep);
  berth_network_clear(&net);
  /* Refused, and nothing recorded. */
  must_fail(t,
            "{\"Name\":\"x1\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.203.41.0/24\",\"Gateway\":\"10.203.42.1\"}]}}",
            BERTH_ERR_INVALID, "invalid gateway 10.203.42.1");
  must_fail(t,
            "{\"Name\":\"x2\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.203.40.128/25\"}]}}",
            BERTH_ERR_INVALID, "Pool overlaps");
  must_fail(t,
            "{\"Name\":\"x3\",\"IPAM\":{\"Config\":[{\"Gateway\":"
            "\"10.203.43.1\"}]}}",
            BERTH_ERR_INVALID, "corresponding subnet");
  must_fail(t,
            "{\"Name\":\"x4\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.203.44.0/24\"},{\"Subnet\":\"10.203.45.0/24\"}]}}",
            BERTH_ERR_UNSUPPORTED, "more than one IPv4");
  must_fail(t,
            "{\"Name\":\"x5\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.203.46.0/31\"}]}}",
            BERTH_ERR_INVALID, "too small");
  must_fail(t, "{\"Name\":\"x6\",\"Labels\":{\"a\":1}}", BERTH_ERR_INVALID,
            "not a string");
  must_fail(t, "{\"Name\":\"api\"}", BERTH_ERR_EXISTS,
            "network with name api already exists");
  must_fail(t, "{\"Name\":\"x7\",\"Driver\":\"macvlan\"}", BERTH_ERR_NOT_FOUND,
            "plugin \"macvlan\" not found");
  must_fail(t, "{\"Name\":\"x8\",\"Options\":{\"berth.ip-range\":\"x\"}}",
            BERTH_ERR_INVALID, "reserved");
  /* Known members of the wrong type (Go's decoder refuses them). */
  must_fail(t, "{\"Name\":\"x9\",\"EnableIPv6\":\"yes\"}",
            BERTH_ERR_INVALID, "EnableIPv6: expected a boolean");
  must_fail(t, "{\"Name\":7}", BERTH_ERR_INVALID, "Name: expected a string");
  must_fail(t, "{\"Name\":\"x10\",\"IPAM\":{\"Config\":{}}}",
            BERTH_ERR_INVALID, "Config: expected an array");
  must_fail(t, "{\"Name\":\"x11\",\"IPAM\":{\"Config\":[\"a\"]}}",
            BERTH_ERR_INVALID, "IPAM.Config[0]: expected an object");
  must_fail(t,
            "{\"Name\":\"x12\",\"IPAM\":{\"Config\":[{\"Subnet\":1}]}}",
            BERTH_ERR_INVALID, "IPAM.Config[0]: Subnet: expected a string");
  assert_string_equal(one(t, "SELECT count(*) FROM networks"), "4");
}

static void test_endpoints_at_create(void **state) {
  struct t *t = *state;
  assert_int_equal(create(t,
                          "{\"Name\":\"un\",\"IPAM\":{\"Config\":[{\"Subnet\":"
                          "\"10.203.47.0/24\"}]}}",
                          NULL, NULL),
                   0);
  add_ctr(t, "c1", "created");
  json_t *cfg = json_loads(
      "{\"HostConfig\":{\"NetworkMode\":\"un\"},\"MacAddress\":"
      "\"02:00:00:00:00:07\",\"NetworkingConfig\":{\"EndpointsConfig\":{"
      "\"un\":{\"IPAMConfig\":{\"IPv4Address\":\"10.203.47.9\"},"
      "\"Aliases\":[\"db\",\"sql\"]}}}}",
      0, NULL);
  assert_int_equal(berth_endpoints_create(&t->e, "c1", cfg, NULL), 0);
  assert_string_equal(one(t, "SELECT ip || ' ' || mac || ' ' || aliases "
                             "FROM endpoints WHERE container_id = 'c1'"),
                      "10.203.47.9 02:00:00:00:00:07 [\"db\",\"sql\"]");
  /* The same address for another container: taken, named. */
  add_ctr(t, "c2", "created");
  berth_error *err = NULL;
  assert_int_equal(berth_endpoints_create(&t->e, "c2", cfg, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_EXISTS);
  assert_non_null(strstr(err->msg, "10.203.47.9"));
  berth_error_free(err);
  json_decref(cfg);
  /* Default mode: the bridge network; host: nothing. */
  cfg = json_loads("{\"HostConfig\":{}}", 0, NULL);
  assert_int_equal(berth_endpoints_create(&t->e, "c2", cfg, NULL), 0);
  assert_string_equal(one(t, "SELECT n.name FROM endpoints e JOIN networks n "
                             "ON n.id = e.network_id WHERE container_id = "
                             "'c2'"),
                      "bridge");
  json_decref(cfg);
  add_ctr(t, "c3", "created");
  cfg = json_loads("{\"HostConfig\":{\"NetworkMode\":\"host\"}}", 0, NULL);
  assert_int_equal(berth_endpoints_create(&t->e, "c3", cfg, NULL), 0);
  assert_string_equal(
      one(t, "SELECT count(*) FROM endpoints WHERE container_id = 'c3'"), "0");
  json_decref(cfg);
  /* An address on the default bridge is refused (Docker). */
  cfg = json_loads("{\"NetworkingConfig\":{\"EndpointsConfig\":{\"bridge\":"
                   "{\"IPAMConfig\":{\"IPv4Address\":\"172.17.0.9\"}}}}}",
                   0, NULL);
  assert_int_equal(berth_endpoints_create(&t->e, "c3", cfg, NULL), -1);
  json_decref(cfg);
  /* The container's record goes: so do its leases. */
  sql(t, "DELETE FROM containers WHERE id = 'c1'");
  assert_string_equal(one(t, "SELECT count(*) FROM endpoints WHERE ip = "
                             "'10.203.47.9'"),
                      "0");
}

static void test_exhaustion(void **state) {
  struct t *t = *state;
  assert_int_equal(
      create(t,
             "{\"Name\":\"tiny\",\"IPAM\":{\"Config\":[{\"Subnet\":"
             "\"10.203.48.0/30\"}]}}",
             NULL, NULL),
      0);
  struct berth_network net = {0};
  assert_int_equal(berth_network_find(&t->e, "tiny", &net, NULL), 0);
  add_ctr(t, "c1", "created");
  add_ctr(t, "c2", "created");
  struct berth_endpoint ep = {0};
  assert_int_equal(
      berth_endpoint_add(&t->e, "c1", &net, NULL, NULL, NULL, NULL, &ep, NULL),
      0);
  assert_string_equal(ep.ip, "10.203.48.2");
  berth_endpoint_clear(&ep);
  berth_error *err = NULL;
  assert_int_equal(
      berth_endpoint_add(&t->e, "c2", &net, NULL, NULL, NULL, NULL, NULL, &err),
      -1);
  assert_non_null(strstr(err->msg, "no available addresses"));
  berth_error_free(err);
  /* Network, broadcast and gateway addresses cannot be asked for. */
  const char *bad[] = {"10.203.48.0", "10.203.48.3", "10.203.48.1",
                       "10.203.49.1", "nonsense"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(berth_endpoint_add(&t->e, "c2", &net, bad[i], NULL, NULL,
                                        NULL, NULL, NULL),
                     -1);
  assert_string_equal(one(t, "SELECT count(*) FROM endpoints"), "1");
  berth_network_clear(&net);
}

static void test_connect_live_rollback(void **state) {
  struct t *t = *state;
  assert_int_equal(
      create(t,
             "{\"Name\":\"live\",\"IPAM\":{\"Config\":[{\"Subnet\":"
             "\"10.203.50.0/24\"}]}}",
             NULL, NULL),
      0);
  add_ctr(t, "c1", "created");
  add_ctr(t, "c2", "running");
  /* Not running: records only. */
  assert_int_equal(
      berth_network_connect(&t->e, "live", "c1", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(live_calls, 0);
  /* Its hosts file names the address before its next start. */
  assert_int_equal(hosts_updates, 1);
  /* Running, and the interface cannot be made: no lease stays. */
  live_fail = 1;
  berth_error *err = NULL;
  assert_int_equal(
      berth_network_connect(&t->e, "live", "c2", NULL, NULL, NULL, &err), -1);
  assert_int_equal(live_calls, 1);
  berth_error_free(err);
  err = NULL;
  assert_string_equal(
      one(t, "SELECT count(*) FROM endpoints WHERE container_id = 'c2'"), "0");
  live_fail = 0;
  assert_int_equal(
      berth_network_connect(&t->e, "live", "c2", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(live_calls, 2);
  /* Disconnect: the live part fails, the record stays unless forced. */
  live_fail = 1;
  assert_int_equal(berth_network_disconnect(&t->e, "live", "c2", false, NULL),
                   -1);
  assert_string_equal(
      one(t, "SELECT count(*) FROM endpoints WHERE container_id = 'c2'"), "1");
  assert_int_equal(berth_network_disconnect(&t->e, "live", "c2", true, NULL),
                   0);
  assert_string_equal(
      one(t, "SELECT count(*) FROM endpoints WHERE container_id = 'c2'"), "0");
  /* 3 connects, the forced disconnect: each rewrote the hosts file;
   * the refused disconnect did not. */
  assert_int_equal(hosts_updates, 4);
  /* rm: refused while used; when the bridge cannot go, the record stays. */
  assert_int_equal(berth_network_remove(&t->e, "live", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_STATE);
  berth_error_free(err);
  assert_int_equal(berth_network_disconnect(&t->e, "live", "c1", false, NULL),
                   0); /* not running: no live call, succeeds */
  assert_int_equal(berth_network_remove(&t->e, "live", NULL), -1);
  assert_string_equal(
      one(t, "SELECT count(*) FROM networks WHERE name = 'live'"), "1");
  live_fail = 0;
  assert_int_equal(berth_network_remove(&t->e, "live", NULL), 0);
  assert_string_equal(
      one(t, "SELECT count(*) FROM networks WHERE name = 'live'"), "0");
}

static void test_ipam_pairs(void **state) {
  (void)state;
  const char *s[] = {"10.203.51.0/24", "fd20:203:51::/64"};
  const char *g[] = {"fd20:203:51::fe", "10.203.51.254"};
  const char *r[] = {"10.203.51.128/25"};
  json_t *c = NULL;
  assert_int_equal(berth_network_ipam_pairs(s, 2, g, 2, r, 1, &c, NULL), 0);
  char *text = json_dumps(c, JSON_COMPACT);
  assert_string_equal(text,
                      "[{\"Subnet\":\"10.203.51.0/24\",\"Gateway\":"
                      "\"10.203.51.254\",\"IPRange\":\"10.203.51.128/25\"},"
                      "{\"Subnet\":\"fd20:203:51::/64\",\"Gateway\":"
                      "\"fd20:203:51::fe\"}]");
  free(text);
  json_decref(c);
  berth_error *err = NULL;
  const char *g2[] = {"10.203.51.1", "10.203.51.2"};
  assert_int_equal(berth_network_ipam_pairs(s, 1, g2, 2, NULL, 0, &c, &err),
                   -1);
  assert_non_null(strstr(err->msg, "cannot configure multiple gateways"));
  berth_error_free(err);
  json_decref(c);
  err = NULL;
  const char *g3[] = {"10.203.52.1"};
  assert_int_equal(berth_network_ipam_pairs(s, 1, g3, 1, NULL, 0, &c, &err),
                   -1);
  assert_string_equal(err->msg, "no matching subnet for gateway 10.203.52.1");
  berth_error_free(err);
  json_decref(c);
}

static void test_filters(void **state) {
  struct t *t = *state;
  assert_int_equal(create(t,
                          "{\"Name\":\"web\",\"Labels\":{\"env\":\"prod\"},"
                          "\"IPAM\":{\"Config\":[{\"Subnet\":"
                          "\"10.203.53.0/24\"}]}}",
                          NULL, NULL),
                   0);
  struct berth_network net = {0};
  assert_int_equal(berth_network_find(&t->e, "web", &net, NULL), 0);
  struct {
    const char *kv;
    int users;
    bool want;
  } cases[] = {
      {"name=we", 0, true},        {"name=x", 0, false},
      {"driver=bridge", 0, true},  {"driver=null", 0, false},
      {"label=env", 0, true},      {"label=env=prod", 0, true},
      {"label=env=dev", 0, false}, {"type=custom", 0, true},
      {"type=builtin", 0, false},  {"dangling=true", 0, true},
      {"dangling=true", 1, false}, {"dangling=false", 1, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct berth_network_filter f = {0};
    assert_int_equal(berth_network_filter_parse(&f, cases[i].kv, NULL), 0);
    if (berth_network_matches(&net, cases[i].users, &f) != cases[i].want)
      fail_msg("%s (users %d): not %d", cases[i].kv, cases[i].users,
               cases[i].want);
  }
  struct berth_network_filter f = {0};
  char idf[20];
  snprintf(idf, sizeof idf, "id=%.6s", net.id);
  assert_int_equal(berth_network_filter_parse(&f, idf, NULL), 0);
  assert_true(berth_network_matches(&net, 0, &f));
  const char *bad[] = {"type=other", "dangling=maybe", "nokey=1", "novalue"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct berth_network_filter g = {0};
    assert_int_equal(berth_network_filter_parse(&g, bad[i], NULL), -1);
  }
  berth_network_clear(&net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_endpoints_at_create, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_live_rollback, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_ipam_pairs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
