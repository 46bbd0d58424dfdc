/* FROM: the image a stage starts from (found in the store, pulled when
 * missing or with --pull), another stage, or scratch; and the ONBUILD
 * triggers its base left for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"
#include "images.h"
#include "lookup.h"
#include "manifest.h"
#include "pull.h"
#include "reference.h"
#include "registry_options.h"
#include "store.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int pull(struct build *b, const char *what, char id[BERTH_DIGEST_SIZE],
                berth_error **err) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(what, &ref, err) < 0)
    return -1;
  /* The registry's credentials and CA as `berth pull` finds them, or
   * the front end's for this registry (the API's X-Registry-Config). */
  struct berth_registry_flags rf = {0};
  if (b->o->credentials)
    b->o->credentials(b->o->credentials_arg, ref.registry, &rf.username,
                      &rf.password);
  struct berth_registry_setup rs = {0};
  int rc = berth_registry_options_for(ref.registry, &rf, &rs, err);
  if (rc == 0) {
    struct berth_pull_opts po = {.reg = rs.opts, .platform = b->platform};
    rc = berth_pull(b->e->is, &ref, &po, id, err);
  }
  berth_registry_setup_free(&rs);
  berth_ref_free(&ref);
  return rc;
}

int build_base_image(struct build *b, const char *ref, bool always_pull,
                     char id[BERTH_DIGEST_SIZE], char **display,
                     bool *pulled, berth_error **err) {
  char *name = berth_image_normalise(ref);
  *display = name ? name : strdup(ref);
  *pulled = false;
  if (!*display)
    return berth_error_sys(err, "allocate");
  /* Each image is looked up (and pulled) once per build, as BuildKit
   * loads each one's metadata once. */
  const char *known = slist_getenv(&b->resolved, ref);
  if (known && strlen(known) < BERTH_DIGEST_SIZE) {
    memcpy(id, known, strlen(known) + 1);
    return 0;
  }
  _cleanup_free_ char *what = NULL;
  if (asprintf(&what, "[internal] load metadata for %s", *display) < 0)
    return berth_error_sys(err, "allocate");
  double t0 = build_now();
  int n = build_step_begin(b, what);
  berth_error *local = NULL;
  struct berth_image_match m;
  int rc = -1;
  if (!always_pull && berth_image_lookup(b->e->db, ref, &m, &local) == 0) {
    memcpy(id, m.id, BERTH_DIGEST_SIZE);
    berth_image_match_clear(&m);
    rc = 0;
  } else if (!always_pull && local->kind != BERTH_ERR_NOT_FOUND) {
    *err = local;
    local = NULL;
  } else {
    rc = pull(b, ref, id, err);
    *pulled = rc == 0;
  }
  berth_error_free(local);
  if (rc < 0) {
    build_event(b, BERTH_BUILD_ERROR, n, (*err)->msg, 0, 0);
    return -1;
  }
  build_event(b, BERTH_BUILD_DONE, n, NULL, 0, build_now() - t0);
  return slist_addf(&b->resolved, err, "%s=%s", ref, id);
}

int build_image_config(struct build *b, const char *id, json_t **config,
                       char **author, char **os, char **arch,
                       berth_error **err) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  struct berth_image_config cfg = {0};
  if (berth_store_get(b->e->is->store, id, 8 << 20, &data, &len, err) < 0 ||
      berth_image_config_parse(data, len, &cfg, err) < 0)
    return berth_error_prefix(err, "image `%.19s`", id);
  json_t *c = json_object_get(cfg.doc, "config");
  *config = json_is_object(c) ? json_deep_copy(c) : json_object();
  const char *a = json_string_value(json_object_get(cfg.doc, "author"));
  *author = a ? strdup(a) : NULL;
  *os = cfg.os ? strdup(cfg.os) : NULL;
  *arch = cfg.architecture ? strdup(cfg.architecture) : NULL;
  berth_image_config_free(&cfg);
  return *config ? 0 : berth_error_sys(err, "allocate");
}

/* berth builds for the host: a --platform naming another is refused
 * rather than producing an image of the wrong architecture. */
static int check_platform(struct build *b, const char *p, berth_error **err) {
  if (!p || !*p)
    return 0;
  struct berth_platform want = {0};
  if (berth_platform_parse(p, &want, err) < 0)
    return -1;
  bool ok = strcmp(want.os, b->os) == 0 &&
            strcmp(want.architecture, b->arch) == 0 &&
            (!want.variant || !b->variant ||
             strcmp(want.variant, b->variant) == 0);
  berth_platform_free(&want);
  if (!ok)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "platform `%s` is not supported: berth builds for "
                           "the host's platform, %s",
                           p, b->platform);
  return 0;
}

static size_t shown_steps(const struct build_stage *st) {
  size_t n = 0;
  for (size_t i = 0; i < st->n_instrs; i++) {
    enum berth_df_cmd c = st->instrs[i].cmd;
    n += c == BERTH_DF_RUN || c == BERTH_DF_COPY || c == BERTH_DF_ADD ||
         c == BERTH_DF_WORKDIR;
  }
  return n;
}

/* FROM another stage: its image, config and variables (its ARGs too, as
 * BuildKit carries them over). */
static int from_stage(struct stage_run *r, berth_error **err) {
  struct build_stage *base = &r->b->stages[r->st->base_stage];
  memcpy(r->image_id, base->image_id, sizeof r->image_id);
  r->config = json_deep_copy(base->config);
  r->cmd_total +=
      (int)json_array_size(json_object_get(base->config, "OnBuild"));
  if (!r->config || (base->author && !(r->author = strdup(base->author))))
    return berth_error_sys(err, "allocate");
  return slist_copy(&r->vars, &base->vars, err) < 0 ||
                 slist_copy(&r->args, &base->args, err) < 0
             ? -1
             : 0;
}

static int from_image(struct stage_run *r, berth_error **err) {
  struct build *b = r->b;
  _cleanup_free_ char *display = NULL, *os = NULL, *arch = NULL;
  bool pulled;
  if (build_base_image(b, r->st->base, b->o->pull, r->image_id, &display,
                       &pulled, err) < 0 ||
      build_image_config(b, r->image_id, &r->config, &r->author, &os, &arch,
                         err) < 0)
    return -1;
  if ((os && strcmp(os, b->os)) || (arch && strcmp(arch, b->arch)))
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "image `%s` is for %s/%s: berth builds for the "
                           "host's platform, %s",
                           display, os, arch, b->platform);
  r->cmd_total += 1 + (int)json_array_size(json_object_get(r->config,
                                                           "OnBuild"));
  double t0 = build_now();
  _cleanup_free_ char *text = NULL;
  if (asprintf(&text, "FROM %s", display) < 0)
    return berth_error_sys(err, "allocate");
  int n = stage_step_begin(r, r->st->from, text);
  stage_step_end(r, n, t0, !pulled);
  return slist_from_json(&r->vars, json_object_get(r->config, "Env"), err);
}

int stage_from(struct stage_run *r, berth_error **err) {
  struct build *b = r->b;
  struct build_stage *st = r->st;
  r->os = b->os;
  r->arch = b->arch;
  r->variant = b->variant;
  r->cmd_total = (int)shown_steps(st);
  if (check_platform(b, st->platform, err) < 0 ||
      check_platform(b, b->o->platform, err) < 0)
    return -1;
  int rc;
  if (st->scratch)
    rc = (r->config = json_object()) ? 0 : berth_error_sys(err, "allocate");
  else if (st->base_stage >= 0)
    rc = from_stage(r, err);
  else
    rc = from_image(r, err);
  if (rc < 0)
    return -1;
  /* Docker's builder makes sure every image has a PATH. */
  if (!slist_has_name(&r->vars, "PATH") &&
      (config_setenv(r->config, "PATH", DEFAULT_PATH, err) < 0 ||
       slist_setenv(&r->vars, "PATH", DEFAULT_PATH, err) < 0))
    return -1;
  return 0;
}

/* A trigger is parsed as the instruction of a one-stage Dockerfile;
 * errors point at the FROM that ran it, as BuildKit's do. */
static int run_trigger(struct stage_run *r, const char *trigger,
                       berth_error **err) {
  _cleanup_free_ char *text = NULL;
  if (asprintf(&text, "FROM scratch\n%s\n", trigger) < 0)
    return berth_error_sys(err, "allocate");
  struct berth_dockerfile df = {0};
  if (berth_dockerfile_parse(text, strlen(text), "ONBUILD", &df, err) < 0)
    return berth_error_prefix(err, "ONBUILD trigger `%s`", trigger);
  int rc = 0;
  if (df.n != 2)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "onbuild trigger should be a single expression: "
                         "`%s`", trigger);
  struct berth_df_instr *in = &df.instrs[df.n - 1];
  if (rc == 0 && (in->cmd == BERTH_DF_FROM || in->cmd == BERTH_DF_ONBUILD ||
                  in->cmd == BERTH_DF_MAINTAINER))
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "%s isn't allowed as an ONBUILD trigger",
                         berth_df_cmd_name(in->cmd));
  if (rc == 0) {
    in->line = r->st->from->line;
    r->onbuild = true;
    rc = stage_dispatch(r, in, err);
    r->onbuild = false;
  }
  berth_dockerfile_free(&df);
  return rc;
}

int stage_onbuild(struct stage_run *r, berth_error **err) {
  json_t *triggers = json_incref(json_object_get(r->config, "OnBuild"));
  /* Consumed here: the triggers do not pass on to this stage's image. */
  json_object_del(r->config, "OnBuild");
  size_t i;
  json_t *t;
  int rc = 0;
  json_array_foreach(triggers, i, t) {
    if (rc == 0 && json_is_string(t))
      rc = run_trigger(r, json_string_value(t), err);
  }
  json_decref(triggers);
  return rc;
}
