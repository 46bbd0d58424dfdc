/* berth_host_devices: the host's device nodes for --privileged, from a
 * made-up /dev (mknod needs root, as the integration tests do). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "host_devices.h"

static char dev[] = "/tmp/berth-hostdev-XXXXXX";

static void node(const char *rel, mode_t type, int ma, int mi, mode_t mode) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", dev, rel);
  assert_int_equal(mknod(p, type | mode, makedev(ma, mi)), 0);
  assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state) {
  (void)state;
  if (!mkdtemp(dev))
    return -1;
  char p[256];
  const char *dirs[] = {"net", "pts", "shm", "bus", "bus/usb"};
  for (size_t i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s/%s", dev, dirs[i]);
    if (mkdir(p, 0755) < 0)
      return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dev);
  return system(cmd) == 0 ? 0 : -1;
}

static json_t *find(json_t *list, const char *path) {
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0)
      return d;
  }
  return NULL;
}

static void test_walk(void **state) {
  (void)state;
  if (getuid() != 0)
    skip(); /* mknod */
  node("loop-control", S_IFCHR, 10, 237, 0600);
  node("sda", S_IFBLK, 8, 0, 0660);
  node("net/tun", S_IFCHR, 10, 200, 0666);
  node("bus/usb/x", S_IFCHR, 189, 1, 0664);
  node("null", S_IFCHR, 1, 3, 0666);    /* the runtime's own */
  node("console", S_IFCHR, 5, 1, 0600); /* the runtime's own */
  node("pts/0", S_IFCHR, 136, 0, 0620); /* the container's devpts */
  node("shm/x", S_IFCHR, 1, 3, 0666);
  char p[256];
  snprintf(p, sizeof p, "%s/link", dev);
  assert_int_equal(symlink("sda", p), 0);
  snprintf(p, sizeof p, "%s/file", dev);
  assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0644)), 0);
  json_t *list = json_array();
  /* Already given (--device): not listed twice. */
  json_array_append_new(list, json_pack("{s:s}", "path", "/dev/sda"));
  berth_host_devices(dev, list);
  assert_int_equal(json_array_size(list), 4);
  json_t *lc = find(list, "/dev/loop-control");
  assert_non_null(lc);
  assert_string_equal(json_string_value(json_object_get(lc, "type")), "c");
  assert_int_equal(json_integer_value(json_object_get(lc, "major")), 10);
  assert_int_equal(json_integer_value(json_object_get(lc, "minor")), 237);
  assert_int_equal(json_integer_value(json_object_get(lc, "fileMode")), 0600);
  assert_int_equal(json_integer_value(json_object_get(lc, "uid")), 0);
  assert_non_null(find(list, "/dev/net/tun"));
  assert_non_null(find(list, "/dev/bus/usb/x"));
  assert_null(find(list, "/dev/null"));
  assert_null(find(list, "/dev/console"));
  assert_null(find(list, "/dev/pts/0"));
  assert_null(find(list, "/dev/link"));
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
