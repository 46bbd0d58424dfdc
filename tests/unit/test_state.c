#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs.h"
#include "state.h"

static char root[] = "/tmp/berth-state-XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(root, NULL);
}

static void test_id_validation(void **state) {
  (void)state;
  assert_int_equal(berth_id_validate("abc-1.2_x+y", NULL), 0);
  const char *bad[] = {"", ".", "..", "a/b", "../x", "a b", "a\nb"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    berth_error *err = NULL;
    assert_int_equal(berth_id_validate(bad[i], &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
}

static struct berth_state make(const char *id, pid_t pid) {
  return (struct berth_state){.id = (char *)id, .pid = pid,
                              .start_time = berth_proc_start_time(pid),
                              .bundle = "/b", .rootfs = "/b/rootfs",
                              .created = "2026-01-01T00:00:00Z",
                              .cgroup_path = "", .owner = ""};
}

static void test_roundtrip_and_status(void **state) {
  (void)state;
  char dir[128];
  snprintf(dir, sizeof(dir), "%s/c1", root);
  mkdir(dir, 0700);
  struct berth_state st = make("c1", getpid());
  st.annotations = json_pack("{s:s}", "a", "b");
  assert_int_equal(berth_state_write(root, &st, NULL), 0);
  json_decref(st.annotations);
  struct berth_state *rd = NULL;
  assert_int_equal(berth_state_read(root, "c1", &rd, NULL), 0);
  assert_int_equal(rd->pid, getpid());
  assert_string_equal(rd->bundle, "/b");
  assert_string_equal(json_string_value(json_object_get(rd->annotations, "a")), "b");
  /* Alive, not started, exec.sock present: created. */
  char sock[160];
  snprintf(sock, sizeof(sock), "%s/exec.sock", dir);
  close(creat(sock, 0600));
  assert_string_equal(berth_state_status(root, rd), "created");
  unlink(sock);
  assert_string_equal(berth_state_status(root, rd), "running");
  /* A different start time means the pid was reused: stopped. */
  rd->start_time += 1;
  assert_string_equal(berth_state_status(root, rd), "stopped");
  rd->pid = 0;
  assert_string_equal(berth_state_status(root, rd), "creating");
  json_t *j = berth_state_to_json(rd, "stopped");
  assert_string_equal(json_string_value(json_object_get(j, "status")), "stopped");
  assert_int_equal(json_integer_value(json_object_get(j, "pid")), 0);
  json_decref(j);
  berth_state_free(rd);
}

static void test_dead_and_zombie_are_stopped(void **state) {
  (void)state;
  pid_t child = fork();
  if (child == 0)
    _exit(0);
  /* Until reaped it is a zombie, which must count as stopped. */
  usleep(100000);
  assert_false(berth_proc_alive(child, berth_proc_start_time(child)));
  waitpid(child, NULL, 0);
  assert_int_equal(berth_proc_start_time(child), 0);
}

static void test_missing_container(void **state) {
  (void)state;
  struct berth_state *rd = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_state_read(root, "nope", &rd, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  assert_non_null(strstr(err->msg, "does not exist"));
  berth_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_id_validation),
      cmocka_unit_test(test_roundtrip_and_status),
      cmocka_unit_test(test_dead_and_zombie_are_stopped),
      cmocka_unit_test(test_missing_container),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
