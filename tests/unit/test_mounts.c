/* Unit tests for mounts/devices parsing and the rootfs setup.  The rootfs
 * tests run real mounts in a forked child inside its own mount namespace;
 * the parent checks that its (the host's) mount table did not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "fs.h"
#include "json.h"
#include "mounts.h"
#include "rootfs.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (j == NULL)
    fail_msg("bad test JSON: %s", e.text);
  return j;
}

static int parse_mounts(const char *text, struct berth_mount **m, size_t *n,
                        berth_error **err) {
  json_t *j = J(text);
  int rc = berth_mounts_parse(j, "mounts", m, n, err);
  json_decref(j);
  return rc;
}

static void test_option_table(void **state) {
  struct berth_mount *m = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(
      parse_mounts("[{\"destination\":\"/a\",\"type\":\"tmpfs\",\"source\":"
                   "\"tmpfs\",\"options\":[\"ro\",\"nosuid\",\"nodev\","
                   "\"noexec\",\"size=64k\",\"mode=700\",\"rslave\","
                   "\"noatime\",\"rro\",\"rnosuid\",\"rsuid\"]},"
                   "{\"destination\":\"/b\",\"source\":\"/x\",\"options\":"
                   "[\"rbind\",\"rw\",\"exec\",\"ro\",\"private\",\"rnoexec\","
                   "\"rrw\"]},"
                   "{\"destination\":\"/c\",\"type\":\"bind\",\"source\":\"/y\"}]",
                   &m, &n, &err),
      0);
  assert_int_equal(n, 3);
  assert_int_equal(m[0].flags,
                   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME);
  assert_string_equal(m[0].data, "size=64k,mode=700");
  assert_int_equal(m[0].propagation, MS_SLAVE | MS_REC);
  assert_true(m[0].recursive_ro);
  assert_int_equal(m[0].rec_flags, MS_RDONLY);
  assert_int_equal(m[0].rec_clear, MS_NOSUID);
  assert_false(m[0].bind);
  /* A later option overrides an earlier one. */
  assert_true(m[1].bind && m[1].recursive);
  assert_int_equal(m[1].flags, MS_RDONLY);
  assert_int_equal(m[1].clear, MS_NOEXEC);
  assert_int_equal(m[1].propagation, MS_PRIVATE);
  assert_null(m[1].data);
  assert_int_equal(m[1].rec_flags, MS_NOEXEC);
  assert_int_equal(m[1].rec_clear, MS_RDONLY);
  assert_false(m[1].recursive_ro);
  assert_true(m[2].bind);
  assert_false(m[2].recursive);
  berth_mounts_free(m, n);
}

static void test_propagation_names(void **state) {
  assert_int_equal(berth_propagation_from_name("rprivate"), MS_PRIVATE | MS_REC);
  assert_int_equal(berth_propagation_from_name("shared"), MS_SHARED);
  assert_int_equal(berth_propagation_from_name("runbindable"),
                   MS_UNBINDABLE | MS_REC);
  assert_int_equal(berth_propagation_from_name("rslave"), MS_SLAVE | MS_REC);
  assert_int_equal(berth_propagation_from_name("bogus"), -1);
  assert_int_equal(berth_propagation_from_name("ro"), -1);
  assert_int_equal(berth_propagation_from_name(NULL), -1);
}

static void expect_mount_error(const char *text, const char *field) {
  struct berth_mount *m = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(parse_mounts(text, &m, &n, &err), -1);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_SPEC);
  assert_non_null(err->field);
  assert_string_equal(err->field, field);
  assert_null(m);
  berth_error_free(err);
}

static void test_mount_errors(void **state) {
  expect_mount_error("[{\"destination\":\"/ok\",\"type\":\"tmpfs\"},"
                     "{\"destination\":\"rel\",\"type\":\"tmpfs\"}]",
                     "mounts[1].destination");
  expect_mount_error("[{\"type\":\"tmpfs\"}]", "mounts[0].destination");
  expect_mount_error("[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                     "\"options\":[\"ro\",7]}]",
                     "mounts[0].options[1]");
  expect_mount_error("[{\"destination\":\"/a\",\"options\":[\"bind\"]}]",
                     "mounts[0].source");
  expect_mount_error("[{\"destination\":\"/a\",\"source\":\"x\"}]",
                     "mounts[0].type");
  /* runtime-spec idmapped mounts: binds only, both mappings or none. */
  expect_mount_error("[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                     "\"options\":[\"idmap\"]}]",
                     "mounts[0].options");
  expect_mount_error("[{\"destination\":\"/a\",\"source\":\"/x\","
                     "\"options\":[\"rbind\",\"idmap\"],\"uidMappings\":"
                     "[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]",
                     "mounts[0].gidMappings");
  expect_mount_error("[{\"destination\":\"/a\",\"source\":\"/x\","
                     "\"options\":[\"bind\"],\"uidMappings\":[{}],"
                     "\"gidMappings\":[]}]",
                     "mounts[0].uidMappings[0]");
  expect_mount_error("[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                     "\"options\":[\"a,b\"]}]",
                     "mounts[0].options[0]");
  expect_mount_error("{}", "mounts");
  expect_mount_error("[3]", "mounts[0]");
  expect_mount_error("[{\"destination\":\"/a\",\"type\":5}]", "mounts[0].type");
}

static void test_idmap_parse(void **state) {
  struct berth_mount *m = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(
      parse_mounts("[{\"destination\":\"/a\",\"source\":\"/x\","
                   "\"options\":[\"rbind\",\"ridmap\"]},"
                   "{\"destination\":\"/b\",\"source\":\"/y\","
                   "\"options\":[\"bind\",\"idmap\"],\"uidMappings\":"
                   "[{\"containerID\":0,\"hostID\":7,\"size\":9}],"
                   "\"gidMappings\":[{\"containerID\":1,\"hostID\":8,"
                   "\"size\":2}]},"
                   "{\"destination\":\"/c\",\"source\":\"/z\","
                   "\"options\":[\"bind\"]}]",
                   &m, &n, &err),
      0);
  assert_int_equal(n, 3);
  assert_true(m[0].idmap && m[0].idmap_recursive && m[0].recursive);
  assert_int_equal(m[0].n_uid_maps, 0);
  assert_true(m[1].idmap && !m[1].idmap_recursive);
  assert_int_equal(m[1].n_uid_maps, 1);
  assert_int_equal(m[1].uid_maps[0].host_id, 7);
  assert_int_equal(m[1].uid_maps[0].size, 9);
  assert_int_equal(m[1].gid_maps[0].container_id, 1);
  assert_false(m[2].idmap);
  berth_mounts_free(m, n);
}

static int parse_devices(const char *text, struct berth_device **d, size_t *n,
                         berth_error **err) {
  json_t *j = J(text);
  int rc = berth_devices_parse(j, "linux.devices", d, n, err);
  json_decref(j);
  return rc;
}

static void test_devices_parse(void **state) {
  struct berth_device *d = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(
      parse_devices("[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
                    "\"minor\":229,\"fileMode\":438,\"uid\":0,\"gid\":5},"
                    "{\"path\":\"/dev/fifo\",\"type\":\"p\"}]",
                    &d, &n, &err),
      0);
  assert_int_equal(n, 2);
  assert_string_equal(d[0].path, "/dev/fuse");
  assert_int_equal(d[0].type, 'c');
  assert_int_equal(d[0].major, 10);
  assert_int_equal(d[0].minor, 229);
  assert_true(d[0].has_mode && d[0].has_uid && d[0].has_gid);
  assert_int_equal(d[0].mode, 0666);
  assert_int_equal(d[0].gid, 5);
  assert_int_equal(d[1].type, 'p');
  assert_false(d[1].has_mode || d[1].has_uid);
  berth_devices_free(d, n);

  /* fileMode as podman writes it: S_IFCHR | 0600 (type bits dropped). */
  assert_int_equal(
      parse_devices("[{\"path\":\"/dev/kmsg\",\"type\":\"c\",\"major\":1,"
                    "\"minor\":11,\"fileMode\":8576}]", &d, &n, &err), 0);
  assert_int_equal(d[0].mode, 0600);
  berth_devices_free(d, n);

  static const struct {
    const char *text, *field;
  } bad[] = {
      {"[{\"path\":\"/dev/x\",\"type\":\"c\",\"minor\":1}]",
       "linux.devices[0].major"},
      {"[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":1}]",
       "linux.devices[0].minor"},
      {"[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,\"minor\":1}]",
       "linux.devices[0].type"},
      {"[{\"path\":\"/dev/x\",\"major\":1,\"minor\":1}]",
       "linux.devices[0].type"},
      {"[{\"path\":\"dev/x\",\"type\":\"p\"}]", "linux.devices[0].path"},
      {"[{\"path\":\"/dev/..\",\"type\":\"p\"}]", "linux.devices[0].path"},
      {"[{\"type\":\"p\"},{}]", "linux.devices[0].path"},
      {"[{\"path\":\"/dev/x\",\"type\":\"p\",\"fileMode\":70000}]",
       "linux.devices[0].fileMode"},
      /* S_IFBLK bits on a character device. */
      {"[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1,"
       "\"fileMode\":25008}]", "linux.devices[0].fileMode"},
      {"[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":-1,\"minor\":1}]",
       "linux.devices[0].major"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    err = NULL;
    assert_int_equal(parse_devices(bad[i].text, &d, &n, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, BERTH_ERR_SPEC);
    assert_string_equal(err->field, bad[i].field);
    berth_error_free(err);
  }
}

/* ---- real mounts ---------------------------------------------------- */

static int count_lines(const char *path) {
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, path, 1 << 22, &text, NULL, NULL) < 0)
    return -1;
  int n = 0;
  for (char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "child check failed line %d: %s (errno %s)\n", __LINE__, \
              #c, strerrorname_np(errno));                                     \
      return 1;                                                                \
    }                                                                          \
  } while (0)

struct scenario {
  char dir[64];     /* temp dir holding rootfs/ and data/ */
  char rootfs[96];
  char evil_name[64];
  const char *mounts_json;
  const char *devices_json;
  char *masked[8];
  char *readonly[8];
  bool readonly_root;
  bool new_cgroupns;
  bool in_userns;
};

static int run_rootfs(struct scenario *s, berth_error **err) {
  struct berth_mount *m = NULL;
  struct berth_device *d = NULL;
  size_t nm = 0, nd = 0;
  json_t *j = J(s->mounts_json);
  int rc = berth_mounts_parse(j, "mounts", &m, &nm, err);
  json_decref(j);
  if (rc < 0)
    return -1;
  j = J(s->devices_json ? s->devices_json : "[]");
  rc = berth_devices_parse(j, "linux.devices", &d, &nd, err);
  json_decref(j);
  /* As the runtime does, but in this namespace: the fds come first. */
  struct berth_rootfs_fds fds = BERTH_ROOTFS_FDS_INIT;
  struct berth_rootfs_plan plan = {
      .rootfs = s->rootfs, .readonly = s->readonly_root, .mounts = m,
      .n_mounts = nm, .devices = d, .n_devices = nd,
      .masked_paths = s->masked, .readonly_paths = s->readonly,
      .new_cgroupns = s->new_cgroupns, .in_userns = s->in_userns,
      .fds = &fds};
  if (rc == 0)
    rc = berth_rootfs_fds_open(s->rootfs, m, nm, s->dir, &fds, err);
  if (rc == 0)
    rc = berth_rootfs_prepare(&plan, err);
  if (rc == 0)
    rc = berth_rootfs_pivot(&plan, err);
  if (rc == 0)
    rc = berth_rootfs_finalize(&plan, err);
  berth_rootfs_fds_close(&fds);
  berth_mounts_free(m, nm);
  berth_devices_free(d, nd);
  return rc;
}

typedef int (*child_fn)(struct scenario *s);

/* Runs fn in a child in a new mount namespace; returns its exit status.
 * The parent's mount table must come out unchanged. */
static int write_map(pid_t pid, const char *file) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  /* Root stays root so the test's files under /tmp stay writable; the
   * point is the namespace's restrictions (no mknod, locked flags). */
  return berth_write_file(AT_FDCWD, path, "0 0 65536", 9, NULL);
}

/* With s->in_userns the child first enters a new user namespace whose
 * id maps the parent writes (only the parent may map more than one id). */
static int enter_ns(struct scenario *s, int ready_fd, int go_fd) {
  char c = 'x';
  if (s->in_userns && (unshare(CLONE_NEWUSER) < 0 ||
                       write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1))
    return -1;
  /* procfs may only be mounted by the owner of the pid namespace. */
  return unshare(CLONE_NEWNS | (s->new_cgroupns ? CLONE_NEWCGROUP : 0) |
                 (s->in_userns ? CLONE_NEWPID : 0));
}

static int run_fn(struct scenario *s, child_fn fn) {
  if (!s->in_userns)
    return fn(s);
  pid_t pid = fork(); /* the first child of the new pid namespace */
  if (pid < 0)
    return 105;
  if (pid == 0)
    _exit(fn(s));
  int st;
  if (waitpid(pid, &st, 0) != pid)
    return 106;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int in_child(struct scenario *s, child_fn fn) {
  int before = count_lines("/proc/self/mountinfo");
  int ready[2], go[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
    return 104;
  pid_t pid = fork();
  if (pid < 0)
    return 101;
  if (pid == 0)
    _exit(enter_ns(s, ready[1], go[0]) < 0 ? 100 : run_fn(s, fn));
  char c;
  if (s->in_userns &&
      (read(ready[0], &c, 1) != 1 || write_map(pid, "uid_map") < 0 ||
       write_map(pid, "gid_map") < 0 || write(go[1], "x", 1) != 1))
    kill(pid, SIGKILL);
  for (int i = 0; i < 2; i++) {
    close(ready[i]);
    close(go[i]);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid)
    return 102;
  if (count_lines("/proc/self/mountinfo") != before)
    return 103; /* a mount leaked to the host */
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int write_at(const char *dir, const char *rel, const char *text) {
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", dir, rel);
  return berth_write_file_atomic(p, text, strlen(text), 0644, NULL);
}

static int mk(const char *dir, const char *rel) {
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", dir, rel);
  return berth_mkdir_p(p, 0755, NULL);
}

/* valgrind does not know openat2, which every in-root lookup needs: the
 * mount tests are skipped there (the parsers are still leak-checked). */
static void skip_without_openat2(void) {
  struct open_how how = {.flags = O_PATH};
  if (syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)) < 0 &&
      errno == ENOSYS)
    skip();
}

static void scenario_init(struct scenario *s) {
  skip_without_openat2();
  memset(s, 0, sizeof(*s));
  snprintf(s->dir, sizeof(s->dir), "/tmp/berth-mtest-XXXXXX");
  assert_non_null(mkdtemp(s->dir));
  snprintf(s->rootfs, sizeof(s->rootfs), "%s/rootfs", s->dir);
  snprintf(s->evil_name, sizeof(s->evil_name), "berth-mtest-%d", (int)getpid());
  assert_int_equal(mk(s->rootfs, "proc"), 0);
  assert_int_equal(mk(s->rootfs, "dev"), 0);
  assert_int_equal(mk(s->rootfs, "etc/masked-dir"), 0);
  assert_int_equal(mk(s->dir, "data/sub"), 0);
  assert_int_equal(write_at(s->rootfs, "etc/passwd", "root:x:0:0::/:/bin/sh\n"), 0);
  assert_int_equal(write_at(s->rootfs, "etc/masked-dir/secret", "s\n"), 0);
  assert_int_equal(write_at(s->dir, "data/file", "data\n"), 0);
}

static void scenario_done(struct scenario *s) {
  char hostpath[128];
  snprintf(hostpath, sizeof(hostpath), "/etc/%s", s->evil_name);
  /* CVE-2021-30465: the destination through rootfs/evil -> /etc must never
   * reach the host's /etc. */
  assert_int_equal(access(hostpath, F_OK), -1);
  assert_int_equal(berth_rm_rf(s->dir, NULL), 0);
}

static bool is_fs(const char *path, long magic) {
  struct statfs sfs;
  return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

static bool link_is(const char *path, const char *target) {
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp(buf, target) == 0;
}

static int check_full(struct scenario *s) {
  berth_error *err = NULL;
  char sub[128];
  /* A submount in the bind source tells rro (recursive) from ro. */
  snprintf(sub, sizeof(sub), "%s/data/sub", s->dir);
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
      mount("tmpfs", sub, "tmpfs", 0, NULL) < 0)
    return 4;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  char buf[64], path[128];
  struct stat st;
  CHECK(is_fs("/proc", PROC_SUPER_MAGIC));
  CHECK(is_fs("/dev", TMPFS_MAGIC));
  /* This kernel has no /proc/kcore: /proc/keys and /proc/acpi stand in. */
  int fd = open("/proc/keys", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0);
  close(fd);
  CHECK(stat("/proc/keys", &st) == 0 && st.st_rdev == makedev(1, 3));
  CHECK(is_fs("/proc/acpi", TMPFS_MAGIC));
  CHECK(access("/etc/masked-dir/secret", F_OK) < 0 && errno == ENOENT);
  CHECK(open("/proc/sys/kernel/hostname", O_WRONLY) < 0 && errno == EROFS);
  CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS);
  CHECK(open("/data/new", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK(access("/data/file", R_OK) == 0);
  CHECK(access("/reldata/file", R_OK) == 0); /* relative to the bundle */
  CHECK(is_fs("/data/sub", TMPFS_MAGIC) && is_fs("/rdata/sub", TMPFS_MAGIC));
  CHECK(mkdir("/rdata/sub/x", 0755) < 0 && errno == EROFS);
  CHECK(mkdir("/data/sub/x", 0755) == 0); /* plain ro is not recursive */
  snprintf(path, sizeof(path), "/etc/%s", s->evil_name);
  CHECK(is_fs(path, TMPFS_MAGIC));
  CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0666);
  CHECK(stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0));
  CHECK(stat("/dev/berth-test", &st) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == makedev(1, 7) && (st.st_mode & 07777) == 0600 &&
        st.st_uid == 1000 && st.st_gid == 1001);
  CHECK(link_is("/dev/ptmx", "pts/ptmx"));
  CHECK(link_is("/dev/fd", "/proc/self/fd"));
  CHECK(link_is("/dev/core", "/proc/kcore"));
  CHECK(is_fs("/dev/pts", DEVPTS_SUPER_MAGIC));
  fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
  CHECK(fd >= 0);
  close(fd);
  struct statfs sfs;
  CHECK(statfs("/tmp", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC &&
        sfs.f_blocks * sfs.f_bsize == 64 * 1024);
  CHECK(stat("/tmp", &st) == 0 && (st.st_mode & 07777) == 01770);
  CHECK(access("/sys/kernel", F_OK) == 0);
  CHECK(open("/sys/kernel/new", O_WRONLY | O_CREAT, 0644) < 0);
  CHECK(is_fs("/sys/fs/cgroup", TMPFS_MAGIC));
  CHECK(is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC));
  CHECK(is_fs("/sys/fs/cgroup/systemd", CGROUP_SUPER_MAGIC));
  CHECK(is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC));
  CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0);
  CHECK(open("/sys/fs/cgroup/memory/memory.limit_in_bytes", O_WRONLY) < 0 &&
        errno == EROFS);
  CHECK(mkdir("/sys/fs/cgroup/new", 0755) < 0 && errno == EROFS);
  /* The host's root must be gone. */
  snprintf(path, sizeof(path), "%s", s->rootfs);
  CHECK(access(path, F_OK) < 0);
  return 0;
}

static void full_rootfs(bool new_cgroupns) {
  struct scenario s;
  scenario_init(&s);
  s.new_cgroupns = new_cgroupns;
  char link[160], mounts[2048];
  snprintf(link, sizeof(link), "%s/evil", s.rootfs);
  assert_int_equal(symlink("/etc", link), 0);
  snprintf(mounts, sizeof(mounts),
           "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
           "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
           "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
           "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":"
           "\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\","
           "\"ptmxmode=0666\",\"mode=0620\"]},"
           "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
           "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
           "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
           "\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\","
           "\"relatime\",\"ro\"]},"
           "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
           "\"options\":[\"size=64k\",\"mode=1770\",\"nosuid\"]},"
           "{\"destination\":\"/data\",\"source\":\"%s/data\","
           "\"options\":[\"rbind\",\"ro\"]},"
           "{\"destination\":\"/rdata\",\"source\":\"%s/data\","
           "\"options\":[\"rbind\",\"rro\"]},"
           "{\"destination\":\"/reldata\",\"source\":\"data\","
           "\"options\":[\"bind\"]},"
           "{\"destination\":\"/evil/%s\",\"type\":\"tmpfs\",\"source\":\"t\"}]",
           s.dir, s.dir, s.evil_name);
  s.mounts_json = mounts;
  s.devices_json = "[{\"path\":\"/dev/berth-test\",\"type\":\"c\",\"major\":1,"
                   "\"minor\":7,\"fileMode\":384,\"uid\":1000,\"gid\":1001}]";
  s.masked[0] = "/proc/keys";
  s.masked[1] = "/etc/masked-dir";
  s.masked[3] = "/proc/acpi";
  s.masked[2] = "/proc/does-not-exist";
  s.readonly[0] = "/proc/sys";
  s.readonly_root = true;
  int rc = in_child(&s, check_full);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

static void test_full_rootfs(void **state) { full_rootfs(false); }
static void test_full_rootfs_cgroupns(void **state) { full_rootfs(true); }

/* The image turns /proc/kcore into a link to /etc/passwd (and /proc is not
 * mounted): masking must not reach /etc/passwd. */
static int check_kcore_link(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  char buf[64];
  int fd = open("/etc/passwd", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0);
  close(fd);
  struct stat st;
  CHECK(lstat("/proc/kcore", &st) == 0 && S_ISLNK(st.st_mode));
  return 0;
}

static void test_masked_symlink(void **state) {
  struct scenario s;
  scenario_init(&s);
  char link[160];
  snprintf(link, sizeof(link), "%s/proc/kcore", s.rootfs);
  assert_int_equal(symlink("/etc/passwd", link), 0);
  s.mounts_json = "[]";
  s.masked[0] = "/proc/kcore";
  s.readonly[0] = "/proc/kcore";
  int rc = in_child(&s, check_kcore_link);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

/* A regular file where procfs should be, or a /dev/null that is really a
 * hardlink/symlink to something else, makes finalize refuse. */
static int check_refused(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) == 0)
    return 3;
  berth_error_free(err);
  return 0;
}

static void test_fake_proc_refused(void **state) {
  struct scenario s;
  scenario_init(&s);
  assert_int_equal(write_at(s.rootfs, "proc/keys", "planted\n"), 0);
  s.mounts_json = "[]";
  s.masked[0] = "/proc/keys";
  int rc = in_child(&s, check_refused);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

static int check_passwd_intact(struct scenario *s) {
  if (check_refused(s) != 0)
    return 3;
  char buf[64];
  int fd = open("/etc/passwd", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0);
  close(fd);
  return 0;
}

static void test_fake_null_refused(void **state) {
  struct scenario s;
  scenario_init(&s);
  char p[160], t[160];
  snprintf(p, sizeof(p), "%s/dev/null", s.rootfs);
  snprintf(t, sizeof(t), "%s/etc/passwd", s.rootfs);
  assert_int_equal(link(t, p), 0);
  assert_int_equal(write_at(s.rootfs, "etc/shadow", "x\n"), 0);
  s.mounts_json = "[]";
  s.masked[0] = "/etc/shadow";
  int rc = in_child(&s, check_passwd_intact);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

/* No tmpfs on /dev: the image's own /dev gets the default devices, and
 * they exist before masking needs /dev/null. */
static int check_image_dev(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  struct stat st;
  CHECK(!is_fs("/dev", TMPFS_MAGIC));
  CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0666);
  CHECK(stat("/dev/urandom", &st) == 0 && st.st_rdev == makedev(1, 9));
  CHECK(stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0));
  CHECK(link_is("/dev/fd", "/proc/self/fd"));
  CHECK(stat("/proc/keys", &st) == 0 && st.st_rdev == makedev(1, 3));
  return 0;
}

static void test_image_dev_gets_defaults(void **state) {
  struct scenario s;
  scenario_init(&s);
  s.mounts_json = "[{\"destination\":\"/proc\",\"type\":\"proc\"}]";
  s.masked[0] = "/proc/keys";
  int rc = in_child(&s, check_image_dev);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

/* A /dev bound from a host directory: nothing is created in it. */
static int check_bound_dev(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  DIR *d = opendir("/dev");
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  CHECK(d != NULL && n == 0);
  return 0;
}

static void test_bound_dev_left_alone(void **state) {
  struct scenario s;
  scenario_init(&s);
  char mounts[512], host[160];
  snprintf(host, sizeof(host), "%s/hostdev", s.dir);
  assert_int_equal(mkdir(host, 0755), 0);
  snprintf(mounts, sizeof(mounts),
           "[{\"destination\":\"/dev\",\"source\":\"%s\","
           "\"options\":[\"rbind\"]}]", host);
  s.mounts_json = mounts;
  s.devices_json = "[{\"path\":\"/dev/berth-test\",\"type\":\"c\","
                   "\"major\":1,\"minor\":7}]";
  int rc = in_child(&s, check_bound_dev);
  assert_int_equal(rmdir(host), 0); /* still empty */
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

/* /proc as a symlink leading out of the rootfs: proc ends up inside. */
static int check_proc_link(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  CHECK(is_fs("/proc", PROC_SUPER_MAGIC));
  CHECK(is_fs("/inside", PROC_SUPER_MAGIC));
  return 0;
}

static void test_proc_symlink(void **state) {
  struct scenario s;
  scenario_init(&s);
  char p[160], hostdir[160];
  snprintf(p, sizeof(p), "%s/proc", s.rootfs);
  assert_int_equal(rmdir(p), 0);
  /* Followed on the host this would be <dir>/escape, outside rootfs. */
  assert_int_equal(symlink("../../../../..//inside", p), 0);
  snprintf(hostdir, sizeof(hostdir), "%s/escape", s.dir);
  assert_int_equal(mkdir(hostdir, 0755), 0);
  s.mounts_json = "[{\"destination\":\"/proc\",\"type\":\"proc\"}]";
  int rc = in_child(&s, check_proc_link);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

/* In a user namespace mknod is refused: the default nodes must be the
 * host's, bound onto empty files, and still pass the /dev/null check used
 * for masking; read-only root must work although the rootfs bind carries
 * flags that are locked in the namespace. */
static int check_userns(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  struct stat st;
  char buf[8];
  CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == makedev(1, 3));
  CHECK(stat("/dev/urandom", &st) == 0 && st.st_rdev == makedev(1, 9));
  int fd = open("/dev/zero", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
        buf[0] == 0);
  close(fd);
  fd = open("/proc/keys", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0);
  close(fd);
  CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS);
  CHECK(open("/proc/sys/kernel/hostname", O_WRONLY) < 0 && errno == EROFS);
  return 0;
}

static void test_userns_rootfs(void **state) {
  struct scenario s;
  scenario_init(&s);
  s.in_userns = true;
  s.mounts_json =
      "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
      "\"options\":[\"nosuid\",\"mode=755\"]}]";
  s.masked[0] = "/proc/keys";
  s.readonly[0] = "/proc/sys";
  s.readonly_root = true;
  int rc = in_child(&s, check_userns);
  scenario_done(&s);
  assert_int_equal(rc, 0);
}

static int check_copyup(struct scenario *s) {
  berth_error *err = NULL;
  if (run_rootfs(s, &err) < 0) {
    fprintf(stderr, "rootfs: %s\n", err->msg);
    berth_error_free(err);
    return 2;
  }
  char buf[16] = "";
  struct stat st;
  CHECK(is_fs("/copy", TMPFS_MAGIC));
  int fd = open("/copy/sub/file", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 5 && memcmp(buf, "data\n", 5) == 0);
  close(fd);
  CHECK(stat("/copy/sub/file", &st) == 0 && (st.st_mode & 07777) == 0640 &&
        st.st_uid == 1234);
  CHECK(stat("/copy/sub", &st) == 0 && (st.st_mode & 07777) == 0711);
  CHECK(link_is("/copy/link", "sub/file"));
  fd = open("/copy/sub/file", O_WRONLY | O_TRUNC);
  CHECK(fd >= 0 && write(fd, "new", 3) == 3);
  close(fd);
  CHECK(is_fs("/copyro", TMPFS_MAGIC));
  CHECK(access("/copyro/sub/file", R_OK) == 0);
  CHECK(open("/copyro/x", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  return 0;
}

static void test_tmpcopyup(void **state) {
  struct scenario s;
  scenario_init(&s);
  char p[192];
  assert_int_equal(mk(s.rootfs, "copy/sub"), 0);
  assert_int_equal(mk(s.rootfs, "copyro/sub"), 0);
  assert_int_equal(write_at(s.rootfs, "copy/sub/file", "data\n"), 0);
  assert_int_equal(write_at(s.rootfs, "copyro/sub/file", "data\n"), 0);
  snprintf(p, sizeof(p), "%s/copy/sub/file", s.rootfs);
  assert_int_equal(chmod(p, 0640), 0);
  assert_int_equal(chown(p, 1234, 1234), 0);
  snprintf(p, sizeof(p), "%s/copy/sub", s.rootfs);
  assert_int_equal(chmod(p, 0711), 0);
  snprintf(p, sizeof(p), "%s/copy/link", s.rootfs);
  assert_int_equal(symlink("sub/file", p), 0);
  s.mounts_json =
      "[{\"destination\":\"/copy\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
      "\"options\":[\"tmpcopyup\"]},"
      "{\"destination\":\"/copyro\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
      "\"options\":[\"tmpcopyup\",\"ro\"]}]";
  int rc = in_child(&s, check_copyup);
  /* Writes went to the tmpfs, never to the image. */
  char buf[16] = "";
  snprintf(p, sizeof(p), "%s/copy/sub/file", s.rootfs);
  int fd = open(p, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
  if (fd >= 0)
    close(fd);
  scenario_done(&s);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_option_table),
      cmocka_unit_test(test_propagation_names),
      cmocka_unit_test(test_mount_errors),
      cmocka_unit_test(test_idmap_parse),
      cmocka_unit_test(test_devices_parse),
      cmocka_unit_test(test_full_rootfs),
      cmocka_unit_test(test_full_rootfs_cgroupns),
      cmocka_unit_test(test_masked_symlink),
      cmocka_unit_test(test_fake_proc_refused),
      cmocka_unit_test(test_fake_null_refused),
      cmocka_unit_test(test_proc_symlink),
      cmocka_unit_test(test_image_dev_gets_defaults),
      cmocka_unit_test(test_bound_dev_left_alone),
      cmocka_unit_test(test_userns_rootfs),
      cmocka_unit_test(test_tmpcopyup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
