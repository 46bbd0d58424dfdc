/* Build contexts against the real file system: directory contexts and
 * their Dockerfile and .dockerignore, COPY sources and globs, contexts
 * on a stream (tars in every compression, a lone Dockerfile), and
 * hostile contexts that must be refused without leaving anything. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
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
#include <unistd.h>
// cmocka needs the headers above first.
#include <cmocka.h>

#include "cleanup.h"
#include "context.h"
#include "valgrind_skip.h"
#include "fs.h"
#include "layer.h"

static char base[64], ctxdir[128], tmpp[128];

static int setup(void **state) {
  (void)state;
  strcpy(base, "/tmp/berth-test-context.XXXXXX");
  if (!mkdtemp(base))
    return -1;
  snprintf(ctxdir, sizeof ctxdir, "%s/ctx", base);
  snprintf(tmpp, sizeof tmpp, "%s/tmp", base);
  return mkdir(ctxdir, 0755) || mkdir(tmpp, 0700);
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(base, NULL);
}

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ctxdir, rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  assert_int_equal(berth_mkdir_p(path, 0755, NULL), 0);
  *slash = '/';
  assert_int_equal(
      berth_write_file_replace(path, text, strlen(text), 0644, NULL), 0);
}

static void link_at(const char *target, const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ctxdir, rel);
  assert_int_equal(symlink(target, path), 0);
}

static struct berth_context *open_ctx(void) {
  struct berth_context *ctx = NULL;
  berth_error *err = NULL;
  if (berth_context_open_dir(ctxdir, NULL, &ctx, &err) < 0)
    fail_msg("open context: %s", err->msg);
  return ctx;
}

static void test_open_dir(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  put("Dockerfile", "FROM scratch\n");
  put(".dockerignore", "# comment\nsecret*\n");
  struct berth_context *ctx = open_ctx();
  assert_string_equal(ctx->dockerfile, "FROM scratch\n");
  assert_int_equal(ctx->dockerfile_len, 13);
  assert_string_equal(ctx->dockerfile_name, "Dockerfile");
  char *real = realpath(ctxdir, NULL);
  assert_string_equal(ctx->dir, real);
  free(real);
  assert_true(berth_context_ignored(ctx, "secret.txt"));
  assert_false(berth_context_ignored(ctx, "public.txt"));
  assert_null(ctx->tmp_dir);
  berth_context_free(ctx);
}

static void test_open_dir_dockerfile_choice(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  berth_error *err = NULL;
  struct berth_context *ctx = NULL;
  /* Neither Dockerfile nor dockerfile: Docker's message. */
  assert_int_equal(berth_context_open_dir(ctxdir, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  assert_string_equal(err->msg,
                      "Cannot locate specified Dockerfile: Dockerfile");
  berth_error_free(err), err = NULL;
  put("dockerfile", "FROM lower\n");
  ctx = open_ctx();
  assert_string_equal(ctx->dockerfile, "FROM lower\n");
  berth_context_free(ctx);
  /* -f outside the context, with its own ignore file beside it. */
  char df[256], own[300];
  snprintf(df, sizeof df, "%s/app.Dockerfile", base);
  snprintf(own, sizeof own, "%s.dockerignore", df);
  assert_int_equal(berth_write_file_replace(df, "FROM app\n", 9, 0644, NULL),
                   0);
  assert_int_equal(berth_write_file_replace(own, "*.log\n", 6, 0644, NULL), 0);
  put(".dockerignore", "*.txt\n");
  assert_int_equal(berth_context_open_dir(ctxdir, df, &ctx, &err), 0);
  assert_string_equal(ctx->dockerfile_name, "app.Dockerfile");
  assert_true(berth_context_ignored(ctx, "a.log"));
  assert_false(berth_context_ignored(ctx, "a.txt")); /* the own file won */
  berth_context_free(ctx);
  /* A FIFO is never opened for reading (that would block). */
  snprintf(df, sizeof df, "%s/fifo", base);
  assert_int_equal(mkfifo(df, 0644), 0);
  assert_int_equal(berth_context_open_dir(ctxdir, df, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
}

static void test_open_dir_errors(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  berth_error *err = NULL;
  struct berth_context *ctx = NULL;
  char missing[200];
  snprintf(missing, sizeof missing, "%s/nope", base);
  assert_int_equal(berth_context_open_dir(missing, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err), err = NULL;
  put("Dockerfile", "FROM scratch\n");
  char file[200];
  snprintf(file, sizeof file, "%s/Dockerfile", ctxdir);
  assert_int_equal(berth_context_open_dir(file, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err), err = NULL;
  put(".dockerignore", "ok\n[bad\n");
  assert_int_equal(berth_context_open_dir(ctxdir, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_string_equal(err->msg,
                      ".dockerignore: line 2: syntax error in pattern `[bad`");
  berth_error_free(err);
  assert_null(ctx);
}

/* sources() as a strv joined by spaces, or the error's kind and text. */
static char *sources(struct berth_context *ctx, const char *pattern) {
  char **v = NULL, *out = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_context_sources(ctx, pattern, &v, &n, &err) < 0) {
    assert_int_equal(asprintf(&out, "ERR %d %s", err->kind, err->msg) > 0, 1);
    berth_error_free(err);
    return out;
  }
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    len += strlen(v[i]) + 1;
  out = calloc(1, len);
  for (size_t i = 0; i < n; i++) {
    strcat(out, i ? " " : "");
    strcat(out, v[i]);
    free(v[i]);
  }
  assert_null(v[n]);
  free(v);
  return out;
}

static void expect_sources(struct berth_context *ctx, const char *pattern,
                           const char *want) {
  char *got = sources(ctx, pattern);
  if (strncmp(want, "ERR", 3) == 0 ? strncmp(got, want, strlen(want)) != 0
                                   : strcmp(got, want) != 0)
    fail_msg("sources(`%s`): got `%s`, want `%s`", pattern, got, want);
  free(got);
}

static void test_sources_and_globs(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  put("Dockerfile", "FROM scratch\n");
  put(".dockerignore", "*.log\nbuild\n!build/keep\n");
  put("a.txt", "a"), put("b.txt", "b"), put("c.log", "c");
  put("src/x.c", "x"), put("src/y.c", "y"), put("src/y.h", "h");
  put("src/sub/z.c", "z"), put("lib/x.c", "x");
  put("build/keep", "k"), put("build/other", "o");
  put("we*ird", "w");
  struct berth_context *ctx = open_ctx();
  expect_sources(ctx, "a.txt", "a.txt");
  expect_sources(ctx, "/a.txt", "a.txt");
  expect_sources(ctx, ".", ".");
  expect_sources(ctx, "/", ".");
  expect_sources(ctx, "src/", "src");
  expect_sources(ctx, "src/../a.txt", "a.txt");
  expect_sources(ctx, "*.txt", "a.txt b.txt");
  expect_sources(ctx, "src/*.c", "src/x.c src/y.c");
  expect_sources(ctx, "*/x.c", "lib/x.c src/x.c");
  expect_sources(ctx, "s?c/[xy].[ch]", "src/x.c src/y.c src/y.h");
  expect_sources(ctx, "we\\*ird", "ERR 3"); /* no wildcard: a literal name */
  expect_sources(ctx, "we[*]ird", "we*ird");
  /* Ignored files are not in the context, by name or by glob. */
  expect_sources(ctx, "c.log",
                 "ERR 3 \"c.log\": not found in the build "
                 "context or excluded by .dockerignore");
  char *exact = sources(ctx, "c.log");
  assert_string_equal(exact, "ERR 3 \"c.log\": not found in the build "
                             "context or excluded by .dockerignore");
  free(exact);
  expect_sources(ctx, "*.log", "ERR 3");
  expect_sources(ctx, "c.*", "ERR 3");
  /* An excluded directory with a re-included child is still there, with
   * that child only. */
  expect_sources(ctx, "build", "build");
  expect_sources(ctx, "build/keep", "build/keep");
  expect_sources(ctx, "build/other", "ERR 3");
  expect_sources(ctx, "build/*", "build/keep");
  expect_sources(ctx, "nothing*", "ERR 3");
  expect_sources(ctx, "[", "ERR 1 COPY source `[`: syntax error");
  berth_context_free(ctx);
}

static void test_sources_refuse_outside(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  put("Dockerfile", "FROM scratch\n");
  put("dir/f", "f");
  char outside[200];
  snprintf(outside, sizeof outside, "%s/outside.txt", base);
  assert_int_equal(berth_write_file_replace(outside, "secret", 6, 0644, NULL),
                   0);
  link_at(outside, "abs");         /* absolute, out */
  link_at("../outside.txt", "up"); /* relative, out */
  link_at("/", "root");
  link_at("dir", "in"); /* inside: followed */
  link_at("dir/f", "inf");
  link_at("nope", "dangling");
  struct berth_context *ctx = open_ctx();
  expect_sources(ctx, "../outside.txt",
                 "ERR 1 forbidden path outside the build context: "
                 "../outside.txt");
  expect_sources(ctx, "dir/../../outside.txt", "ERR 1 forbidden path");
  expect_sources(ctx, "abs", "ERR 1 COPY source `abs`: `abs` points outside");
  expect_sources(ctx, "up", "ERR 1");
  expect_sources(ctx, "root/etc/passwd", "ERR 1");
  expect_sources(ctx, "root/etc/pass*", "ERR 1");
  expect_sources(ctx, "u*", "ERR 1"); /* a glob match is checked too */
  expect_sources(ctx, "in", "in");
  expect_sources(ctx, "in/f", "in/f");
  expect_sources(ctx, "inf", "inf");
  expect_sources(ctx, "dangling", "ERR 3");
  berth_context_free(ctx);
  /* CONTROL: the links do lead out; only the confinement refused them. */
  char via[300];
  snprintf(via, sizeof via, "%s/up", ctxdir);
  char *text = NULL;
  assert_int_equal(berth_read_file(AT_FDCWD, via, 100, &text, NULL, NULL), 0);
  assert_string_equal(text, "secret");
  free(text);
}

/* An image's tree: absolute symlinks mean its own root, ".." stops
 * there, nothing is ignored. */
static void test_glob_at(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  put("usr/bin/tool", "t"), put("usr/bin/other", "o"), put("etc/a.conf", "a");
  link_at("/usr/bin", "bin");
  int root = open(ctxdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char **v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  assert_int_equal(berth_glob_at(root, "/bin/tool", &v, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(v[0], "bin/tool");
  berth_strv_freep(&v);
  assert_int_equal(berth_glob_at(root, "/../../usr/bin/t*", &v, &n, &err), 0);
  assert_string_equal(v[0], "usr/bin/tool");
  berth_strv_freep(&v);
  assert_int_equal(berth_glob_at(root, "/etc/*.conf", &v, &n, &err), 0);
  assert_int_equal(n, 1);
  berth_strv_freep(&v);
  assert_int_equal(berth_glob_at(root, "/nope/*", &v, &n, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  close(root);
}

/* ---- streams ---- */

enum filter { PLAIN, GZIP, BZIP2, XZ, ZSTD };

struct tarbuf {
  struct archive *a;
  char *buf;
  size_t used;
};

static void tar_begin(struct tarbuf *t, enum filter f) {
  t->buf = malloc(4 << 20);
  t->a = archive_write_new();
  archive_write_set_format_pax_restricted(t->a);
  int (*const filters[])(struct archive *) = {
      NULL, archive_write_add_filter_gzip, archive_write_add_filter_bzip2,
      archive_write_add_filter_xz, archive_write_add_filter_zstd};
  if (filters[f])
    assert_int_equal(filters[f](t->a), ARCHIVE_OK);
  assert_int_equal(archive_write_open_memory(t->a, t->buf, 4 << 20, &t->used),
                   ARCHIVE_OK);
}

static struct archive_entry *entry(const char *path, mode_t type) {
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_mtime(e, 1600000000, 0);
  return e;
}

static void tar_add(struct tarbuf *t, struct archive_entry *e,
                    const char *data) {
  size_t len = data ? strlen(data) : 0;
  if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
    archive_entry_set_size(e, (la_int64_t)len);
  assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
  if (len)
    assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

static void tar_file(struct tarbuf *t, const char *path, const char *data) {
  tar_add(t, entry(path, AE_IFREG), data);
}

/* The finished archive as a readable fd (a memfd, as stdin would be). */
static int tar_end(struct tarbuf *t) {
  assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
  archive_write_free(t->a);
  int fd = memfd_create("ctx", MFD_CLOEXEC);
  assert_int_equal(write(fd, t->buf, t->used), (ssize_t)t->used);
  lseek(fd, 0, SEEK_SET);
  free(t->buf);
  return fd;
}

static int text_fd(const char *text) {
  int fd = memfd_create("df", MFD_CLOEXEC);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static int entries_in(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  if (d)
    closedir(d);
  return n;
}

static void test_stream_tar_each_compression(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  for (enum filter f = PLAIN; f <= ZSTD; f++) {
    struct tarbuf t;
    tar_begin(&t, f);
    tar_add(&t, entry("app", AE_IFDIR), NULL);
    tar_file(&t, "app/main.c", "int main;\n");
    tar_file(&t, "Dockerfile", "FROM scratch\nCOPY app /app\n");
    tar_file(&t, ".dockerignore", "*.o\n");
    int fd = tar_end(&t);
    struct berth_context *ctx = NULL;
    berth_error *err = NULL;
    if (berth_context_open_stream(fd, tmpp, NULL, &ctx, &err) < 0)
      fail_msg("filter %d: %s", f, err->msg);
    close(fd);
    assert_string_equal(ctx->dockerfile, "FROM scratch\nCOPY app /app\n");
    assert_non_null(ctx->tmp_dir);
    assert_true(berth_context_ignored(ctx, "x.o"));
    char *text = NULL, path[512];
    snprintf(path, sizeof path, "%s/app/main.c", ctx->dir);
    assert_int_equal(berth_read_file(AT_FDCWD, path, 100, &text, NULL, NULL),
                     0);
    assert_string_equal(text, "int main;\n");
    free(text);
    assert_int_equal(entries_in(tmpp), 1);
    berth_context_free(ctx);
    assert_int_equal(entries_in(tmpp), 0); /* freeing removed it all */
  }
}

static void test_stream_dockerfile_choice(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  struct tarbuf t;
  tar_begin(&t, GZIP);
  tar_file(&t, "sub/dev.Dockerfile", "FROM dev\n");
  int fd = tar_end(&t);
  struct berth_context *ctx = NULL;
  berth_error *err = NULL;
  assert_int_equal(
      berth_context_open_stream(fd, tmpp, "/sub/dev.Dockerfile", &ctx, &err),
      0);
  assert_string_equal(ctx->dockerfile, "FROM dev\n");
  assert_string_equal(ctx->dockerfile_name, "dev.Dockerfile");
  berth_context_free(ctx);
  /* Without one: an error, and nothing left behind. */
  lseek(fd, 0, SEEK_SET);
  assert_int_equal(berth_context_open_stream(fd, tmpp, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  assert_int_equal(entries_in(tmpp), 0);
  close(fd);
}

static void test_stream_lone_dockerfile(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  int fd = text_fd("FROM busybox\nRUN true\n");
  struct berth_context *ctx = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_context_open_stream(fd, tmpp, NULL, &ctx, &err), 0);
  close(fd);
  assert_string_equal(ctx->dockerfile, "FROM busybox\nRUN true\n");
  assert_string_equal(ctx->dockerfile_name, "Dockerfile");
  assert_int_equal(entries_in(ctx->dir), 0); /* an empty context */
  char **v = NULL;
  size_t n;
  assert_int_equal(berth_context_sources(ctx, "x", &v, &n, &err), -1);
  berth_error_free(err), err = NULL;
  berth_context_free(ctx);
  /* Compressed but not a tar: Docker's CLI treats it as an archive. */
  int gz = memfd_create("gz", MFD_CLOEXEC);
  FILE *p = popen("printf 'FROM x\\n' | gzip -c", "r");
  char buf[256];
  size_t len = fread(buf, 1, sizeof buf, p);
  pclose(p);
  assert_int_equal(write(gz, buf, len), (ssize_t)len);
  lseek(gz, 0, SEEK_SET);
  assert_int_equal(berth_context_open_stream(gz, tmpp, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "not a tar"));
  berth_error_free(err);
  close(gz);
  assert_int_equal(entries_in(tmpp), 0);
}

/* One hostile entry (after a harmless one), the message it must get. */
struct hostile {
  const char *path;
  mode_t type;
  const char *link; /* symlink target or hard link target */
  bool hard;
  const char *xattr;
  const char *words;
};

static int hostile_tar(const struct hostile *h) {
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  tar_file(&t, "Dockerfile", "FROM scratch\n");
  struct archive_entry *e = entry(h->path, h->type);
  if (h->link && h->hard)
    archive_entry_set_hardlink(e, h->link);
  else if (h->link)
    archive_entry_set_symlink(e, h->link);
  if (h->type == AE_IFCHR)
    archive_entry_set_rdev(e, makedev(1, 3));
  if (h->xattr)
    archive_entry_xattr_add_entry(e, h->xattr, "y", 1);
  tar_add(&t, e, NULL);
  return tar_end(&t);
}

static void test_stream_hostile_refused(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  static const struct hostile cases[] = {
      {"/etc/evil", AE_IFREG, NULL, false, NULL, "absolute path"},
      {"../evil", AE_IFREG, NULL, false, NULL, "path with `..`"},
      {"a/../../evil", AE_IFREG, NULL, false, NULL, "path with `..`"},
      {"l", AE_IFLNK, "/etc", false, NULL, "symbolic link pointing outside"},
      {"d/l", AE_IFLNK, "../../etc", false, NULL, "pointing outside"},
      {"h", AE_IFREG, "/etc/passwd", true, NULL, "hard link out"},
      {"h", AE_IFREG, "../x", true, NULL, "hard link out"},
      {"null", AE_IFCHR, NULL, false, NULL, "device nodes"},
      {"fifo", AE_IFIFO, NULL, false, NULL, "FIFOs"},
      {".wh.Dockerfile", AE_IFREG, NULL, false, NULL, "whiteout"},
      {"x", AE_IFREG, NULL, false, "trusted.overlay.opaque", "trusted.*"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct hostile *h = &cases[i];
    int fd = hostile_tar(h);
    struct berth_context *ctx = NULL;
    berth_error *err = NULL;
    assert_int_equal(berth_context_open_stream(fd, tmpp, NULL, &ctx, &err), -1);
    close(fd);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    char want[256];
    snprintf(want, sizeof want,
             "build context on stdin: entry `%s`: ", h->path);
    if (strncmp(err->msg, want, strlen(want)) || !strstr(err->msg, h->words) ||
        strchr(err->msg, '\n'))
      fail_msg("case %zu: `%s`", i, err->msg);
    berth_error_free(err);
    assert_int_equal(entries_in(tmpp), 0);
  }
  /* CONTROL: the image layer unpacker alone (no context checks) takes
   * the device node and the link to /etc: the refusals above are the
   * context's own. */
  char snap[200];
  snprintf(snap, sizeof snap, "%s/snap", base);
  assert_int_equal(mkdir(snap, 0755), 0);
  const struct hostile dev = {"null", AE_IFCHR, NULL, false, NULL, NULL};
  const struct hostile lnk = {"l", AE_IFLNK, "/etc", false, NULL, NULL};
  for (int k = 0; k < 2; k++) {
    int fd = hostile_tar(k ? &lnk : &dev);
    struct berth_layer_stats st;
    assert_int_equal(
        berth_layer_unpack(fd, BERTH_LAYER_PLAIN, snap, NULL, &st, NULL), 0);
    close(fd);
  }
  char p[300];
  struct stat sb;
  snprintf(p, sizeof p, "%s/null", snap);
  assert_int_equal(lstat(p, &sb), 0);
  assert_true(S_ISCHR(sb.st_mode));
  snprintf(p, sizeof p, "%s/l", snap);
  assert_int_equal(lstat(p, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
}

static void test_stream_garbage_tar(void **state) {
  if (under_valgrind())
    skip(); /* contexts are opened with openat2(2), unknown to valgrind 3.19 */
  (void)state;
  /* A valid first header, then junk: refused, nothing left. */
  struct tarbuf t;
  tar_begin(&t, PLAIN);
  tar_file(&t, "Dockerfile", "FROM scratch\n");
  tar_file(&t, "big", "0123456789");
  int fd = tar_end(&t);
  assert_int_equal(ftruncate(fd, 1024 + 100), 0);
  struct berth_context *ctx = NULL;
  berth_error *err = NULL;
  assert_int_equal(berth_context_open_stream(fd, tmpp, NULL, &ctx, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "build context on stdin"));
  berth_error_free(err);
  close(fd);
  assert_int_equal(entries_in(tmpp), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_dir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_dir_dockerfile_choice, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_open_dir_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sources_and_globs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sources_refuse_outside, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_glob_at, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stream_tar_each_compression, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_stream_dockerfile_choice, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_stream_lone_dockerfile, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_stream_hostile_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_stream_garbage_tar, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
