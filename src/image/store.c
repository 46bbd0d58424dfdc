/* Content-addressed blob store. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

struct berth_store {
  char *root;
  char blobs[4096]; /* <root>/blobs/sha256 */
  char tmp[4096];   /* <root>/tmp: same filesystem, so rename is atomic */
};

struct berth_blob_writer {
  struct berth_store *store;
  char digest[BERTH_DIGEST_SIZE];
  int64_t expected;
  uint64_t written;
  int fd;
  char tmp_path[4200];
  struct berth_hasher *hasher;
};

int berth_store_open(const char *root, struct berth_store **out,
                     berth_error **err) {
  *out = NULL;
  struct berth_store *s = calloc(1, sizeof(*s));
  if (s == NULL || (s->root = strdup(root)) == NULL) {
    free(s);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "store");
  }
  snprintf(s->blobs, sizeof(s->blobs), "%s/blobs/sha256", root);
  snprintf(s->tmp, sizeof(s->tmp), "%s/tmp", root);
  if (berth_mkdir_p(s->blobs, 0700, err) < 0 ||
      berth_mkdir_p(s->tmp, 0700, err) < 0) {
    berth_store_free(s);
    return berth_error_prefix(err, "open the content store `%s`", root);
  }
  *out = s;
  return 0;
}

void berth_store_free(struct berth_store *s) {
  if (s == NULL)
    return;
  free(s->root);
  free(s);
}

const char *berth_store_root(const struct berth_store *s) { return s->root; }

int berth_store_blob_path(const struct berth_store *s, const char *digest,
                          char *out, size_t len, berth_error **err) {
  /* The digest becomes a file name: only a validated one may. */
  if (berth_digest_validate(digest, "blob", err) < 0)
    return -1;
  snprintf(out, len, "%s/%s", s->blobs, berth_digest_hex(digest));
  return 0;
}

bool berth_store_has(const struct berth_store *s, const char *digest) {
  char path[4200];
  return berth_store_blob_path(s, digest, path, sizeof(path), NULL) == 0 &&
         access(path, F_OK) == 0;
}

int berth_blob_writer_new(struct berth_store *s, const char *digest,
                          int64_t size, struct berth_blob_writer **out,
                          berth_error **err) {
  *out = NULL;
  if (digest && berth_digest_validate(digest, "blob", err) < 0)
    return -1;
  struct berth_blob_writer *w = calloc(1, sizeof(*w));
  if (w == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "blob writer");
  w->store = s;
  w->expected = size;
  w->fd = -1;
  snprintf(w->digest, sizeof(w->digest), "%s", digest ? digest : "");
  snprintf(w->tmp_path, sizeof(w->tmp_path), "%s/%.16s-XXXXXX", s->tmp,
           digest ? berth_digest_hex(digest) : "import");
  w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
  if (w->fd < 0) {
    int e = errno;
    free(w);
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "create a temporary blob in `%s`", s->tmp);
  }
  if (berth_hasher_new(&w->hasher, err) < 0) {
    berth_blob_writer_free(w);
    return -1;
  }
  *out = w;
  return 0;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int berth_blob_writer_write(struct berth_blob_writer *w, const void *data,
                            size_t len, berth_error **err) {
  if (w->expected >= 0 && w->written + len > (uint64_t)w->expected)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "blob %s: more than the expected %lld bytes",
                           w->digest, (long long)w->expected);
  if (berth_hasher_update(w->hasher, data, len, err) < 0)
    return -1;
  if (write_all(w->fd, data, len) < 0)
    return berth_error_sys(err, "write blob %s", w->digest);
  w->written += len;
  return 0;
}

const char *berth_blob_writer_digest(const struct berth_blob_writer *w) {
  return w->digest;
}

uint64_t berth_blob_writer_size(const struct berth_blob_writer *w) {
  return w->written;
}

static int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int berth_blob_writer_commit(struct berth_blob_writer *w, berth_error **err) {
  if (w->expected >= 0 && w->written != (uint64_t)w->expected)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "blob %s: got %llu bytes, expected %lld "
                           "(truncated)",
                           w->digest, (unsigned long long)w->written,
                           (long long)w->expected);
  char got[BERTH_DIGEST_SIZE];
  if (berth_hasher_final(w->hasher, got, err) < 0)
    return -1;
  if (!w->digest[0])
    memcpy(w->digest, got, sizeof got); /* imported: named by its content */
  if (strcmp(got, w->digest) != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "blob digest mismatch: expected %s, got %s",
                           w->digest, got);
  if (fsync(w->fd) < 0)
    return berth_error_sys(err, "fsync blob %s", w->digest);
  /* Read-only: a blob is immutable once it is in place. */
  if (fchmod(w->fd, 0400) < 0)
    return berth_error_sys(err, "chmod blob %s", w->digest);
  char path[4200];
  if (berth_store_blob_path(w->store, w->digest, path, sizeof(path), err) < 0)
    return -1;
  if (rename(w->tmp_path, path) < 0)
    return berth_error_sys(err, "store blob %s", w->digest);
  w->tmp_path[0] = '\0';
  if (fsync_dir(w->store->blobs) < 0)
    return berth_error_sys(err, "fsync `%s`", w->store->blobs);
  return 0;
}

void berth_blob_writer_free(struct berth_blob_writer *w) {
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close(w->fd);
  if (w->tmp_path[0])
    unlink(w->tmp_path);
  berth_hasher_free(w->hasher);
  free(w);
}

int berth_store_put(struct berth_store *s, const void *data, size_t len,
                    char digest_out[BERTH_DIGEST_SIZE], berth_error **err) {
  if (berth_digest_of(data, len, digest_out, err) < 0)
    return -1;
  if (berth_store_has(s, digest_out))
    return 0;
  struct berth_blob_writer *w = NULL;
  int rc = berth_blob_writer_new(s, digest_out, (int64_t)len, &w, err);
  if (rc == 0)
    rc = berth_blob_writer_write(w, data, len, err);
  if (rc == 0)
    rc = berth_blob_writer_commit(w, err);
  berth_blob_writer_free(w);
  return rc;
}

int berth_store_open_blob(const struct berth_store *s, const char *digest,
                          int *fd, uint64_t *size, berth_error **err) {
  char path[4200];
  if (berth_store_blob_path(s, digest, path, sizeof(path), err) < 0)
    return -1;
  int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f < 0) {
    if (errno == ENOENT)
      return berth_error_set(err, BERTH_ERR_NOT_FOUND, ENOENT,
                             "blob %s is not in the store", digest);
    return berth_error_sys(err, "open blob %s", digest);
  }
  struct stat st;
  if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(f);
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "blob %s is not a regular file", digest);
  }
  *fd = f;
  if (size)
    *size = (uint64_t)st.st_size;
  return 0;
}

int berth_store_get(const struct berth_store *s, const char *digest,
                    size_t max_bytes, char **data, size_t *len,
                    berth_error **err) {
  *data = NULL;
  *len = 0;
  char path[4200];
  if (berth_store_blob_path(s, digest, path, sizeof(path), err) < 0)
    return -1;
  _cleanup_free_ char *buf = NULL;
  size_t n = 0;
  berth_error *e = NULL;
  if (berth_read_file(AT_FDCWD, path, max_bytes, &buf, &n, &e) < 0) {
    if (e->errno_value == ENOENT) {
      berth_error_free(e);
      return berth_error_set(err, BERTH_ERR_NOT_FOUND, ENOENT,
                             "blob %s is not in the store", digest);
    }
    if (err && *err == NULL)
      *err = e;
    else
      berth_error_free(e);
    return -1;
  }
  char got[BERTH_DIGEST_SIZE];
  if (berth_digest_of(buf, n, got, err) < 0)
    return -1;
  if (strcmp(got, digest) != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "blob %s is corrupt in the store (its content "
                           "hashes to %s)",
                           digest, got);
  *data = steal_pointer(&buf);
  *len = n;
  return 0;
}

int berth_store_delete(struct berth_store *s, const char *digest,
                       berth_error **err) {
  char path[4200];
  if (berth_store_blob_path(s, digest, path, sizeof(path), err) < 0)
    return -1;
  if (unlink(path) < 0 && errno != ENOENT)
    return berth_error_sys(err, "remove blob %s", digest);
  return 0;
}

int berth_store_clean_tmp(struct berth_store *s, int max_age_s,
                          berth_error **err) {
  DIR *d = opendir(s->tmp);
  if (d == NULL)
    return berth_error_sys(err, "open `%s`", s->tmp);
  time_t now = time(NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (e->d_name[0] == '.' ||
        fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (now - st.st_mtime >= max_age_s)
      unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
  return 0;
}
