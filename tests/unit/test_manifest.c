/* Manifests, indexes, configs and chain ids from untrusted bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char *image =
    "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\","
    "\"config\":{\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\",\"digest\":\"" D1
    "\",\"size\":7023},\"layers\":[{\"mediaType\":"
    "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2
    "\",\"size\":32654},{\"mediaType\":"
    "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" D3
    "\",\"size\":16724}]}";

static void test_image_manifest(void **state) {
  (void)state;
  struct berth_manifest m;
  berth_error *err = NULL;
  if (berth_manifest_parse(image, strlen(image), NULL, &m, &err) < 0)
    fail_msg("%s", err->msg);
  assert_int_equal(m.kind, BERTH_MANIFEST_IMAGE);
  assert_string_equal(m.config.digest, D1);
  assert_int_equal(m.config.size, 7023);
  assert_int_equal(m.n_layers, 2);
  assert_string_equal(m.layers[1].digest, D3);
  assert_int_equal(m.layers[1].size, 16724);
  berth_manifest_free(&m);
  /* The registry's Content-Type must agree with mediaType. */
  assert_int_equal(berth_manifest_parse(image, strlen(image),
                                        BERTH_MT_DOCKER_MANIFEST, &m, &err),
                   -1);
  assert_non_null(strstr(err->msg, "does not match"));
  berth_error_free(err);
}

static const char *index_doc =
    "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_DOCKER_LIST "\","
    "\"manifests\":["
    "{\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\",\"digest\":\"" D1
    "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
    "\"variant\":\"v7\"}},"
    "{\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\",\"digest\":\"" D2
    "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\",\"digest\":\"" D3
    "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
    "\"variant\":\"v8\"}}]}";

static void test_index_select(void **state) {
  (void)state;
  struct berth_manifest m;
  berth_error *err = NULL;
  assert_int_equal(berth_manifest_parse(index_doc, strlen(index_doc),
                                        BERTH_MT_DOCKER_LIST, &m, &err), 0);
  assert_int_equal(m.kind, BERTH_MANIFEST_INDEX);
  assert_int_equal(m.n_manifests, 3);
  const struct berth_descriptor *d = NULL;
  assert_int_equal(berth_index_select(&m, "linux", "amd64", NULL, &d, &err), 0);
  assert_string_equal(d->digest, D2);
  assert_int_equal(berth_index_select(&m, "linux", "arm64", NULL, &d, &err), 0);
  assert_string_equal(d->digest, D3);
  assert_int_equal(berth_index_select(&m, "linux", "arm", "v7", &d, &err), 0);
  assert_string_equal(d->digest, D1);
  assert_int_equal(berth_index_select(&m, "linux", "s390x", NULL, &d, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  assert_non_null(strstr(err->msg, "linux/arm/v7"));
  berth_error_free(err);
  err = NULL;
  berth_manifest_free(&m);
  struct berth_platform p;
  assert_int_equal(berth_platform_parse("linux/arm64/v8", &p, NULL), 0);
  assert_string_equal(p.variant, "v8");
  berth_platform_free(&p);
  assert_int_equal(berth_platform_parse("linux", &p, &err), -1);
  berth_error_free(err);
}

static void expect_bad(const char *doc, const char *ct, const char *in) {
  struct berth_manifest m;
  berth_error *err = NULL;
  assert_int_equal(berth_manifest_parse(doc, strlen(doc), ct, &m, &err), -1);
  if (strstr(err->msg, in) == NULL)
    fail_msg("`%s` lacks `%s`", err->msg, in);
  berth_error_free(err);
}

static void test_bad_manifests(void **state) {
  (void)state;
  expect_bad("{\"schemaVersion\":1,\"name\":\"x\"}", NULL, "schema 1");
  expect_bad("{\"schemaVersion\":2}", "application/vnd.docker.distribution.manifest.v1+prettyjws", "schema 1");
  expect_bad("{\"schemaVersion\":3,\"config\":{}}", NULL, "schemaVersion");
  expect_bad("{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL, "unsupported media type");
  expect_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}", NULL, "config.digest");
  expect_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}", NULL, "config.size");
  expect_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"" D2 "\",\"size\":1}]}", NULL, "layers[0].mediaType");
  expect_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1}}", NULL, "layers");
  expect_bad("[1,2]", NULL, "not a JSON object");
  expect_bad("{\"schemaVersion\":2,", NULL, "manifest:");
  size_t big = BERTH_MANIFEST_MAX_BYTES + 1;
  char *huge = malloc(big + 1);
  memset(huge, ' ', big);
  huge[big] = '\0';
  expect_bad(huge, NULL, "limit");
  free(huge);
}

static void test_config_and_chain_ids(void **state) {
  (void)state;
  const char *cfg =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":"
      "[\"PATH=/bin\"],\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
  struct berth_image_config c;
  berth_error *err = NULL;
  assert_int_equal(berth_image_config_parse(cfg, strlen(cfg), &c, &err), 0);
  assert_string_equal(c.architecture, "amd64");
  assert_int_equal(c.n_diff_ids, 2);
  char chain[2][BERTH_DIGEST_SIZE];
  assert_int_equal(berth_chain_ids(c.diff_ids, 2, chain, NULL), 0);
  assert_string_equal(chain[0], D1);
  char buf[256], want[BERTH_DIGEST_SIZE];
  snprintf(buf, sizeof(buf), "%s %s", D1, D2);
  assert_int_equal(berth_digest_of(buf, strlen(buf), want, NULL), 0);
  assert_string_equal(chain[1], want);
  berth_image_config_free(&c);
  const char *bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                    "{\"diff_ids\":[\"sha256:zz\"]}}";
  assert_int_equal(berth_image_config_parse(bad, strlen(bad), &c, &err), -1);
  assert_non_null(strstr(err->msg, "rootfs.diff_ids[0]"));
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_image_manifest),
      cmocka_unit_test(test_index_select),
      cmocka_unit_test(test_bad_manifests),
      cmocka_unit_test(test_config_and_chain_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
