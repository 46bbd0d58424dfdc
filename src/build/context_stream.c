/* `berth build -`: the context comes on a stream, either a tar (plain,
 * gzip, bzip2, xz or zstd) or, as Docker's CLI decides it, anything that
 * is neither compressed nor a tar: the Dockerfile itself.
 *
 * The stream is decompressed into an unlinked file inside a fresh 0700
 * directory (stdin cannot be read twice), every tar entry is checked
 * (the error names the first bad one), and only then is the tar
 * unpacked by the image layer unpacker (src/image/layer.c), whose
 * openat2(RESOLVE_IN_ROOT) resolution is what confines every write to
 * the new directory.  On any error the directory is removed. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "context_internal.h"
#include "dockerfile.h"
#include "fs.h"
#include "layer.h"

#define CHUNK (1u << 20)
/* The unpacker's own default bound, applied to the decompressed stream
 * too: a small compressed bomb cannot fill the disk past it. */
#define STREAM_MAX (64ull << 30)
#define WHITEOUT ".wh."

static ssize_t read_some(int fd, char *buf, size_t len);

/* The stream's first bytes, then the rest of in_fd, for libarchive. */
struct source {
  int fd;
  const char *head;
  size_t head_len;
  bool head_done;
  char *buf;
};

static la_ssize_t source_read(struct archive *a, void *ud, const void **out) {
  struct source *s = ud;
  if (!s->head_done) {
    s->head_done = true;
    *out = s->head;
    return (la_ssize_t)s->head_len;
  }
  ssize_t n = read_some(s->fd, s->buf, CHUNK);
  if (n < 0)
    archive_set_error(a, errno, "read the build context");
  *out = s->buf;
  return n;
}

static int write_all(int fd, const char *p, size_t n, uint64_t *total,
                     berth_error **err) {
  if ((*total += n) > STREAM_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "build context on stdin: larger than %llu bytes",
                           (unsigned long long)STREAM_MAX);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return berth_error_sys(err, "build context on stdin: spool");
    p += w, n -= (size_t)w;
  }
  return 0;
}

static ssize_t read_some(int fd, char *buf, size_t len) {
  ssize_t n;
  do
    n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

static bool compressed(const unsigned char *m, size_t n) {
  return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) || /* gzip */
         (n >= 3 && memcmp(m, "BZh", 3) == 0) ||     /* bzip2 */
         (n >= 6 && memcmp(m,
                           "\xfd"
                           "7zXZ\0",
                           6) == 0) ||                      /* xz */
         (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0); /* zstd */
}

static int inflate(struct source *src, int out, berth_error **err) {
  struct archive *a = archive_read_new();
  struct archive_entry *e;
  uint64_t total = 0;
  if (!a)
    return berth_error_sys(err, "allocate");
  int rc = archive_read_support_filter_all(a) != ARCHIVE_OK ||
                   archive_read_support_format_raw(a) != ARCHIVE_OK ||
                   archive_read_open(a, src, NULL, source_read, NULL) !=
                       ARCHIVE_OK ||
                   archive_read_next_header(a, &e) != ARCHIVE_OK
               ? -1
               : 0;
  la_ssize_t n = 0;
  while (rc == 0 && (n = archive_read_data(a, src->buf, CHUNK)) > 0)
    rc = write_all(out, src->buf, (size_t)n, &total, err);
  if (rc == 0 && n < 0)
    rc = -1;
  if (rc < 0 && !(err && *err))
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "build context on stdin: cannot decompress: %s",
                    archive_error_string(a) ? archive_error_string(a)
                                            : "corrupt data");
  archive_read_free(a);
  return rc;
}

/* Copies in_fd to out, decompressed; *was_compressed tells which. */
static int spool(int in_fd, int out, bool *was_compressed, berth_error **err) {
  _cleanup_free_ char *head = malloc(CHUNK), *buf = malloc(CHUNK);
  if (!head || !buf)
    return berth_error_sys(err, "allocate");
  size_t len = 0;
  ssize_t n = 1;
  while (n > 0 && len < 512)
    if ((n = read_some(in_fd, head + len, CHUNK - len)) > 0)
      len += (size_t)n;
  if (n < 0)
    return berth_error_sys(err, "read the build context");
  struct source src = {in_fd, head, len, false, buf};
  *was_compressed = compressed((unsigned char *)head, len);
  if (*was_compressed)
    return inflate(&src, out, err);
  uint64_t total = 0;
  if (write_all(out, head, len, &total, err) < 0)
    return -1;
  while ((n = read_some(in_fd, buf, CHUNK)) > 0)
    if (write_all(out, buf, (size_t)n, &total, err) < 0)
      return -1;
  return n < 0 ? berth_error_sys(err, "read the build context") : 0;
}

/* Go's archive/tar accepts a first block whose checksum field matches
 * the sum of its bytes (unsigned, or signed as old tars wrote it). */
static bool is_tar(const unsigned char *b, size_t n) {
  if (n < 512)
    return false;
  long want = 0;
  size_t i = 148;
  while (i < 156 && (b[i] == ' ' || b[i] == '\0'))
    i++;
  bool digits = false;
  for (; i < 156 && b[i] >= '0' && b[i] <= '7'; i++, digits = true)
    want = want * 8 + (b[i] - '0');
  for (; i < 156; i++)
    if (b[i] != ' ' && b[i] != '\0')
      return false;
  long usum = 0, ssum = 0;
  for (i = 0; i < 512; i++) {
    unsigned char c = i >= 148 && i < 156 ? ' ' : b[i];
    usum += c;
    ssum += (signed char)c;
  }
  return digits && (want == usum || want == ssum);
}

/* The link target `target` of entry `path`, resolved by name alone:
 * false when it climbs above the context. */
static bool stays_inside(const char *path, const char *target) {
  if (target[0] == '/')
    return false;
  long depth = 0;
  for (const char *p = path; (p = strchr(p, '/')); p++)
    depth++;
  for (const char *p = target; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      depth--;
    else if (n > 0 && !(n == 1 && p[0] == '.'))
      depth++;
    if (depth < 0)
      return false;
    p += n + (p[n] == '/');
  }
  return true;
}

static bool has_dotdot(const char *p) {
  for (; *p; p += strcspn(p, "/"), p += *p == '/') {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return true;
  }
  return false;
}

static const char *entry_problem(struct archive_entry *e, const char *path) {
  const char *base = strrchr(path, '/'), *key, *link;
  const void *value;
  size_t size;
  base = base ? base + 1 : path;
  if (path[0] == '/')
    return "absolute path";
  if (has_dotdot(path))
    return "path with `..`";
  if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0)
    return "whiteout name (.wh.)";
  if ((link = archive_entry_hardlink(e)))
    return link[0] == '/' || has_dotdot(link) ? "hard link out of the context"
                                              : NULL;
  mode_t type = archive_entry_filetype(e);
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
    return "device nodes, FIFOs and sockets are not allowed";
  link = archive_entry_symlink(e);
  if (type == AE_IFLNK && (!link || !stays_inside(path, link)))
    return "symbolic link pointing outside the build context";
  archive_entry_xattr_reset(e);
  /* trusted.* is overlayfs's namespace (whiteouts, redirects): copied
   * into a layer it would change what the image shows. */
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK)
    if (strncmp(key, "trusted.", 8) == 0)
      return "trusted.* extended attribute";
  return NULL;
}

/* Reads every header of the spooled tar, refusing the first bad entry. */
static int check_entries(int fd, berth_error **err) {
  struct archive *a = archive_read_new();
  struct archive_entry *e;
  if (!a)
    return berth_error_sys(err, "allocate");
  int r, rc = 0;
  archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK)
    r = ARCHIVE_FATAL;
  else
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
           r == ARCHIVE_WARN) {
      const char *path = archive_entry_pathname(e), *why;
      if ((why = path ? entry_problem(e, path) : "entry without a name")) {
        rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "build context on stdin: entry `%s`: %s",
                             path ? path : "", why);
        break;
      }
    }
  if (rc == 0 && r != ARCHIVE_EOF)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "build context on stdin: not a valid tar: %s",
                         archive_error_string(a) ? archive_error_string(a)
                                                 : "unreadable");
  archive_read_free(a);
  return rc;
}

static int unpack(struct berth_context *ctx, int fd, const char *dockerfile,
                  berth_error **err) {
  if (lseek(fd, 0, SEEK_SET) < 0 || check_entries(fd, err) < 0 ||
      lseek(fd, 0, SEEK_SET) < 0)
    return err && *err ? -1 : berth_error_sys(err, "rewind the context");
  struct berth_layer_stats stats;
  if (berth_layer_unpack(fd, BERTH_LAYER_PLAIN, ctx->dir, NULL, &stats, err) <
      0)
    return berth_error_prefix(err, "build context on stdin");
  ctx->dir_fd = open(ctx->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->dir_fd < 0)
    return berth_error_sys(err, "open `%s`", ctx->dir);
  while (dockerfile && *dockerfile == '/')
    dockerfile++; /* -f names a file of the context */
  return berth_context_load(ctx, dockerfile, true, err);
}

/* Not a tar: the stream is the Dockerfile and the context is empty. */
static int lone_dockerfile(struct berth_context *ctx, int fd,
                           bool was_compressed, berth_error **err) {
  if (was_compressed)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "build context on stdin: compressed, but not a "
                           "tar archive");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berth_error_sys(err, "stat the spooled Dockerfile");
  if ((uint64_t)st.st_size > BERTH_DOCKERFILE_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "Dockerfile on stdin: larger than %u bytes",
                           BERTH_DOCKERFILE_MAX);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (berth_read_file(AT_FDCWD, proc, BERTH_DOCKERFILE_MAX, &ctx->dockerfile,
                      &ctx->dockerfile_len, err) < 0)
    return berth_error_prefix(err, "Dockerfile on stdin");
  ctx->dockerfile_name = strdup("Dockerfile");
  ctx->dir_fd = open(ctx->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!ctx->dockerfile_name || ctx->dir_fd < 0)
    return berth_error_sys(err, "open `%s`", ctx->dir);
  return 0;
}

static int open_spool(const char *dir, berth_error **err) {
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
    return fd >= 0 ? fd : berth_error_sys(err, "create a file in `%s`", dir);
  _cleanup_free_ char *path = berth_path_join(dir, "stream");
  fd = path ? open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600) : -1;
  if (fd < 0)
    return berth_error_sys(err, "create a file in `%s`", dir);
  unlink(path);
  return fd;
}

static int open_stream(struct berth_context *ctx, int in_fd,
                       const char *tmp_parent, const char *dockerfile,
                       berth_error **err) {
  if (asprintf(&ctx->tmp_dir, "%s/berth-build-XXXXXX", tmp_parent) < 0) {
    ctx->tmp_dir = NULL;
    return berth_error_sys(err, "allocate");
  }
  if (!mkdtemp(ctx->tmp_dir)) {
    int e = errno;
    free(steal_pointer(&ctx->tmp_dir));
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "create a directory in `%s`", tmp_parent);
  }
  /* Canonical, as the kernel names it back (berth_tree_real_rel). */
  _cleanup_free_ char *dir = berth_path_join(ctx->tmp_dir, "context");
  if (!dir || mkdir(dir, 0755) < 0 || !(ctx->dir = realpath(dir, NULL)))
    return berth_error_sys(err, "create the context directory");
  _cleanup_close_ int fd = open_spool(ctx->tmp_dir, err);
  bool was_compressed = false;
  if (fd < 0 || spool(in_fd, fd, &was_compressed, err) < 0)
    return -1;
  unsigned char head[512];
  ssize_t n = pread(fd, head, sizeof head, 0);
  if (n >= 0 && is_tar(head, (size_t)n))
    return unpack(ctx, fd, dockerfile, err);
  return lone_dockerfile(ctx, fd, was_compressed, err);
}

int berth_context_open_stream(int in_fd, const char *tmp_parent,
                              const char *dockerfile,
                              struct berth_context **out, berth_error **err) {
  struct berth_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return berth_error_sys(err, "allocate");
  ctx->dir_fd = -1;
  if (open_stream(ctx, in_fd, tmp_parent, dockerfile, err) < 0) {
    berth_context_free(ctx); /* removes tmp_dir and all in it */
    return -1;
  }
  *out = ctx;
  return 0;
}
