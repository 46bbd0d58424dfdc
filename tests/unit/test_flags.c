#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "flags.h"

/* The case tables list only the leading fields that matter. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* A failure must be INVALID, negative, one line, and name the flag and the
 * value it refused. */
static void check_invalid(int rc, berth_error *err, const char *flag,
                          const char *value) {
  assert_true(rc < 0);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, flag));
  if (value && !strchr(value, '\n'))
    assert_non_null(strstr(err->msg, value));
  assert_null(strchr(err->msg, '\n'));
  berth_error_free(err);
}

/* ---- sizes -------------------------------------------------------------- */

static void test_size_good(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t v;
  } cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"512b", 512},
      {"512B", 512},
      {"1k", 1024},
      {"1K", 1024},
      {"512k", 512 << 10},
      {"512kb", 512 << 10},
      {"512m", 512ll << 20},
      {"512M", 512ll << 20},
      {"1.5g", 3ll << 29},
      {"2gb", 2ll << 30},
      {"2GB", 2ll << 30},
      {"2GiB", 2ll << 30},
      {"1t", 1ll << 40},
      {"1p", 1ll << 50},
      {"0.5k", 512},
      {"1.5", 1},              /* Docker truncates fractional bytes */
      {"1.0001k", 1024},       /* fractional bytes are truncated */
      {"007", 7},
      {"8191p", 8191ll << 50}, /* largest whole number of p in int64 */
      {"9223372036854775807", INT64_MAX},
      {"1.00000000000000000000000000001m", 1 << 20},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    berth_error *err = NULL;
    int64_t v = -1;
    int rc = berth_parse_size("--memory", cases[i].s, &v, &err);
    if (rc != 0)
      fail_msg("%s: %s", cases[i].s, err ? err->msg : "?");
    assert_null(err);
    assert_int_equal(v, cases[i].v);
  }
}

static void test_size_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",     "-1",     "-1m",   "m",     "1q",   "12q",  "1.",
      ".5g",  "1..5g",  "1.5.2g", "1 g",  "1gg",  "1bb",  "1kib2", "1e3",
      "0x10", "1i",     "+1",    "8192p", "9223372036854775808",
      "99999999999999999999999", "1m ", " 1m", "1,5g",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    int64_t v = 42;
    int rc = berth_parse_size("--memory", bad[i], &v, &err);
    if (rc == 0)
      fail_msg("`%s` accepted as %lld", bad[i], (long long)v);
    assert_int_equal(v, 42);
    check_invalid(rc, err, "--memory", bad[i]);
  }
}

static void test_size_message(void **state) {
  (void)state;
  berth_error *err = NULL;
  int64_t v;
  assert_true(berth_parse_size("--memory", "12q", &v, &err) < 0);
  assert_string_equal(err->msg, "invalid --memory `12q`: unknown unit `q`");
  berth_error_free(err);
}

/* ---- cpus --------------------------------------------------------------- */

static void test_cpus(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t v;
  } good[] = {
      {"1", 1000000000},       {"1.5", 1500000000},
      {"0.5", 500000000},      {".25", 250000000},
      {"0.000000001", 1},      {"1024", 1024000000000},
      {"2.", 2000000000},      {"1.5000000000000", 1500000000},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    int64_t v = 0;
    assert_int_equal(berth_parse_cpus(good[i].s, &v, &err), 0);
    assert_int_equal(v, good[i].v);
  }
  static const char *const bad[] = {
      "",  "0",     "0.0",   "-1",   "1024.000000001", "1025", "abc", "1.5x",
      ".", "1e3",   "0.0000000001", "1.2345678901", "99999999999999999999",
      "1,5", " 1",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    int64_t v = 7;
    int rc = berth_parse_cpus(bad[i], &v, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_int_equal(v, 7);
    check_invalid(rc, err, "--cpus", bad[i]);
  }
}

/* ---- durations ---------------------------------------------------------- */

static void test_duration_good(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t v;
  } cases[] = {
      {"0", 0},
      {"0s", 0},
      {"+5s", 5000000000},
      {"300ms", 300000000},
      {"30s", 30000000000},
      {"1m30s", 90000000000},
      {"2h", 7200000000000},
      {"1.5s", 1500000000},
      {".5s", 500000000},
      {"1.s", 1000000000},
      {"1h2m3s4ms5us6ns", 3723004005006},
      {"10\u00b5s", 10000},
      {"10\u03bcs", 10000},
      {"1ns", 1},
      {"1.5h", 5400000000000},
      {"1s1s", 2000000000},
      {"2562047h47m16.854775807s", INT64_MAX},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    berth_error *err = NULL;
    int64_t v = -1;
    int rc = berth_parse_duration("--stop-timeout", cases[i].s, &v, &err);
    if (rc != 0)
      fail_msg("%s: %s", cases[i].s, err ? err->msg : "?");
    assert_int_equal(v, cases[i].v);
  }
}

static void test_duration_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",     "5",     "1m30",  "-1s",  "-0",   "s",    "1x",    "1sec",
      "1S",   "1M",    ".s",    "1..5s", "1.5.s", "+",  "1 s",   "1s ",
      "2562048h", "9223372036854775808ns", "3000000h", "1d",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    int64_t v = 9;
    int rc = berth_parse_duration("--health-interval", bad[i], &v, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_int_equal(v, 9);
    check_invalid(rc, err, "--health-interval", bad[i]);
  }
}

/* ---- ulimit ------------------------------------------------------------- */

static void test_ulimit_good(void **state) {
  (void)state;
  static const struct {
    const char *s, *type;
    uint64_t soft, hard;
  } cases[] = {
      {"nofile=1024:2048", "RLIMIT_NOFILE", 1024, 2048},
      {"nofile=1024", "RLIMIT_NOFILE", 1024, 1024},
      {"core=-1", "RLIMIT_CORE", UINT64_MAX, UINT64_MAX},
      {"core=0:-1", "RLIMIT_CORE", 0, UINT64_MAX},
      {"as=1:1", "RLIMIT_AS", 1, 1},
      {"msgqueue=819200", "RLIMIT_MSGQUEUE", 819200, 819200},
      {"sigpending=5:10", "RLIMIT_SIGPENDING", 5, 10},
      {"rttime=9223372036854775807", "RLIMIT_RTTIME", INT64_MAX, INT64_MAX},
      {"cpu=1", "RLIMIT_CPU", 1, 1},   {"data=1", "RLIMIT_DATA", 1, 1},
      {"fsize=1", "RLIMIT_FSIZE", 1, 1}, {"locks=1", "RLIMIT_LOCKS", 1, 1},
      {"memlock=1", "RLIMIT_MEMLOCK", 1, 1}, {"nice=1", "RLIMIT_NICE", 1, 1},
      {"nproc=1", "RLIMIT_NPROC", 1, 1}, {"rss=1", "RLIMIT_RSS", 1, 1},
      {"rtprio=1", "RLIMIT_RTPRIO", 1, 1}, {"stack=1", "RLIMIT_STACK", 1, 1},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    berth_error *err = NULL;
    struct berth_ulimit u;
    memset(&u, 0xaa, sizeof(u));
    int rc = berth_parse_ulimit(cases[i].s, &u, &err);
    if (rc != 0)
      fail_msg("%s: %s", cases[i].s, err ? err->msg : "?");
    assert_string_equal(u.type, cases[i].type);
    assert_true(u.soft == cases[i].soft);
    assert_true(u.hard == cases[i].hard);
  }
}

static void test_ulimit_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "nofile",          "nofile=",        "nofile=:",      "nofile=1:",
      "nofile=:1",       "nofile=2048:1024", "nofile=-1:1024", "nofile=-2",
      "nofile=1:-2",     "nofile=1:2:3",   "nofile=abc",    "nofile=1k",
      "NOFILE=1",        "RLIMIT_NOFILE=1", "files=1",      "=1",
      "",                "nofile=9223372036854775808", "nofile= 1",
      "nofile=+1",       "nofil=1",        "nofilex=1",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    struct berth_ulimit u = {.soft = 3};
    int rc = berth_parse_ulimit(bad[i], &u, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_int_equal(u.soft, 3);
    check_invalid(rc, err, "--ulimit", bad[i]);
  }
}

/* ---- restart ------------------------------------------------------------ */

static void test_restart(void **state) {
  (void)state;
  static const struct {
    const char *s;
    enum berth_restart_kind kind;
    int n;
    const char *fmt;
  } good[] = {
      {"no", BERTH_RESTART_NO, 0, "no"},
      {"", BERTH_RESTART_NO, 0, "no"},
      {"always", BERTH_RESTART_ALWAYS, 0, "always"},
      {"unless-stopped", BERTH_RESTART_UNLESS_STOPPED, 0, "unless-stopped"},
      {"on-failure", BERTH_RESTART_ON_FAILURE, 0, "on-failure"},
      {"on-failure:0", BERTH_RESTART_ON_FAILURE, 0, "on-failure"},
      {"on-failure:3", BERTH_RESTART_ON_FAILURE, 3, "on-failure:3"},
      {"on-failure:999999999", BERTH_RESTART_ON_FAILURE, 999999999,
       "on-failure:999999999"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    struct berth_restart r = {.kind = 99, .max_retries = -5};
    assert_int_equal(berth_parse_restart(good[i].s, &r, &err), 0);
    assert_int_equal(r.kind, good[i].kind);
    assert_int_equal(r.max_retries, good[i].n);
    char buf[32];
    assert_string_equal(berth_restart_format(&r, buf, sizeof(buf)),
                        good[i].fmt);
  }
  static const char *const bad[] = {
      "yes",          "on-failure:",  "on-failure:-1", "on-failure:x",
      "always:3",     "no:1",         "unless-stopped:2", "On-Failure",
      "on-failure:1:2", "on-failure:1234567890", "on-failure:+1", ":3",
      "always ",      "on",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    struct berth_restart r = {.kind = BERTH_RESTART_ALWAYS};
    int rc = berth_parse_restart(bad[i], &r, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_int_equal(r.kind, BERTH_RESTART_ALWAYS);
    check_invalid(rc, err, "--restart", bad[i]);
  }
}

static void test_restart_format_small_buffer(void **state) {
  (void)state;
  struct berth_restart r = {BERTH_RESTART_ON_FAILURE, 12345};
  char small[8];
  assert_string_equal(berth_restart_format(&r, small, sizeof(small)),
                      "on-failure");
  assert_string_equal(berth_restart_format(&r, NULL, 0), "on-failure");
  r.kind = 42;
  assert_string_equal(berth_restart_format(&r, small, sizeof(small)), "no");
}

/* ---- -v ----------------------------------------------------------------- */

struct mount_case {
  const char *s;
  enum berth_mount_type type;
  const char *source, *target;
  bool readonly;
  const char *propagation;
  bool nocopy;
  int64_t size;
  uint32_t mode;
  const char *options;
};

static void assert_str_or_null(const char *got, const char *want) {
  if (want == NULL)
    assert_null(got);
  else
    assert_string_equal(got, want);
}

typedef int (*mount_parser)(const char *, struct berth_mount_spec *,
                            berth_error **);

static void check_mount_cases(mount_parser parse, const struct mount_case *c,
                              size_t n) {
  for (size_t i = 0; i < n; i++) {
    berth_error *err = NULL;
    struct berth_mount_spec m = {0};
    int rc = parse(c[i].s, &m, &err);
    if (rc != 0)
      fail_msg("%s: %s", c[i].s, err ? err->msg : "?");
    assert_int_equal(m.type, c[i].type);
    assert_str_or_null(m.source, c[i].source);
    assert_str_or_null(m.target, c[i].target);
    assert_int_equal(m.readonly, c[i].readonly);
    assert_str_or_null(m.propagation, c[i].propagation);
    assert_int_equal(m.nocopy, c[i].nocopy);
    assert_int_equal(m.tmpfs_size, c[i].size);
    assert_int_equal(m.tmpfs_mode, c[i].mode);
    assert_str_or_null(m.tmpfs_options, c[i].options);
    berth_mount_spec_clear(&m);
    assert_null(m.source);
  }
}

static void check_mount_bad(mount_parser parse, const char *flag,
                            const char *const *bad, size_t n) {
  for (size_t i = 0; i < n; i++) {
    berth_error *err = NULL;
    struct berth_mount_spec m = {.source = (char *)"untouched"};
    int rc = parse(bad[i], &m, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_string_equal(m.source, "untouched");
    check_invalid(rc, err, flag, bad[i]);
  }
}

static void test_volume_good(void **state) {
  (void)state;
  static const struct mount_case c[] = {
      {"/src:/dst", BERTH_MOUNT_BIND, "/src", "/dst", false, "rprivate"},
      {"/src:/dst:ro", BERTH_MOUNT_BIND, "/src", "/dst", true, "rprivate"},
      {"/src:/dst:rw", BERTH_MOUNT_BIND, "/src", "/dst", false, "rprivate"},
      {"/src/:/dst//x/./y/", BERTH_MOUNT_BIND, "/src", "/dst/x/y", false,
       "rprivate"},
      {"//a//b/../c:/d", BERTH_MOUNT_BIND, "/a/b/../c", "/d", false,
       "rprivate"},
      {"/:/host", BERTH_MOUNT_BIND, "/", "/host", false, "rprivate"},
      {"/s:/d:ro,rshared", BERTH_MOUNT_BIND, "/s", "/d", true, "rshared"},
      {"/s:/d:slave,z", BERTH_MOUNT_BIND, "/s", "/d", false, "slave"},
      {"/s:/d:Z,private,rw", BERTH_MOUNT_BIND, "/s", "/d", false, "private"},
      {"/s:/d:rslave", BERTH_MOUNT_BIND, "/s", "/d", false, "rslave"},
      {"/s:/d:shared", BERTH_MOUNT_BIND, "/s", "/d", false, "shared"},
      {"/s:/d:rprivate", BERTH_MOUNT_BIND, "/s", "/d", false, "rprivate"},
      {"data:/var/lib/data", BERTH_MOUNT_VOLUME, "data", "/var/lib/data"},
      {"my_vol.1-x:/d:ro,nocopy", BERTH_MOUNT_VOLUME, "my_vol.1-x", "/d", true,
       NULL, true},
      {"v:/d:nocopy", BERTH_MOUNT_VOLUME, "v", "/d", false, NULL, true},
      {"0:/d", BERTH_MOUNT_VOLUME, "0", "/d"},
      {"/anon", BERTH_MOUNT_VOLUME, NULL, "/anon"},
      {"/anon/./x//", BERTH_MOUNT_VOLUME, NULL, "/anon/x"},
  };
  check_mount_cases(berth_parse_volume_flag, c, ARRAY_SIZE(c));
}

/* `./dir`, `../dir`, `.` and `..` are host paths relative to the cwd, as
 * the Docker CLI reads them; `.v` stays an (invalid) volume name. */
static void test_volume_relative(void **state) {
  (void)state;
  char cwd[4096], dir[] = "/tmp/berth-flags-XXXXXX";
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_non_null(mkdtemp(dir));
  assert_int_equal(chdir(dir), 0);
  char sub[4200], parent[4200];
  snprintf(sub, sizeof sub, "%s/src", dir);
  snprintf(parent, sizeof parent, "%s/../x", dir);
  const struct mount_case c[] = {
      {"./src:/dst", BERTH_MOUNT_BIND, sub, "/dst", false, "rprivate"},
      {"./src/:/dst:ro", BERTH_MOUNT_BIND, sub, "/dst", true, "rprivate"},
      {".:/dst", BERTH_MOUNT_BIND, dir, "/dst", false, "rprivate"},
      {"../x:/dst", BERTH_MOUNT_BIND, parent, "/dst", false, "rprivate"},
  };
  check_mount_cases(berth_parse_volume_flag, c, ARRAY_SIZE(c));
  const struct mount_case mc[] = {
      {"type=bind,src=./src,dst=/dst", BERTH_MOUNT_BIND, sub, "/dst", false,
       "rprivate"},
  };
  check_mount_cases(berth_parse_mount_flag, mc, ARRAY_SIZE(mc));
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(rmdir(dir), 0);
}

static void test_volume_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",              "relative",       "/s:relative",    "/s:",
      ":/d",           "/s:/d:",         "/s:/d:ro,",      "/s:/d:,ro",
      "/s:/d:ro,rw",   "/s:/d:ro,ro",    "/s:/d:z,Z",      "/s:/d:bogus",
      "/s:/d:nocopy",  "v:/d:rshared",   "v:/d:nocopy,nocopy",
      "/s:/d:shared,slave", "/s:/d:ro:x", "/s:/d/../x",   "/s:/..",
      "/s:/",          "/s://",          "/s:/.",          "~/s:/d",
      "_v:/d",         "-v:/d",          "..v:/d",
      ".v:/d",         "v/x:/d",         "v x:/d",         "v$:/d",
      "/d:ro",         "/s:/d:RO",       "/anon/..",       "/",
      "s:d",
  };
  check_mount_bad(berth_parse_volume_flag, "--volume", bad, ARRAY_SIZE(bad));
}

/* ---- --mount ------------------------------------------------------------ */

static void test_mount_good(void **state) {
  (void)state;
  static const struct mount_case c[] = {
      {"type=bind,source=/s,target=/d", BERTH_MOUNT_BIND, "/s", "/d", false,
       "rprivate"},
      {"type=bind,src=/s/,dst=/d/,readonly", BERTH_MOUNT_BIND, "/s", "/d",
       true, "rprivate"},
      {"target=/d,type=bind,source=/s,ro=true,bind-propagation=rshared",
       BERTH_MOUNT_BIND, "/s", "/d", true, "rshared"},
      {"type=bind,source=/s,destination=/d,readonly=false", BERTH_MOUNT_BIND,
       "/s", "/d", false, "rprivate"},
      {"type=bind,source=/s,target=/d,ro=0", BERTH_MOUNT_BIND, "/s", "/d",
       false, "rprivate"},
      {"Type=bind,Source=/s,Target=/d,RO=1", BERTH_MOUNT_BIND, "/s", "/d",
       true, "rprivate"},
      {"type=volume,source=data,target=/data", BERTH_MOUNT_VOLUME, "data",
       "/data"},
      {"source=data,target=/data,volume-nocopy", BERTH_MOUNT_VOLUME, "data",
       "/data", false, NULL, true},
      {"target=/data,volume-nocopy=false", BERTH_MOUNT_VOLUME, NULL, "/data"},
      {"type=volume,target=/anon", BERTH_MOUNT_VOLUME, NULL, "/anon"},
      {"type=tmpfs,target=/x", BERTH_MOUNT_TMPFS, NULL, "/x"},
      {"type=tmpfs,target=/x,tmpfs-size=1m", BERTH_MOUNT_TMPFS, NULL, "/x",
       false, NULL, false, 1 << 20},
      {"type=tmpfs,dst=/x,tmpfs-size=64k,tmpfs-mode=1770,ro",
       BERTH_MOUNT_TMPFS, NULL, "/x", true, NULL, false, 64 << 10, 01770},
      {"type=tmpfs,target=/x,tmpfs-mode=700", BERTH_MOUNT_TMPFS, NULL, "/x",
       false, NULL, false, 0, 0700},
      {"\"type=bind\",\"source=/a,b\",target=/c", BERTH_MOUNT_BIND, "/a,b",
       "/c", false, "rprivate"},
      {"type=bind,\"source=/a\"\"q\",target=/c", BERTH_MOUNT_BIND, "/a\"q",
       "/c", false, "rprivate"},
      {"type=bind,source=/s,target=/d,target=/e", BERTH_MOUNT_BIND, "/s",
       "/e", false, "rprivate"},
  };
  check_mount_cases(berth_parse_mount_flag, c, ARRAY_SIZE(c));
}

static void test_mount_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "type=bind",
      "type=bind,target=/d",
      "type=bind,source=rel,target=/d",
      "type=bind,source=/s",
      "type=bind,source=/s,target=rel",
      "type=bind,source=/s,target=/a/../b",
      "type=bind,source=/s,target=/",
      "type=bind,source=/s,target=/d,bind-propagation=bogus",
      "type=bind,source=/s,target=/d,volume-nocopy",
      "type=bind,source=/s,target=/d,tmpfs-size=1m",
      "type=bind,source=/s,target=/d,readonly=maybe",
      "type=bind,source=/s,target=/d,bogus=1",
      "type=bind,source=/s,target=/d,consistency=cached",
      "type=bind,source=/s,target=/d,,",
      "type=bind,source=/s,target",
      "type=bind,source=/s,target=",
      "type=volume,source=/abs,target=/d",
      "type=volume,source=bad/name,target=/d",
      "type=volume,source=v,target=/d,bind-propagation=shared",
      "type=volume,source=v,target=/d,tmpfs-mode=700",
      "type=volume,source=v,target=/d,volume-nocopy=2",
      "source=v",
      "type=tmpfs,source=/s,target=/x",
      "type=tmpfs,source=v,target=/x",
      "type=tmpfs,target=/x,tmpfs-size=1q",
      "type=tmpfs,target=/x,tmpfs-size=-1",
      "type=tmpfs,target=/x,tmpfs-mode=8",
      "type=tmpfs,target=/x,tmpfs-mode=17777",
      "type=tmpfs,target=/x,tmpfs-mode=",
      "type=tmpfs,target=/x,tmpfs-mode=0x1ff",
      "type=tmpfs,target=/x,volume-nocopy",
      "type=tmpfs,target=/x,bind-propagation=rprivate",
      "type=npipe,target=/x",
      "type=,target=/x",
      "type=bind,\"source=/s,target=/d",
      "type=bind,source=/s\"x,target=/d",
      "type=bind,\"source=/s\"x,target=/d",
  };
  check_mount_bad(berth_parse_mount_flag, "--mount", bad, ARRAY_SIZE(bad));
}

/* idmap (podman's option for binds): set only where asked, binds only. */
static void test_idmap_option(void **state) {
  (void)state;
  static const struct {
    mount_parser parse;
    const char *s;
    bool idmap, readonly;
  } good[] = {
      {berth_parse_volume_flag, "/s:/d:idmap", true, false},
      {berth_parse_volume_flag, "/s:/d:ro,idmap", true, true},
      {berth_parse_volume_flag, "/s:/d", false, false},
      {berth_parse_mount_flag, "type=bind,source=/s,target=/d,idmap", true,
       false},
      {berth_parse_mount_flag, "type=bind,source=/s,target=/d,idmap=false",
       false, false},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    struct berth_mount_spec m = {0};
    if (good[i].parse(good[i].s, &m, &err) != 0)
      fail_msg("%s: %s", good[i].s, err ? err->msg : "?");
    assert_int_equal(m.type, BERTH_MOUNT_BIND);
    assert_int_equal(m.idmap, good[i].idmap);
    assert_int_equal(m.readonly, good[i].readonly);
    berth_mount_spec_clear(&m);
  }
  static const char *const bad_v[] = {"v:/d:idmap", "/s:/d:idmap,idmap",
                                      "/s:/d:IDMAP"};
  check_mount_bad(berth_parse_volume_flag, "--volume", bad_v,
                  ARRAY_SIZE(bad_v));
  static const char *const bad_m[] = {
      "type=volume,source=v,target=/d,idmap",
      "type=tmpfs,target=/x,idmap",
      "type=bind,source=/s,target=/d,idmap=2",
  };
  check_mount_bad(berth_parse_mount_flag, "--mount", bad_m, ARRAY_SIZE(bad_m));
}

/* suid and dev (podman's -v options): volumes and binds are nosuid,nodev
 * unless one is given. */
static void test_suid_dev_options(void **state) {
  (void)state;
  static const struct {
    mount_parser parse;
    const char *s;
    bool suid, dev;
  } good[] = {
      {berth_parse_volume_flag, "/s:/d", false, false},
      {berth_parse_volume_flag, "v:/d:suid", true, false},
      {berth_parse_volume_flag, "/s:/d:ro,dev", false, true},
      {berth_parse_volume_flag, "/s:/d:suid,dev,rshared", true, true},
      {berth_parse_volume_flag, "v:/d:nosuid,nodev", false, false},
      {berth_parse_mount_flag, "type=bind,source=/s,target=/d,suid", true,
       false},
      {berth_parse_mount_flag, "source=v,target=/d,dev=true,suid=false",
       false, true},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    struct berth_mount_spec m = {0};
    if (good[i].parse(good[i].s, &m, &err) != 0)
      fail_msg("%s: %s", good[i].s, err ? err->msg : "?");
    assert_int_equal(m.suid, good[i].suid);
    assert_int_equal(m.dev, good[i].dev);
    berth_mount_spec_clear(&m);
  }
  static const char *const bad_v[] = {"v:/d:suid,nosuid", "/s:/d:dev,dev",
                                      "/s:/d:SUID", "/s:/d:nosuid,suid"};
  check_mount_bad(berth_parse_volume_flag, "--volume", bad_v,
                  ARRAY_SIZE(bad_v));
  static const char *const bad_m[] = {
      "type=tmpfs,target=/x,suid",
      "type=tmpfs,target=/x,dev",
      "type=bind,source=/s,target=/d,suid=2",
  };
  check_mount_bad(berth_parse_mount_flag, "--mount", bad_m, ARRAY_SIZE(bad_m));
}

/* ---- --tmpfs ------------------------------------------------------------ */

static void test_tmpfs_good(void **state) {
  (void)state;
  static const struct mount_case c[] = {
      {"/run", BERTH_MOUNT_TMPFS, NULL, "/run"},
      {"/run:", BERTH_MOUNT_TMPFS, NULL, "/run"},
      {"/run/:size=64m", BERTH_MOUNT_TMPFS, NULL, "/run", false, NULL, false,
       64 << 20},
      {"/run:size=64m,noexec", BERTH_MOUNT_TMPFS, NULL, "/run", false, NULL,
       false, 64 << 20, 0, "noexec"},
      {"/tmp:mode=1777,nosuid,nodev,size=1k", BERTH_MOUNT_TMPFS, NULL, "/tmp",
       false, NULL, false, 1024, 01777, "nosuid,nodev"},
      {"/x:ro,exec", BERTH_MOUNT_TMPFS, NULL, "/x", true, NULL, false, 0, 0,
       "ro,exec"},
      {"/x:ro,rw", BERTH_MOUNT_TMPFS, NULL, "/x", false, NULL, false, 0, 0,
       "ro,rw"},
      {"/x:uid=1000,gid=1000,nr_inodes=400k,mpol=bind:0", BERTH_MOUNT_TMPFS,
       NULL, "/x", false, NULL, false, 0, 0,
       "uid=1000,gid=1000,nr_inodes=400k,mpol=bind:0"},
      {"/x:size=1m,size=2m", BERTH_MOUNT_TMPFS, NULL, "/x", false, NULL, false,
       2 << 20},
  };
  check_mount_cases(berth_parse_tmpfs_flag, c, ARRAY_SIZE(c));
}

static void test_tmpfs_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",           "run",          "/",             "/a/../b",
      "/run:size=", "/run:size=1q", "/run:size=-1",  "/run:size=50%",
      "/run:mode=", "/run:mode=9",  "/run:mode=10000", "/run:bogus",
      "/run:noexec,,nosuid", "/run:,",  "/run:noexec,", "/run:uid=",
      "/run:bind",  "/run:remount", "/run:NOEXEC",   "/run:size",
      "/run:data=x", "/run:a=b",
  };
  check_mount_bad(berth_parse_tmpfs_flag, "--tmpfs", bad, ARRAY_SIZE(bad));
}

static void test_mount_spec_clear_empty(void **state) {
  (void)state;
  struct berth_mount_spec m = {0};
  berth_mount_spec_clear(&m);
  berth_mount_spec_clear(&m);
  assert_null(m.target);
}

/* ---- --device ----------------------------------------------------------- */

static void test_device(void **state) {
  (void)state;
  static const struct {
    const char *s, *host, *ctr, *perms;
  } good[] = {
      {"/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm"},
      {"/dev/fuse:/dev/fuse:rw", "/dev/fuse", "/dev/fuse", "rw"},
      {"/dev/sda:/dev/xvda", "/dev/sda", "/dev/xvda", "rwm"},
      {"/dev/sda:/dev/xvda:r", "/dev/sda", "/dev/xvda", "r"},
      {"/dev/sda:mr", "/dev/sda", "/dev/sda", "rm"},
      {"/dev/sda:w", "/dev/sda", "/dev/sda", "w"},
      {"//dev//null/:/dev/./null2:mwr", "/dev/null", "/dev/null2", "rwm"},
      {"/dev/../dev/null:/dev/n", "/dev/../dev/null", "/dev/n", "rwm"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    struct berth_device_spec d;
    int rc = berth_parse_device(good[i].s, &d, &err);
    if (rc != 0)
      fail_msg("%s: %s", good[i].s, err ? err->msg : "?");
    assert_string_equal(d.host, good[i].host);
    assert_string_equal(d.container, good[i].ctr);
    assert_string_equal(d.perms, good[i].perms);
    berth_device_spec_clear(&d);
    assert_null(d.host);
  }
  static const char *const bad[] = {
      "",          "dev/fuse",        "/dev/fuse:",      "/dev/fuse:fuse",
      ":/dev/fuse", "/dev/a:/dev/b:",  "/dev/a:/dev/b:x", "/dev/a:/dev/b:rr",
      "/dev/a:/dev/b:rwmr", "/dev/a:/dev/b:rwx", "/dev/a:/dev/../b",
      "/dev/a:/dev/b:rw:x", "/dev/a:rwx", "/dev/a:RW", "/dev/a:b:r",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    struct berth_device_spec d = {.host = (char *)"untouched"};
    int rc = berth_parse_device(bad[i], &d, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i]);
    assert_string_equal(d.host, "untouched");
    check_invalid(rc, err, "--device", bad[i]);
  }
}

/* ---- --sysctl ----------------------------------------------------------- */

static void test_sysctl_good(void **state) {
  (void)state;
  static const struct {
    const char *s, *k, *v;
    bool netns;
  } good[] = {
      {"kernel.shmmax=1", "kernel.shmmax", "1", false},
      {"kernel.sem=250 32000 32 128", "kernel.sem", "250 32000 32 128", false},
      {"kernel.msgmax=8192", "kernel.msgmax", "8192", false},
      {"kernel.msgmnb=1", "kernel.msgmnb", "1", false},
      {"kernel.msgmni=1", "kernel.msgmni", "1", false},
      {"kernel.shmall=1", "kernel.shmall", "1", false},
      {"kernel.shmmni=1", "kernel.shmmni", "1", false},
      {"kernel.shm_rmid_forced=1", "kernel.shm_rmid_forced", "1", false},
      {"fs.mqueue.msg_max=20", "fs.mqueue.msg_max", "20", false},
      {"net.ipv4.ip_forward=1", "net.ipv4.ip_forward", "1", true},
      {"net.ipv4.conf.all.rp_filter=a=b", "net.ipv4.conf.all.rp_filter",
       "a=b", true},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    _cleanup_free_ char *k = NULL, *v = NULL;
    int rc = berth_parse_sysctl(good[i].s, good[i].netns, &k, &v, &err);
    if (rc != 0)
      fail_msg("%s: %s", good[i].s, err ? err->msg : "?");
    assert_string_equal(k, good[i].k);
    assert_string_equal(v, good[i].v);
  }
}

static void test_sysctl_bad(void **state) {
  (void)state;
  static const struct {
    const char *s;
    bool netns;
  } bad[] = {
      {"net.ipv4.ip_forward=1", false}, {"kernel.hostname=x", true},
      {"kernel.shmmax", true},          {"kernel.shmmax=", true},
      {"=1", true},                     {"vm.swappiness=1", true},
      {"kernel.shmmax.x=1", true},      {"kernel.shmmaxx=1", true},
      {"fs.mqueue=1", true},            {"fs.file-max=1", true},
      {"net/ipv4/ip_forward=1", true},  {"net..x=1", true},
      {"net.=1", true},                 {".net.x=1", true},
      {"net.ipv4.conf.all.x.=1", true}, {"net.a/../../kernel/x=1", true},
      {"net.x y=1", true},              {"kernel.shmmax=1\n2", true},
      {"", true},                       {"KERNEL.SHMMAX=1", true},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    char *k = (char *)"k", *v = (char *)"v";
    int rc = berth_parse_sysctl(bad[i].s, bad[i].netns, &k, &v, &err);
    if (rc == 0)
      fail_msg("`%s` accepted", bad[i].s);
    assert_string_equal(k, "k");
    assert_string_equal(v, "v");
    check_invalid(rc, err, "--sysctl", bad[i].s);
  }
}

/* ---- key=value ---------------------------------------------------------- */

static void test_key_value(void **state) {
  (void)state;
  static const struct {
    const char *s, *k, *v;
  } good[] = {
      {"k=v", "k", "v"},
      {"com.example.x=a=b", "com.example.x", "a=b"},
      {"empty=", "empty", ""},
      {"max-size=10m", "max-size", "10m"},
      {"k= spaced ", "k", " spaced "},
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    berth_error *err = NULL;
    _cleanup_free_ char *k = NULL, *v = NULL;
    assert_int_equal(berth_parse_key_value("--label", good[i].s, &k, &v, &err),
                     0);
    assert_string_equal(k, good[i].k);
    assert_string_equal(v, good[i].v);
  }
  static const char *const bad[] = {"", "novalue", "=v", "="};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    char *k = NULL, *v = NULL;
    int rc = berth_parse_key_value("--log-opt", bad[i], &k, &v, &err);
    assert_null(k);
    assert_null(v);
    check_invalid(rc, err, "--log-opt", bad[i]);
  }
}

/* ---- environment -------------------------------------------------------- */

static char *const test_envp[] = {"HOME=/root", "PATHX=1", "EMPTY=",
                                  "PATH=/bin", NULL};

static void test_env_add(void **state) {
  (void)state;
  _cleanup_strv_ char **env = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_env_add(&env, "A=1", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "B=", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "PATH", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "UNSET", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "EMPTY", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "C=x=y", test_envp, &err), 0);
  assert_int_equal(berth_env_add(&env, "HOME", NULL, &err), 0);
  assert_int_equal(berth_env_add(&env, "PAT", test_envp, &err), 0);
  assert_null(err);
  const char *want[] = {"A=1", "B=", "PATH=/bin", "EMPTY=", "C=x=y"};
  for (size_t i = 0; i < ARRAY_SIZE(want); i++)
    assert_string_equal(env[i], want[i]);
  assert_null(env[ARRAY_SIZE(want)]);

  static const char *const bad[] = {"", "=x", "="};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    int rc = berth_env_add(&env, bad[i], test_envp, &err);
    check_invalid(rc, err, "--env", bad[i]);
    err = NULL;
  }
  assert_null(env[ARRAY_SIZE(want)]);
}

static void write_tmp(char *path, const char *text, size_t len) {
  strcpy(path, "/tmp/berth-test-envfile-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  assert_int_equal(close(fd), 0);
}

static void test_env_file_good(void **state) {
  (void)state;
  static const char text[] = "\xef\xbb\xbf"
                             "A=1\n"
                             "# a comment\n"
                             "\n"
                             "   \t\n"
                             "  B=two words  \n"
                             "\t# indented comment\n"
                             "PATH\n"
                             "UNSET\n"
                             "C=crlf\r\n"
                             "D=#not a comment\n"
                             "E=a=b\n"
                             "LAST=no newline";
  char path[64];
  write_tmp(path, text, sizeof(text) - 1);
  _cleanup_strv_ char **env = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_env_add(&env, "FIRST=0", NULL, &err), 0);
  int rc = berth_env_file_read(&env, path, test_envp, &err);
  unlink(path);
  if (rc != 0)
    fail_msg("%s", err ? err->msg : "?");
  const char *want[] = {"FIRST=0", "A=1",      "B=two words  ", "PATH=/bin",
                        "C=crlf",  "D=#not a comment", "E=a=b",
                        "LAST=no newline"};
  for (size_t i = 0; i < ARRAY_SIZE(want); i++)
    assert_string_equal(env[i], want[i]);
  assert_null(env[ARRAY_SIZE(want)]);
}

static void test_env_file_empty(void **state) {
  (void)state;
  char path[64];
  write_tmp(path, "# only a comment\n\n", 18);
  char **env = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_env_file_read(&env, path, NULL, &err), 0);
  unlink(path);
  assert_null(env);
}

static void test_env_file_bad(void **state) {
  (void)state;
  static const struct {
    const char *text;
    size_t len;
    const char *line;
  } bad[] = {
      {"A=1\nB C=2\n", 10, "line 2"},
      {"A=1\n=2\n", 7, "line 2"},
      {"A B\n", 4, "line 1"},
      {"\n\nA\tB=1\n", 8, "line 3"},
      {"A=1\0B=2\n", 8, "NUL"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    char path[64];
    write_tmp(path, bad[i].text, bad[i].len);
    _cleanup_strv_ char **env = NULL;
    berth_error *err = NULL;
    assert_int_equal(berth_env_add(&env, "KEEP=1", NULL, &err), 0);
    int rc = berth_env_file_read(&env, path, test_envp, &err);
    unlink(path);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, bad[i].line));
    check_invalid(rc, err, "--env-file", path);
    /* A bad file adds nothing, not even its good lines. */
    assert_string_equal(env[0], "KEEP=1");
    assert_null(env[1]);
  }
}

static void test_env_file_missing(void **state) {
  (void)state;
  char **env = NULL;
  berth_error *err = NULL;
  int rc = berth_env_file_read(&env, "/nonexistent/berth-env", NULL, &err);
  assert_true(rc < 0);
  assert_non_null(err);
  assert_int_equal(err->errno_value, ENOENT);
  assert_non_null(strstr(err->msg, "/nonexistent/berth-env"));
  assert_non_null(strstr(err->msg, "--env-file"));
  assert_null(env);
  berth_error_free(err);
}

/* ---- labels ------------------------------------------------------------- */

static void test_label(void **state) {
  (void)state;
  char *k = NULL, *v = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_parse_label("a=b=c", &k, &v, &err), 0);
  assert_string_equal(k, "a");
  assert_string_equal(v, "b=c");
  free(k);
  free(v);
  /* Docker: a bare key is the key with an empty value. */
  assert_int_equal(berth_parse_label("bare", &k, &v, &err), 0);
  assert_string_equal(k, "bare");
  assert_string_equal(v, "");
  free(k);
  free(v);
  int rc = berth_parse_label("", &k, &v, &err);
  check_invalid(rc, err, "--label", "");
  err = NULL;
  rc = berth_parse_label("=v", &k, &v, &err);
  check_invalid(rc, err, "--label", "=v");
}

static void test_label_file(void **state) {
  (void)state;
  char path[64];
  static const char text[] = "x=y\n# c\n\n  a=1\r\nb\n";
  write_tmp(path, text, sizeof(text) - 1);
  char **lines = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_label_file_read(path, &lines, &err), 0);
  assert_string_equal(lines[0], "x=y");
  assert_string_equal(lines[1], "a=1");
  assert_string_equal(lines[2], "b");
  assert_null(lines[3]);
  berth_strv_freep(&lines);
  lines = NULL;
  unlink(path);
  assert_true(berth_label_file_read(path, &lines, &err) < 0);
  assert_non_null(strstr(err->msg, "--label-file"));
  assert_null(lines);
  berth_error_free(err);
}

/* ---- messages ----------------------------------------------------------- */

static void expect_msg(int rc, berth_error *err, const char *want) {
  assert_true(rc < 0);
  assert_non_null(err);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_string_equal(err->msg, want);
  berth_error_free(err);
}

static void test_messages(void **state) {
  (void)state;
  berth_error *err = NULL;
  struct berth_mount_spec m;
  int64_t v;
  int rc = berth_parse_tmpfs_flag("/run:size=1q", &m, &err);
  expect_msg(rc, err,
             "invalid --tmpfs `/run:size=1q`: size `1q`: unknown unit `q`");
  err = NULL;
  rc = berth_parse_mount_flag("type=tmpfs,target=/x,tmpfs-size=-1", &m, &err);
  expect_msg(rc, err,
             "invalid --mount `type=tmpfs,target=/x,tmpfs-size=-1`: "
             "tmpfs-size `-1`: must not be negative");
  err = NULL;
  rc = berth_parse_volume_flag("/s:/a/../b", &m, &err);
  expect_msg(rc, err,
             "invalid --volume `/s:/a/../b`: container path `/a/../b` "
             "contains `..`");
  err = NULL;
  rc = berth_parse_duration("--stop-timeout", "1d", &v, &err);
  expect_msg(rc, err, "invalid --stop-timeout `1d`: unknown unit `d`");
  err = NULL;
  /* Control characters cannot forge a second line. */
  char *k = NULL, *val = NULL;
  rc = berth_parse_key_value("--label", "a\nb\033[2J", &k, &val, &err);
  expect_msg(rc, err, "invalid --label `a?b?[2J`: expected KEY=VALUE");
}

static void test_env_file_message(void **state) {
  (void)state;
  char path[64];
  write_tmp(path, "A=1\n\n  B C=2\n", 13);
  char **env = NULL;
  berth_error *err = NULL;
  int rc = berth_env_file_read(&env, path, NULL, &err);
  unlink(path);
  char want[160];
  snprintf(want, sizeof(want),
           "invalid --env-file `%s`: line 3: variable `B C` contains "
           "whitespace",
           path);
  expect_msg(rc, err, want);
  assert_null(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_size_good),
      cmocka_unit_test(test_size_bad),
      cmocka_unit_test(test_size_message),
      cmocka_unit_test(test_cpus),
      cmocka_unit_test(test_duration_good),
      cmocka_unit_test(test_duration_bad),
      cmocka_unit_test(test_ulimit_good),
      cmocka_unit_test(test_ulimit_bad),
      cmocka_unit_test(test_restart),
      cmocka_unit_test(test_restart_format_small_buffer),
      cmocka_unit_test(test_volume_good),
      cmocka_unit_test(test_volume_relative),
      cmocka_unit_test(test_volume_bad),
      cmocka_unit_test(test_mount_good),
      cmocka_unit_test(test_mount_bad),
      cmocka_unit_test(test_idmap_option),
      cmocka_unit_test(test_suid_dev_options),
      cmocka_unit_test(test_tmpfs_good),
      cmocka_unit_test(test_tmpfs_bad),
      cmocka_unit_test(test_mount_spec_clear_empty),
      cmocka_unit_test(test_device),
      cmocka_unit_test(test_sysctl_good),
      cmocka_unit_test(test_sysctl_bad),
      cmocka_unit_test(test_key_value),
      cmocka_unit_test(test_env_add),
      cmocka_unit_test(test_env_file_good),
      cmocka_unit_test(test_env_file_empty),
      cmocka_unit_test(test_env_file_bad),
      cmocka_unit_test(test_env_file_missing),
      cmocka_unit_test(test_label),
      cmocka_unit_test(test_label_file),
      cmocka_unit_test(test_env_file_message),
      cmocka_unit_test(test_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
