/* Layer snapshots keyed by chain id. */
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "fs.h"

int berth_snapshot_dir(const char *root, const char *chain_id, char *out,
                       size_t len, berth_error **err) {
  if (berth_digest_validate(chain_id, "chain id", err) < 0)
    return -1;
  if ((size_t)snprintf(out, len, "%s/snapshots/%s", root,
                       berth_digest_hex(chain_id)) >= len)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "path too long");
  return 0;
}

bool berth_snapshot_exists(const char *root, const char *chain_id) {
  char dir[4096];
  struct stat st;
  return berth_snapshot_dir(root, chain_id, dir, sizeof dir, NULL) == 0 &&
         stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Marks dir as the top of unrelated trees (chattr +T): ext4's Orlov
 * allocator then spreads each snapshot over the block groups instead of
 * packing it next to its parent.  Layers are unrelated trees, and the
 * parent's group is where earlier snapshots were deleted: on an ext4
 * without a journal, every inode allocated there scans past each inode
 * freed in the last 30-330 s (recently_deleted()), which made creating a
 * file cost 0.3-0.7 ms instead of 25 us here.  Only a hint: filesystems
 * without the flag ignore it. */
static void mark_topdir(const char *dir) {
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags;
  if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
      (flags & FS_TOPDIR_FL))
    return;
  flags |= FS_TOPDIR_FL;
  (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

static int make_tmp(const char *root, char *out, size_t len,
                    berth_error **err) {
  char base[4096];
  snprintf(base, sizeof base, "%s/snapshots/tmp", root);
  if (berth_mkdir_p(base, 0700, err) < 0)
    return -1;
  mark_topdir(base);
  snprintf(out, len, "%s/XXXXXX", base);
  if (!mkdtemp(out))
    return berth_error_sys(err, "create a directory in `%s`", base);
  /* overlayfs needs lower layers readable by the container's users. */
  if (chmod(out, 0755) < 0)
    return berth_error_sys(err, "chmod `%s`", out);
  return 0;
}

static int unpack_into(const char *tmp, const char *diff_id, int blob_fd,
                       enum berth_layer_compression comp,
                       const struct berth_layer_limits *limits,
                       uint64_t *size, char *diff_id_out,
                       berth_error **err) {
  char fs[4200];
  snprintf(fs, sizeof fs, "%s/fs", tmp);
  if (mkdir(fs, 0755) < 0)
    return berth_error_sys(err, "create `%s`", fs);
  struct berth_layer_stats stats = {0};
  if (berth_layer_unpack(blob_fd, comp, fs, limits, &stats, err) < 0)
    return -1;
  if (!diff_id)
    diff_id = stats.diff_id; /* imported: named after unpacking */
  if (strcmp(stats.diff_id, diff_id) != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer content is %s, but the image config says "
                           "%s",
                           stats.diff_id[0] ? stats.diff_id : "unknown",
                           diff_id);
  char text[32];
  int n = snprintf(text, sizeof text, "%" PRIu64 "\n", stats.bytes);
  char sizefile[4200];
  snprintf(sizefile, sizeof sizefile, "%s/size", tmp);
  /* No fsync of its own: the syncfs before publishing covers it. */
  if (berth_write_file_replace(sizefile, text, (size_t)n, 0644, err) < 0)
    return -1;
  *size = stats.bytes;
  if (diff_id_out)
    memcpy(diff_id_out, stats.diff_id, sizeof stats.diff_id);
  return 0;
}

int berth_snapshot_sync_open(const char *root, berth_error **err) {
  char base[4096];
  snprintf(base, sizeof base, "%s/snapshots/tmp", root);
  if (berth_mkdir_p(base, 0700, err) < 0)
    return -1;
  int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? berth_error_sys(err, "open `%s`", base) : fd;
}

int berth_snapshot_unpack(const char *root, const char *chain_id,
                          const char *diff_id, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          uint64_t *size, char **tmp_out, berth_error **err) {
  char dir[4096], tmp[4096];
  *tmp_out = NULL;
  if (berth_snapshot_dir(root, chain_id, dir, sizeof dir, err) < 0)
    return -1;
  if (berth_snapshot_exists(root, chain_id))
    return berth_snapshot_size(root, chain_id, size, err);
  if (make_tmp(root, tmp, sizeof tmp, err) < 0)
    return -1;
  if (unpack_into(tmp, diff_id, blob_fd, comp, limits, size, NULL, err) < 0) {
    berth_rm_rf(tmp, NULL);
    return -1;
  }
  if (!(*tmp_out = strdup(tmp))) {
    berth_rm_rf(tmp, NULL);
    return berth_error_sys(err, "allocate");
  }
  return 0;
}

/* Renames a complete snapshot into place. */
static int publish(const char *root, const char *chain_id, const char *tmp,
                   berth_error **err) {
  char dir[4096];
  if (berth_snapshot_dir(root, chain_id, dir, sizeof dir, err) < 0)
    return -1;
  if (rename(tmp, dir) < 0) {
    int e = errno;
    berth_rm_rf(tmp, NULL);
    /* Another berth finished the same snapshot first: use theirs. */
    if ((e == EEXIST || e == ENOTEMPTY) && berth_snapshot_exists(root, chain_id))
      return 0;
    errno = e;
    return berth_error_sys(err, "rename snapshot into `%s`", dir);
  }
  return 0;
}

int berth_snapshot_publish(const char *root, int sync_fd,
                           const char *const *chain_ids, char **tmps,
                           size_t n, berth_error **err) {
  /* Every file of every snapshot (data, inodes, directories) on disk
   * before any rename publishes one: one syncfs instead of an fsync per
   * file, each a disk flush.  It writes back the whole filesystem: more
   * than these snapshots, never less. */
  if (syncfs(sync_fd) < 0)
    return berth_error_sys(err, "sync the unpacked layers");
  for (size_t i = 0; i < n; i++) {
    if (!tmps[i])
      continue;
    int rc = publish(root, chain_ids[i], tmps[i], err);
    free(tmps[i]);
    tmps[i] = NULL;
    if (rc < 0)
      return -1;
  }
  /* The renames on disk before the caller records the snapshots in the
   * database: a record must never outlive a crash its snapshot did not. */
  char parent[4200];
  snprintf(parent, sizeof parent, "%s/snapshots", root);
  _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0 || fsync(pfd) < 0)
    return berth_error_sys(err, "sync `%s`", parent);
  return 0;
}

/* Publishes one snapshot unpacked in tmp (malloc'd; freed, and the
 * directory removed when it could not be published). */
static int publish_one(const char *root, int sync_fd, const char *chain_id,
                       char *tmp, berth_error **err) {
  int rc = berth_snapshot_publish(root, sync_fd, &chain_id, &tmp, 1, err);
  if (tmp) {
    berth_rm_rf(tmp, NULL);
    free(tmp);
  }
  return rc;
}

int berth_snapshot_create(const char *root, const char *chain_id,
                          const char *diff_id, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          uint64_t *size, berth_error **err) {
  _cleanup_close_ int sync_fd = berth_snapshot_sync_open(root, err);
  char *tmp = NULL;
  if (sync_fd < 0 || berth_snapshot_unpack(root, chain_id, diff_id, blob_fd,
                                           comp, limits, size, &tmp, err) < 0)
    return -1;
  return tmp ? publish_one(root, sync_fd, chain_id, tmp, err)
             : 0; /* it exists already */
}

int berth_snapshot_import(const char *root, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          char diff_id[72], uint64_t *size,
                          berth_error **err) {
  char tmp[4096], dir[4096];
  _cleanup_close_ int sync_fd = berth_snapshot_sync_open(root, err);
  if (sync_fd < 0 || make_tmp(root, tmp, sizeof tmp, err) < 0)
    return -1;
  if (unpack_into(tmp, NULL, blob_fd, comp, limits, size, diff_id, err) < 0 ||
      berth_snapshot_dir(root, diff_id, dir, sizeof dir, err) < 0) {
    berth_rm_rf(tmp, NULL);
    return -1;
  }
  if (berth_snapshot_exists(root, diff_id)) {
    berth_rm_rf(tmp, NULL);
    return 0;
  }
  char *copy = strdup(tmp);
  if (!copy) {
    berth_rm_rf(tmp, NULL);
    return berth_error_sys(err, "allocate");
  }
  return publish_one(root, sync_fd, diff_id, copy, err);
}

int berth_snapshot_size(const char *root, const char *chain_id,
                        uint64_t *size, berth_error **err) {
  char dir[4096];
  if (berth_snapshot_dir(root, chain_id, dir, sizeof dir, err) < 0)
    return -1;
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys(err, "open snapshot `%s`", dir);
  if (berth_read_file(dfd, "size", 64, &text, &len, err) < 0)
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || end == text)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "snapshot `%s`: bad size file", dir);
  *size = v;
  return 0;
}

int berth_snapshot_remove(const char *root, const char *chain_id,
                          berth_error **err) {
  char dir[4096], tmp[4096];
  if (berth_snapshot_dir(root, chain_id, dir, sizeof dir, err) < 0)
    return -1;
  if (!berth_snapshot_exists(root, chain_id))
    return 0;
  if (make_tmp(root, tmp, sizeof tmp, err) < 0)
    return -1;
  /* rename over the empty temporary directory: atomic removal from view */
  if (rename(dir, tmp) < 0) {
    int e = errno;
    rmdir(tmp);
    if (e == ENOENT)
      return 0;
    errno = e;
    return berth_error_sys(err, "remove snapshot `%s`", dir);
  }
  return berth_rm_rf(tmp, err);
}

int berth_snapshot_clean_tmp(const char *root, int max_age_s,
                             berth_error **err) {
  char base[4096];
  snprintf(base, sizeof base, "%s/snapshots/tmp", root);
  DIR *d = opendir(base);
  if (!d)
    return errno == ENOENT ? 0 : berth_error_sys(err, "open `%s`", base);
  time_t now = time(NULL);
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    struct stat st;
    if (e->d_name[0] == '.' ||
        fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        now - st.st_mtime < max_age_s)
      continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", base, e->d_name);
    if (berth_rm_rf(path, err) < 0)
      rc = -1;
  }
  closedir(d);
  return rc;
}
