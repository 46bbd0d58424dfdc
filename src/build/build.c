/* berth build: the context and Dockerfile loaded, the stages planned,
 * the target built (and with it only the stages it needs), then the
 * final image labelled, named and its id written. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_image.h"
#include "build_internal.h"
#include "cleanup.h"
#include "fs.h"
#include "image_remove.h"
#include "pull.h"

/* `-f -` with a directory context: the Dockerfile read from stdin (at
 * most BERTH_DOCKERFILE_MAX bytes) into a private file the context
 * opens like any -f outside the context. */
static int dockerfile_from_stdin(struct build *b, char *path, size_t len,
                                 berth_error **err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tmp", b->e->root);
  if (berth_mkdir_p(dir, 0700, err) < 0)
    return -1;
  snprintf(path, len, "%s/Dockerfile.XXXXXX", dir);
  _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "create `%s`", path);
  char buf[65536];
  size_t total = 0;
  for (;;) {
    ssize_t n = read(b->o->stdin_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || (n > 0 && write(fd, buf, (size_t)n) != n)) {
      berth_error_sys(err, "read the Dockerfile from stdin");
      break;
    }
    if (n == 0)
      return 0;
    if ((total += (size_t)n) > BERTH_DOCKERFILE_MAX) {
      berth_error_set(err, BERTH_ERR_INVALID, 0,
                      "the Dockerfile on stdin is larger than %u bytes",
                      BERTH_DOCKERFILE_MAX);
      break;
    }
  }
  unlink(path);
  return -1;
}

static int open_context(struct build *b, berth_error **err) {
  const struct berth_build_opts *o = b->o;
  if (strcmp(o->context, "-") == 0) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tmp", b->e->root);
    if (berth_mkdir_p(dir, 0700, err) < 0)
      return -1;
    return berth_context_open_stream(o->stdin_fd, dir, o->dockerfile, &b->ctx,
                                     err);
  }
  if (!o->dockerfile || strcmp(o->dockerfile, "-") != 0)
    return berth_context_open_dir(o->context, o->dockerfile, &b->ctx, err);
  char path[4096 + 32];
  if (dockerfile_from_stdin(b, path, sizeof path, err) < 0)
    return -1;
  int rc = berth_context_open_dir(o->context, path, &b->ctx, err);
  unlink(path);
  if (rc == 0) {
    char *name = strdup("Dockerfile");
    if (!name)
      return berth_error_sys(err, "allocate");
    free(b->ctx->dockerfile_name);
    b->ctx->dockerfile_name = name;
  }
  return rc;
}

static int load_definition(struct build *b, berth_error **err) {
  const char *f = b->o->dockerfile && strcmp(b->o->dockerfile, "-")
                      ? b->o->dockerfile
                      : "Dockerfile";
  const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
  _cleanup_free_ char *text = NULL;
  if (asprintf(&text, "[internal] load build definition from %s", base) < 0)
    return berth_error_sys(err, "allocate");
  double t0 = build_now();
  int n = build_step_begin(b, text);
  int rc = open_context(b, err);
  if (rc == 0) {
    build_msgf(b, n, "transferring dockerfile: %zuB done",
               b->ctx->dockerfile_len);
    rc = berth_dockerfile_parse(b->ctx->dockerfile, b->ctx->dockerfile_len,
                                b->ctx->dockerfile_name, &b->df, err);
    b->df_parsed = rc == 0;
  }
  if (rc < 0) {
    build_event(b, BERTH_BUILD_ERROR, n, (*err)->msg, 0, 0);
    return -1;
  }
  build_event(b, BERTH_BUILD_DONE, n, NULL, 0, build_now() - t0);
  n = build_step_begin(b, "[internal] load .dockerignore");
  build_event(b, BERTH_BUILD_DONE, n, NULL, 0, 0);
  return 0;
}

/* --label: the labels in the final config, one more image (no history
 * entry: BuildKit adds them to the final config), cached like a step. */
static int add_labels(struct stage_run *r, berth_error **err) {
  json_t *labels = json_object_get(r->config, "Labels");
  if (!json_is_object(labels)) {
    labels = json_object();
    json_object_set_new(r->config, "Labels", labels);
  }
  const struct berth_build_opts *o = r->b->o;
  for (size_t i = 0; i < o->n_labels; i++) {
    const char *l = o->labels[i], *eq = strchr(l, '=');
    _cleanup_free_ char *k = eq ? strndup(l, (size_t)(eq - l)) : strdup(l);
    if (!k)
      return berth_error_sys(err, "allocate");
    json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
  }
  config_sort_object(r->config, "Labels");
  char key[BERTH_DIGEST_SIZE];
  if (build_key(r, "--label", NULL, key, err) < 0)
    return -1;
  int hit = stage_cached(r, key, err);
  return hit != 0 ? (hit < 0 ? -1 : 0)
                  : stage_commit(r, key, NULL, 0, NULL, err);
}

/* The target's image; a scratch stage that made nothing still gets an
 * (empty) image. */
static int final_image(struct build *b, struct build_stage *st,
                       char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct stage_run r = {.b = b, .st = st, .config = st->config,
                        .author = st->author, .os = b->os, .arch = b->arch,
                        .variant = b->variant};
  memcpy(r.image_id, st->image_id, sizeof r.image_id);
  int rc = 0;
  if (!*r.image_id && b->o->n_labels == 0)
    rc = stage_commit(&r, NULL, NULL, 0, NULL, err);
  if (rc == 0 && b->o->n_labels > 0)
    rc = add_labels(&r, err);
  memcpy(id, r.image_id, BERTH_DIGEST_SIZE);
  return rc;
}

static int write_iidfile(const char *path, const char *id,
                         berth_error **err) {
  _cleanup_close_ int fd =
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t len = strlen(id);
  if (fd < 0 || write(fd, id, len) != (ssize_t)len)
    return berth_error_sys(err, "write --iidfile `%s`", path);
  return 0;
}

static int export_image(struct build *b, size_t target,
                        char id[BERTH_DIGEST_SIZE], berth_error **err) {
  double t0 = build_now();
  int n = build_step_begin(b, "exporting to image");
  int rc = final_image(b, &b->stages[target], id, err);
  if (rc == 0) {
    build_msgf(b, n, "exporting layers done");
    build_msgf(b, n, "writing image %s done", id);
  }
  for (size_t i = 0; rc == 0 && i < b->o->n_tags; i++) {
    rc = berth_image_tag(b->e->is, id, b->o->tags[i], err);
    if (rc == 0)
      build_msgf(b, n, "naming to %s done", b->o->tags[i]);
  }
  if (rc == 0 && b->o->iidfile)
    rc = write_iidfile(b->o->iidfile, id, err);
  if (rc < 0)
    build_event(b, BERTH_BUILD_ERROR, n, (*err)->msg, 0, 0);
  else
    build_event(b, BERTH_BUILD_DONE, n, NULL, 0, build_now() - t0);
  return rc;
}

static void build_free(struct build *b) {
  for (size_t i = 0; i < b->n_stages; i++) {
    struct build_stage *s = &b->stages[i];
    free(s->name);
    free(s->label);
    free(s->base);
    free(s->platform);
    json_decref(s->config);
    free(s->author);
    slist_free(&s->vars);
    slist_free(&s->args);
  }
  free(b->stages);
  if (b->df_parsed)
    berth_dockerfile_free(&b->df);
  berth_context_free(b->ctx);
  slist_free(&b->global);
  slist_free(&b->bargs);
  slist_free(&b->resolved);
  free(b->barg_used);
  free(b->run_cmd);
}

/* BuildKit's RUN network modes: the default (bridge), none, host. */
static int build_network(struct build *b, berth_error **err) {
  const char *n = b->o->network;
  if (!n || !*n || strcmp(n, "default") == 0)
    n = "bridge";
  if (strcmp(n, "bridge") && strcmp(n, "none") && strcmp(n, "host"))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network mode \"%s\" not supported by the "
                           "builder: default, bridge, none or host",
                           n);
  b->network = n;
  return 0;
}

int berth_build(struct berth_engine *e, const struct berth_build_opts *o,
                char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct build b = {.e = e, .o = o, .epoch = -1};
  berth_host_platform(&b.os, &b.arch, &b.variant);
  snprintf(b.platform, sizeof b.platform, "%s/%s%s%s", b.os, b.arch,
           b.variant ? "/" : "", b.variant ? b.variant : "");
  size_t target = 0;
  if (!o->context || !*o->context)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "no build context given");
  int rc = build_network(&b, err);
  if (rc == 0)
    rc = build_args_init(&b, err);
  if (rc == 0)
    rc = load_definition(&b, err);
  if (rc == 0)
    rc = build_plan(&b, &target, err);
  if (rc == 0)
    rc = build_stage(&b, target, err);
  stage_release_store(&b); /* a step that failed after its layer */
  if (rc == 0)
    rc = export_image(&b, target, id, err);
  if (rc == 0)
    build_args_warn_unused(&b);
  build_free(&b);
  return rc;
}
