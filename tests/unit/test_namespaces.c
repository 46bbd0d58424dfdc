#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "namespaces.h"

static int parse(const char *text, struct berth_namespaces *ns,
                 berth_error **err) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  int rc = berth_namespaces_parse(j, "linux", ns, err);
  json_decref(j);
  return rc;
}

static void test_flags_for_new_namespaces(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
                         "\"path\":\"/proc/1/ns/net\"},{\"type\":\"mount\"}]}",
                         &ns, &err), 0);
  assert_int_equal(berth_namespaces_clone_flags(&ns), CLONE_NEWPID | CLONE_NEWNS);
  assert_string_equal(ns.path[BERTH_NS_NET], "/proc/1/ns/net");
  berth_namespaces_free(&ns);
}

static void test_unknown_type_names_field(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}",
                         &ns, &err), -1);
  assert_string_equal(err->field, "linux.namespaces[1].type");
  assert_non_null(strstr(err->msg, "bogus"));
  berth_error_free(err);
  berth_namespaces_free(&ns);
}

static void test_duplicate_and_relative_path(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
                         &ns, &err), -1);
  assert_non_null(strstr(err->msg, "twice"));
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"ipc\",\"path\":\"x\"}]}",
                         &ns, &err), -1);
  assert_string_equal(err->field, "linux.namespaces[0].path");
  berth_error_free(err);
  berth_namespaces_free(&ns);
}

static void test_user_ns_needs_maps(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"user\"}]}", &ns, &err), -1);
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"user\"}],"
                         "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                         "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}",
                         &ns, &err), 0);
  assert_int_equal(ns.n_uid_maps, 1);
  assert_int_equal(ns.uid_maps[0].host_id, 100000);
  berth_namespaces_free(&ns);
}

static void test_time_offsets_need_time_ns(void **state) {
  (void)state;
  struct berth_namespaces ns;
  berth_error *err = NULL;
  assert_int_equal(parse("{\"timeOffsets\":{\"monotonic\":{\"secs\":10}}}", &ns, &err), -1);
  assert_string_equal(err->field, "linux.timeOffsets");
  berth_error_free(err);
  berth_namespaces_free(&ns);
  err = NULL;
  assert_int_equal(parse("{\"namespaces\":[{\"type\":\"time\"}],"
                         "\"timeOffsets\":{\"boottime\":{\"secs\":5,\"nanosecs\":7}}}",
                         &ns, &err), 0);
  assert_int_equal(ns.boottime_secs, 5);
  assert_int_equal(ns.boottime_nsecs, 7);
  berth_namespaces_free(&ns);
}

/* A child in a network namespace of its own, waiting to be killed. */
static pid_t child_in_new_netns(void) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
    (void)!write(p[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  assert_int_equal(read(p[0], &c, 1), 1);
  close(p[0]);
  close(p[1]);
  if (c != 'y') {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    skip(); /* not root */
  }
  return pid;
}

static void test_host_namespace_is_recognised(void **state) {
  (void)state;
  assert_true(berth_ns_is_hosts(BERTH_NS_NET, -1, "/proc/self/ns/net"));
  assert_true(berth_ns_is_hosts(BERTH_NS_IPC, -1, "/proc/self/ns/ipc"));
  /* Another kind's namespace, or a path that is not there, is not. */
  assert_false(berth_ns_is_hosts(BERTH_NS_NET, -1, "/proc/self/ns/ipc"));
  assert_false(berth_ns_is_hosts(BERTH_NS_NET, -1, "/nonexistent"));
  pid_t pid = child_in_new_netns();
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
  assert_false(berth_ns_is_hosts(BERTH_NS_NET, -1, path));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_false(berth_ns_is_hosts(BERTH_NS_NET, fd, NULL));
  close(fd);
  fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  assert_true(berth_ns_is_hosts(BERTH_NS_NET, fd, NULL));
  close(fd);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static int lo_flags(void) {
  struct ifreq ifr = {.ifr_name = "lo"};
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rc = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 ? ifr.ifr_flags : -1;
  close(fd);
  return rc;
}

/* In a fresh network namespace lo starts down; afterwards it is up. */
static void test_loopback_up(void **state) {
  (void)state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) < 0)
      _exit(77);
    int before = lo_flags();
    berth_error *err = NULL;
    if (before < 0 || (before & IFF_UP) || berth_netns_loopback_up(&err) < 0)
      _exit(1);
    int after = lo_flags();
    _exit(after >= 0 && (after & IFF_UP) ? 0 : 2);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
    skip();
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags_for_new_namespaces),
      cmocka_unit_test(test_unknown_type_names_field),
      cmocka_unit_test(test_duplicate_and_relative_path),
      cmocka_unit_test(test_user_ns_needs_maps),
      cmocka_unit_test(test_time_offsets_need_time_ns),
      cmocka_unit_test(test_host_namespace_is_recognised),
      cmocka_unit_test(test_loopback_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
