/* Docker's ImageInspect from an image record and its stored config. */
#include <stdlib.h>

#include "cleanup.h"
#include "image_inspect.h"
#include "manifest.h"
#include "store.h"
#include "reference.h"

/* The stored config document of an image (NULL when unreadable). */
static json_t *load_config(struct berth_imgstore *is, const char *id) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (berth_store_get(is->store, id, BERTH_CONFIG_MAX_BYTES, &data, &len,
                      NULL) < 0)
    return NULL;
  return json_loadb(data, len, 0, NULL);
}

/* A new reference to doc[key], or dflt when doc has none. */
static json_t *member_or(json_t *doc, const char *key, json_t *dflt) {
  json_t *v = json_object_get(doc, key);
  if (!v || json_is_null(v))
    return dflt;
  json_decref(dflt);
  return json_incref(v);
}

/* Names as Docker shows them ("busybox:latest", "busybox@sha256:...",
 * "localhost:5000/x:1"): the familiar form of each stored full name. */
static json_t *names_json(char **v) {
  json_t *a = json_array();
  for (; v && *v; v++) {
    struct berth_ref ref = {0};
    char *fam = berth_ref_parse(*v, &ref, NULL) == 0 ? berth_ref_familiar(&ref)
                                                      : NULL;
    json_array_append_new(a, json_string(fam ? fam : *v));
    free(fam);
    berth_ref_free(&ref);
  }
  return a;
}

/* Config: Docker's ContainerConfig members under the image's own. */
static json_t *image_config(json_t *cfg) {
  json_t *c = json_pack(
      "{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:o,s:n,s:s,s:n,s:s,s:n,s:n,"
      "s:o}",
      "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
      "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
      "StdinOnce", 0, "Env", json_array(), "Cmd", "Image", "", "Volumes",
      "WorkingDir", "", "Entrypoint", "OnBuild", "Labels", json_object());
  json_t *own = json_object_get(cfg, "config");
  const char *k;
  json_t *v;
  json_object_foreach(own, k, v) if (!json_is_null(v) ||
                                     !json_is_object(json_object_get(c, k)))
      json_object_set(c, k, v);
  return c;
}

static json_t *layers_json(const struct berth_image *img, json_t **diff) {
  json_t *layers = json_array();
  *diff = json_array();
  for (size_t i = 0; i < img->n_layers; i++) {
    const struct berth_image_layer *l = &img->layers[i];
    json_array_append_new(*diff, json_string(l->diff_id));
    json_array_append_new(
        layers, json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "Digest", l->blob,
                          "MediaType", l->media_type, "Size",
                          (json_int_t)l->blob_size, "DiffID", l->diff_id,
                          "ChainID", l->chain_id, "UnpackedSize",
                          (json_int_t)l->unpacked_size));
  }
  return layers;
}

json_t *berth_image_inspect(struct berth_imgstore *is,
                            const struct berth_image *img) {
  json_t *cfg = load_config(is, img->id), *diff;
  json_t *layers = layers_json(img, &diff);
  json_t *j = json_pack(
      "{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:s, s:s,"
      " s:s?}",
      "Id", img->id, "RepoTags", names_json(img->tags), "RepoDigests",
      names_json(img->digests), "Parent", "", "Comment", "", "Created",
      img->created ? img->created : "", "DockerVersion", "", "Os",
      img->os ? img->os : "", "Architecture",
      img->architecture ? img->architecture : "", "Variant", img->variant,
      "Size", (json_int_t)img->size, "ManifestDigest", img->manifest_digest,
      "ManifestMediaType", img->manifest_media_type, "IndexDigest",
      img->index_digest[0] ? img->index_digest : NULL);
  if (!j) {
    json_decref(cfg);
    json_decref(layers);
    json_decref(diff);
    return NULL;
  }
  /* As Docker's classic builder: the image a build step ran on. */
  char parent[BERTH_DIGEST_SIZE];
  if (berth_images_parent(is->db, img->id, parent, NULL) == 1)
    json_object_set_new(j, "Parent", json_string(parent));
  json_object_set_new(j, "Author", member_or(cfg, "author", json_string("")));
  json_object_set_new(j, "Config", image_config(cfg));
  json_object_set_new(
      j, "GraphDriver",
      json_pack("{s:s,s:{}}", "Name", "overlay", "Data"));
  json_object_set_new(j, "RootFS", json_pack("{s:s, s:o}", "Type", "layers",
                                             "Layers", diff));
  json_object_set_new(j, "Metadata",
                      json_pack("{s:s}", "LastTagTime",
                                "0001-01-01T00:00:00Z"));
  json_object_set_new(j, "Layers", layers);
  json_object_set_new(j, "History", member_or(cfg, "history", json_array()));
  json_decref(cfg);
  return j;
}
