/* SHA-256 digests: known vectors, streaming equals one-shot, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "digest.h"

static void test_vectors(void **state) {
  (void)state;
  char d[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_digest_of("", 0, d, NULL), 0);
  assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_int_equal(berth_digest_of("abc", 3, d, NULL), 0);
  assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  struct berth_hasher *h = NULL;
  assert_int_equal(berth_hasher_new(&h, NULL), 0);
  assert_int_equal(berth_hasher_update(h, "a", 1, NULL), 0);
  assert_int_equal(berth_hasher_update(h, "bc", 2, NULL), 0);
  char d2[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_hasher_final(h, d2, NULL), 0);
  berth_hasher_free(h);
  assert_string_equal(d, d2);
  assert_string_equal(berth_digest_hex(d), d + 7);
}

static void test_validate(void **state) {
  (void)state;
  berth_error *err = NULL;
  assert_int_equal(berth_digest_validate("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x", &err), 0);
  static const char *const bad[] = {
      "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "sha256:e3b0", "md5:d41d8cd98f00b204e9800998ecf8427e", "e3b0c442",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
      "sha256:../../../../etc/passwd"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(berth_digest_validate(bad[i], "layers[0].digest", &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_non_null(strstr(err->msg, "layers[0].digest"));
    berth_error_free(err);
    err = NULL;
  }
  char sha512[7 + 129];
  memcpy(sha512, "sha512:", 7);
  memset(sha512 + 7, 'a', 128);
  sha512[135] = '\0';
  assert_int_equal(berth_digest_validate(sha512, "d", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_UNSUPPORTED);
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_validate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
