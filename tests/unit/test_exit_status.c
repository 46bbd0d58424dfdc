/* The kind -> exit status table (src/lib/exit_status.c), and the kind's
 * trip across the channels that carry it: the init<->runtime sync socket
 * (src/oci/sync.c) and berth's own pipes (berth_error_encode/decode). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "exit_status.h"
#include "sync.h"

static berth_error *make(berth_error_kind kind, int errno_value) {
  berth_error *err = NULL;
  berth_error_set(&err, kind, 0, "what failed");
  err->errno_value = errno_value;
  return err;
}

static void test_table(void **state) {
  (void)state;
  static const struct {
    berth_error_kind kind;
    int errno_value, start_status, run_status, runtime_status;
  } rows[] = {
      {BERTH_ERR_EXEC, ENOENT, 127, 127, 127},
      {BERTH_ERR_EXEC, EACCES, 126, 126, 126},
      {BERTH_ERR_EXEC, ENOEXEC, 126, 126, 126},
      {BERTH_ERR_EXEC, EISDIR, 126, 126, 126},
      {BERTH_ERR_EXEC, 0, 126, 126, 126},
      {BERTH_ERR_CWD, ENOENT, 126, 126, 126},
      {BERTH_ERR_CWD, EACCES, 126, 126, 126},
      {BERTH_ERR_CWD, 0, 126, 126, 126},
      /* Not about the container's process: the front end's own status. */
      {BERTH_ERR_NOT_FOUND, ENOENT, 0, 125, 1},
      {BERTH_ERR_SYSTEM, ENOENT, 0, 125, 1},
      {BERTH_ERR_SYSTEM, EACCES, 0, 125, 1},
      {BERTH_ERR_INVALID, 0, 0, 125, 1},
      {BERTH_ERR_SPEC, 0, 0, 125, 1},
      {BERTH_ERR_UNSUPPORTED, EPERM, 0, 125, 1},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    berth_error *err = make(rows[i].kind, rows[i].errno_value);
    assert_int_equal(berth_exit_status_of_start(err), rows[i].start_status);
    assert_int_equal(berth_exit_status(err, BERTH_EXIT_ENGINE),
                     rows[i].run_status);
    assert_int_equal(berth_exit_status(err, 1), rows[i].runtime_status);
    berth_error_free(err);
  }
  assert_int_equal(berth_exit_status_of_start(NULL), 0);
  assert_int_equal(berth_exit_status(NULL, 125), 125);
}

/* The message text never decides: the same words with another kind give
 * another status. */
static void test_text_does_not_decide(void **state) {
  (void)state;
  berth_error *err = NULL;
  berth_error_set(&err, BERTH_ERR_SYSTEM, 0,
                  "exec `x`: executable file not found in $PATH");
  assert_int_equal(berth_exit_status(err, 125), 125);
  berth_error_free(err);
  err = NULL;
  berth_error_set(&err, BERTH_ERR_EXEC, 0, "something else entirely");
  err->errno_value = ENOENT;
  assert_int_equal(berth_exit_status(err, 125), 127);
  berth_error_free(err);
}

static void test_sync_channel_keeps_kind_and_errno(void **state) {
  (void)state;
  for (int k = 0; k < BERTH_ERR__COUNT; k++) {
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
    berth_error *sent = make((berth_error_kind)k, EACCES);
    berth_sync_send_error(sp[0], sent);
    struct berth_sync_msg m;
    berth_error *got = NULL;
    assert_int_equal(berth_sync_recv(sp[1], &m, &got), 1);
    assert_int_equal(m.type, BERTH_SYNC_ERROR);
    assert_int_equal(berth_sync_error_of(&m, &got), -1);
    assert_int_equal(got->kind, k);
    assert_int_equal(got->errno_value, EACCES);
    assert_string_equal(got->msg, sent->msg);
    assert_int_equal(berth_exit_status(got, 125), berth_exit_status(sent, 125));
    berth_error_free(sent);
    berth_error_free(got);
    close(sp[0]);
    close(sp[1]);
  }
}

/* A peer's kind out of range (a newer or broken peer) is a SYSTEM error,
 * never an out-of-range enum value. */
static void test_sync_unknown_kind(void **state) {
  (void)state;
  struct berth_sync_msg m = {.type = BERTH_SYNC_ERROR, .value = ENOENT,
                             .kind = 9999};
  strcpy(m.text, "from the future");
  berth_error *got = NULL;
  berth_sync_error_of(&m, &got);
  assert_int_equal(got->kind, BERTH_ERR_SYSTEM);
  assert_int_equal(berth_exit_status(got, 125), 125);
  berth_error_free(got);
}

static void test_encode_decode(void **state) {
  (void)state;
  for (int k = 0; k < BERTH_ERR__COUNT; k++) {
    berth_error *sent = make((berth_error_kind)k, ENOENT);
    char buf[256];
    int n = berth_error_encode(sent, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    berth_error *got = NULL;
    assert_int_equal(berth_error_decode(buf, &got), -1);
    assert_int_equal(got->kind, k);
    assert_int_equal(got->errno_value, ENOENT);
    assert_string_equal(got->msg, "what failed");
    berth_error_free(sent);
    berth_error_free(got);
  }
  berth_error *got = NULL;
  berth_error_decode("not an encoded error", &got);
  assert_int_equal(got->kind, BERTH_ERR_SYSTEM);
  assert_string_equal(got->msg, "not an encoded error");
  berth_error_free(got);
  got = NULL;
  berth_error_decode("77 2 bad kind", &got);
  assert_int_equal(got->kind, BERTH_ERR_SYSTEM);
  berth_error_free(got);
  /* Truncation keeps the string terminated. */
  berth_error *long_err = make(BERTH_ERR_EXEC, ENOENT);
  char small[8];
  assert_int_equal(berth_error_encode(long_err, small, sizeof small), 7);
  assert_int_equal(strlen(small), 7);
  berth_error_free(long_err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_text_does_not_decide),
      cmocka_unit_test(test_sync_channel_keeps_kind_and_errno),
      cmocka_unit_test(test_sync_unknown_kind),
      cmocka_unit_test(test_encode_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
