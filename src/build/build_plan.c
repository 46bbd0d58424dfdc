/* The Dockerfile's stages: where each begins, its name, the image or
 * stage it is built on (FROM lines are expanded with the global ARGs
 * only), and the target. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"

static bool all_digits(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return false;
  return true;
}

long build_stage_lookup(const struct build *b, const char *name,
                        size_t before) {
  if (before > b->n_stages)
    before = b->n_stages;
  if (all_digits(name)) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(name, &end, 10);
    return errno == 0 && v < before ? (long)v : -1;
  }
  for (size_t i = before; i-- > 0;)
    if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
      return (long)i;
  return -1;
}

/* BuildKit's rule for stage names. */
static int check_name(const char *name, berth_error **err) {
  bool ok = name[0] >= 'a' && name[0] <= 'z';
  for (const char *p = name; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || isdigit((unsigned char)*p) ||
         *p == '-' || *p == '_' || *p == '.';
  if (!ok)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid name for build stage: \"%s\", name can't "
                           "start with a number or contain symbols",
                           name);
  return 0;
}

static int stage_names(struct build *b, struct build_stage *s,
                       berth_error **err) {
  const struct berth_df_instr *in = s->from;
  struct berth_word_env env = slist_env(&b->global);
  if (berth_word_expand(in->args[0], b->df.escape, &env, &s->base, err) < 0)
    return -1;
  if (!*s->base)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "base name (%s) should not be blank", in->args[0]);
  const char *plat = berth_df_flag(in, "platform", NULL);
  if (plat &&
      berth_word_expand(plat, b->df.escape, &env, &s->platform, err) < 0)
    return -1;
  if (in->n_args >= 3) {
    if (!(s->name = strdup(in->args[2])))
      return berth_error_sys(err, "allocate");
    for (char *p = s->name; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (check_name(s->name, err) < 0)
      return -1;
  }
  s->scratch = strcmp(s->base, "scratch") == 0;
  s->base_stage = s->scratch ? -1 : build_stage_lookup(b, s->base, s->index);
  return 0;
}

static int split_stages(struct build *b, berth_error **err) {
  size_t n = 0;
  for (size_t i = 0; i < b->df.n; i++)
    n += b->df.instrs[i].cmd == BERTH_DF_FROM;
  if (n == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: no FROM: the Dockerfile has no stage to build",
                           b->ctx->dockerfile_name);
  if (!(b->stages = calloc(n, sizeof *b->stages)))
    return berth_error_sys(err, "allocate");
  b->n_stages = n;
  struct build_stage *cur = NULL;
  for (size_t i = 0, k = 0; i < b->df.n; i++) {
    const struct berth_df_instr *in = &b->df.instrs[i];
    if (in->cmd == BERTH_DF_FROM) {
      cur = &b->stages[k];
      *cur = (struct build_stage){.index = k++, .from = in,
                                  .instrs = in + 1, .base_stage = -1};
    } else if (cur) {
      cur->n_instrs++;
    } else if (in->cmd != BERTH_DF_ARG) {
      /* The parser refuses this; an executor must not trust that. */
      berth_error_set(err, BERTH_ERR_INVALID, 0, "%s before the first FROM",
                      berth_df_cmd_name(in->cmd));
      return build_at(b, in, err);
    } else if (build_arg_instr(b, NULL, in, NULL, NULL, err) < 0) {
      return build_at(b, in, err);
    }
  }
  return 0;
}

static int stage_labels(struct build *b, berth_error **err) {
  if (b->n_stages == 1)
    return 0;
  for (size_t i = 0; i < b->n_stages; i++) {
    struct build_stage *s = &b->stages[i];
    if (s->name ? !(s->label = strdup(s->name))
                : asprintf(&s->label, "stage-%zu", i) < 0)
      return berth_error_sys(err, "allocate");
  }
  return 0;
}

int build_plan(struct build *b, size_t *target, berth_error **err) {
  if (build_global_defaults(b, err) < 0 || split_stages(b, err) < 0)
    return -1;
  for (size_t i = 0; i < b->n_stages; i++)
    if (stage_names(b, &b->stages[i], err) < 0)
      return build_at(b, b->stages[i].from, err);
  if (stage_labels(b, err) < 0)
    return -1;
  *target = b->n_stages - 1;
  if (!b->o->target || !*b->o->target)
    return 0;
  for (size_t i = b->n_stages; i-- > 0;)
    if (b->stages[i].name && strcasecmp(b->stages[i].name, b->o->target) == 0) {
      *target = i;
      return 0;
    }
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "target stage \"%s\" could not be found",
                         b->o->target);
}
