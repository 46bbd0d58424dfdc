/* The engine's filters and documents an API server hands query strings
 * to, without a running container: prune, events, volume ls filters and
 * top's parsing of ps output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "config_change.h"
#include "events.h"
#include "prune.h"
#include "stats.h"
#include "top.h"
#include "volumes.h"

#define SEC 1000000000LL
/* 2026-11-23T09:12:01Z */
#define NOW (1795425121LL * SEC)

static void test_prune_filter_until_and_labels(void **state) {
  (void)state;
  struct berth_prune_filter f = {0};
  berth_error *err = NULL;
  assert_int_equal(berth_prune_filter_parse(&f, "until=1h", NOW, &err), 0);
  assert_int_equal(f.until, NOW - 3600 * SEC);
  assert_int_equal(berth_prune_filter_parse(&f, "until=1795425000", NOW,
                                            &err), 0);
  assert_int_equal(f.until, 1795425000LL * SEC);
  assert_int_equal(berth_prune_filter_parse(&f, "label=a=b", NOW, &err), 0);
  assert_int_equal(berth_prune_filter_add(&f, "label", "k", NOW, &err), 0);
  assert_int_equal(f.nlabels, 2);
  assert_string_equal(f.labels[0], "a=b");
  assert_string_equal(f.labels[1], "k");
}

static void test_prune_filter_rejects(void **state) {
  (void)state;
  static const char *bad[] = {"bogus", "name=x", "until=yesterday",
                              "=1h", "dangling=true"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct berth_prune_filter f = {0};
    berth_error *err = NULL;
    assert_int_equal(berth_prune_filter_parse(&f, bad[i], NOW, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
  /* The labels array is bounded: the 17th is refused, not written past. */
  struct berth_prune_filter f = {0};
  berth_error *err = NULL;
  for (int i = 0; i < 16; i++)
    assert_int_equal(berth_prune_filter_add(&f, "label", "x", NOW, &err), 0);
  assert_int_equal(berth_prune_filter_add(&f, "label", "x", NOW, &err), -1);
  assert_int_equal(f.nlabels, 16);
  berth_error_free(err);
}

static struct berth_event event(const char *type, const char *action,
                                const char *actor, json_t *attrs) {
  return (struct berth_event){.type = (char *)type,
                              .action = (char *)action,
                              .actor = (char *)actor,
                              .attributes = attrs};
}

static void test_event_filter_keys(void **state) {
  (void)state;
  struct berth_event_filter f = {0};
  berth_error *err = NULL;
  assert_int_equal(berth_event_filter_parse(&f, "nope=1", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "invalid filter `nope=1`"));
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_event_filter_parse(&f, "type", &err), -1);
  berth_error_free(err);
  assert_int_equal(f.n, 0);
  assert_int_equal(berth_event_filter_parse(&f, "type=container", &err), 0);
  assert_int_equal(berth_event_filter_parse(&f, "event=start", &err), 0);
  assert_int_equal(berth_event_filter_parse(&f, "event=die", &err), 0);
  assert_int_equal(f.n, 3);
}

static void test_event_matches(void **state) {
  (void)state;
  json_t *a = json_pack("{s:s,s:s}", "name", "web", "image", "busybox:1");
  struct berth_event start = event("container", "start", "abcdef012345", a);
  struct berth_event stop = event("container", "stop", "abcdef012345", a);
  struct berth_event vol = event("volume", "create", "data", NULL);
  struct berth_event_filter f = {0};
  berth_error *err = NULL;
  /* No filter: everything. */
  assert_true(berth_event_matches(&vol, &f));
  /* Values of one key are alternatives... */
  assert_int_equal(berth_event_filter_parse(&f, "event=start", &err), 0);
  assert_int_equal(berth_event_filter_parse(&f, "event=create", &err), 0);
  assert_true(berth_event_matches(&start, &f));
  assert_true(berth_event_matches(&vol, &f));
  assert_false(berth_event_matches(&stop, &f));
  /* ...different keys must all match. */
  assert_int_equal(berth_event_filter_parse(&f, "container=we", &err), 0);
  assert_true(berth_event_matches(&start, &f));
  assert_false(berth_event_matches(&vol, &f));
  /* A container by id prefix; the image by name without its tag. */
  struct berth_event_filter g = {0};
  assert_int_equal(berth_event_filter_parse(&g, "container=abcd", &err), 0);
  assert_int_equal(berth_event_filter_parse(&g, "image=busybox", &err), 0);
  assert_true(berth_event_matches(&stop, &g));
  struct berth_event_filter h = {0};
  assert_int_equal(berth_event_filter_parse(&h, "image=busy", &err), 0);
  assert_false(berth_event_matches(&stop, &h));
  struct berth_event_filter v = {0};
  assert_int_equal(berth_event_filter_parse(&v, "volume=data", &err), 0);
  assert_true(berth_event_matches(&vol, &v));
  assert_false(berth_event_matches(&start, &v));
  json_decref(a);
}

/* Docker's other keys: label (the attributes), network (its events by
 * id prefix or name), scope, and objects berth has no events of. */
static void test_event_more_keys(void **state) {
  (void)state;
  json_t *a = json_pack("{s:s,s:s,s:s}", "name", "web", "image", "bb", "team",
                        "blue");
  json_t *na = json_pack("{s:s,s:s}", "name", "front", "type", "bridge");
  struct berth_event start = event("container", "start", "abcdef012345", a);
  struct berth_event conn = event("network", "connect", "0123456789ab", na);
  berth_error *err = NULL;
  struct berth_event_filter f = {0};
  assert_int_equal(berth_event_filter_parse(&f, "label=team=blue", &err), 0);
  assert_true(berth_event_matches(&start, &f));
  assert_false(berth_event_matches(&conn, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "label=team=red", &err), 0);
  assert_false(berth_event_matches(&start, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "label=team", &err), 0);
  assert_true(berth_event_matches(&start, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "network=front", &err), 0);
  assert_true(berth_event_matches(&conn, &f));
  assert_false(berth_event_matches(&start, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "network=0123", &err), 0);
  assert_true(berth_event_matches(&conn, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "scope=local", &err), 0);
  assert_true(berth_event_matches(&start, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "scope=swarm", &err), 0);
  assert_false(berth_event_matches(&start, &f));
  f = (struct berth_event_filter){0};
  assert_int_equal(berth_event_filter_parse(&f, "daemon=x", &err), 0);
  assert_int_equal(berth_event_filter_parse(&f, "service=x", &err), 0);
  assert_false(berth_event_matches(&start, &f));
  assert_null(err);
  json_decref(a);
  json_decref(na);
}

static void test_volume_prune_filters(void **state) {
  (void)state;
  json_t *prod = json_pack("{s:s}", "env", "prod");
  json_t *none = json_object();
  struct berth_volume_prune_filter f = {0};
  berth_error *err = NULL;
  assert_int_equal(berth_volume_prune_filter_add(&f, "all", "maybe", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_volume_prune_filter_add(&f, "until", "1h", &err), -1);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_volume_prune_filter_add(&f, "all", "true", &err), 0);
  assert_true(f.all);
  assert_true(berth_volume_prune_selects(&f, none));
  assert_int_equal(berth_volume_prune_filter_add(&f, "label", "env", &err), 0);
  assert_true(berth_volume_prune_selects(&f, prod));
  assert_false(berth_volume_prune_selects(&f, none));
  struct berth_volume_prune_filter g = {0};
  assert_int_equal(
      berth_volume_prune_filter_add(&g, "label!", "env=prod", &err), 0);
  assert_false(g.all);
  assert_false(berth_volume_prune_selects(&g, prod));
  assert_true(berth_volume_prune_selects(&g, none));
  json_decref(prod);
  json_decref(none);
}

static void test_events_begin_bounds(void **state) {
  (void)state;
  struct berth_event_query q = {.since = NOW, .until = NOW - SEC};
  int64_t after = -1;
  berth_error *err = NULL;
  /* since after until: refused before the log is read (db NULL). */
  assert_int_equal(berth_events_begin(NULL, &q, NOW, &after, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  err = NULL;
  /* A past until: no follow; a future one: follow until then. */
  q = (struct berth_event_query){.since = NOW - 60 * SEC, .until = NOW - SEC};
  assert_int_equal(berth_events_begin(NULL, &q, NOW, &after, &err), 0);
  assert_false(q.follow);
  assert_int_equal(after, 0);
  assert_true(berth_events_done(&q, NOW));
  q.until = NOW + 60 * SEC;
  assert_int_equal(berth_events_begin(NULL, &q, NOW, &after, &err), 0);
  assert_true(q.follow);
  assert_false(berth_events_done(&q, NOW));
  /* Done only once until has passed by the commit margin. */
  assert_false(berth_events_done(&q, q.until + SEC / 10));
  assert_true(berth_events_done(&q, q.until + SEC));
}

static void test_volume_filters(void **state) {
  (void)state;
  json_t *labels = json_pack("{s:s}", "env", "prod");
  struct berth_volume used = {.name = "webdata", .labels = labels, .refs = 1};
  struct berth_volume spare = {.name = "cache", .labels = labels, .refs = 0};
  struct berth_volume_filter f = {0};
  berth_error *err = NULL;
  assert_int_equal(berth_volume_filter_parse(&f, "dangling=maybe", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_volume_filter_parse(&f, "driver=nfs", &err), 0);
  /* local is the only driver: another matches nothing. */
  assert_false(berth_volume_matches(&spare, &f));
  f = (struct berth_volume_filter){0};
  assert_int_equal(berth_volume_filter_parse(&f, "driver=local", &err), 0);
  assert_true(berth_volume_matches(&spare, &f));
  assert_int_equal(berth_volume_filter_parse(&f, "dangling=true", &err), 0);
  assert_false(berth_volume_matches(&used, &f));
  assert_true(berth_volume_matches(&spare, &f));
  struct berth_volume_filter g = {0};
  assert_int_equal(berth_volume_filter_parse(&g, "name=dat", &err), 0);
  assert_int_equal(berth_volume_filter_parse(&g, "name=zzz", &err), 0);
  assert_true(berth_volume_matches(&used, &g));
  assert_false(berth_volume_matches(&spare, &g));
  assert_int_equal(berth_volume_filter_parse(&g, "label=env=dev", &err), 0);
  assert_false(berth_volume_matches(&used, &g));
  struct berth_volume_filter h = {0};
  assert_int_equal(berth_volume_filter_parse(&h, "label=env", &err), 0);
  assert_true(berth_volume_matches(&spare, &h));
  json_decref(labels);
}

static void test_top_parse(void **state) {
  (void)state;
  const char *ps = "UID   PID  PPID  C STIME TTY   TIME     CMD\n"
                   "root    1     0  0 10:00 ?     00:00:01 /sbin/init splash\n"
                   "root  412     1  0 10:01 ?     00:00:00 sleep 1000\n"
                   "root  413   412  0 10:01 ?     00:00:00 sh -c  a   b\n";
  pid_t pids[] = {412, 413};
  json_t *doc = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_top_parse(ps, pids, 2, &doc, &err), 0);
  json_t *titles = json_object_get(doc, "Titles");
  json_t *procs = json_object_get(doc, "Processes");
  assert_int_equal(json_array_size(titles), 8);
  assert_string_equal(json_string_value(json_array_get(titles, 1)), "PID");
  /* Only the container's pids; the command keeps its arguments. */
  assert_int_equal(json_array_size(procs), 2);
  json_t *first = json_array_get(procs, 0);
  assert_int_equal(json_array_size(first), 8);
  assert_string_equal(json_string_value(json_array_get(first, 1)), "412");
  assert_string_equal(json_string_value(json_array_get(first, 7)),
                      "sleep 1000");
  assert_string_equal(
      json_string_value(json_array_get(json_array_get(procs, 1), 7)),
      "sh -c a b");
  json_decref(doc);
  /* ps -o comm has no PID column: Docker's error. */
  doc = NULL;
  assert_int_equal(berth_top_parse("COMMAND\nsleep\n", pids, 2, &doc, &err),
                   -1);
  assert_null(doc);
  assert_non_null(strstr(err->msg, "PID"));
  berth_error_free(err);
}

static void test_config_change(void **state) {
  (void)state;
  json_t *cfg = json_object();
  berth_error *err = NULL;
  assert_int_equal(berth_image_config_change(cfg, "CMD [\"/bin/true\"]", &err),
                   0);
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0)),
      "/bin/true");
  /* Shell form, keyword in any case. */
  assert_int_equal(berth_image_config_change(cfg, "entrypoint echo hi", &err),
                   0);
  json_t *ep = json_object_get(cfg, "Entrypoint");
  assert_int_equal(json_array_size(ep), 3);
  assert_string_equal(json_string_value(json_array_get(ep, 2)), "echo hi");
  assert_int_equal(berth_image_config_change(cfg, "ENV A=1", &err), 0);
  assert_int_equal(berth_image_config_change(cfg, "WORKDIR /srv", &err), 0);
  assert_int_equal(berth_image_config_change(cfg, "USER 1000", &err), 0);
  assert_string_equal(json_string_value(json_object_get(cfg, "WorkingDir")),
                      "/srv");
  assert_string_equal(json_string_value(json_object_get(cfg, "User")), "1000");
  /* Not a configuration instruction, an ENV without =, a CMD that is
   * JSON but no array: refused, config unchanged. */
  static const char *bad[] = {"RUN rm -rf /", "ENV A", "CMD {\"a\":1}",
                              "EXPOSE 80"};
  char *before = json_dumps(cfg, JSON_SORT_KEYS);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(berth_image_config_change(cfg, bad[i], &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_non_null(strstr(err->msg, bad[i]));
    berth_error_free(err);
    err = NULL;
  }
  char *after = json_dumps(cfg, JSON_SORT_KEYS);
  assert_string_equal(before, after);
  free(before);
  free(after);
  json_decref(cfg);
}

/* Requests are checked before the engine is touched (NULL here). */
static void test_volume_create_request_checks(void **state) {
  (void)state;
  static const char *bad[] = {
      "{\"Driver\": \"nfs\"}",
      "{\"DriverOpts\": {\"type\": \"tmpfs\"}}",
      "{\"Labels\": {\"a\": 1}}",
      "{\"Labels\": [\"a\"]}",
      "{\"Name\": 7}",
      "{\"DriverOpts\": \"x\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    json_t *body = json_loads(bad[i], 0, NULL), *vol = (json_t *)1;
    berth_error *err = NULL;
    assert_non_null(body);
    assert_int_equal(berth_volume_create_request(NULL, body, &vol, &err), -1);
    assert_null(vol);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
    json_decref(body);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prune_filter_until_and_labels),
      cmocka_unit_test(test_prune_filter_rejects),
      cmocka_unit_test(test_event_filter_keys),
      cmocka_unit_test(test_event_matches),
      cmocka_unit_test(test_event_more_keys),
      cmocka_unit_test(test_volume_prune_filters),
      cmocka_unit_test(test_events_begin_bounds),
      cmocka_unit_test(test_volume_filters),
      cmocka_unit_test(test_top_parse),
      cmocka_unit_test(test_config_change),
      cmocka_unit_test(test_volume_create_request_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
