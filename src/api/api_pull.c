/* POST /images/create (pull, and import with fromSrc=-) and POST
 * /images/{name}/push: the image layer's pull and push, their per-layer
 * events turned into Docker's progress JSON lines; and the progress jobs
 * (api_img.h) that build also answers with. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_img.h"
#include "auth.h"
#include "cleanup.h"
#include "config_change.h"
#include "image_archive.h"
#include "images.h"
#include "lookup.h"
#include "manifest.h"
#include "pull.h"
#include "reference.h"
#include "rows.h"

/* ---- progress jobs ---- */

struct api_job {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  json_t *queue; /* lines not yet written */
  bool done, gone, joined;
  int rc, code;
  berth_error *err;
  pthread_t thread;
  struct berth_engine *e;
  api_job_fn fn;
  void *arg;
  void (*free_arg)(void *);
};

static void *job_main(void *data) {
  struct api_job *j = data;
  berth_error *err = NULL;
  int rc = j->fn(j, j->e, j->arg, &err);
  pthread_mutex_lock(&j->mu);
  j->rc = rc;
  j->err = err;
  j->done = true;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
  return NULL;
}

static void job_free(void *data) {
  struct api_job *j = data;
  if (!j->joined)
    pthread_join(j->thread, NULL);
  if (j->free_arg)
    j->free_arg(j->arg);
  json_decref(j->queue);
  berth_error_free(j->err);
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->cv);
  free(j);
}

void api_job_emit(struct api_job *j, json_t *doc) {
  pthread_mutex_lock(&j->mu);
  if (!j->gone && doc)
    json_array_append(j->queue, doc);
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
  json_decref(doc);
}

void api_job_set_error_code(struct api_job *j, int code) {
  pthread_mutex_lock(&j->mu);
  j->code = code;
  pthread_mutex_unlock(&j->mu);
}

bool api_job_gone(struct api_job *j) {
  pthread_mutex_lock(&j->mu);
  bool gone = j->gone;
  pthread_mutex_unlock(&j->mu);
  return gone;
}

/* Docker's JSONMessage of an error. */
static json_t *error_line(const char *msg, int code) {
  json_t *detail = code ? json_pack("{s:i,s:s}", "code", code, "message", msg)
                        : json_pack("{s:s}", "message", msg);
  return json_pack("{s:o,s:s}", "errorDetail", detail, "error", msg);
}

/* Writes the lines as they come, then the error if the work failed. */
static void job_produce(struct api_stream *s, void *data) {
  struct api_job *j = data;
  for (;;) {
    pthread_mutex_lock(&j->mu);
    while (json_array_size(j->queue) == 0 && !j->done)
      pthread_cond_wait(&j->cv, &j->mu);
    json_t *lines = j->queue;
    j->queue = json_array();
    bool done = j->done;
    pthread_mutex_unlock(&j->mu);
    size_t i;
    json_t *line;
    bool gone = false;
    json_array_foreach(lines, i, line) if (!gone) gone =
        api_stream_json(s, json_incref(line)) < 0;
    json_decref(lines);
    if (gone) {
      pthread_mutex_lock(&j->mu);
      j->gone = true; /* later lines are dropped; the work runs on */
      pthread_mutex_unlock(&j->mu);
    }
    if (done)
      break;
  }
  pthread_join(j->thread, NULL);
  j->joined = true;
  if (j->rc < 0 && !j->gone)
    api_stream_json(s, error_line(j->err && j->err->msg ? j->err->msg
                                                        : "failed",
                                  j->code));
}

int api_job_run(struct api_req *r, api_job_fn fn, void *arg,
                void (*free_arg)(void *)) {
  berth_error *err = NULL;
  struct api_job *j = calloc(1, sizeof *j);
  struct berth_engine *e = api_engine(r, &err);
  if (!j || !e) {
    free(j);
    if (free_arg)
      free_arg(arg);
    return err ? api_reply_error(r, err) : api_reply_errorf(r, 500, "oom");
  }
  *j = (struct api_job){.queue = json_array(), .e = e, .fn = fn, .arg = arg,
                        .free_arg = free_arg};
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
  if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
    j->joined = true;
    job_free(j);
    return api_reply_errorf(r, 500, "start a thread: %s", strerror(errno));
  }
  pthread_mutex_lock(&j->mu);
  while (json_array_size(j->queue) == 0 && !j->done)
    pthread_cond_wait(&j->cv, &j->mu);
  bool early = json_array_size(j->queue) == 0;
  pthread_mutex_unlock(&j->mu);
  if (!early)
    return api_reply_stream(r, 200, "application/json", job_produce, j,
                            job_free);
  /* Nothing was said yet: the outcome is an ordinary answer. */
  pthread_join(j->thread, NULL);
  j->joined = true;
  int rc = j->rc < 0 ? api_reply_error(r, steal_pointer(&j->err))
                     : api_reply_text(r, 200, "application/json", "", 0);
  job_free(j);
  return rc;
}

/* ---- X-Registry-Auth / X-Registry-Config ---- */

int api_auth_from_header(struct api_req *r, struct berth_credentials *c,
                         berth_error **err) {
  const char *name = "X-Registry-Auth";
  return berth_auth_header_decode(name, api_header(r, name), c, err) < 0
             ? -1
             : 0;
}

int api_registry_config(struct api_req *r, json_t **out, berth_error **err) {
  const char *name = "X-Registry-Config";
  return berth_auth_config_header_decode(name, api_header(r, name), out, err);
}

/* ---- per-layer progress ---- */

struct layer_state {
  char id[13];
  bool seen;
  long long last_ms;
  uint64_t said, total; /* the last Downloading line's counts */
};

/* What the xfer callback of a pull or push needs. */
struct xfer_lines {
  struct api_job *job;
  pthread_mutex_t mu;
  struct layer_state *layers;
  size_t n;
  bool push;
  const char *skip; /* a push's config blob: not a layer */
  json_t *first;    /* said before the first layer's line (pull) */
  json_t *held;     /* a pull's "Already exists" lines, said once the
                       image turns out new: Docker says nothing of the
                       layers of an image that is up to date */
};

static void flush_held(struct xfer_lines *x) {
  size_t i;
  json_t *line;
  json_array_foreach(x->held, i, line)
    api_job_emit(x->job, json_incref(line));
  json_array_clear(x->held);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Docker's progress bar: 50 columns, then "1.2MB/3.4MB". */
static void progress_bar(uint64_t done, uint64_t total, char *out,
                         size_t len) {
  char bar[52], d[24], t[24];
  int fill = total ? (int)((double)done / (double)total * 50) : 0;
  fill = fill > 50 ? 50 : fill;
  for (int i = 0; i < 50; i++)
    bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
  bar[50] = '\0';
  berth_human_size((double)done, d, sizeof d);
  berth_human_size((double)total, t, sizeof t);
  snprintf(out, len, "[%s]  %s/%s", bar, d, t);
}

static json_t *layer_line(const char *status, const char *id) {
  return json_pack("{s:s,s:{},s:s}", "status", status, "progressDetail", "id",
                   id);
}

static json_t *counted_line(const char *status, const char *id,
                            uint64_t done, uint64_t total) {
  char bar[128];
  progress_bar(done, total, bar, sizeof bar);
  return json_pack("{s:s,s:{s:I,s:I},s:s,s:s}", "status", status,
                   "progressDetail", "current", (json_int_t)done, "total",
                   (json_int_t)total, "progress", bar, "id", id);
}

static struct layer_state *layer_of(struct xfer_lines *x, size_t item,
                                    const char *digest) {
  if (item >= x->n) {
    struct layer_state *nl = realloc(x->layers, (item + 1) * sizeof *nl);
    if (!nl)
      return NULL;
    memset(nl + x->n, 0, (item + 1 - x->n) * sizeof *nl);
    x->layers = nl;
    x->n = item + 1;
  }
  struct layer_state *l = &x->layers[item];
  const char *hex = strchr(digest, ':');
  snprintf(l->id, sizeof l->id, "%s", hex ? hex + 1 : digest);
  return l;
}

/* A line for the event, or NULL: Downloading is said at most every
 * 100 ms per layer (curl calls back for every buffer it receives). */
static json_t *xfer_line(struct layer_state *l, enum berth_xfer_phase ph,
                         uint64_t done, uint64_t total) {
  switch (ph) {
  case BERTH_XFER_EXISTS:
    return layer_line("Already exists", l->id);
  case BERTH_XFER_DOWNLOADING: {
    long long t = now_ms();
    if (t - l->last_ms < 100 && done < total)
      return NULL;
    l->last_ms = t;
    l->said = done;
    l->total = total;
    return counted_line("Downloading", l->id, done, total);
  }
  case BERTH_XFER_DOWNLOADED:
    return layer_line("Download complete", l->id);
  case BERTH_XFER_EXTRACTING:
    return counted_line("Extracting", l->id, 0, total);
  case BERTH_XFER_DONE:
    return layer_line("Pull complete", l->id);
  case BERTH_XFER_UPLOADING:
    return counted_line("Pushing", l->id, done, total);
  case BERTH_XFER_SKIPPED:
    return layer_line("Layer already exists", l->id);
  }
  return NULL;
}

static void xfer_event(void *ctx, size_t item, const char *digest,
                       enum berth_xfer_phase ph, uint64_t done,
                       uint64_t total) {
  struct xfer_lines *x = ctx;
  if (x->skip && strcmp(digest, x->skip) == 0)
    return;
  pthread_mutex_lock(&x->mu);
  if (x->first) {
    api_job_emit(x->job, x->first);
    x->first = NULL;
  }
  struct layer_state *l = layer_of(x, item, digest);
  if (l && !l->seen && !x->push && ph != BERTH_XFER_EXISTS)
    api_job_emit(x->job, layer_line("Pulling fs layer", l->id));
  if (l)
    l->seen = true;
  /* The throttle may have swallowed the last count: say it complete. */
  if (l && ph == BERTH_XFER_DOWNLOADED && l->said < l->total) {
    api_job_emit(x->job, counted_line("Downloading", l->id, l->total,
                                      l->total));
    l->said = l->total;
  }
  if (!x->push && ph == BERTH_XFER_EXISTS && l) {
    json_array_append_new(x->held, layer_line("Already exists", l->id));
    pthread_mutex_unlock(&x->mu);
    return;
  }
  flush_held(x);
  json_t *line = !l                                    ? NULL
                 : x->push && ph == BERTH_XFER_DONE    ? layer_line("Pushed",
                                                                    l->id)
                                                       : xfer_line(l, ph, done,
                                                                   total);
  if (line)
    api_job_emit(x->job, line);
  pthread_mutex_unlock(&x->mu);
}

static void xfer_lines_free(struct xfer_lines *x) {
  json_decref(x->first);
  json_decref(x->held);
  free(x->layers);
  pthread_mutex_destroy(&x->mu);
}

/* ---- pull ---- */

struct pull_req {
  struct berth_ref ref;
  struct berth_credentials auth;
  char *platform;
};

static void pull_req_free(void *data) {
  struct pull_req *p = data;
  berth_ref_free(&p->ref);
  berth_credentials_free(&p->auth);
  free(p->platform);
  free(p);
}

/* The id a normalised name pointed at before the pull ("" when none). */
static void id_before(struct berth_engine *e, const char *name,
                      char id[BERTH_DIGEST_SIZE]) {
  struct berth_image_match m;
  *id = '\0';
  if (name && berth_image_lookup(e->db, name, &m, NULL) == 0) {
    memcpy(id, m.id, BERTH_DIGEST_SIZE);
    berth_image_match_clear(&m);
  }
}

/* "Digest: sha256:..." (the repo digest the pull recorded) and Docker's
 * closing status. */
static void pull_summary(struct api_job *j, struct berth_engine *e,
                         const struct berth_ref *ref, const char *id,
                         bool same) {
  struct berth_image img = {0};
  _cleanup_free_ char *repo = berth_ref_repository(ref);
  size_t rl = repo ? strlen(repo) : 0;
  if (repo && berth_images_get(e->db, id, &img, NULL) == 0)
    for (char **d = img.digests; d && *d; d++)
      if (strncmp(*d, repo, rl) == 0 && (*d)[rl] == '@') {
        char line[160];
        snprintf(line, sizeof line, "Digest: %s", *d + rl + 1);
        api_job_emit(j, json_pack("{s:s}", "status", line));
        break;
      }
  berth_image_free(&img);
  _cleanup_free_ char *shown = berth_ref_familiar(ref);
  _cleanup_free_ char *status = NULL;
  if (asprintf(&status, "Status: %s for %s",
               same ? "Image is up to date" : "Downloaded newer image",
               shown ? shown : id) >= 0)
    api_job_emit(j, json_pack("{s:s}", "status", status));
}

static int pull_job(struct api_job *j, struct berth_engine *e, void *arg,
                    berth_error **err) {
  struct pull_req *p = arg;
  struct berth_registry_flags rf = {.username = p->auth.username,
                                    .password = p->auth.password};
  _cleanup_(berth_registry_setup_free) struct berth_registry_setup rs = {0};
  if (berth_registry_options_for(p->ref.registry, &rf, &rs, err) < 0)
    return -1;
  _cleanup_free_ char *full = berth_ref_string(&p->ref);
  char before[BERTH_DIGEST_SIZE], id[BERTH_DIGEST_SIZE];
  id_before(e, full, before);
  struct xfer_lines x = {.job = j, .held = json_array()};
  pthread_mutex_init(&x.mu, NULL);
  x.first = json_pack("{s:s,s:s}", "status", "", "id",
                      p->ref.tag ? p->ref.tag : p->ref.digest);
  _cleanup_free_ char *from = NULL;
  if (asprintf(&from, "Pulling from %s", p->ref.path) >= 0)
    json_object_set_new(x.first, "status", json_string(from));
  struct berth_pull_opts po = {.reg = rs.opts, .platform = p->platform,
                               .xfer = xfer_event, .xfer_ctx = &x};
  int rc = berth_pull(e->is, &p->ref, &po, id, err);
  if (rc == 0 && x.first) { /* an image without layers */
    api_job_emit(j, x.first);
    x.first = NULL;
  }
  bool same = rc == 0 && strcmp(before, id) == 0;
  if (rc == 0 && !same)
    flush_held(&x);
  xfer_lines_free(&x);
  if (rc == 0)
    pull_summary(j, e, &p->ref, id, same);
  return rc;
}

/* fromImage with tag= applied as Docker applies it: a digest ("sha256:")
 * or a tag replacing the one in fromImage. */
static int pull_ref(struct api_req *r, struct berth_ref *ref,
                    berth_error **err) {
  const char *from = api_query(r, "fromImage");
  const char *tag = api_query(r, "tag");
  if (berth_ref_parse(from, ref, err) < 0)
    return -1;
  if (!tag || !*tag)
    return 0;
  bool digest = strchr(tag, ':') != NULL;
  _cleanup_free_ char *s = NULL;
  _cleanup_free_ char *repo = berth_ref_repository(ref);
  berth_ref_free(ref);
  if (!repo || asprintf(&s, "%s%s%s", repo, digest ? "@" : ":", tag) < 0)
    return berth_error_sys(err, "allocate");
  return berth_ref_parse(s, ref, err);
}

static int images_import(struct api_req *r);

static int images_create(struct api_req *r) {
  if (api_query(r, "fromSrc"))
    return images_import(r);
  if (!api_query(r, "fromImage") || !*api_query(r, "fromImage"))
    return api_reply_errorf(r, 400, "fromImage or fromSrc is required");
  berth_error *err = NULL;
  struct pull_req *p = calloc(1, sizeof *p);
  if (!p)
    return api_reply_errorf(r, 500, "out of memory");
  const char *platform = api_query(r, "platform");
  if (pull_ref(r, &p->ref, &err) < 0 ||
      api_auth_from_header(r, &p->auth, &err) < 0 ||
      (platform && *platform && !(p->platform = strdup(platform)) &&
       berth_error_sys(&err, "allocate") < 0)) {
    pull_req_free(p);
    return api_reply_error(r, err);
  }
  return api_job_run(r, pull_job, p, pull_req_free);
}

/* ---- import (fromSrc=-) ---- */

/* The name repo[:tag] as `berth import` stores it, NULL for none. */
static char *import_name(const char *repo, const char *tag,
                         berth_error **err) {
  if (!repo || !*repo)
    return NULL;
  _cleanup_free_ char *s = NULL;
  if (asprintf(&s, "%s%s%s", repo, tag && *tag ? ":" : "",
               tag && *tag ? tag : "") < 0)
    return NULL;
  struct berth_ref ref = {0};
  if (berth_ref_parse(s, &ref, err) < 0)
    return NULL;
  char *name = berth_ref_string(&ref);
  berth_ref_free(&ref);
  return name;
}

/* changes= (repeated): Dockerfile instructions on the config, as
 * `import --change`; the config as JSON text, NULL with *err. */
static char *import_changes(struct api_req *r, berth_error **err) {
  json_t *changes = api_query_all(r, "changes"), *cfg = json_object(), *c;
  size_t i;
  int rc = changes && cfg ? 0 : berth_error_sys(err, "allocate");
  json_array_foreach(changes, i, c) if (rc == 0) rc =
      berth_image_config_change(cfg, json_string_value(c), err);
  char *text = rc == 0 ? json_dumps(cfg, JSON_COMPACT) : NULL;
  if (rc == 0 && !text)
    berth_error_sys(err, "allocate");
  json_decref(changes);
  json_decref(cfg);
  return text;
}

static int images_import(struct api_req *r) {
  if (strcmp(api_query(r, "fromSrc"), "-") != 0 || r->body_fd < 0)
    return api_reply_errorf(r, 501,
                            "import from a URL is not implemented: send "
                            "the tarball as the body with fromSrc=-");
  berth_error *err = NULL;
  const char *repo = api_query(r, "repo");
  _cleanup_free_ char *name = import_name(repo, api_query(r, "tag"), &err);
  if (err || (repo && *repo && !name))
    return err ? api_reply_error(r, err)
               : api_reply_errorf(r, 500, "out of memory");
  _cleanup_free_ char *cfg = import_changes(r, &err);
  if (!cfg)
    return api_reply_error(r, err);
  struct berth_engine *e = api_engine(r, &err);
  char id[BERTH_DIGEST_SIZE];
  if (!e || berth_import(e->is, r->body_fd, name, cfg, id, &err) < 0)
    return api_reply_error(r, err);
  _cleanup_free_ char *body = NULL;
  json_t *line = json_pack("{s:s}", "status", id);
  body = json_dumps(line, JSON_COMPACT);
  json_decref(line);
  if (!body)
    return api_reply_errorf(r, 500, "out of memory");
  size_t len = strlen(body);
  _cleanup_free_ char *nl = malloc(len + 2);
  if (!nl)
    return api_reply_errorf(r, 500, "out of memory");
  memcpy(nl, body, len);
  memcpy(nl + len, "\n", 2);
  return api_reply_text(r, 200, "application/json", nl, len + 1);
}

/* ---- push ---- */

struct push_req {
  struct berth_ref repo;  /* the repository (its tag unused) */
  json_t *items;          /* [[tag, image id], ...] in push order */
  struct berth_credentials auth;
};

static void push_req_free(void *data) {
  struct push_req *p = data;
  berth_ref_free(&p->repo);
  json_decref(p->items);
  berth_credentials_free(&p->auth);
  free(p);
}

/* "latest: digest: sha256:... size: N" and the aux line the CLI reads. */
static void push_summary(struct api_job *j, struct berth_engine *e,
                         const char *tag, const char *digest) {
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  if (berth_store_get(e->is->store, digest, BERTH_MANIFEST_MAX_BYTES, &body,
                      &len, NULL) < 0)
    len = 0;
  char line[256];
  snprintf(line, sizeof line, "%s: digest: %s size: %zu", tag, digest, len);
  api_job_emit(j, json_pack("{s:s}", "status", line));
  api_job_emit(j, json_pack("{s:{},s:{s:s,s:s,s:I}}", "progressDetail", "aux",
                            "Tag", tag, "Digest", digest, "Size",
                            (json_int_t)len));
}

static void push_prepare(struct api_job *j, struct berth_engine *e,
                         const char *id) {
  struct berth_image img = {0};
  if (berth_images_get(e->db, id, &img, NULL) < 0)
    return;
  for (size_t i = 0; i < img.n_layers; i++)
    api_job_emit(j, layer_line("Preparing", img.layers[i].blob + 7));
  berth_image_free(&img);
}

/* One tag: its layers' progress, then its digest. */
static int push_one(struct api_job *j, struct berth_engine *e,
                    const struct push_req *p, const char *tag,
                    const char *id, const struct berth_registry_opts *ro,
                    berth_error **err) {
  struct berth_ref dest = p->repo;
  dest.tag = (char *)tag;
  dest.digest = NULL;
  push_prepare(j, e, id);
  struct xfer_lines x = {.job = j, .push = true, .skip = id};
  pthread_mutex_init(&x.mu, NULL);
  struct berth_pull_opts po = {.reg = *ro, .xfer = xfer_event,
                               .xfer_ctx = &x};
  char digest[BERTH_DIGEST_SIZE];
  int rc = berth_push(e->is, id, &dest, &po, digest, err);
  xfer_lines_free(&x);
  if (rc == 0)
    push_summary(j, e, tag, digest);
  return rc;
}

static int push_job(struct api_job *j, struct berth_engine *e, void *arg,
                    berth_error **err) {
  struct push_req *p = arg;
  _cleanup_free_ char *shown = berth_ref_familiar(&p->repo);
  char *colon = shown ? strrchr(shown, ':') : NULL;
  if (colon && !strchr(colon, '/'))
    *colon = '\0';
  char line[600];
  snprintf(line, sizeof line, "The push refers to repository [%s]",
           shown ? shown : "");
  api_job_emit(j, json_pack("{s:s}", "status", line));
  struct berth_registry_flags rf = {.username = p->auth.username,
                                    .password = p->auth.password};
  _cleanup_(berth_registry_setup_free) struct berth_registry_setup rs = {0};
  if (berth_registry_options_for(p->repo.registry, &rf, &rs, err) < 0)
    return -1;
  size_t i;
  json_t *item;
  json_array_foreach(p->items, i, item) {
    if (push_one(j, e, p, json_string_value(json_array_get(item, 0)),
                 json_string_value(json_array_get(item, 1)), &rs.opts,
                 err) < 0)
      return -1;
  }
  return 0;
}

/* Without a tag Docker pushes every local tag of the repository. */
static int push_items(struct berth_engine *e, struct push_req *p,
                      const char *what, const char *tag, berth_error **err) {
  _cleanup_free_ char *repo = berth_ref_repository(&p->repo);
  size_t rl = repo ? strlen(repo) : 0;
  struct berth_image *imgs = NULL;
  size_t n = 0;
  if (!repo || berth_images_list(e->db, &imgs, &n, err) < 0)
    return repo ? -1 : berth_error_sys(err, "allocate");
  for (size_t i = 0; i < n; i++)
    for (char **t = imgs[i].tags; t && *t; t++)
      if (strncmp(*t, repo, rl) == 0 && (*t)[rl] == ':' &&
          (!tag || strcmp(*t + rl + 1, tag) == 0))
        json_array_append_new(p->items,
                              json_pack("[s,s]", *t + rl + 1, imgs[i].id));
  berth_images_free(imgs, n);
  if (json_array_size(p->items) == 0)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "An image does not exist locally with the tag: "
                           "%s",
                           what);
  return 0;
}

/* The tag a name carries after its last '/' ("r:5000/a:1" -> "1"). */
static const char *tag_in(const char *name) {
  const char *slash = strrchr(name, '/');
  const char *colon = strrchr(slash ? slash : name, ':');
  return colon && !strchr(name, '@') ? colon + 1 : NULL;
}

static int image_push(struct api_req *r) {
  berth_error *err = NULL;
  const char *tag = api_query(r, "tag");
  struct push_req *p = calloc(1, sizeof *p);
  _cleanup_free_ char *s = NULL;
  if (!p || !(p->items = json_array())) {
    free(p);
    return api_reply_errorf(r, 500, "out of memory");
  }
  if (!tag || !*tag)
    tag = tag_in(r->params[0]);
  int rc = asprintf(&s, "%s%s%s", r->params[0],
                    tag && !tag_in(r->params[0]) ? ":" : "",
                    tag && !tag_in(r->params[0]) ? tag : "") < 0
               ? berth_error_sys(&err, "allocate")
               : berth_ref_parse(s, &p->repo, &err);
  struct berth_engine *e = rc == 0 ? api_engine(r, &err) : NULL;
  if (rc == 0 && !e)
    rc = -1;
  if (rc == 0)
    rc = push_items(e, p, s, tag, &err);
  if (rc == 0)
    rc = api_auth_from_header(r, &p->auth, &err);
  if (rc < 0) {
    push_req_free(p);
    return api_reply_error(r, err);
  }
  return api_job_run(r, push_job, p, push_req_free);
}

const struct api_route api_routes_pull[] = {
    {"POST", "/images/create", images_create, API_BODY_FILE},
    {"POST", "/images/{name*}/push", image_push, 0},
    {NULL, NULL, NULL, 0},
};
