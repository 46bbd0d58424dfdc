/* The images a build makes: one per instruction, as Docker's builder,
 * each the previous one plus a layer (RUN, COPY, ADD) or plus nothing
 * but a config change (ENV, CMD, ...; history entry with empty_layer).
 * Those step images are the build cache: build_cache maps a step's key
 * (its parent image, instruction and inputs: build.c computes it) to
 * the image it made, and each step image records the image it was made
 * on (its parent).  A step image without a name that others were built
 * on is "intermediate": `berth images` hides it, `images -a` lists it;
 * the untagged result of a build stays listed as <none>, as Docker's.
 * Image prune (with or without -a) leaves unnamed step images to
 * `builder prune` (build_cache.h says which go). */
#ifndef BERTH_BUILD_BUILD_IMAGE_H
#define BERTH_BUILD_BUILD_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "build_cache.h"
#include "digest.h"
#include "engine.h"

/* A layer blob from a container's upper dir (overlay whiteouts and
 * opaque dirs become OCI ones, host ids mapped back to the image's),
 * entries sorted by name, mtimes clamped to SOURCE_DATE_EPOCH when
 * `epoch` >= 0: berth_ctr_layer (export.h), the one `commit` uses, under
 * the container's lock.  digest/size of the stored (uncompressed) blob,
 * which gc collects unless an image references it: hand it to
 * berth_build_image_new right away. */
int berth_build_layer(struct berth_engine *e, const char *ctr_id,
                      int64_t epoch, char digest[BERTH_DIGEST_SIZE],
                      uint64_t *size, berth_error **err);

struct berth_step_image {
  const char *parent_id;   /* the image the step ran on; NULL: scratch */
  json_t *config;          /* the new image config's "config" object
                              (Env, Cmd, Entrypoint, WorkingDir, User,
                              Labels, ExposedPorts, Volumes, StopSignal,
                              Healthcheck, Shell, OnBuild); borrowed */
  const char *author;      /* the image's "author" (MAINTAINER); NULL:
                              the parent's */
  const char *layer;       /* the step's layer blob, NULL: none */
  uint64_t layer_size;
  const char *created_by;  /* history: "RUN /bin/sh -c make"; NULL: no
                              history entry (the empty image a FROM
                              scratch stage's first step runs on, so
                              that its images' history is Docker's;
                              ONBUILD and the build's --label, for
                              which BuildKit writes none) */
  int64_t epoch;           /* SOURCE_DATE_EPOCH (created, history), or
                              -1: now */
  const char *platform_os, *platform_arch, *platform_variant;
                           /* for a scratch parent (NULL: the host's) */
};

/* Records the step's image (config blob, manifest, snapshot of the new
 * layer, record; the same manifest shape as `commit`) and its parent,
 * and returns its id.  Its config is the parent's (scratch: the
 * platform's, no layers, no history) with the step's "config",
 * "created" and a history entry ("empty_layer" without a layer); of the
 * parent's other members only the image config's own (author,
 * architecture, os, os.version, os.features, variant) carry over, not
 * legacy ones (container_config, docker_version).  An identical image
 * (same config digest) is simply found.  NOT_FOUND for a missing parent
 * or layer, INVALID for a layer_size that is not the blob's; on failure
 * nothing it added stays, nor the layer blob unless an image uses it. */
int berth_build_image_new(struct berth_engine *e,
                          const struct berth_step_image *s,
                          char id[BERTH_DIGEST_SIZE], berth_error **err);

/* The cache (berth_build_cache_get/put), which images are cache and
 * builder prune: src/engine/build_cache.h, included above (image prune
 * and system df in the engine need them too). */

#endif
