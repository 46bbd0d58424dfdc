/* Image manifests, indexes (manifest lists) and image configs, OCI and
 * Docker schema 2, parsed from untrusted bytes: sizes are bounded, every
 * digest is validated, and errors name the document and the field. */
#ifndef BERTH_IMAGE_MANIFEST_H
#define BERTH_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

/* The distribution spec lets registries refuse manifests over 4 MiB. */
#define BERTH_MANIFEST_MAX_BYTES (4u << 20)
#define BERTH_CONFIG_MAX_BYTES (8u << 20)

#define BERTH_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BERTH_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BERTH_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BERTH_MT_DOCKER_MANIFEST \
  "application/vnd.docker.distribution.manifest.v2+json"
#define BERTH_MT_DOCKER_LIST \
  "application/vnd.docker.distribution.manifest.list.v2+json"
#define BERTH_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

struct berth_platform {
  char *os, *architecture, *variant; /* variant may be NULL */
};

struct berth_descriptor {
  char *media_type;
  char digest[BERTH_DIGEST_SIZE];
  int64_t size;
  struct berth_platform platform; /* index entries only; fields may be NULL */
};

enum berth_manifest_kind { BERTH_MANIFEST_IMAGE, BERTH_MANIFEST_INDEX };

struct berth_manifest {
  enum berth_manifest_kind kind;
  char *media_type;
  struct berth_descriptor config;      /* image manifests */
  struct berth_descriptor *layers;     /* image manifests */
  size_t n_layers;
  struct berth_descriptor *manifests;  /* indexes */
  size_t n_manifests;
};

/* Parses a manifest or index.  content_type (the registry's Content-Type,
 * may be NULL) and the document's own mediaType must agree when both are
 * given; Docker schema 1 is refused as unsupported. */
int berth_manifest_parse(const char *data, size_t len,
                         const char *content_type,
                         struct berth_manifest *out, berth_error **err);
void berth_manifest_free(struct berth_manifest *m);

/* Picks the entry of an index for os/arch[/variant] ("linux", "amd64",
 * NULL); arm64 without a variant matches "v8" or none.  NOT_FOUND lists
 * the platforms the index has. */
int berth_index_select(const struct berth_manifest *index, const char *os,
                       const char *arch, const char *variant,
                       const struct berth_descriptor **out,
                       berth_error **err);
/* "linux/arm64/v8" -> platform (malloc'd fields). */
int berth_platform_parse(const char *s, struct berth_platform *out,
                         berth_error **err);
void berth_platform_free(struct berth_platform *p);

/* An image config: what the engine needs, validated; `doc` keeps the whole
 * document (owned) for inspect and for Env/Cmd/... */
struct berth_image_config {
  json_t *doc;
  char *os, *architecture;
  char **diff_ids; /* rootfs.diff_ids, NULL-terminated */
  size_t n_diff_ids;
};
int berth_image_config_parse(const char *data, size_t len,
                             struct berth_image_config *out,
                             berth_error **err);
void berth_image_config_free(struct berth_image_config *c);

/* The chain ids of layers with these diff ids (OCI image spec):
 * chain[0] = diff[0]; chain[n] = sha256(chain[n-1] + " " + diff[n]). */
int berth_chain_ids(char *const *diff_ids, size_t n,
                    char (*out)[BERTH_DIGEST_SIZE], berth_error **err);

#endif
