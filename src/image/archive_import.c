/* berth import: a root filesystem tarball becomes a one-layer image. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image_archive.h"
#include "archive_internal.h"
#include "cleanup.h"
#include "images.h"
#include "layer.h"
#include "pull.h"
#include "snapshot.h"

/* The tarball goes into the store as it came (compressed or not). */
static int store_tarball(struct berth_imgstore *is, int in_fd,
                         char digest[BERTH_DIGEST_SIZE], berth_error **err) {
  struct berth_blob_writer *w = NULL;
  if (berth_blob_writer_new(is->store, NULL, -1, &w, err) < 0)
    return -1;
  _cleanup_free_ char *buf = malloc(1 << 20);
  int rc = buf ? 0 : berth_error_sys(err, "allocate");
  ssize_t n;
  while (rc == 0 && (n = read(in_fd, buf, 1 << 20)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    rc = n < 0 ? berth_error_sys(err, "read the tarball")
               : berth_blob_writer_write(w, buf, (size_t)n, err);
  }
  if (rc == 0)
    rc = berth_blob_writer_commit(w, err);
  if (rc == 0)
    memcpy(digest, berth_blob_writer_digest(w), BERTH_DIGEST_SIZE);
  berth_blob_writer_free(w);
  return rc;
}

static char *config_json(const char *diff_id, const char *changes_json,
                         berth_error **err) {
  char now[BERTH_IMAGE_TIME_SIZE];
  berth_image_time(-1, now);
  const char *os, *arch, *variant;
  berth_host_platform(&os, &arch, &variant);
  json_t *changes = changes_json ? json_loads(changes_json, 0, NULL)
                                 : json_object();
  if (!json_is_object(changes)) {
    json_decref(changes);
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "import: the config changes are not a JSON object");
    return NULL;
  }
  json_t *cfg = json_pack(
      "{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", now,
      "architecture", arch, "os", os, "config", changes, "rootfs", "type",
      "layers", "diff_ids", diff_id, "history", "created", now, "created_by",
      "berth import");
  if (cfg && variant)
    json_object_set_new(cfg, "variant", json_string(variant));
  char *text = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
  json_decref(cfg);
  if (!text)
    berth_error_sys(err, "serialise the image config");
  return text;
}

static int import_steps(struct berth_imgstore *is, int in_fd,
                        const char *name, const char *changes_json,
                        struct berth_added *added, char id[BERTH_DIGEST_SIZE],
                        berth_error **err) {
  char blob[BERTH_DIGEST_SIZE], diff_id[BERTH_DIGEST_SIZE];
  if (store_tarball(is, in_fd, blob, err) < 0)
    return -1;
  berth_added_blob(added, blob);
  _cleanup_close_ int fd = -1;
  uint64_t size, unpacked;
  if (berth_store_open_blob(is->store, blob, &fd, &size, err) < 0)
    return -1;
  const char *mt = berth_layer_media_type_of(fd);
  struct berth_layer_limits limits = {0};
  if (berth_snapshot_import(is->root, fd,
                            (enum berth_layer_compression)
                                berth_layer_compression_from_media_type(mt),
                            &limits, diff_id, &unpacked, err) < 0)
    return -1;
  berth_added_chain(added, diff_id);
  _cleanup_free_ char *cfg = config_json(diff_id, changes_json, err);
  char cfg_digest[BERTH_DIGEST_SIZE], man_digest[BERTH_DIGEST_SIZE];
  if (!cfg || berth_store_put(is->store, cfg, strlen(cfg), cfg_digest, err) < 0)
    return -1;
  berth_added_blob(added, cfg_digest);
  json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}",
                        "schemaVersion", 2, "mediaType", BERTH_MT_OCI_MANIFEST,
                        "config", "mediaType", BERTH_MT_OCI_CONFIG, "digest",
                        cfg_digest, "size", (json_int_t)strlen(cfg), "layers",
                        "mediaType", mt, "digest", blob, "size",
                        (json_int_t)size);
  _cleanup_free_ char *mtext = m ? json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  if (!mtext ||
      berth_store_put(is->store, mtext, strlen(mtext), man_digest, err) < 0)
    return mtext ? -1 : berth_error_sys(err, "serialise the manifest");
  berth_added_blob(added, man_digest);
  struct berth_manifest parsed = {0};
  int rc = berth_manifest_parse(mtext, strlen(mtext), BERTH_MT_OCI_MANIFEST,
                                &parsed, err);
  if (rc == 0)
    rc = berth_image_record_local(is, man_digest, &parsed, name, added, id,
                                  err);
  berth_manifest_free(&parsed);
  return rc;
}

int berth_import(struct berth_imgstore *is, int in_fd, const char *name,
                 const char *changes_json, char id[BERTH_DIGEST_SIZE],
                 berth_error **err) {
  struct berth_added added = {0};
  if (berth_imgstore_lock(is, false, err) < 0)
    return -1;
  int rc = import_steps(is, in_fd, name, changes_json, &added, id, err);
  berth_imgstore_unlock(is);
  if (rc == 0)
    berth_imgstore_event(is, "import", id, name);
  if (rc < 0)
    berth_added_undo(is, &added);
  berth_added_free(&added);
  return rc < 0 ? berth_error_prefix(err, "import") : 0;
}
