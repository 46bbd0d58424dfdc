/* On-disk cache of compiled seccomp programs (see seccomp_cache.h).
 *
 * File layout, native byte order (the key names the architecture):
 *   "BSC1"  u32 key_len  u32 n_insns  4 zero bytes  u64 checksum
 *   key bytes, then n_insns struct sock_filter.
 * The checksum (FNV-1a 64) covers key and program. */
#include "seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "tempname.h"

struct header {
  char magic[4];
  uint32_t key_len;
  uint32_t n_insns;
  uint64_t checksum;
};

static const char magic[4] = {'B', 'S', 'C', '1'};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static const uint64_t fnv_basis = 0xcbf29ce484222325ULL;

static int entry_path(const char *dir, const char *key, size_t key_len,
                      char *out, size_t size) {
  int n = snprintf(out, size, "%s/%016llx", dir,
                   (unsigned long long)fnv1a(fnv_basis, key, key_len));
  return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Ours and not writable by group or others: anything else could have been
 * planted by someone who should not choose our filters. */
static int trusted(const struct stat *st) {
  return st->st_uid == geteuid() && (st->st_mode & 022) == 0;
}

static int read_all(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = read(fd, (char *)buf + done, len - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    done += (size_t)r;
  }
  return 0;
}

int berth_seccomp_cache_load(const char *dir, const char *key, size_t key_len,
                             struct berth_seccomp_prog *out) {
  char path[4096];
  struct stat st;
  if (entry_path(dir, key, key_len, path, sizeof(path)) < 0 ||
      lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !trusted(&st))
    return -1;
  _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct header h;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !trusted(&st) ||
      read_all(fd, &h, sizeof(h)) < 0 || memcmp(h.magic, magic, 4) != 0 ||
      h.key_len != key_len || h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
      (uint64_t)st.st_size !=
          sizeof(h) + key_len +
              (uint64_t)h.n_insns * sizeof(struct sock_filter))
    return -1;
  size_t body = (size_t)st.st_size - sizeof(h);
  _cleanup_free_ char *buf = malloc(body);
  if (buf == NULL || read_all(fd, buf, body) < 0 ||
      memcmp(buf, key, key_len) != 0 ||
      fnv1a(fnv_basis, buf, body) != h.checksum)
    return -1;
  size_t prog_len = h.n_insns * sizeof(struct sock_filter);
  struct sock_filter *filter = malloc(prog_len);
  if (filter == NULL)
    return -1;
  memcpy(filter, buf + key_len, prog_len);
  out->filter = filter;
  out->len = (unsigned short)h.n_insns;
  return 0;
}

void berth_seccomp_cache_store(const char *dir, const char *key, size_t key_len,
                               const struct berth_seccomp_prog *prog) {
  char path[4096], tmp[4096 + 32];
  struct stat st;
  if (entry_path(dir, key, key_len, path, sizeof(path)) < 0)
    return;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return;
  if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !trusted(&st))
    return;
  size_t prog_len = prog->len * sizeof(struct sock_filter);
  struct header h;
  memset(&h, 0, sizeof(h)); /* padding included: the file is compared */
  memcpy(h.magic, magic, 4);
  h.key_len = (uint32_t)key_len;
  h.n_insns = prog->len;
  h.checksum = fnv1a(fnv1a(fnv_basis, key, key_len), prog->filter, prog_len);
  /* An unguessable name: a predictable one could be taken in advance
   * and keep the cache from ever being written (lib/tempname.h). */
  int fd = berth_temp_create(AT_FDCWD, path, 0, 0600, tmp, sizeof(tmp));
  if (fd < 0)
    return;
  bool ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
            write(fd, key, key_len) == (ssize_t)key_len &&
            write(fd, prog->filter, prog_len) == (ssize_t)prog_len;
  ok = close(fd) == 0 && ok;
  /* rename() replaces atomically: a concurrent reader sees the old entry,
   * the new one, or none. */
  if (!ok || rename(tmp, path) < 0)
    unlink(tmp);
}
