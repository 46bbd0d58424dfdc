/* COPY and ADD: sources from the context, from heredocs, or from another
 * stage or image (--from), written by copy_step.h into a container that
 * is created and never started.
 *
 * The cache key holds what the copy reads: for context sources the
 * content digest of everything they match (berth_context_digest: bytes,
 * modes, owners, xattrs, not mtimes, so a touched but unchanged file
 * keeps the cache and a changed one re-runs this step and every later
 * one, and nothing before); for --from the source image's id (a config
 * digest, so its layers) and the patterns; heredocs by their text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"
#include "copy_step.h"
#include "images.h"
#include "json.h"

struct copy_plan {
  struct berth_copy_req req;
  struct slist srcs;      /* expanded sources as written */
  struct slist rels;      /* context sources: matched paths */
  struct slist chain;     /* --from: the source's layer chain ids */
  char *dest, *chown, *chmod, *from;
  struct berth_df_heredoc *docs; /* expanded heredocs */
  size_t n_docs;
  char from_id[BERTH_DIGEST_SIZE];
  char digest[BERTH_DIGEST_SIZE];
};

static void plan_clear(struct copy_plan *p) {
  slist_free(&p->srcs);
  slist_free(&p->rels);
  slist_free(&p->chain);
  free(p->dest);
  free(p->chown);
  free(p->chmod);
  free(p->from);
  for (size_t i = 0; i < p->n_docs; i++)
    free(p->docs[i].content);
  free(p->docs);
}

static int flag_expanded(struct stage_run *r, const struct berth_df_instr *in,
                         const char *name, char **out, berth_error **err) {
  const char *v = berth_df_flag(in, name, NULL);
  *out = NULL;
  return v ? stage_expand(r, v, out, err) : 0;
}

/* Sources and destination, expanded; heredoc bodies too unless their
 * delimiter was quoted. */
static int operands(struct stage_run *r, const struct berth_df_instr *in,
                    struct copy_plan *p, berth_error **err) {
  bool add = in->cmd == BERTH_DF_ADD;
  for (size_t i = 0; i < in->n_args; i++) {
    char *w = NULL;
    if (stage_expand(r, in->args[i], &w, err) < 0)
      return -1;
    if (i + 1 == in->n_args) {
      p->dest = w;
      break;
    }
    int rc = slist_add(&p->srcs, w, err);
    free(w);
    if (rc < 0)
      return -1;
    /* Refused before anything is made (copy_step.c would refuse it in
     * the container), with copy_step's kinds. */
    if (berth_copy_src_is_url(p->srcs.v[i]))
      return berth_error_set(err,
                             add ? BERTH_ERR_UNSUPPORTED : BERTH_ERR_INVALID,
                             0,
                             add ? "ADD from a URL is not supported: %s"
                                 : "source can't be a URL for COPY: %s",
                             p->srcs.v[i]);
  }
  if (!p->dest)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s requires a destination",
                           berth_df_cmd_name(in->cmd));
  if (in->n_heredocs &&
      !(p->docs = calloc(in->n_heredocs, sizeof *p->docs)))
    return berth_error_sys(err, "allocate");
  for (size_t i = 0; i < in->n_heredocs; i++, p->n_docs++) {
    const struct berth_df_heredoc *h = &in->heredocs[i];
    p->docs[i] = *h;
    p->docs[i].content =
        h->expand ? build_expand_raw(h->content, &r->vars, r->b->df.escape,
                                     false)
                  : strdup(h->content);
    if (!p->docs[i].content)
      return berth_error_sys(err, "allocate");
  }
  return 0;
}

/* "[internal] load build context", shown once, before the first COPY
 * that reads it. */
static void context_step(struct build *b) {
  if (b->ctx_loaded)
    return;
  b->ctx_loaded = true;
  int n = build_step_begin(b, "[internal] load build context");
  build_event(b, BERTH_BUILD_DONE, n, NULL, 0, 0);
}

static int from_context(struct stage_run *r, struct copy_plan *p,
                        berth_error **err) {
  struct build *b = r->b;
  context_step(b);
  for (size_t i = 0; i < p->srcs.n; i++) {
    char **rels = NULL;
    size_t n = 0;
    if (berth_context_sources(b->ctx, p->srcs.v[i], &rels, &n, err) < 0)
      return -1;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n; k++)
      rc = slist_add(&p->rels, rels[k], err);
    berth_strv_free(rels);
    if (rc < 0)
      return -1;
  }
  p->req.ctx = b->ctx;
  p->req.srcs = p->rels.v;
  p->req.n_srcs = p->rels.n;
  if (p->rels.n == 0)
    return 0;
  return berth_context_digest(b->ctx, b->e->db, p->rels.v, p->rels.n,
                              p->digest, err);
}

/* --from: a stage (built now if the target did not need it yet) or an
 * image (pulled when missing). */
static int from_source(struct stage_run *r, struct copy_plan *p,
                       berth_error **err) {
  struct build *b = r->b;
  long i = build_stage_lookup(b, p->from, b->n_stages);
  if (i >= (long)r->st->index)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot copy from stage \"%s\", it needs to be "
                           "defined before current stage \"%s\"",
                           p->from,
                           r->st->label ? r->st->label : "stage-0");
  if (i >= 0) {
    if (build_stage(b, (size_t)i, err) < 0)
      return -1;
    memcpy(p->from_id, b->stages[i].image_id, sizeof p->from_id);
  } else {
    _cleanup_free_ char *display = NULL;
    bool pulled;
    if (build_base_image(b, p->from, b->o->pull, p->from_id, &display,
                         &pulled, err) < 0)
      return -1;
  }
  if (*p->from_id) {
    struct berth_image img = {0};
    if (berth_images_get(b->e->db, p->from_id, &img, err) < 0)
      return -1;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < img.n_layers; k++)
      rc = slist_add(&p->chain, img.layers[k].chain_id, err);
    berth_image_free(&img);
    if (rc < 0)
      return -1;
  }
  p->req.from = true;
  p->req.from_chain = p->chain.v;
  p->req.n_from_chain = p->chain.n;
  p->req.srcs = p->srcs.v;
  p->req.n_srcs = p->srcs.n;
  return 0;
}

static int copy_plan_of(struct stage_run *r, const struct berth_df_instr *in,
                        struct copy_plan *p, berth_error **err) {
  if (operands(r, in, p, err) < 0 ||
      flag_expanded(r, in, "from", &p->from, err) < 0 ||
      flag_expanded(r, in, "chown", &p->chown, err) < 0 ||
      flag_expanded(r, in, "chmod", &p->chmod, err) < 0)
    return -1;
  if (p->from && in->cmd == BERTH_DF_ADD)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "ADD does not support --from: use COPY --from");
  p->req.add = in->cmd == BERTH_DF_ADD;
  p->req.heredocs = p->docs;
  p->req.n_heredocs = p->n_docs;
  p->req.dest = p->dest;
  p->req.workdir = json_string_value(json_object_get(r->config, "WorkingDir"));
  p->req.chown = p->chown;
  p->req.chmod = p->chmod;
  if (p->srcs.n == 0)
    return 0;
  return p->from ? from_source(r, p, err) : from_context(r, p, err);
}

static int copy_key(struct stage_run *r, const struct berth_df_instr *in,
                    struct copy_plan *p, char key[BERTH_DIGEST_SIZE],
                    berth_error **err) {
  struct slist m = {0};
  const char *wd = p->req.workdir;
  int rc = slist_addf(&m, err, "dest %s", p->dest);
  if (rc == 0)
    rc = slist_addf(&m, err, "workdir %s|chown %s|chmod %s|from %s",
                      wd ? wd : "", p->chown ? p->chown : "",
                      p->chmod ? p->chmod : "", p->from ? p->from_id : "");
  for (size_t i = 0; rc == 0 && i < p->srcs.n; i++)
    rc = slist_addf(&m, err, "src %s", p->srcs.v[i]);
  for (size_t i = 0; rc == 0 && i < p->rels.n; i++)
    rc = slist_addf(&m, err, "rel %s", p->rels.v[i]);
  if (rc == 0)
    rc = slist_addf(&m, err, "digest %s", p->digest);
  for (size_t i = 0; rc == 0 && i < p->n_docs; i++)
    rc = slist_addf(&m, err, "heredoc %s %zu:%s", p->docs[i].name,
                      strlen(p->docs[i].content), p->docs[i].content);
  if (rc == 0)
    rc = build_key(r, berth_df_cmd_name(in->cmd), &m, key, err);
  slist_free(&m);
  return rc;
}

/* "COPY --chown=1:1 a b /dst # buildkit" (--from is not in it). */
static char *copy_history(const struct berth_df_instr *in,
                          const struct copy_plan *p) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  fputs(berth_df_cmd_name(in->cmd), f);
  if (p->chown)
    fprintf(f, " --chown=%s", p->chown);
  if (p->chmod)
    fprintf(f, " --chmod=%s", p->chmod);
  for (size_t i = 0; i < p->srcs.n; i++)
    fprintf(f, " %s", p->srcs.v[i]);
  for (size_t i = 0; i < p->n_docs; i++)
    fprintf(f, " <<%s", p->docs[i].name);
  fprintf(f, " %s # buildkit", p->dest);
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

static int copy_fn(struct build *b, const char *id, void *arg,
                   berth_error **err) {
  const struct copy_plan *p = arg;
  return berth_build_copy(b->e, id, &p->req, err);
}

static int copy_run(struct stage_run *r, const struct berth_df_instr *in,
                    struct copy_plan *p, const char *key, berth_error **err) {
  _cleanup_free_ char *hist = copy_history(in, p);
  json_t *req = build_idle_request();
  if (!hist || !req) {
    json_decref(req);
    return berth_error_sys(err, "allocate");
  }
  struct build_ctr_req q = {.req = req, .fn = copy_fn, .arg = p};
  char layer[BERTH_DIGEST_SIZE];
  uint64_t size;
  int rc = stage_in_container(r, &q, layer, &size, err);
  json_decref(req);
  return rc < 0 ? -1 : stage_commit(r, key, layer, size, hist, err);
}

int stage_copy_instr(struct stage_run *r, const struct berth_df_instr *in,
                     berth_error **err) {
  struct copy_plan p = {0};
  char key[BERTH_DIGEST_SIZE];
  int n = 0, hit = 0;
  int rc = copy_plan_of(r, in, &p, err);
  if (rc == 0)
    rc = copy_key(r, in, &p, key, err);
  /* A --from stage that failed was reported where it failed. */
  if (rc < 0 && r->b->located) {
    plan_clear(&p);
    return -1;
  }
  /* Shown after planning: an image's metadata comes first, as with
   * BuildKit. */
  n = stage_step_begin(r, in, NULL);
  double t0 = build_now();
  if (rc == 0) {
    hit = stage_cached(r, key, err);
    rc = hit == 0 ? copy_run(r, in, &p, key, err) : hit;
  }
  if (rc < 0)
    stage_step_error(r, n, *err);
  else
    stage_step_end(r, n, t0, hit > 0);
  plan_clear(&p);
  return rc < 0 ? -1 : 0;
}
