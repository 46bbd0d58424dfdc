/* The image layer's decisions: short-name lookup (localhost/ fallback),
 * rmi's untag-versus-delete rules, listing filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs.h"
#include "image_filter.h"
#include "image_remove.h"
#include "images.h"
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdbool.h>
#include "imgstore.h"
#include "lookup.h"

static char root[64];
static struct berth_imgstore *is;

static int setup(void **state) {
  (void)state;
  strcpy(root, "/tmp/berth-test-imgops.XXXXXX");
  if (!mkdtemp(root))
    return -1;
  return berth_imgstore_open(root, &is, NULL);
}

static int teardown(void **state) {
  (void)state;
  berth_imgstore_free(is);
  return berth_rm_rf(root, NULL);
}

/* A record with one layer whose blob and snapshot do not exist (gc has
 * nothing to remove, which is fine here). */
static void add(int seed, const char *tag, const char *digest_name) {
  struct berth_image img = {0};
  struct berth_image_layer l = {0};
  snprintf(img.id, sizeof img.id, "sha256:%064x", seed);
  snprintf(img.manifest_digest, sizeof img.manifest_digest, "sha256:%064x",
           seed + 1000);
  img.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
  img.os = "linux";
  img.architecture = "amd64";
  snprintf(l.blob, sizeof l.blob, "sha256:%064x", seed + 2000);
  l.media_type = "application/vnd.oci.image.layer.v1.tar";
  snprintf(l.diff_id, sizeof l.diff_id, "sha256:%064x", seed + 3000);
  snprintf(l.chain_id, sizeof l.chain_id, "sha256:%064x", seed + 4000);
  img.layers = &l;
  img.n_layers = 1;
  assert_int_equal(berth_images_add(is->db, &img, tag, digest_name, NULL), 0);
}

static void test_normalise(void **state) {
  (void)state;
  char *n = berth_image_normalise("busybox");
  assert_string_equal(n, "docker.io/library/busybox:latest");
  free(n);
  n = berth_image_normalise("localhost:5000/a/b:1");
  assert_string_equal(n, "localhost:5000/a/b:1");
  free(n);
  assert_null(berth_image_normalise("Bad Name"));
}

static void test_short_name_fallback(void **state) {
  (void)state;
  add(1, "localhost/tool:latest", NULL);
  struct berth_image_match m;
  assert_int_equal(berth_image_lookup(is->db, "tool", &m, NULL), 0);
  assert_true(m.localhost);
  assert_string_equal(m.name, "localhost/tool:latest");
  berth_image_match_clear(&m);
  /* A registry given means that registry: no fallback. */
  berth_error *err = NULL;
  assert_int_equal(berth_image_lookup(is->db, "docker.io/tool", &m, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  assert_string_equal(err->msg, "No such image: docker.io/tool");
  berth_error_free(err);
  /* docker.io's image wins once it exists. */
  add(2, "docker.io/library/tool:latest", NULL);
  assert_int_equal(berth_image_lookup(is->db, "tool", &m, NULL), 0);
  assert_false(m.localhost);
  assert_string_equal(m.name, "docker.io/library/tool:latest");
  berth_image_match_clear(&m);
  /* By id: no name. */
  char id[80];
  snprintf(id, sizeof id, "%064x", 1);
  assert_int_equal(berth_image_lookup(is->db, id, &m, NULL), 0);
  assert_null(m.name);
  berth_image_match_clear(&m);
}

static int users_none(void *arg, const char *id, char ctr[13], bool *running,
                      berth_error **err) {
  (void)arg, (void)id, (void)ctr, (void)running, (void)err;
  return 0;
}

static int users_stopped(void *arg, const char *id, char ctr[13],
                         bool *running, berth_error **err) {
  (void)arg, (void)id, (void)err;
  snprintf(ctr, 13, "c0ffee");
  *running = false;
  return 1;
}

static int users_running(void *arg, const char *id, char ctr[13],
                         bool *running, berth_error **err) {
  (void)arg, (void)id, (void)err;
  snprintf(ctr, 13, "beef");
  *running = true;
  return 1;
}

static int rmi(const char *what, bool force, berth_image_users_fn users,
               struct berth_rmi_report *r, berth_error **err) {
  struct berth_rmi_opts o = {.force = force, .users = users};
  memset(r, 0, sizeof *r);
  return berth_image_remove(is, what, &o, r, err);
}

static void test_rmi_rules(void **state) {
  (void)state;
  struct berth_rmi_report r;
  berth_error *err = NULL;
  add(10, "docker.io/library/a:1", "docker.io/library/a@sha256:"
      "1111111111111111111111111111111111111111111111111111111111111111");
  add(10, "docker.io/library/b:1", NULL);
  /* NAME:TAG@DIGEST names the repo digest (the tag is informative). */
  struct berth_image_match m;
  assert_int_equal(berth_image_lookup(is->db, "a:9@sha256:1111111111111111"
                                      "111111111111111111111111111111111111"
                                      "111111111111", &m, NULL), 0);
  assert_string_equal(m.name, "docker.io/library/a@sha256:1111111111111111"
                              "11111111111111111111111111111111111111111111"
                              "1111");
  berth_image_match_clear(&m);
  /* A name of an image with other names: untag only. */
  assert_int_equal(rmi("b:1", false, users_none, &r, NULL), 0);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.items[0].untagged, "docker.io/library/b:1");
  berth_rmi_report_free(&r);
  /* The repository's last tag takes its digests along, then the image. */
  assert_int_equal(rmi("a:1", false, users_none, &r, NULL), 0);
  assert_int_equal(r.n, 4);
  assert_string_equal(r.items[0].untagged, "docker.io/library/a:1");
  assert_non_null(strstr(r.items[1].untagged, "docker.io/library/a@sha256"));
  assert_non_null(r.items[2].deleted);
  /* and its layer, by chain id, which no other image has */
  char chain[80];
  snprintf(chain, sizeof chain, "sha256:%064x", 10 + 4000);
  assert_string_equal(r.items[3].deleted, chain);
  berth_rmi_report_free(&r);
  /* Missing: NOT_FOUND. */
  assert_int_equal(rmi("a:1", false, users_none, &r, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  err = NULL;
  /* Used by a stopped container: a conflict, -f untags and keeps it. */
  add(11, "docker.io/library/c:1", NULL);
  assert_int_equal(rmi("c:1", false, users_stopped, &r, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_STATE);
  assert_non_null(strstr(err->msg, "container c0ffee is using"));
  berth_error_free(err);
  err = NULL;
  assert_int_equal(rmi("c:1", true, users_stopped, &r, NULL), 0);
  assert_int_equal(r.n, 1);
  assert_null(r.items[0].deleted);
  berth_rmi_report_free(&r);
  /* By id while a container runs: cannot be forced. */
  char id[80];
  snprintf(id, sizeof id, "%064x", 11);
  assert_int_equal(rmi(id, true, users_running, &r, &err), -1);
  assert_non_null(strstr(err->msg, "cannot be forced"));
  berth_error_free(err);
  err = NULL;
  /* By id, names in two repositories: only forced. */
  add(12, "docker.io/library/d:1", NULL);
  add(12, "docker.io/library/e:1", NULL);
  snprintf(id, sizeof id, "%064x", 12);
  assert_int_equal(rmi(id, false, users_none, &r, &err), -1);
  assert_non_null(strstr(err->msg, "multiple repositories"));
  berth_error_free(err);
  assert_int_equal(rmi(id, true, users_none, &r, NULL), 0);
  assert_int_equal(r.n, 4);
  assert_non_null(r.items[2].deleted);
  berth_rmi_report_free(&r);
}

static void test_filter_parse(void **state) {
  (void)state;
  struct berth_image_filter f;
  berth_image_filter_init(&f);
  assert_int_equal(berth_image_filter_add(&f, "dangling=true", NULL), 0);
  assert_int_equal(f.dangling, 1);
  berth_error *err = NULL;
  /* Contradicting values, unknown keys, no "=": INVALID. */
  assert_int_equal(berth_image_filter_add(&f, "dangling=false", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_image_filter_add(&f, "colour=red", &err), -1);
  assert_string_equal(err->msg, "invalid filter 'colour'");
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_image_filter_add(&f, "label", &err), -1);
  berth_error_free(err);
  assert_int_equal(berth_image_filter_add(&f, "label=a=b", NULL), 0);
  assert_string_equal(f.label[0], "a=b");
  assert_int_equal(berth_image_created_ns("2026-01-01T00:00:00.5Z"),
                   1767225600LL * 1000000000 + 500000000);
  assert_int_equal(berth_image_created_ns(NULL), 0);
}

/* Whether another open file of gc.lock could take it exclusively now
 * (what a gc in another process does). */
static bool gc_could_run(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/gc.lock", root);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  assert_true(fd >= 0);
  bool free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);
  return free_now;
}

/* Nested shared locks: the inner unlock keeps the outer hold, so a
 * build's layer blob cannot be collected before its image records it. */
static void test_lock_nests(void **state) {
  (void)state;
  assert_true(gc_could_run());
  assert_int_equal(berth_imgstore_lock(is, false, NULL), 0);
  assert_false(gc_could_run());
  assert_int_equal(berth_imgstore_lock(is, false, NULL), 0);
  berth_imgstore_unlock(is);
  assert_false(gc_could_run()); /* the outer hold stays */
  berth_imgstore_unlock(is);
  assert_true(gc_could_run());
  berth_imgstore_unlock(is); /* an extra unlock is harmless */
  assert_true(gc_could_run());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalise),
      cmocka_unit_test_setup_teardown(test_short_name_fallback, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rmi_rules, setup, teardown),
      cmocka_unit_test(test_filter_parse),
      cmocka_unit_test_setup_teardown(test_lock_nests, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
