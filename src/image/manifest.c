/* Manifests, indexes and image configs. */
#include "manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

/* SPEC errors keep the field apart (config.json errors get a line:col
 * there); registry documents have none, so the field goes in the text. */
static int name_document(berth_error **err, const char *doc) {
  if (err && *err && (*err)->kind == BERTH_ERR_SPEC && (*err)->field)
    berth_error_prefix(err, "%s", (*err)->field);
  return berth_error_prefix(err, "%s", doc);
}

static bool is_index_type(const char *t) {
  return strcmp(t, BERTH_MT_OCI_INDEX) == 0 ||
         strcmp(t, BERTH_MT_DOCKER_LIST) == 0;
}

static bool is_manifest_type(const char *t) {
  return strcmp(t, BERTH_MT_OCI_MANIFEST) == 0 ||
         strcmp(t, BERTH_MT_DOCKER_MANIFEST) == 0;
}

static bool is_schema1(const char *t) {
  return strncmp(t, "application/vnd.docker.distribution.manifest.v1", 47) ==
         0;
}

static int parse_platform(json_t *d, const char *path,
                          struct berth_platform *p, berth_error **err) {
  json_t *pl = NULL;
  if (bj_object(d, "platform", path, &pl, err) < 0)
    return -1;
  if (pl == NULL)
    return 0;
  char pp[BERTH_PATH_MAX_LEN];
  berth_path_key(pp, path, "platform");
  if (bj_string(pl, "os", pp, false, &p->os, err) < 0 ||
      bj_string(pl, "architecture", pp, false, &p->architecture, err) < 0 ||
      bj_string(pl, "variant", pp, false, &p->variant, err) < 0)
    return -1;
  return 0;
}

static int parse_descriptor(json_t *d, const char *path, bool want_platform,
                            struct berth_descriptor *out, berth_error **err) {
  if (!json_is_object(d))
    return berth_error_spec(err, path, "must be an object");
  _cleanup_free_ char *digest = NULL;
  char p[BERTH_PATH_MAX_LEN];
  if (bj_string(d, "mediaType", path, true, &out->media_type, err) < 0 ||
      bj_string(d, "digest", path, true, &digest, err) < 0)
    return -1;
  berth_path_key(p, path, "digest");
  berth_error *e = NULL;
  if (berth_digest_validate(digest, p, &e) < 0) {
    berth_error_spec(err, p, "`%.80s` is not a sha256 digest", digest);
    berth_error_free(e);
    return -1;
  }
  snprintf(out->digest, sizeof(out->digest), "%s", digest);
  int rc = bj_range(d, "size", path, 0, INT64_MAX, &out->size, err);
  if (rc < 0)
    return -1;
  if (rc == 0) {
    berth_path_key(p, path, "size");
    return berth_error_spec(err, p, "is required");
  }
  return want_platform ? parse_platform(d, path, &out->platform, err) : 0;
}

static void descriptor_free(struct berth_descriptor *d) {
  free(d->media_type);
  berth_platform_free(&d->platform);
}

static int parse_list(json_t *doc, const char *key, bool platforms,
                      struct berth_descriptor **out, size_t *n,
                      berth_error **err) {
  json_t *a = NULL;
  if (bj_array(doc, key, "", &a, err) < 0)
    return -1;
  if (a == NULL)
    return berth_error_spec(err, key, "is required");
  if (json_array_size(a) > 10000)
    return berth_error_spec(err, key, "has more than 10000 entries");
  *out = calloc(json_array_size(a) + 1, sizeof(**out));
  if (*out == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", key);
  char p[BERTH_PATH_MAX_LEN];
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    berth_path_idx(p, key, i);
    (*n)++;
    if (parse_descriptor(v, p, platforms, &(*out)[i], err) < 0)
      return -1;
  }
  return 0;
}

static bool is_layer_type(const char *t) {
  return strncmp(t, "application/vnd.oci.image.layer.", 32) == 0 ||
         strncmp(t, "application/vnd.docker.image.rootfs.", 36) == 0;
}

static int parse_image(json_t *doc, struct berth_manifest *m,
                       berth_error **err) {
  json_t *cfg = NULL;
  if (bj_object(doc, "config", "", &cfg, err) < 0)
    return -1;
  if (cfg == NULL)
    return berth_error_spec(err, "config", "is required");
  if (parse_descriptor(cfg, "config", false, &m->config, err) < 0 ||
      parse_list(doc, "layers", false, &m->layers, &m->n_layers, err) < 0)
    return -1;
  char p[BERTH_PATH_MAX_LEN], f[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < m->n_layers; i++)
    if (!is_layer_type(m->layers[i].media_type)) {
      berth_path_idx(p, "layers", i);
      berth_path_key(f, p, "mediaType");
      return berth_error_spec(err, f, "`%.100s` is not a layer media type",
                              m->layers[i].media_type);
    }
  return 0;
}

int berth_manifest_parse(const char *data, size_t len,
                         const char *content_type, struct berth_manifest *out,
                         berth_error **err) {
  *out = (struct berth_manifest){0};
  if (len > BERTH_MANIFEST_MAX_BYTES)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "manifest of %zu bytes is over the %u byte limit",
                           len, BERTH_MANIFEST_MAX_BYTES);
  json_t *doc = NULL;
  if (berth_json_parse("manifest", data, len, &doc, err) < 0)
    return -1;
  int64_t schema = 0;
  _cleanup_free_ char *mt = NULL;
  int rc = -1;
  if (!json_is_object(doc)) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "manifest: not a JSON object");
    goto out;
  }
  if (bj_int64(doc, "schemaVersion", "", &schema, err) < 0 ||
      bj_string(doc, "mediaType", "", false, &mt, err) < 0)
    goto fail;
  if ((mt && is_schema1(mt)) || (content_type && is_schema1(content_type)) ||
      schema == 1) {
    berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                    "manifest: Docker schema 1 is not supported");
    goto out;
  }
  if (schema != 2) {
    berth_error_spec(err, "schemaVersion", "must be 2");
    goto fail;
  }
  if (mt && content_type && strcmp(mt, content_type) != 0) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "manifest: mediaType `%.100s` does not match the "
                    "Content-Type `%.100s`",
                    mt, content_type);
    goto out;
  }
  const char *type = mt ? mt : content_type;
  /* OCI allows leaving mediaType out: the shape then tells. */
  if (type == NULL)
    type = json_object_get(doc, "manifests") ? BERTH_MT_OCI_INDEX
                                             : BERTH_MT_OCI_MANIFEST;
  if (!is_index_type(type) && !is_manifest_type(type)) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "manifest: unsupported media type `%.100s`", type);
    goto out;
  }
  out->media_type = strdup(type);
  if (out->media_type == NULL) {
    berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "manifest");
    goto out;
  }
  if (is_index_type(type)) {
    out->kind = BERTH_MANIFEST_INDEX;
    if (parse_list(doc, "manifests", true, &out->manifests, &out->n_manifests,
                   err) < 0)
      goto fail;
  } else {
    out->kind = BERTH_MANIFEST_IMAGE;
    if (parse_image(doc, out, err) < 0)
      goto fail;
  }
  rc = 0;
  goto out;
fail:
  /* Field errors ("layers[2].digest: ...") say which document. */
  name_document(err, "manifest");
out:
  json_decref(doc);
  if (rc < 0)
    berth_manifest_free(out);
  return rc;
}

void berth_manifest_free(struct berth_manifest *m) {
  if (m == NULL)
    return;
  free(m->media_type);
  descriptor_free(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_free(&m->layers[i]);
  free(m->layers);
  for (size_t i = 0; i < m->n_manifests; i++)
    descriptor_free(&m->manifests[i]);
  free(m->manifests);
  *m = (struct berth_manifest){0};
}

void berth_platform_free(struct berth_platform *p) {
  if (p == NULL)
    return;
  free(p->os);
  free(p->architecture);
  free(p->variant);
  *p = (struct berth_platform){0};
}

int berth_platform_parse(const char *s, struct berth_platform *out,
                         berth_error **err) {
  *out = (struct berth_platform){0};
  char buf[128];
  if (s == NULL || strlen(s) >= sizeof(buf) || strchr(s, '/') == NULL)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "platform `%.100s` is not os/arch[/variant]",
                           s ? s : "");
  snprintf(buf, sizeof(buf), "%s", s);
  char *save = NULL;
  char *os = strtok_r(buf, "/", &save), *arch = strtok_r(NULL, "/", &save);
  char *variant = strtok_r(NULL, "/", &save);
  if (os == NULL || arch == NULL || strtok_r(NULL, "/", &save))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "platform `%.100s` is not os/arch[/variant]", s);
  out->os = strdup(os);
  out->architecture = strdup(arch);
  out->variant = variant ? strdup(variant) : NULL;
  if (!out->os || !out->architecture || (variant && !out->variant)) {
    berth_platform_free(out);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "platform");
  }
  return 0;
}

static bool str_eq(const char *a, const char *b) {
  return a && b && strcmp(a, b) == 0;
}

static bool variant_matches(const char *arch, const char *want,
                            const char *have) {
  if (want == NULL) {
    /* arm64 images are v8 unless they say otherwise. */
    return have == NULL || (strcmp(arch, "arm64") == 0 && str_eq(have, "v8"));
  }
  if (have == NULL)
    return strcmp(arch, "arm64") == 0 && strcmp(want, "v8") == 0;
  return strcmp(want, have) == 0;
}

int berth_index_select(const struct berth_manifest *index, const char *os,
                       const char *arch, const char *variant,
                       const struct berth_descriptor **out,
                       berth_error **err) {
  *out = NULL;
  for (size_t i = 0; i < index->n_manifests; i++) {
    const struct berth_descriptor *d = &index->manifests[i];
    if (str_eq(d->platform.os, os) &&
        str_eq(d->platform.architecture, arch) &&
        variant_matches(arch, variant, d->platform.variant) &&
        is_manifest_type(d->media_type)) {
      *out = d;
      return 0;
    }
  }
  char have[512] = "";
  for (size_t i = 0; i < index->n_manifests && strlen(have) < 400; i++) {
    const struct berth_platform *p = &index->manifests[i].platform;
    size_t u = strlen(have);
    snprintf(have + u, sizeof(have) - u, "%s%s/%s%s%s", u ? ", " : "",
             p->os ? p->os : "?", p->architecture ? p->architecture : "?",
             p->variant ? "/" : "", p->variant ? p->variant : "");
  }
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, ENOENT,
                         "no image for %s/%s%s%s in the index (it has: %s)",
                         os, arch, variant ? "/" : "", variant ? variant : "",
                         have[0] ? have : "nothing");
}

int berth_image_config_parse(const char *data, size_t len,
                             struct berth_image_config *out,
                             berth_error **err) {
  *out = (struct berth_image_config){0};
  if (len > BERTH_CONFIG_MAX_BYTES)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "image config of %zu bytes is over the limit", len);
  if (berth_json_parse("image config", data, len, &out->doc, err) < 0)
    return -1;
  json_t *rootfs = NULL, *cfg = NULL;
  if (!json_is_object(out->doc)) {
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "image config: not a JSON object");
    goto fail;
  }
  if (bj_string(out->doc, "os", "", true, &out->os, err) < 0 ||
      bj_string(out->doc, "architecture", "", true, &out->architecture,
                err) < 0 ||
      bj_object(out->doc, "config", "", &cfg, err) < 0 ||
      bj_object(out->doc, "rootfs", "", &rootfs, err) < 0)
    goto fail_spec;
  if (rootfs == NULL) {
    berth_error_spec(err, "rootfs", "is required");
    goto fail_spec;
  }
  if (bj_strv(rootfs, "diff_ids", "rootfs", true, &out->diff_ids, err) < 0)
    goto fail_spec;
  out->n_diff_ids = berth_strv_len(out->diff_ids);
  char p[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < out->n_diff_ids; i++) {
    berth_path_idx(p, "rootfs.diff_ids", i);
    berth_error *e = NULL;
    if (berth_digest_validate(out->diff_ids[i], p, &e) < 0) {
      berth_error_free(e);
      berth_error_spec(err, p, "is not a sha256 digest");
      goto fail_spec;
    }
  }
  return 0;
fail_spec:
  name_document(err, "image config");
fail:
  berth_image_config_free(out);
  return -1;
}

void berth_image_config_free(struct berth_image_config *c) {
  if (c == NULL)
    return;
  json_decref(c->doc);
  free(c->os);
  free(c->architecture);
  berth_strv_free(c->diff_ids);
  *c = (struct berth_image_config){0};
}

int berth_chain_ids(char *const *diff_ids, size_t n,
                    char (*out)[BERTH_DIGEST_SIZE], berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    if (i == 0) {
      snprintf(out[0], BERTH_DIGEST_SIZE, "%s", diff_ids[0]);
      continue;
    }
    char buf[2 * BERTH_DIGEST_SIZE + 2];
    int len = snprintf(buf, sizeof(buf), "%s %s", out[i - 1], diff_ids[i]);
    if (berth_digest_of(buf, (size_t)len, out[i], err) < 0)
      return -1;
  }
  return 0;
}
