/* Step images: a build container's layer and the image each step makes
 * (see build_image.h; the cache itself is src/engine/build_cache.c). */
#include "build_image.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_internal.h" /* berth_image_record_derived, berth_added */
#include "cleanup.h"
#include "containers.h"
#include "export.h"
#include "images.h"
#include "pull.h"
#include "start.h"

int berth_build_layer(struct berth_engine *e, const char *ctr_id,
                      int64_t epoch, char digest[BERTH_DIGEST_SIZE],
                      uint64_t *size, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ctr_id, &c, err) < 0)
    return -1;
  /* The container's lock keeps it from starting or going meanwhile; the
   * store's shared lock keeps gc from taking the blob while it is
   * written. */
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
  if (lock < 0 || berth_imgstore_lock(e->is, false, err) < 0)
    return berth_error_prefix(err, "layer of `%s`", c->name);
  int rc = berth_ctr_layer(e, c, epoch, digest, size, err);
  berth_imgstore_unlock(e->is);
  return rc < 0 ? berth_error_prefix(err, "layer of `%s`", c->name) : 0;
}

/* The members of an image config a step image keeps from its parent:
 * the OCI image config's (Docker's, as its builder writes them).  Legacy
 * members of old base images (container, container_config,
 * docker_version) described the parent's own making and do not carry
 * over; config, created, rootfs and history are the step's. */
static const char *const kept_keys[] = {"author", "architecture", "os",
                                        "os.version", "os.features",
                                        "variant"};

static json_t *scratch_doc(const struct berth_step_image *s) {
  const char *os, *arch, *variant;
  berth_host_platform(&os, &arch, &variant);
  if (s->platform_os)
    os = s->platform_os;
  if (s->platform_arch) {
    arch = s->platform_arch;
    variant = s->platform_variant;
  }
  json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:[]}, s:[]}", "architecture",
                          arch, "os", os, "rootfs", "type", "layers",
                          "diff_ids", "history");
  if (doc && variant)
    json_object_set_new(doc, "variant", json_string(variant));
  return doc;
}

static int parent_doc(struct berth_engine *e, const struct berth_image *img,
                      json_t **out, berth_error **err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  struct berth_image_config cfg = {0};
  if (berth_store_get(e->is->store, img->id, BERTH_CONFIG_MAX_BYTES, &text,
                      &len, err) < 0 ||
      berth_image_config_parse(text, len, &cfg, err) < 0)
    return -1;
  json_t *doc = json_object();
  for (size_t i = 0; doc && i < sizeof kept_keys / sizeof *kept_keys; i++) {
    json_t *v = json_object_get(cfg.doc, kept_keys[i]);
    if (v)
      json_object_set(doc, kept_keys[i], v);
  }
  json_t *rootfs = json_object_get(cfg.doc, "rootfs");
  json_t *hist = json_object_get(cfg.doc, "history");
  if (doc)
    json_object_set_new(
        doc, "rootfs",
        json_pack("{s:s, s:O}", "type", "layers", "diff_ids",
                  json_object_get(rootfs, "diff_ids")));
  if (doc)
    json_object_set_new(doc, "history", json_is_array(hist)
                                            ? json_deep_copy(hist)
                                            : json_array());
  berth_image_config_free(&cfg);
  if (!doc || !json_object_get(doc, "rootfs")) {
    json_decref(doc);
    return berth_error_sys(err, "allocate");
  }
  *out = doc;
  return 0;
}

/* The step's config text: the parent's (or scratch's) with the step's
 * "config", its time, its layer and its history entry. */
static char *step_config(json_t *doc, const struct berth_step_image *s,
                         berth_error **err) {
  char created[BERTH_IMAGE_TIME_SIZE];
  berth_image_time(s->epoch, created);
  json_object_set_new(doc, "created", json_string(created));
  json_object_set_new(doc, "config", s->config ? json_deep_copy(s->config)
                                               : json_object());
  /* MAINTAINER: the image's author (else the parent's, kept above). */
  if (s->author)
    json_object_set_new(doc, "author", json_string(s->author));
  json_t *ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
  /* An uncompressed layer's diff id is its digest. */
  if (s->layer)
    json_array_append_new(ids, json_string(s->layer));
  json_t *h = s->created_by ? json_pack("{s:s, s:s}", "created", created,
                                        "created_by", s->created_by)
                            : NULL;
  if (h && !s->layer)
    json_object_set_new(h, "empty_layer", json_true());
  if (h)
    json_array_append_new(json_object_get(doc, "history"), h);
  char *text = !s->created_by || h ? json_dumps(doc, JSON_COMPACT) : NULL;
  if (!text)
    berth_error_sys(err, "serialise the image config");
  return text;
}

static int check_step(struct berth_engine *e, const struct berth_step_image *s,
                      berth_error **err) {
  if (s->config && !json_is_object(s->config))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "step image: the config is not an object");
  if (!s->layer)
    return 0;
  _cleanup_close_ int fd = -1;
  uint64_t size = 0;
  if (berth_store_open_blob(e->is->store, s->layer, &fd, &size, err) < 0)
    return berth_error_prefix(err, "step image: layer");
  if (size != s->layer_size)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "step image: layer %s has %llu bytes, not %llu",
                           s->layer, (unsigned long long)size,
                           (unsigned long long)s->layer_size);
  return 0;
}

static int record_step(struct berth_engine *e,
                       const struct berth_step_image *s,
                       struct berth_added *added, char id[BERTH_DIGEST_SIZE],
                       berth_error **err) {
  struct berth_image parent = {0};
  json_t *doc = NULL;
  int rc = check_step(e, s, err);
  if (rc == 0 && s->parent_id) {
    rc = berth_images_get(e->db, s->parent_id, &parent, err);
    if (rc == 0)
      rc = parent_doc(e, &parent, &doc, err);
  } else if (rc == 0 && !(doc = scratch_doc(s))) {
    rc = berth_error_sys(err, "allocate");
  }
  _cleanup_free_ char *cfg = rc == 0 ? step_config(doc, s, err) : NULL;
  if (rc == 0 && !cfg)
    rc = -1;
  if (rc == 0)
    rc = berth_image_record_derived(e->is, s->parent_id ? &parent : NULL,
                                    cfg, s->layer, s->layer_size, NULL, added,
                                    id, err);
  json_decref(doc);
  berth_image_free(&parent);
  return rc;
}

int berth_build_image_new(struct berth_engine *e,
                          const struct berth_step_image *s,
                          char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct berth_added added = {0};
  if (s->layer)
    berth_added_blob(&added, s->layer); /* unreferenced until recorded */
  int rc = berth_imgstore_lock(e->is, false, err);
  if (rc == 0) {
    rc = record_step(e, s, &added, id, err);
    berth_imgstore_unlock(e->is);
  }
  /* The parent link after the record (it references the image): should
   * it fail, the image is whole without it, only listed as a plain one. */
  if (rc == 0 && s->parent_id)
    rc = berth_images_set_parent(e->db, id, s->parent_id, err);
  else if (rc < 0)
    berth_added_undo(e->is, &added);
  berth_added_free(&added);
  return rc < 0 ? berth_error_prefix(err, "step image") : 0;
}
