/* The layer unpacker against the real filesystem: formats, metadata,
 * whiteouts, and hostile archives that must not touch anything outside
 * the snapshot. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "digest.h"
#include "fs.h"
#include "layer.h"
#include "valgrind_skip.h"

static char base[64], snap[128], outside[128];

static int setup(void **state) {
  (void)state;
  strcpy(base, "/tmp/berth-test-layer.XXXXXX");
  if (!mkdtemp(base))
    return -1;
  snprintf(snap, sizeof snap, "%s/a/b/snap", base);
  snprintf(outside, sizeof outside, "%s/outside", base);
  return berth_mkdir_p(snap, 0755, NULL) || mkdir(outside, 0755);
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(base, NULL);
}

/* An archive under construction in memory. */
struct tarbuf {
  struct archive *a;
  char *buf;
  size_t used;
};

enum filter { PLAIN, GZIP, ZSTD };

static void tar_begin(struct tarbuf *t, enum filter f) {
  t->buf = malloc(8 << 20);
  t->a = archive_write_new();
  archive_write_set_format_pax_restricted(t->a);
  if (f == GZIP)
    archive_write_add_filter_gzip(t->a);
  if (f == ZSTD)
    archive_write_add_filter_zstd(t->a);
  assert_int_equal(archive_write_open_memory(t->a, t->buf, 8 << 20, &t->used),
                   ARCHIVE_OK);
}

static struct archive_entry *entry(const char *path, mode_t type, mode_t perm) {
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, perm);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  archive_entry_set_mtime(e, 1600000000, 0);
  return e;
}

static void add(struct tarbuf *t, struct archive_entry *e, const char *data) {
  size_t len = data ? strlen(data) : 0;
  if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
    archive_entry_set_size(e, (la_int64_t)len);
  assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
  if (len)
    assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

static void add_file(struct tarbuf *t, const char *path, const char *data) {
  add(t, entry(path, AE_IFREG, 0644), data);
}

/* Finishes the archive into a memfd, unpacks it into snap. */
static int tar_unpack(struct tarbuf *t, const struct berth_layer_limits *lim,
                      struct berth_layer_stats *st, berth_error **err) {
  assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
  archive_write_free(t->a);
  int fd = memfd_create("layer", MFD_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, t->buf, t->used), (ssize_t)t->used);
  lseek(fd, 0, SEEK_SET);
  struct berth_layer_stats local;
  int rc = berth_layer_unpack(fd, BERTH_LAYER_AUTO, snap, lim,
                              st ? st : &local, err);
  /* diff id: sha256 of the uncompressed tar, checked on success */
  close(fd);
  free(t->buf);
  return rc;
}

static bool outside_empty(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", outside);
  return system(cmd) == 0;
}

static void read_in(const char *rel, char *out, size_t len) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", snap, rel);
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  size_t n = fread(out, 1, len - 1, f);
  out[n] = '\0';
  fclose(f);
}

static void test_formats_and_metadata(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) is unknown to valgrind 3.19 */
  for (enum filter f = PLAIN; f <= ZSTD; f++) {
    assert_int_equal(berth_rm_rf(snap, NULL), 0);
    assert_int_equal(mkdir(snap, 0755), 0);
    struct tarbuf t;
    tar_begin(&t, f);
    add(&t, entry("usr/", AE_IFDIR, 0750), NULL);
    struct archive_entry *e = entry("usr/tool", AE_IFREG, 04755);
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 5678);
    /* file capabilities travel as the security.capability xattr */
    static const unsigned char cap[] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x04,
                                        0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0};
    archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof cap);
    archive_entry_xattr_add_entry(e, "user.note", "hi", 2);
    add(&t, e, "#!/bin/sh\n");
    e = entry("usr/link", AE_IFLNK, 0777);
    archive_entry_set_symlink(e, "tool");
    add(&t, e, NULL);
    e = entry("usr/hard", AE_IFREG, 0644);
    archive_entry_set_hardlink(e, "usr/tool");
    add(&t, e, NULL);
    e = entry("dev/null", AE_IFCHR, 0666);
    archive_entry_set_rdev(e, makedev(1, 3));
    add(&t, e, NULL);
    add(&t, entry("fifo", AE_IFIFO, 0600), NULL);
    struct berth_layer_stats st;
    berth_error *err = NULL;
    int rc = tar_unpack(&t, NULL, &st, &err);
    if (rc < 0)
      fail_msg("filter %d: %s", f, err->msg);
    struct stat sb;
    char p[512];
    snprintf(p, sizeof p, "%s/usr/tool", snap);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_uid, 1234);
    assert_int_equal(sb.st_gid, 5678);
    assert_int_equal(sb.st_mode & 07777, 04755); /* setuid survives chown */
    assert_int_equal(sb.st_nlink, 2);
    assert_int_equal(sb.st_mtime, 1600000000);
    unsigned char got[32];
    assert_int_equal(getxattr(p, "security.capability", got, sizeof got),
                     (ssize_t)sizeof cap);
    assert_memory_equal(got, cap, sizeof cap);
    snprintf(p, sizeof p, "%s/usr", snap);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0750);
    assert_int_equal(sb.st_mtime, 1600000000); /* set after its contents */
    snprintf(p, sizeof p, "%s/dev/null", snap);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    assert_int_equal(sb.st_rdev, makedev(1, 3));
    snprintf(p, sizeof p, "%s/fifo", snap);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    assert_int_equal(st.entries, 6);
    assert_int_equal(st.bytes, 10);
    assert_int_equal(berth_digest_validate(st.diff_id, "diff", NULL), 0);
  }
}

static void test_diff_id_is_uncompressed_digest(void **state) {
  (void)state;
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add_file(&t, "a", "alpha\n");
  assert_int_equal(archive_write_close(t.a), ARCHIVE_OK);
  char want[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_digest_of(t.buf, t.used, want, NULL), 0);
  /* the same tar gzipped: the diff id is still the plain tar's digest */
  struct archive *gz = archive_write_new();
  archive_write_set_format_raw(gz);
  archive_write_add_filter_gzip(gz);
  char *out = malloc(1 << 20);
  size_t used = 0;
  archive_write_open_memory(gz, out, 1 << 20, &used);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(gz, e);
  archive_write_data(gz, t.buf, t.used);
  archive_entry_free(e);
  archive_write_close(gz);
  archive_write_free(gz);
  archive_write_free(t.a);
  free(t.buf);
  int fd = memfd_create("gz", MFD_CLOEXEC);
  assert_int_equal(write(fd, out, used), (ssize_t)used);
  lseek(fd, 0, SEEK_SET);
  struct berth_layer_stats st;
  assert_int_equal(berth_layer_unpack(fd, BERTH_LAYER_GZIP, snap, NULL, &st,
                                      NULL), 0);
  assert_string_equal(st.diff_id, want);
  /* truncated gzip: an error, not a silently short layer */
  assert_int_equal(ftruncate(fd, (off_t)used - 12), 0);
  lseek(fd, 0, SEEK_SET);
  berth_error *err = NULL;
  assert_int_equal(berth_layer_unpack(fd, BERTH_LAYER_GZIP, snap, NULL, &st,
                                      &err), -1);
  assert_non_null(strstr(err->msg, "gzip"));
  berth_error_free(err);
  close(fd);
  free(out);
}

static void test_whiteouts(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) is unknown to valgrind 3.19 */
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add(&t, entry("etc/", AE_IFDIR, 0755), NULL);
  add_file(&t, "etc/.wh.motd", "");
  add_file(&t, "opt/.wh..wh..opq", "");
  assert_int_equal(tar_unpack(&t, NULL, NULL, NULL), 0);
  struct stat sb;
  char p[512];
  snprintf(p, sizeof p, "%s/etc/motd", snap);
  assert_int_equal(lstat(p, &sb), 0);
  assert_true(S_ISCHR(sb.st_mode));
  assert_int_equal(sb.st_rdev, makedev(0, 0));
  snprintf(p, sizeof p, "%s/etc/.wh.motd", snap);
  assert_int_equal(lstat(p, &sb), -1); /* the marker itself is not kept */
  snprintf(p, sizeof p, "%s/opt", snap);
  char v[4] = "";
  assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof v), 1);
  assert_int_equal(v[0], 'y');
}

static void test_later_entries_win(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) is unknown to valgrind 3.19 */
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add_file(&t, "x", "first");
  add_file(&t, "x", "second");
  add(&t, entry("d/", AE_IFDIR, 0755), NULL);
  add_file(&t, "d/inner", "gone");
  add_file(&t, "d", "now a file"); /* replaces the whole directory */
  assert_int_equal(tar_unpack(&t, NULL, NULL, NULL), 0);
  char buf[64];
  read_in("x", buf, sizeof buf);
  assert_string_equal(buf, "second");
  read_in("d", buf, sizeof buf);
  assert_string_equal(buf, "now a file");
}

static void expect_refused(struct tarbuf *t, const char *what) {
  berth_error *err = NULL;
  assert_int_equal(tar_unpack(t, NULL, NULL, &err), -1);
  assert_non_null(err);
  if (!strstr(err->msg, what))
    fail_msg("`%s` not in `%s`", what, err->msg);
  berth_error_free(err);
  assert_true(outside_empty());
}

static void test_dotdot_refused(void **state) {
  (void)state;
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add_file(&t, "../../../outside/pwned", "x");
  expect_refused(&t, "..");
}

/* Absolute paths and symlinks planted by the layer resolve inside it. */
static void test_paths_stay_inside(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) is unknown to valgrind 3.19 */
  char abs_out[256], rel_up[64];
  snprintf(abs_out, sizeof abs_out, "%s/pwned-abs", outside);
  snprintf(rel_up, sizeof rel_up, "../../../outside");
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add_file(&t, abs_out, "x");
  struct archive_entry *e = entry("evil", AE_IFLNK, 0777);
  archive_entry_set_symlink(e, outside);
  add(&t, e, NULL);
  add_file(&t, "evil/through-abs-link", "x");
  e = entry("up", AE_IFLNK, 0777);
  archive_entry_set_symlink(e, rel_up);
  add(&t, e, NULL);
  add_file(&t, "up/through-rel-link", "x");
  assert_int_equal(tar_unpack(&t, NULL, NULL, NULL), 0);
  assert_true(outside_empty());
  char p[512];
  struct stat sb;
  snprintf(p, sizeof p, "%s%s", snap, abs_out); /* landed inside */
  assert_int_equal(stat(p, &sb), 0);
  snprintf(p, sizeof p, "%s%s/through-abs-link", snap, outside);
  assert_int_equal(stat(p, &sb), 0);
}

static void test_hardlinks_outside_refused(void **state) {
  (void)state;
  char target[256];
  snprintf(target, sizeof target, "%s/secret", base);
  FILE *f = fopen(target, "w");
  fputs("host secret", f);
  fclose(f);
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  struct archive_entry *e = entry("link", AE_IFREG, 0644);
  archive_entry_set_hardlink(e, "../../../secret");
  add(&t, e, NULL);
  expect_refused(&t, "hard link");
  /* an absolute target resolves inside the snapshot, where it is not */
  tar_begin(&t, PLAIN);
  e = entry("link", AE_IFREG, 0644);
  archive_entry_set_hardlink(e, target);
  add(&t, e, NULL);
  expect_refused(&t, "hard link");
  struct stat sb;
  assert_int_equal(stat(target, &sb), 0);
  assert_int_equal(sb.st_nlink, 1);
}

static void test_limits(void **state) {
  (void)state;
  struct berth_layer_limits lim = {.max_bytes = 10, .max_entries = 3};
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  add_file(&t, "a", "123456");
  add_file(&t, "b", "123456");
  berth_error *err = NULL;
  assert_int_equal(tar_unpack(&t, &lim, NULL, &err), -1);
  assert_non_null(strstr(err->msg, "limit"));
  berth_error_free(err);
  err = NULL;
  tar_begin(&t, PLAIN);
  for (int i = 0; i < 4; i++)
    add(&t, entry(i % 2 ? "d/" : "e/", AE_IFDIR, 0755), NULL);
  assert_int_equal(tar_unpack(&t, &lim, NULL, &err), -1);
  assert_non_null(strstr(err->msg, "entries"));
  berth_error_free(err);
}

static void test_garbage_refused(void **state) {
  (void)state;
  int fd = memfd_create("junk", MFD_CLOEXEC);
  char junk[4096];
  memset(junk, 'J', sizeof junk);
  assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
  lseek(fd, 0, SEEK_SET);
  struct berth_layer_stats st;
  berth_error *err = NULL;
  assert_int_equal(berth_layer_unpack(fd, BERTH_LAYER_AUTO, snap, NULL, &st,
                                      &err), -1);
  assert_non_null(err);
  berth_error_free(err);
  close(fd);
}

static void test_media_types(void **state) {
  (void)state;
  assert_int_equal(berth_layer_compression_from_media_type(
                       "application/vnd.oci.image.layer.v1.tar+zstd"),
                   BERTH_LAYER_ZSTD);
  assert_int_equal(berth_layer_compression_from_media_type(
                       "application/vnd.docker.image.rootfs.diff.tar.gzip"),
                   BERTH_LAYER_GZIP);
  assert_int_equal(berth_layer_compression_from_media_type(
                       "application/vnd.oci.image.layer.v1.tar"),
                   BERTH_LAYER_PLAIN);
  assert_int_equal(berth_layer_compression_from_media_type("text/html"), -1);
}

/* A layer cannot give a snapshot overlayfs's own metadata (an opaque or
 * redirect xattr would let it rearrange the layers below) nor the host's
 * security labels; its user.* data stays. */
static void test_host_xattrs_dropped(void **state) {
  (void)state;
  if (under_valgrind())
    skip(); /* openat2(2) is unknown to valgrind 3.19 */
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  struct archive_entry *e = entry("d/", AE_IFDIR, 0755);
  archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
  archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
  archive_entry_xattr_add_entry(e, "security.selinux", "x", 1);
  archive_entry_xattr_add_entry(e, "user.keep", "ok", 2);
  add(&t, e, NULL);
  berth_error *err = NULL;
  struct berth_layer_stats st;
  if (tar_unpack(&t, NULL, &st, &err) < 0)
    fail_msg("%s", err->msg);
  char p[512], v[8];
  snprintf(p, sizeof p, "%s/d", snap);
  assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof v), -1);
  assert_int_equal(getxattr(p, "trusted.overlay.redirect", v, sizeof v), -1);
  assert_int_equal(getxattr(p, "user.keep", v, sizeof v), 2);
  /* Control: the snapshot's filesystem does take trusted.overlay.*, so
   * the probe above would see one that was applied. */
  assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
  assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof v), 1);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_formats_and_metadata), T(test_diff_id_is_uncompressed_digest),
      T(test_whiteouts),            T(test_later_entries_win),
      T(test_dotdot_refused),       T(test_paths_stay_inside),
      T(test_hardlinks_outside_refused), T(test_limits),
      T(test_garbage_refused),      T(test_media_types),
      T(test_host_xattrs_dropped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
