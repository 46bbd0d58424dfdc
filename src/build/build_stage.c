/* Building one stage: the stages it needs first (its base; COPY --from
 * builds its source on demand), FROM, the ONBUILD triggers, then each
 * instruction in order.  Only the stages the target needs are built. */
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"

static void run_clear(struct stage_run *r) {
  json_decref(r->config);
  free(r->author);
  slist_free(&r->vars);
  slist_free(&r->args);
}

/* The stage's result, for the stages built on it and the final image. */
static void keep(struct build_stage *st, struct stage_run *r) {
  memcpy(st->image_id, r->image_id, sizeof st->image_id);
  st->config = steal_pointer(&r->config);
  st->author = steal_pointer(&r->author);
  st->vars = r->vars;
  st->args = r->args;
  r->vars = (struct slist){0};
  r->args = (struct slist){0};
  st->state = 2;
}

static int stage_body(struct stage_run *r, berth_error **err) {
  struct build *b = r->b;
  const struct berth_df_instr *from = r->st->from;
  if (stage_from(r, err) < 0 || stage_onbuild(r, err) < 0)
    return build_at(b, from, err);
  for (size_t i = 0; i < r->st->n_instrs; i++) {
    const struct berth_df_instr *in = &r->st->instrs[i];
    if (b->o->cancel && *b->o->cancel)
      return berth_error_set(err, BERTH_ERR_STATE, 0, "build canceled");
    if (stage_dispatch(r, in, err) < 0)
      return build_at(b, in, err);
  }
  return 0;
}

/* The stages this one copies from (COPY --from=NAME|INDEX written
 * without variables), built first so that progress reads in order; a
 * --from naming an image, or one made of variables, is resolved when its
 * COPY runs. */
static int copy_sources_first(struct build *b, struct build_stage *st,
                              berth_error **err) {
  for (size_t k = 0; k < st->n_instrs; k++) {
    const struct berth_df_instr *in = &st->instrs[k];
    const char *from = in->cmd == BERTH_DF_COPY
                           ? berth_df_flag(in, "from", NULL)
                           : NULL;
    long src = from && !strchr(from, '$')
                   ? build_stage_lookup(b, from, st->index)
                   : -1;
    if (src >= 0 && build_stage(b, (size_t)src, err) < 0)
      return -1;
  }
  return 0;
}

int build_stage(struct build *b, size_t i, berth_error **err) {
  struct build_stage *st = &b->stages[i];
  if (st->state == 2)
    return 0;
  if (st->state == 1)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "circular dependency detected on stage: %s",
                           st->label ? st->label : "stage-0");
  st->state = 1;
  if ((st->base_stage >= 0 &&
       build_stage(b, (size_t)st->base_stage, err) < 0) ||
      copy_sources_first(b, st, err) < 0)
    return -1;
  struct stage_run r = {.b = b, .st = st};
  int rc = stage_body(&r, err);
  if (rc == 0)
    keep(st, &r);
  run_clear(&r);
  return rc;
}
