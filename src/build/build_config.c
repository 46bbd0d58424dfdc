/* Instructions that change only the image's config: ENV, LABEL,
 * MAINTAINER, EXPOSE, VOLUME, USER, ENTRYPOINT, CMD, SHELL, STOPSIGNAL,
 * HEALTHCHECK, ONBUILD.  Each writes its history line as BuildKit does
 * (build_history.c) and changes r->config; the step image and the cache
 * are build_step.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_history.h"
#include "build_internal.h"
#include "cleanup.h"
#include "flags.h"
#include "json.h"
#include "signals.h"

typedef int (*config_fn)(struct stage_run *r, const struct berth_df_instr *in,
                         FILE *hist, berth_error **err);

static void strv_freep(char ***p) {
  berth_strv_free(*p);
}

/* Expanded words of args[from..] (each a raw word as written). */
static int expand_args(struct stage_run *r, const struct berth_df_instr *in,
                       size_t from, char ***out, berth_error **err) {
  char **v = calloc(in->n_args + 1, sizeof *v);
  if (!v)
    return berth_error_sys(err, "allocate");
  for (size_t i = from; i < in->n_args; i++)
    if (stage_expand(r, in->args[i], &v[i - from], err) < 0) {
      berth_strv_free(v);
      return -1;
    }
  *out = v;
  return 0;
}

static json_t *object_member(json_t *config, const char *key) {
  json_t *o = json_object_get(config, key);
  if (!json_is_object(o)) {
    o = json_object();
    json_object_set_new(config, key, o);
  }
  return o;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Labels, ExposedPorts and Volumes are maps in Docker's config, written
 * with their keys sorted: so here, for the same config text (and image
 * id) whatever order the Dockerfile gave them in. */
void config_sort_object(json_t *config, const char *key) {
  json_t *o = json_object_get(config, key);
  size_t n = json_object_size(o);
  if (n < 2)
    return;
  const char **keys = calloc(n, sizeof *keys);
  json_t *sorted = json_object();
  const char *k;
  json_t *v;
  size_t i = 0;
  if (!keys || !sorted) {
    free(keys);
    json_decref(sorted);
    return;
  }
  json_object_foreach(o, k, v) keys[i++] = k;
  qsort(keys, n, sizeof *keys, cmp_str);
  for (i = 0; i < n; i++)
    json_object_set(sorted, keys[i], json_object_get(o, keys[i]));
  free(keys);
  json_object_set_new(config, key, sorted);
}

int config_setenv(json_t *config, const char *k, const char *v,
                  berth_error **err) {
  struct slist env = {0};
  if (slist_from_json(&env, json_object_get(config, "Env"), err) < 0 ||
      slist_setenv(&env, k, v, err) < 0) {
    slist_free(&env);
    return -1;
  }
  json_object_set_new(config, "Env", slist_json(&env));
  slist_free(&env);
  return 0;
}

/* ENV and LABEL: all values are expanded with the variables as they were
 * before the instruction (`ENV a=1 b=$a` gives b the old a). */
static int key_values(struct stage_run *r, const struct berth_df_instr *in,
                      const char *what, FILE *hist, berth_error **err) {
  _cleanup_(strv_freep) char **x = NULL;
  if (expand_args(r, in, 0, &x, err) < 0)
    return -1;
  fputs(what, hist);
  bool env = strcmp(what, "ENV") == 0;
  for (size_t i = 0; i + 1 < in->n_args; i += 2) {
    if (!*x[i])
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "%s names can not be blank", what);
    fprintf(hist, " %s=%s", x[i], x[i + 1]);
    if (!env)
      json_object_set_new(object_member(r->config, "Labels"), x[i],
                          json_string(x[i + 1]));
    else if (config_setenv(r->config, x[i], x[i + 1], err) < 0 ||
             slist_setenv(&r->vars, x[i], x[i + 1], err) < 0)
      return -1;
  }
  return 0;
}

static int cfg_env(struct stage_run *r, const struct berth_df_instr *in,
                   FILE *hist, berth_error **err) {
  return key_values(r, in, "ENV", hist, err);
}

static int cfg_label(struct stage_run *r, const struct berth_df_instr *in,
                     FILE *hist, berth_error **err) {
  return key_values(r, in, "LABEL", hist, err);
}

static int cfg_maintainer(struct stage_run *r, const struct berth_df_instr *in,
                          FILE *hist, berth_error **err) {
  char *v = NULL;
  if (stage_expand(r, in->args[0], &v, err) < 0)
    return -1;
  free(r->author);
  r->author = v;
  fprintf(hist, "MAINTAINER %s", v);
  return 0;
}

static int cfg_user(struct stage_run *r, const struct berth_df_instr *in,
                    FILE *hist, berth_error **err) {
  _cleanup_free_ char *v = NULL;
  if (stage_expand(r, in->args[0], &v, err) < 0)
    return -1;
  json_object_set_new(r->config, "User", json_string(v));
  fprintf(hist, "USER %s", v);
  return 0;
}

static int cfg_stopsignal(struct stage_run *r,
                          const struct berth_df_instr *in, FILE *hist,
                          berth_error **err) {
  _cleanup_free_ char *v = NULL;
  if (stage_expand(r, in->args[0], &v, err) < 0)
    return -1;
  if (berth_signal_parse(v) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "Invalid signal: %s", v);
  json_object_set_new(r->config, "StopSignal", json_string(v));
  fprintf(hist, "STOPSIGNAL %s", v);
  return 0;
}

/* "80", "80/udp", "8000-8010/tcp": each port as Docker keys it. */
static int expose_one(const char *spec, json_t *ports, berth_error **err) {
  const char *slash = strchr(spec, '/');
  char proto[16] = "tcp";
  if (slash)
    snprintf(proto, sizeof proto, "%s", slash + 1);
  for (char *p = proto; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  char *end;
  errno = 0;
  unsigned long lo = strtoul(spec, &end, 10), hi = lo;
  if (end != spec && *end == '-')
    hi = strtoul(end + 1, &end, 10);
  bool bad = errno || end == spec || (*end && *end != '/') || lo < 1 ||
             hi > 65535 || hi < lo || strchr(spec, ':');
  if (bad || (strcmp(proto, "tcp") && strcmp(proto, "udp") &&
              strcmp(proto, "sctp")))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid containerPort: %s", spec);
  for (unsigned long p = lo; p <= hi; p++) {
    char key[32];
    snprintf(key, sizeof key, "%lu/%s", p, proto);
    json_object_set_new(ports, key, json_object());
  }
  return 0;
}

static int cfg_expose(struct stage_run *r, const struct berth_df_instr *in,
                      FILE *hist, berth_error **err) {
  json_t *ports = object_member(r->config, "ExposedPorts");
  json_t *now = json_object();
  for (size_t i = 0; i < in->n_args; i++) {
    _cleanup_(strv_freep) char **w = NULL;
    size_t n = 0;
    if (stage_expand_words(r, in->args[i], &w, &n, err) < 0)
      goto fail;
    for (size_t k = 0; k < n; k++)
      if (expose_one(w[k], now, err) < 0)
        goto fail;
  }
  json_object_update(ports, now);
  /* %v of a Go map prints its keys sorted. */
  struct slist keys = {0};
  const char *key;
  json_t *v;
  json_object_foreach(now, key, v) {
    if (slist_add(&keys, key, err) < 0) {
      slist_free(&keys);
      goto fail;
    }
  }
  if (keys.n)
    qsort(keys.v, keys.n, sizeof *keys.v, cmp_str);
  fputs("EXPOSE map[", hist);
  for (size_t i = 0; i < keys.n; i++)
    fprintf(hist, "%s%s:{}", i ? " " : "", keys.v[i]);
  slist_free(&keys);
  fputc(']', hist);
  json_decref(now);
  return 0;
fail:
  json_decref(now);
  return -1;
}

static int cfg_volume(struct stage_run *r, const struct berth_df_instr *in,
                      FILE *hist, berth_error **err) {
  struct slist vols = {0};
  int rc = 0;
  /* Each operand is one word, in either form (Docker's). */
  for (size_t i = 0; rc == 0 && i < in->n_args; i++) {
    _cleanup_free_ char *w = NULL;
    rc = stage_expand(r, in->args[i], &w, err);
    if (rc == 0)
      rc = *w ? slist_add(&vols, w, err)
              : berth_error_set(err, BERTH_ERR_INVALID, 0,
                                "VOLUME specified can not be an empty "
                                "string");
  }
  json_t *obj = object_member(r->config, "Volumes");
  for (size_t i = 0; rc == 0 && i < vols.n; i++)
    json_object_set_new(obj, vols.v[i], json_object());
  if (rc == 0) {
    fputs("VOLUME ", hist);
    go_plain_list(hist, vols.v, vols.n);
  }
  slist_free(&vols);
  return rc;
}

int stage_with_shell(struct stage_run *r, const char *cmd, struct slist *out,
                     berth_error **err) {
  json_t *sh = json_object_get(r->config, "Shell");
  if (json_array_size(sh) > 0) {
    if (slist_from_json(out, sh, err) < 0)
      return -1;
  } else if (slist_add(out, "/bin/sh", err) < 0 ||
             slist_add(out, "-c", err) < 0) {
    return -1;
  }
  return slist_add(out, cmd, err);
}

/* CMD and ENTRYPOINT: the exec form as written, the shell form wrapped
 * in the stage's SHELL; neither is expanded (the program's shell does). */
static int command_of(struct stage_run *r, const struct berth_df_instr *in,
                      struct slist *out, berth_error **err) {
  if (!in->json)
    return stage_with_shell(r, in->n_args ? in->args[0] : "", out, err);
  for (size_t i = 0; i < in->n_args; i++)
    if (slist_add(out, in->args[i], err) < 0)
      return -1;
  return 0;
}

static int cfg_command(struct stage_run *r, const struct berth_df_instr *in,
                       FILE *hist, berth_error **err) {
  struct slist c = {0};
  if (command_of(r, in, &c, err) < 0) {
    slist_free(&c);
    return -1;
  }
  bool ep = in->cmd == BERTH_DF_ENTRYPOINT;
  json_object_set_new(r->config, ep ? "Entrypoint" : "Cmd", slist_json(&c));
  if (!ep) {
    r->cmd_set = true;
    /* BuildKit marks every CMD so (a Windows flag Docker still shows). */
    json_object_set_new(r->config, "ArgsEscaped", json_true());
  } else if (!r->cmd_set) {
    /* An ENTRYPOINT drops the base image's CMD, not this stage's. */
    json_object_del(r->config, "Cmd");
  }
  fputs(ep ? "ENTRYPOINT " : "CMD ", hist);
  go_quote_list(hist, c.v, c.n);
  slist_free(&c);
  return 0;
}

static int cfg_shell(struct stage_run *r, const struct berth_df_instr *in,
                     FILE *hist, berth_error **err) {
  if (!in->json || in->n_args == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "SHELL requires the arguments to be in JSON form");
  json_t *a = json_array();
  for (size_t i = 0; i < in->n_args; i++)
    json_array_append_new(a, json_string(in->args[i]));
  json_object_set_new(r->config, "Shell", a);
  fputs("SHELL ", hist);
  go_plain_list(hist, in->args, in->n_args);
  return 0;
}

static int cfg_onbuild(struct stage_run *r, const struct berth_df_instr *in,
                       FILE *hist, berth_error **err) {
  (void)hist;
  (void)err;
  json_t *ob = json_object_get(r->config, "OnBuild");
  if (!json_is_array(ob)) {
    ob = json_array();
    json_object_set_new(r->config, "OnBuild", ob);
  }
  json_array_append_new(ob, json_string(in->args[0]));
  return 0;
}

/* HEALTHCHECK's duration flags: 0 (the default) or at least 1ms. */
static int health_duration(const struct berth_df_instr *in, const char *flag,
                           const char *field, json_t *h, int64_t *ns,
                           berth_error **err) {
  const char *v = berth_df_flag(in, flag, NULL);
  *ns = 0;
  if (!v)
    return 0;
  char name[32];
  snprintf(name, sizeof name, "--%s", flag);
  if (berth_parse_duration(name, v, ns, err) < 0)
    return -1;
  if (*ns != 0 && *ns < 1000000)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s cannot be less than 1ms", name);
  if (*ns)
    json_object_set_new(h, field, json_integer(*ns));
  return 0;
}

static int health_retries(const struct berth_df_instr *in, json_t *h,
                          int64_t *n, berth_error **err) {
  const char *v = berth_df_flag(in, "retries", NULL);
  *n = 0;
  if (!v)
    return 0;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || end == v || *end)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --retries `%s`", v);
  if (x < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "--retries cannot be negative (%lld)", x);
  *n = x;
  if (x)
    json_object_set_new(h, "Retries", json_integer(x));
  return 0;
}

/* BuildKit's %q of the config struct: &{["CMD-SHELL" "x"] "5s" "0s"
 * "0s" "0s" '\x03'}. */
static void health_history(FILE *hist, const struct slist *test,
                           const int64_t d[4], int64_t retries) {
  fputs("HEALTHCHECK &{", hist);
  go_quote_list(hist, test->v, test->n);
  for (size_t i = 0; i < 4; i++) {
    fputs(" \"", hist);
    go_duration(hist, d[i]);
    fputc('"', hist);
  }
  fputc(' ', hist);
  go_quote_rune(hist, retries);
  fputc('}', hist);
}

static int cfg_healthcheck(struct stage_run *r,
                           const struct berth_df_instr *in, FILE *hist,
                           berth_error **err) {
  struct slist test = {0};
  bool none = in->n_args >= 1 && strcasecmp(in->args[0], "NONE") == 0;
  int rc = slist_add(&test, none ? "NONE"
                              : in->json ? "CMD" : "CMD-SHELL", err);
  for (size_t i = 1; rc == 0 && !none && i < in->n_args; i++)
    rc = slist_add(&test, in->args[i], err);
  json_t *h = json_pack("{s:o}", "Test", slist_json(&test));
  const char *flags[] = {"interval", "timeout", "start-period",
                         "start-interval"};
  const char *fields[] = {"Interval", "Timeout", "StartPeriod",
                          "StartInterval"};
  int64_t d[4] = {0}, retries = 0;
  for (size_t i = 0; rc == 0 && !none && i < 4; i++)
    rc = health_duration(in, flags[i], fields[i], h, &d[i], err);
  if (rc == 0 && !none)
    rc = health_retries(in, h, &retries, err);
  if (rc == 0) {
    json_object_set(r->config, "Healthcheck", h);
    health_history(hist, &test, d, retries);
  }
  json_decref(h);
  slist_free(&test);
  return rc;
}

static config_fn config_fn_of(enum berth_df_cmd cmd) {
  switch (cmd) {
  case BERTH_DF_ENV: return cfg_env;
  case BERTH_DF_LABEL: return cfg_label;
  case BERTH_DF_MAINTAINER: return cfg_maintainer;
  case BERTH_DF_EXPOSE: return cfg_expose;
  case BERTH_DF_VOLUME: return cfg_volume;
  case BERTH_DF_USER: return cfg_user;
  case BERTH_DF_ENTRYPOINT:
  case BERTH_DF_CMD: return cfg_command;
  case BERTH_DF_SHELL: return cfg_shell;
  case BERTH_DF_STOPSIGNAL: return cfg_stopsignal;
  case BERTH_DF_HEALTHCHECK: return cfg_healthcheck;
  case BERTH_DF_ONBUILD: return cfg_onbuild;
  default: return NULL;
  }
}

int stage_config_instr(struct stage_run *r, const struct berth_df_instr *in,
                       struct slist *key, char **created_by,
                       berth_error **err) {
  config_fn fn = config_fn_of(in->cmd);
  if (!fn)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s is not a configuration instruction",
                           berth_df_cmd_name(in->cmd));
  char *hist = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&hist, &len);
  if (!f)
    return berth_error_sys(err, "allocate");
  int rc = fn(r, in, f, err);
  config_sort_object(r->config, "Labels");
  config_sort_object(r->config, "ExposedPorts");
  config_sort_object(r->config, "Volumes");
  if (fclose(f) != 0 && rc == 0)
    rc = berth_error_sys(err, "allocate");
  if (rc == 0)
    rc = slist_add(key, in->cmd == BERTH_DF_ONBUILD ? in->args[0] : hist,
                     err);
  if (rc < 0 || in->cmd == BERTH_DF_ONBUILD) {
    /* ONBUILD leaves no history entry in BuildKit's images. */
    free(hist);
    hist = NULL;
  }
  *created_by = hist;
  return rc;
}
