/* ARG: build arguments, their scopes and defaults, as Docker's builder
 * has them.
 *
 * --build-arg values exist only where an ARG declares them: an ARG before
 * the first FROM is global and may be used in FROM lines; inside a stage
 * an ARG makes the value (the build arg's, else the default, else for a
 * bare `ARG NAME` the global one) visible to the following instructions
 * and to RUN's environment, never to the image's config.  The proxy
 * variables are predefined: given as build args they reach RUN without
 * an ARG, and stay out of the history and the cache key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"

static const char *const proxy_args[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};

bool build_is_proxy_arg(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(proxy_args); i++)
    if (strcmp(name, proxy_args[i]) == 0)
      return true;
  return false;
}

static const char *env_value(char *const *envp, const char *k) {
  size_t kl = strlen(k);
  for (size_t i = 0; envp && envp[i]; i++)
    if (strncmp(envp[i], k, kl) == 0 && envp[i][kl] == '=')
      return envp[i] + kl + 1;
  return NULL;
}

/* --build-arg K=V, or K for the value of K in the environment (left out
 * when the environment has none, as Docker's CLI does). */
int build_args_init(struct build *b, berth_error **err) {
  for (size_t i = 0; i < b->o->n_build_args; i++) {
    const char *a = b->o->build_args[i];
    const char *eq = strchr(a, '=');
    if (eq == a || !*a)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --build-arg `%s`: KEY=VALUE expected",
                             a);
    if (eq) {
      _cleanup_free_ char *k = strndup(a, (size_t)(eq - a));
      if (!k || slist_setenv(&b->bargs, k, eq + 1, err) < 0)
        return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
      continue;
    }
    const char *v = env_value(b->e->envp, a);
    if (v && slist_setenv(&b->bargs, a, v, err) < 0)
      return -1;
  }
  b->barg_used = calloc(b->bargs.n + 1, sizeof(bool));
  if (!b->barg_used)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  const char *sde = slist_getenv(&b->bargs, "SOURCE_DATE_EPOCH");
  b->epoch = -1;
  if (sde && *sde) {
    char *end;
    errno = 0;
    long long v = strtoll(sde, &end, 10);
    if (errno || *end || v < 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid SOURCE_DATE_EPOCH `%s`: seconds since "
                             "the epoch expected", sde);
    b->epoch = v;
  }
  return 0;
}

/* The build arg's value (marking it consumed), NULL when not given. */
const char *build_arg_given(struct build *b, const char *name) {
  for (size_t i = b->bargs.n; i-- > 0;) {
    const char *s = b->bargs.v[i];
    size_t kl = strlen(name);
    if (strncmp(s, name, kl) == 0 && s[kl] == '=') {
      b->barg_used[i] = true;
      return s + kl + 1;
    }
  }
  return NULL;
}

/* The platform ARGs BuildKit defines in the global scope. */
int build_global_defaults(struct build *b, berth_error **err) {
  const char *v = b->variant ? b->variant : "";
  const char *kinds[] = {"BUILD", "TARGET"};
  for (size_t i = 0; i < 2; i++)
    if (slist_addf(&b->global, err, "%sPLATFORM=%s", kinds[i],
                     b->platform) < 0 ||
        slist_addf(&b->global, err, "%sOS=%s", kinds[i], b->os) < 0 ||
        slist_addf(&b->global, err, "%sARCH=%s", kinds[i], b->arch) < 0 ||
        slist_addf(&b->global, err, "%sVARIANT=%s", kinds[i], v) < 0)
      return -1;
  return 0;
}

/* One "NAME[=default]" word: its name and its value in this scope. */
static int arg_word(struct build *b, struct stage_run *r, const char *word,
                    char **name, char **value, berth_error **err) {
  const char *eq = strchr(word, '=');
  *name = eq ? strndup(word, (size_t)(eq - word)) : strdup(word);
  *value = NULL;
  if (!*name)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "allocate");
  if (!**name)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "ARG requires a name: `%s`", word);
  const char *given = build_arg_given(b, *name);
  if (given)
    return (*value = strdup(given)) ? 0 : berth_error_sys(err, "allocate");
  if (eq) {
    struct berth_word_env env = slist_env(r ? &r->vars : &b->global);
    return berth_word_expand(eq + 1, b->df.escape, &env, value, err);
  }
  /* A bare ARG in a stage takes the global ARG's value. */
  const char *global = r ? slist_getenv(&b->global, *name) : NULL;
  if (global && !(*value = strdup(global)))
    return berth_error_sys(err, "allocate");
  return 0;
}

static int declare(struct build *b, struct stage_run *r, const char *name,
                   const char *value, berth_error **err) {
  if (!r)
    return value ? slist_setenv(&b->global, name, value, err) : 0;
  if (value && slist_setenv(&r->vars, name, value, err) < 0)
    return -1;
  return value ? slist_addf(&r->args, err, "%s=%s", name, value)
               : slist_add(&r->args, name, err);
}

int build_arg_instr(struct build *b, struct stage_run *r,
                    const struct berth_df_instr *in, struct slist *key,
                    char **created_by, berth_error **err) {
  _cleanup_free_ char *hist = strdup("ARG");
  for (size_t i = 0; hist && i < in->n_args; i++) {
    _cleanup_free_ char *name = NULL, *value = NULL;
    if (arg_word(b, r, in->args[i], &name, &value, err) < 0 ||
        declare(b, r, name, value, err) < 0)
      return -1;
    char *h = NULL;
    if (asprintf(&h, "%s %s%s%s", hist, name, value ? "=" : "",
                 value ? value : "") < 0)
      return berth_error_sys(err, "allocate");
    free(hist);
    hist = h;
    if (key && slist_add(key, h + strlen("ARG "), err) < 0)
      return -1;
  }
  if (!hist)
    return berth_error_sys(err, "allocate");
  if (created_by)
    *created_by = steal_pointer(&hist);
  return 0;
}

/* Docker's warning for build args no ARG of the built stages (or of the
 * global scope) declared; the predefined ones never count. */
void build_args_warn_unused(struct build *b) {
  _cleanup_free_ char *list = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&list, &len);
  if (!f)
    return;
  int n = 0;
  for (size_t i = 0; i < b->bargs.n; i++) {
    const char *s = b->bargs.v[i];
    size_t kl = strcspn(s, "=");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)kl, s);
    if (b->barg_used[i] || build_is_proxy_arg(name) ||
        strcmp(name, "SOURCE_DATE_EPOCH") == 0)
      continue;
    fprintf(f, "%s%s", n++ ? " " : "", name);
  }
  fclose(f);
  if (n)
    build_msgf(b, 0, "[Warning] One or more build-args [%s] were not "
                     "consumed", list);
}
