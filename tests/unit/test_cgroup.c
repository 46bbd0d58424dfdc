/* Cgroups against the real kernel: every cgroup lives under berth-test/
 * and is removed, processes are this test's own children. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup_internal.h"
#include "json.h"

static char name[64];

static int setup(void **state) {
  (void)state;
  static int n;
  snprintf(name, sizeof(name), "/berth-test/unit-%d-%d", (int)getpid(), n++);
  return 0;
}

/* The runtime creates the berth-test parent in every hierarchy on first
 * use; the tests remove their own cgroups, and this (cmocka runs group
 * teardowns after failed tests too) removes the parent when it is empty. */
static int remove_test_parent(void **state) {
  (void)state;
  DIR *d = opendir("/sys/fs/cgroup");
  struct dirent *de;
  char p[512];
  while (d && (de = readdir(d)) != NULL) {
    snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/berth-test", de->d_name);
    if (de->d_name[0] != '.')
      rmdir(p);
  }
  if (d)
    closedir(d);
  rmdir("/sys/fs/cgroup/berth-test"); /* a pure v2 mount */
  return 0;
}

static bool dir_exists_anywhere(const char *cgpath) {
  static const char *const roots[] = {"cpu", "memory", "pids", "freezer",
                                      "devices", "cpuset", "blkio",
                                      "unified"};
  char p[512];
  for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
    snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", roots[i], cgpath);
    if (access(p, F_OK) == 0)
      return true;
  }
  return false;
}

static struct berth_cgroup_resources *parse(const char *text,
                                            berth_error **err) {
  json_t *j = NULL;
  assert_int_equal(berth_json_parse("t", text, strlen(text), &j, NULL), 0);
  struct berth_cgroup_resources *r = NULL;
  berth_cgroup_resources_parse(j, "linux.resources", &r, err);
  json_decref(j);
  return r;
}

static void expect_error(const char *text, const char *field) {
  berth_error *err = NULL;
  assert_null(parse(text, &err));
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_string_equal(err->field, field);
  berth_error_free(err);
}

static void test_parse_errors_name_field(void **state) {
  (void)state;
  expect_error("{\"memory\":{\"limit\":-5}}", "linux.resources.memory.limit");
  expect_error("{\"memory\":{\"limit\":100}}", "linux.resources.memory.limit");
  expect_error("{\"memory\":{\"limit\":67108864,\"swap\":33554432}}",
               "linux.resources.memory.swap");
  expect_error("{\"memory\":{\"swappiness\":101}}",
               "linux.resources.memory.swappiness");
  expect_error("{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares");
  expect_error("{\"cpu\":{\"cpus\":\"0-a\"}}", "linux.resources.cpu.cpus");
  expect_error("{\"cpu\":{\"period\":10}}", "linux.resources.cpu.period");
  expect_error("{\"pids\":{\"limit\":\"x\"}}", "linux.resources.pids.limit");
  expect_error("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight");
  expect_error("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
               "linux.resources.devices[0].type");
  expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
               "linux.resources.devices[0].access");
  expect_error("{\"devices\":[{\"type\":\"c\"}]}",
               "linux.resources.devices[0].allow");
  expect_error("{\"unified\":{\"../memory.max\":\"1\"}}",
               "linux.resources.unified.../memory.max");
  expect_error("{\"network\":{\"classID\":1}}", "linux.resources.network");
  expect_error("{\"hugepageLimits\":[{\"pageSize\":\"huge\",\"limit\":1}]}",
               "linux.resources.hugepageLimits[0].pageSize");
}

static void test_parse_fields(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup_resources *r = parse(
      "{\"memory\":{\"limit\":33554432,\"swap\":-1,\"reservation\":1048576},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
      "\"pids\":{\"limit\":64},\"blockIO\":{\"weight\":300,\"throttleReadBpsDevice\":"
      "[{\"major\":8,\"minor\":0,\"rate\":1024}]},\"devices\":[{\"allow\":false,"
      "\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
      "\"access\":\"rw\"}],\"unified\":{\"memory.high\":\"max\"}}",
      &err);
  assert_non_null(r);
  assert_true(r->has_memory_limit && r->memory_limit == 33554432);
  assert_true(r->has_memory_swap && r->memory_swap == -1);
  assert_true(r->has_cpu_shares && r->cpu_shares == 512);
  assert_string_equal(r->cpu_cpus, "0");
  assert_true(r->has_pids_limit && r->pids_limit == 64);
  assert_int_equal(r->blkio_weight, 300);
  assert_int_equal(r->n_throttle[0], 1);
  assert_int_equal(r->n_devices, 2);
  assert_false(r->devices[0].allow);
  assert_int_equal(r->devices[0].type, 'a');
  assert_int_equal(r->devices[1].major, 1);
  assert_string_equal(r->devices[1].access, "rw");
  assert_non_null(r->unified);
  assert_int_equal(berth_cgroup_add_default_devices(&r, NULL, 0, &err), 0);
  assert_true(r->n_devices > 10);
  berth_cgroup_resources_free(r);
}

static void test_bad_paths_create_nothing(void **state) {
  (void)state;
  struct berth_cgroup *cg = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_cgroup_create("system.slice:berth:x", "x", NULL, &cg,
                                       &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_UNSUPPORTED);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_cgroup_create("/berth-test/../escape", "x", NULL, &cg,
                                       &err), -1);
  assert_non_null(strstr(err->msg, ".."));
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_cgroup_create("/", "x", NULL, &cg, &err), -1);
  berth_error_free(err);
  assert_false(dir_exists_anywhere("/escape"));
}

static void read_file(const char *ctrl, const char *file, char *buf,
                      size_t len) {
  char dir[256];
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", ctrl, name);
  assert_int_equal(cg_read(dir, file, buf, len, NULL), 0);
}

static void test_create_applies_limits(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup_resources *r = parse(
      "{\"memory\":{\"limit\":33554432,\"reservation\":16777216},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
      "\"pids\":{\"limit\":64},\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]}",
      &err);
  assert_non_null(r);
  struct berth_cgroup *cg = NULL;
  if (berth_cgroup_create(name, "x", r, &cg, &err) < 0)
    fail_msg("create: %s", err->msg);
  assert_string_equal(berth_cgroup_path(cg), name);
  char buf[4096];
  read_file("memory", "memory.limit_in_bytes", buf, sizeof(buf));
  assert_string_equal(buf, "33554432");
  read_file("memory", "memory.soft_limit_in_bytes", buf, sizeof(buf));
  assert_string_equal(buf, "16777216");
  read_file("cpu", "cpu.shares", buf, sizeof(buf));
  assert_string_equal(buf, "512");
  read_file("cpu", "cpu.cfs_quota_us", buf, sizeof(buf));
  assert_string_equal(buf, "50000");
  read_file("pids", "pids.max", buf, sizeof(buf));
  assert_string_equal(buf, "64");
  read_file("cpuset", "cpuset.cpus", buf, sizeof(buf));
  assert_string_equal(buf, "0");
  read_file("devices", "devices.list", buf, sizeof(buf));
  assert_string_equal(buf, "c 1:3 rw");
  assert_int_equal(berth_cgroup_destroy(cg, &err), 0);
  assert_false(dir_exists_anywhere(name));
  /* Idempotent: a second destroy finds nothing and succeeds. */
  assert_int_equal(berth_cgroup_destroy(cg, &err), 0);
  berth_cgroup_free(cg);
  berth_cgroup_resources_free(r);
}

static void test_rejected_limit_leaves_nothing(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup_resources *r =
      parse("{\"pids\":{\"limit\":10},\"cpu\":{\"cpus\":\"99\"}}", &err);
  assert_non_null(r);
  struct berth_cgroup *cg = NULL;
  assert_int_equal(berth_cgroup_create(name, "x", r, &cg, &err), -1);
  assert_null(cg);
  assert_non_null(strstr(err->msg, "cpuset.cpus"));
  assert_non_null(strstr(err->msg, "99"));
  berth_error_free(err);
  assert_false(dir_exists_anywhere(name));
  berth_cgroup_resources_free(r);
}

static pid_t spin_child(void) {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;)
      ;
  }
  assert_true(pid > 0);
  return pid;
}

static unsigned long cpu_ticks(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(buf, sizeof(buf), f));
  fclose(f);
  unsigned long ut = 0;
  char *p = strrchr(buf, ')');
  sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu", &ut);
  return ut;
}

static void test_enter_pids_freeze_kill(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup *cg = NULL;
  assert_int_equal(berth_cgroup_create(name, "x", NULL, &cg, &err), 0);
  pid_t child = spin_child();
  assert_int_equal(berth_cgroup_enter(cg, child, &err), 0);
  pid_t *pids = NULL;
  size_t n = 0;
  assert_int_equal(berth_cgroup_pids(cg, &pids, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(pids[0], child);
  free(pids);

  bool frozen = true;
  assert_int_equal(berth_cgroup_is_frozen(cg, &frozen, &err), 0);
  assert_false(frozen);
  assert_int_equal(berth_cgroup_freeze(cg, true, &err), 0);
  assert_int_equal(berth_cgroup_is_frozen(cg, &frozen, &err), 0);
  assert_true(frozen);
  unsigned long t0 = cpu_ticks(child);
  nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
  assert_true(cpu_ticks(child) - t0 <= 1); /* a spinning loop, stopped */
  assert_int_equal(berth_cgroup_freeze(cg, false, &err), 0);
  t0 = cpu_ticks(child);
  nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
  assert_true(cpu_ticks(child) - t0 >= 5); /* running again */

  assert_int_equal(berth_cgroup_kill_all(cg, SIGTERM, &err), 0);
  int st;
  assert_int_equal(waitpid(child, &st, 0), child);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  assert_int_equal(berth_cgroup_destroy(cg, &err), 0);
  berth_cgroup_free(cg);
  assert_false(dir_exists_anywhere(name));
}

static void test_destroy_kills_live_process(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup *cg = NULL;
  assert_int_equal(berth_cgroup_create(name, "x", NULL, &cg, &err), 0);
  pid_t child = spin_child();
  assert_int_equal(berth_cgroup_enter(cg, child, &err), 0);
  assert_int_equal(berth_cgroup_freeze(cg, true, &err), 0);
  /* Even frozen: destroy thaws, kills and removes. */
  if (berth_cgroup_destroy(cg, &err) < 0)
    fail_msg("destroy: %s", err->msg);
  int st;
  assert_int_equal(waitpid(child, &st, 0), child);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  assert_false(dir_exists_anywhere(name));
  berth_cgroup_free(cg);
}

static void test_update_and_open(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_cgroup *cg = NULL, *again = NULL;
  struct berth_cgroup_resources *r = parse("{\"pids\":{\"limit\":10}}", &err);
  assert_int_equal(berth_cgroup_create(name, "x", r, &cg, &err), 0);
  berth_cgroup_resources_free(r);
  assert_int_equal(berth_cgroup_open(name, &again, &err), 0);
  r = parse("{\"pids\":{\"limit\":20},\"memory\":{\"limit\":67108864}}", &err);
  assert_int_equal(berth_cgroup_update(again, r, &err), 0);
  berth_cgroup_resources_free(r);
  char buf[64];
  read_file("pids", "pids.max", buf, sizeof(buf));
  assert_string_equal(buf, "20");
  read_file("memory", "memory.limit_in_bytes", buf, sizeof(buf));
  assert_string_equal(buf, "67108864");
  r = parse("{\"pids\":{\"limit\":0}}", &err);
  assert_int_equal(berth_cgroup_update(again, r, &err), 0);
  berth_cgroup_resources_free(r);
  read_file("pids", "pids.max", buf, sizeof(buf));
  assert_string_equal(buf, "max");
  assert_int_equal(berth_cgroup_destroy(again, &err), 0);
  berth_cgroup_free(again);
  berth_cgroup_free(cg);
}

/* The unified tree on this host only has core files, but freezing,
 * cgroup.kill and eBPF device programs work there: test the v2 code. */
static bool make_unified(char *dir, size_t len) {
  if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) < 0 &&
      access("/sys/fs/cgroup/cgroup.procs", F_OK) < 0)
    return false;
  const char *root = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
                         ? "/sys/fs/cgroup/unified"
                         : "/sys/fs/cgroup";
  snprintf(dir, len, "%s/berth-test", root);
  mkdir(dir, 0755);
  snprintf(dir, len, "%s%s", root, name);
  return mkdir(dir, 0755) == 0;
}

static void test_v2_freeze_and_kill(void **state) {
  (void)state;
  struct cg_hierarchy h = {.v2 = true};
  if (!make_unified(h.dir, sizeof(h.dir)))
    skip();
  pid_t child = spin_child();
  char buf[24];
  snprintf(buf, sizeof(buf), "%d", (int)child);
  berth_error *err = NULL;
  assert_int_equal(cg_write(h.dir, "cgroup.procs", buf, &err), 0);
  assert_int_equal(cg_v2_freeze(&h, true, &err), 0);
  bool frozen = false;
  assert_int_equal(cg_v2_is_frozen(&h, &frozen, &err), 0);
  assert_true(frozen);
  unsigned long t0 = cpu_ticks(child);
  nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
  assert_true(cpu_ticks(child) - t0 <= 1);
  assert_int_equal(cg_v2_freeze(&h, false, &err), 0);
  assert_int_equal(cg_write(h.dir, "cgroup.kill", "1", &err), 0);
  int st;
  assert_int_equal(waitpid(child, &st, 0), child);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  assert_int_equal(rmdir(h.dir), 0);
}

static void test_v2_bpf_device_filter(void **state) {
  (void)state;
  char dir[512];
  if (!make_unified(dir, sizeof(dir)))
    skip();
  /* Deny everything, allow /dev/null read+write, then deny its writes. */
  struct berth_device_rule rules[] = {
      {false, 'a', -1, -1, "rwm"},
      {true, 'c', 1, 3, "rw"},
      {true, 'c', 1, 5, "rwm"},
      {false, 'c', 1, 5, "w"},
  };
  berth_error *err = NULL;
  if (cg_bpf_set_devices(dir, rules, 4, &err) < 0) {
    rmdir(dir);
    fail_msg("bpf: %s", err->msg);
  }
  int go[2], res[2];
  assert_int_equal(pipe(go), 0);
  assert_int_equal(pipe(res), 0);
  pid_t child = fork();
  if (child == 0) {
    char c;
    if (read(go[0], &c, 1) != 1)
      _exit(1);
    int e[4];
    int fd = open("/dev/null", O_RDWR);
    e[0] = fd < 0 ? errno : 0;
    fd = open("/dev/zero", O_RDONLY);
    e[1] = fd < 0 ? errno : 0;
    fd = open("/dev/zero", O_WRONLY);
    e[2] = fd < 0 ? errno : 0;
    fd = open("/dev/full", O_RDONLY);
    e[3] = fd < 0 ? errno : 0;
    _exit(write(res[1], e, sizeof(e)) == sizeof(e) ? 0 : 1);
  }
  char buf[24];
  snprintf(buf, sizeof(buf), "%d", (int)child);
  assert_int_equal(cg_write(dir, "cgroup.procs", buf, &err), 0);
  assert_int_equal(write(go[1], "g", 1), 1);
  int e[4];
  assert_int_equal(read(res[0], e, sizeof(e)), sizeof(e));
  waitpid(child, NULL, 0);
  close(go[0]);
  close(go[1]);
  close(res[0]);
  close(res[1]);
  /* Replacing the program must not stack: /dev/full becomes allowed. */
  struct berth_device_rule all[] = {{true, 'a', -1, -1, "rwm"}};
  assert_int_equal(cg_bpf_set_devices(dir, all, 1, &err), 0);
  assert_int_equal(rmdir(dir), 0);
  assert_int_equal(e[0], 0);      /* null rw allowed */
  assert_int_equal(e[1], 0);      /* zero read allowed */
  assert_int_equal(e[2], EPERM);  /* zero write denied by the later rule */
  assert_int_equal(e[3], EPERM);  /* full: default deny */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_errors_name_field),
      cmocka_unit_test(test_parse_fields),
      cmocka_unit_test(test_bad_paths_create_nothing),
      cmocka_unit_test_setup(test_create_applies_limits, setup),
      cmocka_unit_test_setup(test_rejected_limit_leaves_nothing, setup),
      cmocka_unit_test_setup(test_enter_pids_freeze_kill, setup),
      cmocka_unit_test_setup(test_destroy_kills_live_process, setup),
      cmocka_unit_test_setup(test_update_and_open, setup),
      cmocka_unit_test_setup(test_v2_freeze_and_kill, setup),
      cmocka_unit_test_setup(test_v2_bpf_device_filter, setup),
  };
  return cmocka_run_group_tests(tests, NULL, remove_test_parent);
}
