/* POST /build: the body is the context tar (plain, gzip, bzip2, xz or
 * zstd: what `berth build -` reads), checked entry by entry by the
 * build's context code; berth_build runs it and its events are written
 * as Docker's classic builder writes them: {"stream": "Step 1/3 : FROM
 * bb\n"}, the output of RUN, " ---> Using cache", then {"aux": {"ID":
 * ...}}, "Successfully built" and "Successfully tagged" (the lines
 * docker-py and docker-compose 1.29 read the image id from). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_img.h"
#include "build.h"
#include "cleanup.h"
#include "reference.h"

struct build_req {
  json_t *tags;   /* normalised "name:tag" strings */
  json_t *args;   /* "K=V" */
  json_t *labels; /* "K=V" */
  json_t *creds;  /* X-Registry-Config: registry -> username, password */
  char *dockerfile, *target, *platform, *network;
  bool no_cache, pull, quiet;
  int body_fd; /* the request's: valid while the job runs */
  bool from_step; /* the step being shown is a FROM */
  char *classic;   /* a failed RUN as the classic builder words it */
  int exit_code;   /* and its status */
  struct api_job *job;
  volatile sig_atomic_t cancel;
};

static void build_req_free(void *data) {
  struct build_req *b = data;
  json_decref(b->tags);
  json_decref(b->args);
  json_decref(b->labels);
  json_decref(b->creds);
  free(b->classic);
  free(b->dockerfile);
  free(b->target);
  free(b->platform);
  free(b->network);
  free(b);
}

static json_t *stream_line(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static json_t *stream_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int rc = vasprintf(&s, fmt, ap);
  va_end(ap);
  json_t *j = rc < 0 ? NULL : json_pack("{s:s%}", "stream", s, (size_t)rc);
  free(s);
  return j;
}

/* "[stage 2/5] RUN x" -> "Step 2/5 : RUN x"; NULL for the build's own
 * steps ("[internal] ...", "exporting to image"), which the classic
 * builder does not show. */
static json_t *step_line(const char *text, size_t len, bool *from) {
  const char *close = memchr(text, ']', len);
  *from = false;
  if (len < 2 || text[0] != '[' || !close)
    return NULL;
  const char *num = close;
  while (num > text && num[-1] != ' ' && num[-1] != '[')
    num--;
  if (!memchr(num, '/', (size_t)(close - num)))
    return NULL;
  const char *rest = close + 1 + (close + 1 < text + len && close[1] == ' ');
  *from = text + len - rest > 5 && strncmp(rest, "FROM ", 5) == 0;
  return stream_line("Step %.*s : %.*s\n", (int)(close - num), num,
                     (int)(text + len - rest), rest);
}

static void build_event(void *arg, const struct berth_build_event *ev) {
  struct build_req *b = arg;
  if (api_job_gone(b->job))
    b->cancel = 1; /* nobody reads on: stop the build as ^C would */
  json_t *line = NULL;
  if (b->quiet && ev->kind != BERTH_BUILD_ERROR)
    return;
  switch (ev->kind) {
  case BERTH_BUILD_STEP:
    line = step_line(ev->text, ev->len, &b->from_step);
    break;
  case BERTH_BUILD_CACHED: /* a base image found is no cache hit */
    if (!b->from_step)
      api_job_emit(b->job, stream_line(" ---> Using cache\n"));
    /* fall through */
  case BERTH_BUILD_DONE:
    line = ev->image ? stream_line(" ---> %.12s\n", ev->image + 7) : NULL;
    break;
  case BERTH_BUILD_OUTPUT:
    line = stream_line("%.*s\n", (int)ev->len, ev->text);
    break;
  case BERTH_BUILD_ERROR: /* the job's final error says it */
    if (ev->exit_code && ev->command) {
      free(b->classic);
      if (asprintf(&b->classic,
                   "The command '%s' returned a non-zero code: %d",
                   ev->command, ev->exit_code) < 0)
        b->classic = NULL;
      b->exit_code = ev->exit_code;
    }
    break;
  default: /* MESSAGE */
    break;
  }
  if (line)
    api_job_emit(b->job, line);
}

static void credentials(void *arg, const char *registry,
                        const char **username, const char **password) {
  struct build_req *b = arg;
  json_t *c = json_object_get(b->creds, registry);
  if (!c)
    return;
  *username = json_string_value(json_object_get(c, "username"));
  *password = json_string_value(json_object_get(c, "password"));
}

static void strv_of(json_t *a, char **v) {
  size_t i;
  json_t *s;
  json_array_foreach(a, i, s) v[i] = (char *)json_string_value(s);
}

static int build_job(struct api_job *j, struct berth_engine *e, void *arg,
                     berth_error **err) {
  struct build_req *b = arg;
  b->job = j;
  size_t nt = json_array_size(b->tags), na = json_array_size(b->args),
         nl = json_array_size(b->labels);
  _cleanup_free_ char **tags = calloc(nt + 1, sizeof *tags);
  _cleanup_free_ char **args = calloc(na + 1, sizeof *args);
  _cleanup_free_ char **labels = calloc(nl + 1, sizeof *labels);
  if (!tags || !args || !labels)
    return berth_error_sys(err, "allocate");
  strv_of(b->tags, tags);
  strv_of(b->args, args);
  strv_of(b->labels, labels);
  struct berth_build_opts o = {
      .context = "-", .stdin_fd = -1, .dockerfile = b->dockerfile,
      .tags = tags, .n_tags = nt, .build_args = args, .n_build_args = na,
      .labels = labels, .n_labels = nl, .target = b->target,
      .platform = b->platform, .network = b->network,
      .no_cache = b->no_cache, .pull = b->pull, .progress = build_event,
      .progress_arg = b, .cancel = &b->cancel, .credentials = credentials,
      .credentials_arg = b};
  o.stdin_fd = b->body_fd;
  char id[BERTH_DIGEST_SIZE];
  api_job_set_error_code(j, 1);
  if (berth_build(e, &o, id, err) < 0) {
    /* Docker's classic wording and the command's status (the CLI exits
     * with it) for a RUN that failed; the builder's message otherwise. */
    if (b->classic) {
      berth_error_free(*err);
      *err = NULL;
      berth_error_set(err, BERTH_ERR_INVALID, 0, "%s", b->classic);
      api_job_set_error_code(j, b->exit_code);
    }
    return -1;
  }
  if (b->quiet) {
    api_job_emit(j, stream_line("%s\n", id));
    return 0;
  }
  api_job_emit(j, json_pack("{s:{s:s}}", "aux", "ID", id));
  api_job_emit(j, stream_line("Successfully built %.12s\n", id + 7));
  for (size_t i = 0; i < nt; i++) {
    _cleanup_free_ char *fam = api_familiar(tags[i]);
    api_job_emit(j, stream_line("Successfully tagged %s\n",
                                fam ? fam : tags[i]));
  }
  return 0;
}

/* ---- the request ---- */

/* t= (repeated): "name[:tag]" normalised as `berth build -t` does. */
static int add_tag(struct build_req *b, const char *t, berth_error **err) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(t, &ref, err) < 0)
    return berth_error_prefix(err, "invalid tag");
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  char *name = NULL;
  int rc = ref.digest ? berth_error_set(err, BERTH_ERR_INVALID, 0,
                                        "invalid tag `%s`: a name[:tag] "
                                        "without a digest expected",
                                        t)
           : !repo || asprintf(&name, "%s:%s", repo,
                               ref.tag ? ref.tag : "latest") < 0
               ? berth_error_sys(err, "allocate")
               : 0;
  berth_ref_free(&ref);
  if (rc == 0)
    json_array_append_new(b->tags, json_string(name));
  free(name);
  return rc;
}

/* buildargs= and labels=: a JSON object of strings; a null value (a
 * build arg named without a value) is left out, as Docker leaves it
 * unset. */
static int kv_param(struct api_req *r, const char *key, json_t *out,
                    berth_error **err) {
  const char *s = api_query(r, key);
  if (!s || !*s)
    return 0;
  json_error_t je;
  json_t *doc = json_loads(s, 0, &je);
  const char *k;
  json_t *v;
  int rc = json_is_object(doc) ? 0
           : berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s: a JSON object of strings expected", key);
  json_object_foreach(doc, k, v) {
    char *kv = NULL;
    if (rc == 0 && !json_is_null(v) && !json_is_string(v))
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s: the value of `%s` is not a string", key, k);
    else if (rc == 0 && json_is_string(v) &&
             asprintf(&kv, "%s=%s", k, json_string_value(v)) >= 0)
      json_array_append_new(out, json_string(kv));
    free(kv);
  }
  json_decref(doc);
  return rc;
}

static int dup_param(struct api_req *r, const char *key, char **out,
                     berth_error **err) {
  const char *s = api_query(r, key);
  if (s && *s && !(*out = strdup(s)))
    return berth_error_sys(err, "allocate");
  return 0;
}

/* pull= is a boolean, or (newer clients) a string: anything but "",
 * "0" and "false" asks for it. */
static bool pull_wanted(struct api_req *r) {
  const char *s = api_query(r, "pull");
  return s && *s && strcmp(s, "0") && strcasecmp(s, "false");
}

static int build_params(struct api_req *r, struct build_req *b,
                        berth_error **err) {
  /* version=2 asks for a BuildKit session, which berth does not serve
   * (/_ping says Builder-Version 1, so clients ask only when forced). */
  const char *version = api_query(r, "version");
  if (version && strcmp(version, "2") == 0)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "BuildKit (version=2) is not supported: use the "
                           "classic builder (version=1)");
  if (api_query(r, "remote") && *api_query(r, "remote"))
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "a remote build context is not supported: send "
                           "the context as a tar body");
  json_t *t = api_query_all(r, "t");
  size_t i;
  json_t *v;
  int rc = t ? 0 : berth_error_sys(err, "allocate");
  json_array_foreach(t, i, v) if (rc == 0) rc =
      add_tag(b, json_string_value(v), err);
  json_decref(t);
  if (rc == 0)
    rc = kv_param(r, "buildargs", b->args, err);
  if (rc == 0)
    rc = kv_param(r, "labels", b->labels, err);
  if (rc == 0)
    rc = api_query_bool(r, "nocache", false, &b->no_cache, err);
  if (rc == 0)
    rc = api_query_bool(r, "q", false, &b->quiet, err);
  const char *keys[] = {"dockerfile", "target", "platform", "networkmode"};
  char **outs[] = {&b->dockerfile, &b->target, &b->platform, &b->network};
  for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(keys); k++)
    rc = dup_param(r, keys[k], outs[k], err);
  b->pull = pull_wanted(r);
  if (rc == 0)
    rc = api_registry_config(r, &b->creds, err);
  return rc;
}

/* rm, forcerm: berth's builder always removes its containers, whether
 * the step worked or not; memory, cpu and cache-from options are
 * accepted and not applied. */
static int build(struct api_req *r) {
  berth_error *err = NULL;
  if (r->body_fd < 0)
    return api_reply_errorf(r, 400, "no build context in the request body");
  struct build_req *b = calloc(1, sizeof *b);
  if (!b)
    return api_reply_errorf(r, 500, "out of memory");
  b->tags = json_array();
  b->args = json_array();
  b->labels = json_array();
  b->body_fd = r->body_fd;
  if (build_params(r, b, &err) < 0) {
    build_req_free(b);
    return api_reply_error(r, err);
  }
  return api_job_run(r, build_job, b, build_req_free);
}

const struct api_route api_routes_build[] = {
    {"POST", "/build", build, API_BODY_FILE},
    {NULL, NULL, NULL, 0},
};
