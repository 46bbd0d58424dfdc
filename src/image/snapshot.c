/* Layer snapshots keyed by chain id. */
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int make_tmp(const char *root, char *out, size_t len,
                    berth_error **err) {
  char base[4096];
  snprintf(base, sizeof base, "%s/snapshots/tmp", root);
  if (berth_mkdir_p(base, 0700, err) < 0)
    return -1;
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
  char fs[4200], sizefile[4200];
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
  snprintf(sizefile, sizeof sizefile, "%s/size", tmp);
  if (berth_write_file_atomic(sizefile, text, (size_t)n, 0644, err) < 0)
    return -1;
  *size = stats.bytes;
  if (diff_id_out)
    memcpy(diff_id_out, stats.diff_id, sizeof stats.diff_id);
  /* The unpacked files must be on disk before the rename publishes the
   * snapshot: syncfs covers all of them in one call. */
  _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || syncfs(dfd) < 0)
    return berth_error_sys(err, "sync `%s`", tmp);
  return 0;
}

static int publish(const char *root, const char *chain_id, const char *tmp,
                   const char *dir, berth_error **err);

int berth_snapshot_create(const char *root, const char *chain_id,
                          const char *diff_id, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          uint64_t *size, berth_error **err) {
  char dir[4096], tmp[4096];
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
  return publish(root, chain_id, tmp, dir, err);
}

/* Renames a complete snapshot into place. */
static int publish(const char *root, const char *chain_id, const char *tmp,
                   const char *dir, berth_error **err) {
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

int berth_snapshot_import(const char *root, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          char diff_id[72], uint64_t *size,
                          berth_error **err) {
  char tmp[4096], dir[4096];
  if (make_tmp(root, tmp, sizeof tmp, err) < 0)
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
  return publish(root, diff_id, tmp, dir, err);
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
