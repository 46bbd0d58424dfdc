/* Detach keys in an input stream (lib/escape.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static struct berth_escape keys(const char *list) {
  struct berth_escape e;
  assert_true(berth_escape_from_list(&e, list));
  return e;
}

/* Feeds the chunks in turn; returns what passed, and whether (and at
 * which chunk) the sequence was seen. */
static int feed(struct berth_escape *e, const char *const *chunks, char *out) {
  size_t o = 0;
  for (int i = 0; chunks[i]; i++) {
    char buf[64 + BERTH_ESCAPE_MAX];
    size_t n;
    bool hit = berth_escape_feed(e, chunks[i], strlen(chunks[i]), buf, &n);
    memcpy(out + o, buf, n);
    o += n;
    out[o] = '\0';
    if (hit)
      return i;
  }
  return -1;
}

static void test_default_keys_detach(void **state) {
  (void)state;
  struct berth_escape e = keys("16,17");
  char out[256];
  const char *c1[] = {"ab\x10\x11zz", NULL};
  assert_int_equal(feed(&e, c1, out), 0);
  assert_string_equal(out, "ab"); /* nothing after the keys */
}

static void test_keys_split_across_reads(void **state) {
  (void)state;
  struct berth_escape e = keys("16,17");
  char out[256];
  const char *c[] = {"x\x10", "\x11", NULL};
  assert_int_equal(feed(&e, c, out), 1);
  assert_string_equal(out, "x"); /* ctrl-p was held, never forwarded */
}

static void test_partial_match_passes_through(void **state) {
  (void)state;
  struct berth_escape e = keys("16,17");
  char out[256];
  /* ctrl-p then something else: both go through, in order. */
  const char *c[] = {"\x10", "a\x10\x10", "b", NULL};
  assert_int_equal(feed(&e, c, out), -1);
  assert_string_equal(out, "\x10" "a\x10\x10" "b");
}

static void test_repeated_first_key_restarts(void **state) {
  (void)state;
  struct berth_escape e = keys("16,17");
  char out[256];
  const char *c[] = {"\x10\x10\x11", NULL};
  assert_int_equal(feed(&e, c, out), 0);
  assert_string_equal(out, "\x10");
}

static void test_single_key_and_none(void **state) {
  (void)state;
  struct berth_escape e = keys("24");
  char out[256];
  const char *c[] = {"ab\x18" "c", NULL};
  assert_int_equal(feed(&e, c, out), 0);
  assert_string_equal(out, "ab");
  struct berth_escape none = keys("");
  const char *d[] = {"\x10\x11", NULL};
  assert_int_equal(feed(&none, d, out), -1);
  assert_string_equal(out, "\x10\x11");
}

static void test_bad_lists(void **state) {
  (void)state;
  struct berth_escape e;
  assert_false(berth_escape_from_list(&e, "16,"));
  assert_false(berth_escape_from_list(&e, "256"));
  assert_false(berth_escape_from_list(&e, "a"));
  assert_false(berth_escape_from_list(&e, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
                                          "15,16,17"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_keys_detach),
      cmocka_unit_test(test_keys_split_across_reads),
      cmocka_unit_test(test_partial_match_passes_through),
      cmocka_unit_test(test_repeated_first_key_restarts),
      cmocka_unit_test(test_single_key_and_none),
      cmocka_unit_test(test_bad_lists),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
