/* Images made from blobs already in the store (load, import, commit,
 * build). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image_archive.h"
#include "archive_internal.h"
#include "cleanup.h"
#include "images.h"
#include "layer.h"
#include "snapshot.h"

static void add_to(char (**list)[BERTH_DIGEST_SIZE], size_t *n,
                   const char *digest) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i], digest) == 0)
      return;
  char(*nl)[BERTH_DIGEST_SIZE] = realloc(*list, (*n + 1) * sizeof *nl);
  if (!nl)
    return; /* at worst an orphan blob, which gc removes later */
  snprintf(nl[*n], BERTH_DIGEST_SIZE, "%s", digest);
  *list = nl;
  (*n)++;
}

void berth_added_blob(struct berth_added *a, const char *digest) {
  add_to(&a->blobs, &a->n_blobs, digest);
}

void berth_added_chain(struct berth_added *a, const char *chain_id) {
  add_to(&a->chains, &a->n_chains, chain_id);
}

void berth_added_undo(struct berth_imgstore *is, struct berth_added *a) {
  if (berth_imgstore_lock(is, true, NULL) < 0)
    return;
  for (size_t i = 0; i < a->n_blobs; i++)
    if (berth_images_blob_in_use(is->db, a->blobs[i], NULL) == 0)
      berth_store_delete(is->store, a->blobs[i], NULL);
  for (size_t i = 0; i < a->n_chains; i++)
    if (berth_images_chain_in_use(is->db, a->chains[i], NULL) == 0)
      berth_snapshot_remove(is->root, a->chains[i], NULL);
  berth_imgstore_unlock(is);
}

void berth_added_free(struct berth_added *a) {
  free(a->blobs);
  free(a->chains);
  memset(a, 0, sizeof *a);
}

const char *berth_layer_media_type_of(int fd) {
  unsigned char magic[4] = {0};
  if (pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic) {
    if (magic[0] == 0x1f && magic[1] == 0x8b)
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
        magic[3] == 0xfd)
      return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

static int unpack_layers(struct berth_imgstore *is,
                         const struct berth_manifest *m,
                         const struct berth_image_config *cfg,
                         struct berth_image *img, struct berth_added *added,
                         berth_error **err) {
  char(*chains)[BERTH_DIGEST_SIZE] = calloc(m->n_layers + 1, sizeof *chains);
  if (!chains)
    return berth_error_sys(err, "allocate");
  int rc = berth_chain_ids(cfg->diff_ids, m->n_layers, chains, err);
  for (size_t i = 0; i < m->n_layers && rc == 0; i++) {
    const struct berth_descriptor *d = &m->layers[i];
    struct berth_image_layer *l = &img->layers[i];
    int comp = berth_layer_compression_from_media_type(d->media_type);
    _cleanup_close_ int fd = -1;
    uint64_t size = 0, unpacked = 0;
    if (comp < 0)
      rc = berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "layer %s: media type `%s` is not a layer",
                           d->digest, d->media_type);
    if (rc == 0)
      rc = berth_store_open_blob(is->store, d->digest, &fd, &size, err);
    if (rc == 0 && !berth_snapshot_exists(is->root, chains[i]))
      berth_added_chain(added, chains[i]);
    struct berth_layer_limits limits = {0};
    if (rc == 0)
      rc = berth_snapshot_create(is->root, chains[i], cfg->diff_ids[i], fd,
                                 (enum berth_layer_compression)comp, &limits,
                                 &unpacked, err);
    memcpy(l->blob, d->digest, BERTH_DIGEST_SIZE);
    l->media_type = d->media_type;
    l->blob_size = (int64_t)size;
    snprintf(l->diff_id, BERTH_DIGEST_SIZE, "%s", cfg->diff_ids[i]);
    memcpy(l->chain_id, chains[i], BERTH_DIGEST_SIZE);
    l->unpacked_size = (int64_t)unpacked;
    img->size += (int64_t)unpacked;
  }
  free(chains);
  return rc;
}

static char *doc_string(json_t *doc, const char *key) {
  const char *s = json_string_value(json_object_get(doc, key));
  return s ? strdup(s) : NULL;
}

int berth_image_record_local(struct berth_imgstore *is,
                             const char *manifest_digest,
                             const struct berth_manifest *m, const char *tag,
                             struct berth_added *added,
                             char id[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  struct berth_image_config cfg = {0};
  if (berth_store_get(is->store, m->config.digest, BERTH_CONFIG_MAX_BYTES,
                      &data, &len, err) < 0 ||
      berth_image_config_parse(data, len, &cfg, err) < 0)
    return -1;
  struct berth_image img = {0};
  _cleanup_free_ char *variant = doc_string(cfg.doc, "variant");
  _cleanup_free_ char *created = doc_string(cfg.doc, "created");
  int rc = 0;
  if (cfg.n_diff_ids != m->n_layers)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "image config %s lists %zu layers, the manifest %zu",
                         m->config.digest, cfg.n_diff_ids, m->n_layers);
  img.layers = calloc(m->n_layers + 1, sizeof *img.layers);
  if (rc == 0 && !img.layers)
    rc = berth_error_sys(err, "allocate");
  img.n_layers = m->n_layers;
  if (rc == 0)
    rc = unpack_layers(is, m, &cfg, &img, added, err);
  if (rc == 0) {
    memcpy(img.id, m->config.digest, BERTH_DIGEST_SIZE);
    snprintf(img.manifest_digest, BERTH_DIGEST_SIZE, "%s", manifest_digest);
    img.manifest_media_type = m->media_type ? m->media_type
                                            : BERTH_MT_OCI_MANIFEST;
    img.os = cfg.os;
    img.architecture = cfg.architecture;
    img.variant = variant;
    img.created = created;
    img.added = (int64_t)time(NULL);
    rc = berth_images_add(is->db, &img, tag, NULL, err);
  }
  if (rc == 0)
    memcpy(id, img.id, BERTH_DIGEST_SIZE);
  free(img.layers);
  berth_image_config_free(&cfg);
  return rc;
}

void berth_image_time(int64_t epoch, char out[BERTH_IMAGE_TIME_SIZE]) {
  struct timespec ts = {.tv_sec = (time_t)epoch};
  if (epoch < 0)
    clock_gettime(CLOCK_REALTIME, &ts);
  char base[24];
  struct tm tm;
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
  /* Nanoseconds, as Docker's: two images made in one second get distinct
   * histories (ps --filter ancestor= tells images apart by history). */
  snprintf(out, BERTH_IMAGE_TIME_SIZE, "%s.%09ldZ", base, ts.tv_nsec);
}

static json_t *descriptor(const char *media_type, const char *digest,
                          uint64_t size) {
  return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest",
                   digest, "size", (json_int_t)size);
}

static char *derived_manifest(const struct berth_image *parent,
                              const char *cfg_digest, size_t cfg_len,
                              const char *layer, uint64_t layer_size) {
  json_t *layers = json_array();
  for (size_t i = 0; layers && parent && i < parent->n_layers; i++)
    json_array_append_new(
        layers, descriptor(parent->layers[i].media_type,
                           parent->layers[i].blob,
                           (uint64_t)parent->layers[i].blob_size));
  if (layers && layer)
    json_array_append_new(layers,
                          descriptor("application/vnd.oci.image.layer.v1.tar",
                                     layer, layer_size));
  json_t *m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2,
                        "mediaType", BERTH_MT_OCI_MANIFEST, "config",
                        descriptor(BERTH_MT_OCI_CONFIG, cfg_digest, cfg_len),
                        "layers", layers);
  char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  return text;
}

int berth_image_record_derived(struct berth_imgstore *is,
                               const struct berth_image *parent,
                               const char *cfg, const char *layer,
                               uint64_t layer_size, const char *tag,
                               struct berth_added *added,
                               char id[BERTH_DIGEST_SIZE], berth_error **err) {
  char cfg_digest[BERTH_DIGEST_SIZE], man_digest[BERTH_DIGEST_SIZE];
  if (berth_store_put(is->store, cfg, strlen(cfg), cfg_digest, err) < 0)
    return -1;
  berth_added_blob(added, cfg_digest);
  _cleanup_free_ char *man = derived_manifest(parent, cfg_digest, strlen(cfg),
                                              layer, layer_size);
  if (!man)
    return berth_error_sys(err, "serialise the manifest");
  if (berth_store_put(is->store, man, strlen(man), man_digest, err) < 0)
    return -1;
  berth_added_blob(added, man_digest);
  struct berth_manifest parsed = {0};
  int rc = berth_manifest_parse(man, strlen(man), BERTH_MT_OCI_MANIFEST,
                                &parsed, err);
  if (rc == 0)
    rc = berth_image_record_local(is, man_digest, &parsed, tag, added, id,
                                  err);
  berth_manifest_free(&parsed);
  return rc;
}
