/* SHA-256 digests: known vectors, streaming equals one-shot, the plain C
 * SHA-256 equals libcrypto's at every length around block boundaries and
 * on both sides of berth_digest_of's size switch, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "digest.h"
#include "sha256.h"

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

/* FIPS 180-4's two-block message and a million 'a's (NIST's long
 * message test), through the plain C implementation. */
static void test_plain_c_vectors(void **state) {
  (void)state;
  static const char *msg =
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  unsigned char md[32];
  berth_sha256(msg, strlen(msg), md);
  static const unsigned char want[32] = {
      0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
      0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
      0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
  assert_memory_equal(md, want, 32);
  size_t n = 1000000;
  char *a = malloc(n);
  assert_non_null(a);
  memset(a, 'a', n);
  char d[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_digest_of(a, n, d, NULL), 0); /* libcrypto path */
  assert_string_equal(d, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  berth_sha256(a, n, md);
  static const unsigned char million[32] = {
      0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
      0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
      0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
  assert_memory_equal(md, million, 32);
  free(a);
}

/* Every length from 0 to 300 bytes (padding in one or two blocks) and a
 * few around the 256 KiB switch: one-shot equals the libcrypto stream. */
static void test_plain_c_equals_libcrypto(void **state) {
  (void)state;
  size_t max = 256 * 1024 + 2;
  unsigned char *buf = malloc(max);
  assert_non_null(buf);
  for (size_t i = 0; i < max; i++)
    buf[i] = (unsigned char)(i * 2654435761u >> 13);
  size_t lens[310];
  size_t nl = 0;
  for (size_t l = 0; l <= 300; l++)
    lens[nl++] = l;
  lens[nl++] = 4096;
  lens[nl++] = 256 * 1024 - 1;
  lens[nl++] = 256 * 1024;
  lens[nl++] = 256 * 1024 + 1;
  lens[nl++] = 256 * 1024 + 2;
  for (size_t i = 0; i < nl; i++) {
    char one[BERTH_DIGEST_SIZE], stream[BERTH_DIGEST_SIZE];
    assert_int_equal(berth_digest_of(buf, lens[i], one, NULL), 0);
    struct berth_hasher *h = NULL;
    assert_int_equal(berth_hasher_new(&h, NULL), 0);
    assert_int_equal(berth_hasher_update(h, buf, lens[i], NULL), 0);
    assert_int_equal(berth_hasher_final(h, stream, NULL), 0);
    berth_hasher_free(h);
    if (strcmp(one, stream) != 0)
      fail_msg("length %zu: %s != %s", lens[i], one, stream);
  }
  free(buf);
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
      cmocka_unit_test(test_plain_c_vectors),
      cmocka_unit_test(test_plain_c_equals_libcrypto),
      cmocka_unit_test(test_validate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
