/* The image store: content store, snapshots and database together. */
#include "imgstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fs.h"
#include "images.h"
#include "snapshot.h"

int berth_imgstore_open(const char *root, struct berth_imgstore **out,
                        berth_error **err) {
  struct berth_imgstore *is = calloc(1, sizeof *is);
  if (!is || !(is->root = strdup(root))) {
    free(is);
    return berth_error_sys(err, "allocate");
  }
  is->lock_fd = -1;
  char path[4096];
  snprintf(path, sizeof path, "%s/snapshots", root);
  if (berth_mkdir_p(path, 0700, err) < 0 ||
      berth_store_open(root, &is->store, err) < 0)
    goto fail;
  snprintf(path, sizeof path, "%s/gc.lock", root);
  is->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (is->lock_fd < 0) {
    berth_error_sys(err, "open `%s`", path);
    goto fail;
  }
  snprintf(path, sizeof path, "%s/berth.db", root);
  if (berth_db_open(path, &is->db, err) < 0)
    goto fail;
  *out = is;
  return 0;
fail:
  berth_imgstore_free(is);
  return -1;
}

void berth_imgstore_event(struct berth_imgstore *is, const char *action,
                          const char *actor, const char *name) {
  if (is && is->on_event)
    is->on_event(is->event_arg, action, actor, name);
}

void berth_imgstore_free(struct berth_imgstore *is) {
  if (!is)
    return;
  berth_db_close(is->db);
  berth_store_free(is->store);
  if (is->lock_fd >= 0)
    close(is->lock_fd);
  free(is->root);
  free(is);
}

int berth_imgstore_lock(struct berth_imgstore *is, bool exclusive,
                        berth_error **err) {
  if (is->lock_depth > 0) {
    is->lock_depth++;
    return 0;
  }
  while (flock(is->lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return berth_error_sys(err, "lock `%s/gc.lock`", is->root);
  is->lock_depth = 1;
  return 0;
}

void berth_imgstore_unlock(struct berth_imgstore *is) {
  if (is->lock_depth > 0 && --is->lock_depth == 0)
    flock(is->lock_fd, LOCK_UN);
}

static int gc_blobs(struct berth_imgstore *is, uint64_t *freed,
                    berth_error **err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/blobs/sha256", is->root);
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : berth_error_sys(err, "open `%s`", dir);
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    char digest[BERTH_DIGEST_SIZE + 8];
    snprintf(digest, sizeof digest, "sha256:%s", e->d_name);
    if (berth_digest_validate(digest, "blob", NULL) < 0)
      continue;
    int used = berth_images_blob_in_use(is->db, digest, err);
    struct stat st;
    if (used < 0)
      rc = -1;
    else if (!used) {
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        *freed += (uint64_t)st.st_size;
      rc = berth_store_delete(is->store, digest, err);
    }
  }
  closedir(d);
  return rc;
}

static int gc_snapshots(struct berth_imgstore *is, uint64_t *freed,
                        berth_error **err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/snapshots", is->root);
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : berth_error_sys(err, "open `%s`", dir);
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    char chain[BERTH_DIGEST_SIZE + 8];
    snprintf(chain, sizeof chain, "sha256:%s", e->d_name);
    if (berth_digest_validate(chain, "snapshot", NULL) < 0)
      continue;
    int used = berth_images_chain_in_use(is->db, chain, err);
    uint64_t size = 0;
    if (used < 0)
      rc = -1;
    else if (!used) {
      if (berth_snapshot_size(is->root, chain, &size, NULL) == 0)
        *freed += size;
      rc = berth_snapshot_remove(is->root, chain, err);
    }
  }
  closedir(d);
  return rc;
}

int berth_imgstore_gc(struct berth_imgstore *is, uint64_t *freed,
                      berth_error **err) {
  *freed = 0;
  if (berth_imgstore_lock(is, true, err) < 0)
    return -1;
  int rc = gc_blobs(is, freed, err);
  if (rc == 0)
    rc = gc_snapshots(is, freed, err);
  if (rc == 0)
    rc = berth_store_clean_tmp(is->store, 3600, err);
  if (rc == 0)
    rc = berth_snapshot_clean_tmp(is->root, 3600, err);
  berth_imgstore_unlock(is);
  return rc;
}
