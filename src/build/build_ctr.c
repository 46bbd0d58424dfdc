/* The container of a filesystem step (RUN, COPY, ADD, WORKDIR): created
 * by the engine from the step's parent image, so it gets what every
 * container gets (its own user namespace and id range, the overlay on
 * the image's snapshots); its upper directory becomes the step's layer;
 * it is always removed, whatever happened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "build_image.h"
#include "build_internal.h"
#include "cleanup.h"
#include "create.h"
#include "lifecycle.h"

json_t *build_idle_request(void) {
  /* Never started: the command is only there to make it a valid
   * container; no network is set up for it. */
  return json_pack("{s:[s], s:[], s:{s:[s]}, s:{s:s}}", "Cmd", "true",
                   "Entrypoint", "Healthcheck", "Test", "NONE",
                   "HostConfig", "NetworkMode", "none");
}

/* A scratch stage's first container needs an image: an empty one (no
 * layer, no history, a fixed time so that every build finds the same). */
static int empty_image(struct stage_run *r, char id[BERTH_DIGEST_SIZE],
                       berth_error **err) {
  json_t *cfg = json_object();
  struct berth_step_image s = {.config = cfg, .epoch = 0,
                               .platform_os = r->os,
                               .platform_arch = r->arch,
                               .platform_variant = r->variant};
  int rc = cfg ? berth_build_image_new(r->b->e, &s, id, err)
               : berth_error_sys(err, "allocate");
  json_decref(cfg);
  return rc;
}

/* "berth-build-<12 hex>": recognisable in `ps -a` should berth be killed
 * before it could remove the container. */
static void ctr_name(char *buf, size_t len) {
  unsigned char b[6] = {0};
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
    memset(b, 0, sizeof b);
  snprintf(buf, len, "berth-build-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5]);
}

int stage_in_container(struct stage_run *r, const struct build_ctr_req *q,
                       char layer[BERTH_DIGEST_SIZE], uint64_t *size,
                       berth_error **err) {
  struct berth_engine *e = r->b->e;
  char image[BERTH_DIGEST_SIZE], id[65], name[32];
  *layer = '\0';
  *size = 0;
  if (*r->image_id)
    memcpy(image, r->image_id, sizeof image);
  else if (empty_image(r, image, err) < 0)
    return -1;
  ctr_name(name, sizeof name);
  if (berth_ctr_new_build(e, image, q->req, name, id, err) < 0)
    return -1;
  int rc = q->fn(r->b, id, q->arg, err);
  /* From the layer blob to the image that references it the store stays
   * locked (shared): a gc in between would take the blob.  stage_commit
   * or the end of the build releases it. */
  if (rc == 0 && (!q->keep_layer || *q->keep_layer)) {
    rc = stage_hold_store(r->b, err);
    if (rc == 0)
      rc = berth_build_layer(e, id, r->b->epoch, layer, size, err);
  }
  berth_error *rm = NULL;
  if (berth_ctr_remove(e, id, true, true, &rm) < 0) {
    if (rc == 0) {
      berth_error_prefix(&rm, "remove the build container `%s`", name);
      if (err && !*err)
        *err = rm;
      else
        berth_error_free(rm);
      return -1;
    }
    berth_error_free(rm);
  }
  return rc;
}
