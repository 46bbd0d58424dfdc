#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "valgrind_skip.h"

#include "fs.h"
#include "seccomp_filter.h"
#include "seccomp_profile.h"

/* Docker's default capability set. */
static char *docker_caps[] = {
    "CAP_CHOWN",      "CAP_DAC_OVERRIDE",     "CAP_FSETID",
    "CAP_FOWNER",     "CAP_MKNOD",            "CAP_NET_RAW",
    "CAP_SETGID",     "CAP_SETUID",           "CAP_SETFCAP",
    "CAP_SETPCAP",    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",       "CAP_AUDIT_WRITE",      NULL,
};

/* Blocked for a container with Docker's default capabilities. */
static const char *const blocked[] = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone3",
    "create_module", "delete_module", "finit_module", "get_kernel_syms",
    "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
    "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind",
    "mount", "move_pages", "name_to_handle_at", "nfsservctl",
    "open_by_handle_at", "perf_event_open", "personality", "pivot_root",
    "process_vm_readv", "process_vm_writev", "ptrace", "query_module",
    "quotactl", "reboot", "request_key", "set_mempolicy", "setns",
    "settimeofday", "stime", "swapon", "swapoff", "sysfs", "_sysctl",
    "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86",
    "vm86old", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
    "open_tree", "mount_setattr", "syslog", "clone", "io_uring_setup",
    "adjtimex", "vhangup",
};

static json_t *resolve_default(char *const *caps, const char *arch) {
  json_t *p = NULL, *out = NULL;
  berth_error *err = NULL;
  if (berth_seccomp_default_profile(&p, &err) < 0)
    fail_msg("default profile: %s", err->msg);
  if (berth_seccomp_profile_resolve(p, caps, arch, &out, &err) < 0)
    fail_msg("resolve: %s", err->msg);
  json_decref(p);
  return out;
}

/* Whether `name` is allowed without argument conditions. */
static bool allowed_always(json_t *resolved, const char *name) {
  json_t *r, *n;
  size_t i, j;
  json_array_foreach(json_object_get(resolved, "syscalls"), i, r) {
    if (strcmp(json_string_value(json_object_get(r, "action")),
               "SCMP_ACT_ALLOW") != 0 ||
        json_array_size(json_object_get(r, "args")) > 0)
      continue;
    json_array_foreach(json_object_get(r, "names"), j, n)
      if (strcmp(json_string_value(n), name) == 0)
        return true;
  }
  return false;
}

/* Whether any rule names `name`. */
static bool mentioned(json_t *resolved, const char *name) {
  json_t *r, *n;
  size_t i, j;
  json_array_foreach(json_object_get(resolved, "syscalls"), i, r)
    json_array_foreach(json_object_get(r, "names"), j, n)
      if (strcmp(json_string_value(n), name) == 0)
        return true;
  return false;
}

static void test_default_parses(void **state) {
  (void)state;
  json_t *p = NULL;
  assert_int_equal(berth_seccomp_default_profile(&p, NULL), 0);
  assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
                      "SCMP_ACT_ERRNO");
  assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")),
                   1);
  assert_true(json_array_size(json_object_get(p, "syscalls")) > 10);
  json_decref(p);
}

static void test_default_caps_block(void **state) {
  (void)state;
  json_t *r = resolve_default(docker_caps, "x86_64");
  for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
    if (allowed_always(r, blocked[i]))
      fail_msg("`%s` allowed with the default capabilities", blocked[i]);
  /* Everyday syscalls and chroot (CAP_SYS_CHROOT is a default cap). */
  const char *ok[] = {"read", "write", "getpid", "execve", "openat", "mmap",
                      "futex", "chroot", "socket", "arch_prctl"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    if (!allowed_always(r, ok[i]))
      fail_msg("`%s` not allowed", ok[i]);
  /* Conditions are gone from the result. */
  json_t *rule;
  size_t i;
  json_array_foreach(json_object_get(r, "syscalls"), i, rule) {
    assert_null(json_object_get(rule, "includes"));
    assert_null(json_object_get(rule, "excludes"));
    assert_null(json_object_get(rule, "comment"));
  }
  /* clone is there only with its namespace-flag condition; clone3 gets
   * ENOSYS so that libc falls back to clone. */
  assert_true(mentioned(r, "clone"));
  bool clone3_enosys = false;
  json_array_foreach(json_object_get(r, "syscalls"), i, rule) {
    json_t *names = json_object_get(rule, "names");
    if (strcmp(json_string_value(json_array_get(names, 0)), "clone3") == 0)
      clone3_enosys =
          json_integer_value(json_object_get(rule, "errnoRet")) == ENOSYS;
  }
  assert_true(clone3_enosys);
  json_decref(r);
}

static void test_caps_bring_rules(void **state) {
  (void)state;
  char *admin[] = {"CAP_SYS_ADMIN", NULL};
  json_t *r = resolve_default(admin, "x86_64");
  const char *with_admin[] = {"mount",  "umount2", "unshare", "setns",
                              "clone",  "clone3",  "bpf",     "fsopen",
                              "pivot_root", "perf_event_open"};
  for (size_t i = 0; i < sizeof(with_admin) / sizeof(with_admin[0]); i++)
    if (!allowed_always(r, with_admin[i]))
      fail_msg("`%s` not allowed with CAP_SYS_ADMIN", with_admin[i]);
  assert_false(allowed_always(r, "ptrace"));
  assert_false(allowed_always(r, "reboot"));
  json_decref(r);

  char *ptrace[] = {"CAP_SYS_PTRACE", NULL};
  r = resolve_default(ptrace, "x86_64");
  assert_true(allowed_always(r, "ptrace"));
  assert_true(allowed_always(r, "process_vm_readv"));
  assert_true(allowed_always(r, "process_vm_writev"));
  assert_true(allowed_always(r, "kcmp"));
  assert_false(allowed_always(r, "mount"));
  assert_false(allowed_always(r, "chroot")); /* no CAP_SYS_CHROOT here */
  json_decref(r);

  char *misc[] = {"CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYS_TIME",
                  "CAP_SYS_RAWIO", "CAP_SYS_PACCT", "CAP_SYS_NICE",
                  "CAP_SYSLOG", "CAP_BPF", "CAP_PERFMON", NULL};
  r = resolve_default(misc, "x86_64");
  const char *with_misc[] = {"init_module", "finit_module", "delete_module",
                             "reboot", "clock_settime", "settimeofday",
                             "iopl", "ioperm", "acct", "mbind",
                             "set_mempolicy", "syslog", "bpf",
                             "perf_event_open"};
  for (size_t i = 0; i < sizeof(with_misc) / sizeof(with_misc[0]); i++)
    if (!allowed_always(r, with_misc[i]))
      fail_msg("`%s` not allowed with its capability", with_misc[i]);
  assert_false(allowed_always(r, "mount"));
  json_decref(r);
}

static void expect_arches(json_t *r, const char *const *want, size_t n) {
  json_t *a = json_object_get(r, "architectures");
  assert_int_equal(json_array_size(a), n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(json_string_value(json_array_get(a, i)), want[i]);
}

static void test_arches(void **state) {
  (void)state;
  char *rawio[] = {"CAP_SYS_RAWIO", NULL};
  json_t *r = resolve_default(rawio, "x86_64");
  const char *x86[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  expect_arches(r, x86, 3);
  assert_true(allowed_always(r, "arch_prctl"));
  assert_true(allowed_always(r, "iopl"));
  assert_false(mentioned(r, "set_tls"));
  json_decref(r);

  r = resolve_default(rawio, "aarch64");
  const char *arm[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  expect_arches(r, arm, 2);
  assert_true(allowed_always(r, "set_tls"));
  assert_true(allowed_always(r, "arm_fadvise64_64"));
  assert_false(mentioned(r, "arch_prctl"));
  assert_false(mentioned(r, "iopl"));
  json_decref(r);

  /* Go names work too (profiles written for Docker). */
  r = resolve_default(NULL, "amd64");
  expect_arches(r, x86, 3);
  json_decref(r);

  json_t *p = NULL, *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_seccomp_default_profile(&p, NULL), 0);
  assert_int_equal(berth_seccomp_profile_resolve(p, NULL, "mips", &out, &err),
                   -1);
  assert_int_equal(err->kind, BERTH_ERR_UNSUPPORTED);
  berth_error_free(err);
  json_decref(p);
}

static json_t *parse(const char *text) {
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (j == NULL)
    fail_msg("test JSON: %s", jerr.text);
  return j;
}

static json_t *resolve_text(const char *text, char *const *caps,
                            const char *arch) {
  json_t *p = parse(text), *out = NULL;
  berth_error *err = NULL;
  if (berth_seccomp_profile_resolve(p, caps, arch, &out, &err) < 0)
    fail_msg("resolve: %s", err->msg);
  json_decref(p);
  return out;
}

static void test_arch_map_and_conditions(void **state) {
  (void)state;
  json_t *r = resolve_text(
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":["
      "{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":"
      "[\"SCMP_ARCH_X86\"]},"
      "{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":"
      "[\"SCMP_ARCH_ARM\"]}],\"syscalls\":["
      "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
      "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"includes\":{\"minKernel\":\"4.8\"}},"
      "{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"includes\":{\"minKernel\":\"99.0\"}},"
      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"excludes\":{\"minKernel\":\"4.8.1\"}},"
      "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"includes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_NET_ADMIN\"]}},"
      "{\"names\":[\"umount2\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"excludes\":{\"arches\":[\"arm64\"]}},"
      "{\"names\":[\"sync\"],\"action\":\"SCMP_ACT_ALLOW\","
      " \"excludes\":{\"caps\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"]}}]}",
      (char *[]){"CAP_SYS_ADMIN", NULL}, "aarch64");
  const char *arm[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  expect_arches(r, arm, 2);
  assert_null(json_object_get(r, "archMap"));
  assert_true(mentioned(r, "read"));
  assert_true(mentioned(r, "getpid"));    /* this kernel is newer than 4.8 */
  assert_false(mentioned(r, "gettid"));   /* ... and older than 99.0 */
  assert_false(mentioned(r, "getppid"));  /* excluded from 4.8.1 on */
  assert_false(mentioned(r, "mount"));    /* needs both capabilities */
  assert_false(mentioned(r, "umount2"));  /* excluded on arm64 */
  assert_false(mentioned(r, "sync"));     /* any excluded cap drops it */
  json_decref(r);

  /* A profile naming no architecture of the host: native only. */
  r = resolve_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                   "\"architectures\":[\"SCMP_ARCH_PPC64LE\"]}",
                   NULL, "x86_64");
  assert_null(json_object_get(r, "architectures"));
  json_decref(r);
}

/* The error is INVALID and names `field`. */
static void expect_invalid(const char *text, const char *field) {
  json_t *p = parse(text), *out = NULL;
  berth_error *err = NULL;
  assert_int_equal(
      berth_seccomp_profile_resolve(p, docker_caps, "x86_64", &out, &err),
      -1);
  assert_null(out);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  if (strstr(err->msg, field) == NULL)
    fail_msg("`%s` does not name `%s`", err->msg, field);
  berth_error_free(err);
  json_decref(p);
}

#define HEAD "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["

static void test_malformed_profiles(void **state) {
  (void)state;
  expect_invalid("[]", "must be an object");
  expect_invalid("{\"syscalls\":[]}", "defaultAction");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
                 "defaultAction: unknown action `SCMP_ACT_NOPE`");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "defaultAction");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_BOGUS\"}]}",
                 "syscalls[0].action");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                      "{\"names\":[\"read\",7],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                 "syscalls[1].names[1]");
  expect_invalid(HEAD "{\"names\":\"read\",\"action\":\"SCMP_ACT_ALLOW\"}]}",
                 "syscalls[0].names");
  expect_invalid(HEAD "{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                 "syscalls[0].names");
  expect_invalid(HEAD "{\"action\":\"SCMP_ACT_ALLOW\"}]}",
                 "syscalls[0].names");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"errnoRet\":1}]}",
                 "syscalls[0].errnoRet");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"includes\":[\"CAP_SYS_ADMIN\"]}]}",
                 "syscalls[0].includes");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"includes\":{\"capz\":[\"CAP_SYS_ADMIN\"]}}]}",
                 "syscalls[0].includes.capz");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"includes\":{\"caps\":[1]}}]}",
                 "syscalls[0].includes.caps[0]");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"excludes\":{\"caps\":[\"SYS_ADMIN\"]}}]}",
                 "syscalls[0].excludes.caps[0]");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"includes\":{\"minKernel\":\"four\"}}]}",
                 "syscalls[0].includes.minKernel");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"includes\":{\"arches\":\"x86_64\"}}]}",
                 "syscalls[0].includes.arches");
  /* A misspelt condition would make the rule unconditional. */
  expect_invalid(HEAD "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"incudes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}",
                 "syscalls[0].incudes");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"args\":[{\"index\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "syscalls[0].args[0].index");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_XX\"}]}]}",
                 "syscalls[0].args[0].op");
  expect_invalid(HEAD "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                      "\"args\":[{\"index\":0,\"value\":-1,"
                      "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "syscalls[0].args[0].value");
  expect_invalid(HEAD "7]}", "syscalls[0]");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                 "\"architectures\":[\"SCMP_ARCH_Z80\"]}",
                 "architectures[0]");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                 "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"archMap\":[]}",
                 "archMap");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":"
                 "[{\"architecture\":\"SCMP_ARCH_X86_64\","
                 "\"subArchitectures\":[\"x86\"]}]}",
                 "archMap[0].subArchitectures[0]");
  expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"sycalls\":[]}",
                 "sycalls");
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state) {
  (void)state;
  char dir[] = "/tmp/berth-seccomp-profile-XXXXXX", path[128];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/p.json", dir);
  json_t *p = NULL;
  berth_error *err = NULL;

  write_text(path, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
                   "  \"syscalls\": [\n    {\"names\": [\"read\"],\n"
                   "     \"action\": \"SCMP_ACT_ALOW\"}\n  ]\n}\n");
  assert_int_equal(berth_seccomp_profile_load(path, &p, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, path));
  assert_non_null(strstr(err->msg, ":5:16: syscalls[0].action"));
  berth_error_free(err);
  err = NULL;

  write_text(path, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",,\n}\n");
  assert_int_equal(berth_seccomp_profile_load(path, &p, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, ":2:"));
  berth_error_free(err);
  err = NULL;

  write_text(path, "{\"defaultAction\": \"SCMP_ACT_LOG\"}");
  assert_int_equal(berth_seccomp_profile_load(path, &p, &err), 0);
  assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
                      "SCMP_ACT_LOG");
  json_decref(p);

  snprintf(path, sizeof(path), "%s/missing.json", dir);
  assert_int_equal(berth_seccomp_profile_load(path, &p, &err), -1);
  assert_int_equal(err->errno_value, ENOENT);
  berth_error_free(err);
  assert_int_equal(berth_rm_rf(dir, NULL), 0);
}

/* The source tree's seccomp-default.json, found from this file's path as
 * the compiler saw it (relative to the build directory, two levels above
 * the test binary). */
static bool source_profile_path(char *buf, size_t n) {
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (len < 0)
    return false;
  exe[len] = '\0';
  for (int i = 0; i < 3; i++) {
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
      return false;
    *slash = '\0';
  }
  const char *me = __FILE__, *tail = "tests/unit/test_seccomp_profile.c";
  size_t ml = strlen(me), tl = strlen(tail);
  if (ml < tl || strcmp(me + ml - tl, tail) != 0)
    return false;
  int w = me[0] == '/' ? snprintf(buf, n, "%.*ssrc/engine/seccomp-default.json",
                                  (int)(ml - tl), me)
                       : snprintf(buf, n, "%s/%.*ssrc/engine/"
                                  "seccomp-default.json", exe,
                                  (int)(ml - tl), me);
  return w > 0 && (size_t)w < n && access(buf, R_OK) == 0;
}

/* The shipped file and the embedded copy are the same profile. */
static void test_file_matches_embedded(void **state) {
  (void)state;
  json_t *file = NULL, *embedded = NULL;
  berth_error *err = NULL;
  char path[8192];
  if (!source_profile_path(path, sizeof(path)))
    skip();
  if (berth_seccomp_profile_load(path, &file, &err) < 0)
    fail_msg("%s", err->msg);
  assert_int_equal(berth_seccomp_default_profile(&embedded, NULL), 0);
  assert_true(json_equal(file, embedded));
  json_decref(file);
  json_decref(embedded);
}

static struct berth_seccomp_prog compile_resolved(char *const *caps,
                                                  const char *arch) {
  json_t *r = resolve_default(caps, arch);
  struct berth_seccomp *s = NULL;
  struct berth_seccomp_prog prog;
  berth_error *err = NULL;
  if (berth_seccomp_parse(r, "linux.seccomp", &s, &err) < 0)
    fail_msg("runtime parser: %s", err->msg);
  if (berth_seccomp_compile(s, NULL, &prog, &err) < 0)
    fail_msg("compile: %s", err->msg);
  berth_seccomp_free(s);
  json_decref(r);
  return prog;
}

/* Every resolution of the default profile is accepted by the runtime's
 * parser (which refuses syscall names libseccomp does not know) and
 * compiles, for both architecture families. */
static void test_runtime_compiles(void **state) {
  (void)state;
  char *admin[] = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", NULL};
  const char *arches[] = {"x86_64", "aarch64"};
  for (size_t i = 0; i < 2; i++) {
    struct berth_seccomp_prog p = compile_resolved(docker_caps, arches[i]);
    assert_true(p.len > 0);
    berth_seccomp_prog_free(&p);
    p = compile_resolved(admin, arches[i]);
    assert_true(p.len > 0);
    berth_seccomp_prog_free(&p);
  }
}

enum {
  BAD_GETPID = 1 << 0,
  BAD_UNSHARE = 1 << 1,
  BAD_MOUNT = 1 << 2,
  BAD_CLONE3 = 1 << 3,
  BAD_CLONE_NS = 1 << 4,
  BAD_FORK = 1 << 5,
  BAD_PERSONALITY = 1 << 6,
  BAD_LOAD = 1 << 7,
};

/* Runs in a forked child under the filter; returns the failed checks.
 * Exits through the raw syscall: sanitizer runtimes hook _exit. */
static int probe_filter(bool admin) {
  int bad = 0;
  if (syscall(SYS_getpid) != getpid())
    bad |= BAD_GETPID;
  long rc = syscall(SYS_unshare, CLONE_NEWUTS);
  if (admin ? rc != 0 : !(rc == -1 && errno == EPERM))
    bad |= BAD_UNSHARE;
  rc = syscall(SYS_unshare, CLONE_NEWUSER);
  if (!admin && !(rc == -1 && errno == EPERM))
    bad |= BAD_UNSHARE;
  /* Allowed by the filter, refused by the kernel (EFAULT on NULL paths);
   * the filter's own refusal is EPERM. */
  rc = syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
  if (admin ? (rc == -1 && errno == EPERM) : !(rc == -1 && errno == EPERM))
    bad |= BAD_MOUNT;
  /* clone3 with no arguments: EINVAL/EFAULT from the kernel, ENOSYS from
   * the filter. */
  rc = syscall(SYS_clone3, NULL, 0);
  if (admin ? errno == ENOSYS : !(rc == -1 && errno == ENOSYS))
    bad |= BAD_CLONE3;
  if (!admin) {
    rc = syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, NULL, NULL,
                 NULL, NULL);
    if (rc == 0)
      syscall(SYS_exit_group, 0);
    if (!(rc == -1 && errno == EPERM))
      bad |= BAD_CLONE_NS;
  }
  pid_t pid = fork(); /* plain clone: must still work */
  if (pid == 0)
    syscall(SYS_exit_group, 7);
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
      WEXITSTATUS(st) != 7)
    bad |= BAD_FORK;
  if (personality(0xffffffff) < 0)
    bad |= BAD_PERSONALITY;
  if (!(personality(READ_IMPLIES_EXEC) == -1 && errno == EPERM))
    bad |= BAD_PERSONALITY;
  return bad;
}

static void run_under_filter(char *const *caps, bool admin) {
  struct berth_seccomp_prog prog = compile_resolved(caps, "x86_64");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int bad = 0;
    /* Its own namespaces, so the CAP_SYS_ADMIN probes change nothing on
     * the host. */
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        berth_seccomp_load(&prog, NULL) < 0)
      bad = BAD_LOAD;
    else
      bad = probe_filter(admin);
    syscall(SYS_exit_group, bad);
  }
  berth_seccomp_prog_free(&prog);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  if (WEXITSTATUS(st) != 0)
    fail_msg("checks failed under the filter: %#x", WEXITSTATUS(st));
}

static void test_filter_in_kernel(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* seccomp(2) */
  struct utsname u;
  /* The child makes its own mount and UTS namespaces (root only). */
  if (uname(&u) < 0 || strcmp(u.machine, "x86_64") != 0 || geteuid() != 0)
    skip();
  run_under_filter(docker_caps, false);
  char *admin[] = {"CAP_SYS_ADMIN", NULL};
  run_under_filter(admin, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_parses),
      cmocka_unit_test(test_default_caps_block),
      cmocka_unit_test(test_caps_bring_rules),
      cmocka_unit_test(test_arches),
      cmocka_unit_test(test_arch_map_and_conditions),
      cmocka_unit_test(test_malformed_profiles),
      cmocka_unit_test(test_load_file),
      cmocka_unit_test(test_file_matches_embedded),
      cmocka_unit_test(test_runtime_compiles),
      cmocka_unit_test(test_filter_in_kernel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
