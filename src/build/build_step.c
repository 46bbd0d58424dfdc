/* One instruction of a stage: the cache, the step image, the progress
 * of steps that show (FROM, RUN, COPY, ADD, WORKDIR: BuildKit's
 * vertices; config-only instructions make an image but show nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_image.h"
#include "build_internal.h"
#include "cleanup.h"

void stage_prefix(struct stage_run *r, char *buf, size_t len) {
  int width = 1;
  for (int t = r->cmd_total; t >= 10; t /= 10)
    width++;
  const char *label = r->st->label;
  snprintf(buf, len, "[%s%s%*d/%d] %s", label ? label : "", label ? " " : "",
           width, ++r->cmd_index, r->cmd_total, r->onbuild ? "ONBUILD " : "");
}

int stage_step_begin(struct stage_run *r, const struct berth_df_instr *in,
                     const char *text) {
  char prefix[256];
  stage_prefix(r, prefix, sizeof prefix);
  _cleanup_free_ char *shown = text ? NULL : stage_display(r, in);
  _cleanup_free_ char *line = NULL;
  if (asprintf(&line, "%s%s", prefix,
               text ? text : shown ? shown : in->original) < 0)
    return build_step_begin(r->b, in->original);
  return build_step_begin(r->b, line);
}

void stage_step_end(struct stage_run *r, int n, double t0, bool cached) {
  struct berth_build_event ev = {
      .kind = cached ? BERTH_BUILD_CACHED : BERTH_BUILD_DONE, .n = n,
      .seconds = cached ? 0 : build_now() - t0,
      .image = *r->image_id ? r->image_id : NULL};
  if (r->b->o->progress)
    r->b->o->progress(r->b->o->progress_arg, &ev);
}

void stage_step_error(struct stage_run *r, int n, const berth_error *err) {
  const char *msg = err && err->msg ? err->msg : "failed";
  struct build *b = r->b;
  struct berth_build_event ev = {.kind = BERTH_BUILD_ERROR, .n = n,
                                 .text = msg, .len = strlen(msg),
                                 .exit_code = b->run_exit,
                                 .command = b->run_exit ? b->run_cmd : NULL};
  if (b->o->progress)
    b->o->progress(b->o->progress_arg, &ev);
  b->run_exit = 0;
}

int stage_cached(struct stage_run *r, const char *key, berth_error **err) {
  if (r->b->o->no_cache)
    return 0;
  char id[BERTH_DIGEST_SIZE];
  int rc = berth_build_cache_get(r->b->e->db, key, id, err);
  if (rc == 1)
    memcpy(r->image_id, id, sizeof id);
  return rc;
}

int stage_hold_store(struct build *b, berth_error **err) {
  if (b->store_held)
    return 0;
  if (berth_imgstore_lock(b->e->is, false, err) < 0)
    return -1;
  b->store_held = true;
  return 0;
}

void stage_release_store(struct build *b) {
  if (b->store_held)
    berth_imgstore_unlock(b->e->is);
  b->store_held = false;
}

int stage_commit(struct stage_run *r, const char *key, const char *layer,
                 uint64_t layer_size, const char *created_by,
                 berth_error **err) {
  struct berth_step_image s = {
      .parent_id = *r->image_id ? r->image_id : NULL,
      .config = r->config,
      .author = r->author,
      .layer = layer && *layer ? layer : NULL,
      .layer_size = layer_size,
      .created_by = created_by,
      .epoch = r->b->epoch,
      .platform_os = r->os,
      .platform_arch = r->arch,
      .platform_variant = r->variant};
  char id[BERTH_DIGEST_SIZE];
  int rc = berth_build_image_new(r->b->e, &s, id, err);
  stage_release_store(r->b);
  if (rc < 0)
    return -1;
  /* --no-cache skips lookups only: the new step is cache for the next
   * build. */
  if (key && berth_build_cache_put(r->b->e->db, key, id, err) < 0)
    return -1;
  memcpy(r->image_id, id, sizeof id);
  return 0;
}

/* ARG and the configuration instructions: a step image with an empty
 * layer, found in the cache when the same change was made on the same
 * image before (the ids of later steps depend on it). */
static int config_step(struct stage_run *r, const struct berth_df_instr *in,
                       berth_error **err) {
  struct slist m = {0};
  _cleanup_free_ char *hist = NULL;
  char key[BERTH_DIGEST_SIZE];
  int rc = in->cmd == BERTH_DF_ARG
               ? build_arg_instr(r->b, r, in, &m, &hist, err)
               : stage_config_instr(r, in, &m, &hist, err);
  if (rc == 0)
    rc = build_key(r, berth_df_cmd_name(in->cmd), &m, key, err);
  slist_free(&m);
  if (rc < 0)
    return -1;
  rc = stage_cached(r, key, err);
  if (rc != 0)
    return rc < 0 ? -1 : 0;
  return stage_commit(r, key, NULL, 0, hist, err);
}

int stage_dispatch(struct stage_run *r, const struct berth_df_instr *in,
                   berth_error **err) {
  switch (in->cmd) {
  case BERTH_DF_RUN:
    return stage_run_instr(r, in, err);
  case BERTH_DF_COPY:
  case BERTH_DF_ADD:
    return stage_copy_instr(r, in, err);
  case BERTH_DF_WORKDIR:
    return stage_workdir_instr(r, in, err);
  case BERTH_DF_FROM:
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "FROM inside a stage");
  default:
    return config_step(r, in, err);
  }
}
