/* Where a registry's credentials and CA come from (see the header). */
#include "registry_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const default_certs_dirs[] = {
    "/etc/containers/certs.d", "/etc/docker/certs.d", NULL};

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Docker's own file: $DOCKER_CONFIG/config.json or ~/.docker/. */
static char *docker_config(void) {
  char *path = NULL;
  const char *dir = env("DOCKER_CONFIG");
  int n = dir ? asprintf(&path, "%s/config.json", dir)
              : asprintf(&path, "%s/.docker/config.json",
                         env("HOME") ? env("HOME") : "/root");
  return n < 0 ? NULL : path;
}

/* Adds a path to the NULL-terminated list (owned: freed with s). */
static int add_file(struct berth_registry_setup *s, char *path) {
  size_t n = 0;
  while (s->auth_files[n])
    n++;
  if (!path || n + 1 >= ARRAY_SIZE(s->auth_files))
    return -1;
  s->owned[n] = path;
  s->auth_files[n] = path;
  return 0;
}

static int auth_files(struct berth_registry_setup *s,
                      const struct berth_registry_flags *f) {
  if (f->authfile)
    return add_file(s, strdup(f->authfile));
  char *runtime = NULL;
  if (env("REGISTRY_AUTH_FILE") &&
      add_file(s, strdup(env("REGISTRY_AUTH_FILE"))) < 0)
    return -1;
  if (env("XDG_RUNTIME_DIR") &&
      (asprintf(&runtime, "%s/containers/auth.json",
                env("XDG_RUNTIME_DIR")) < 0 ||
       add_file(s, runtime) < 0))
    return -1;
  return add_file(s, docker_config());
}

/* A registry name becomes a directory name under certs.d. */
static int check_name(const char *registry, berth_error **err) {
  if (!registry || !*registry || strchr(registry, '/') ||
      strcmp(registry, ".") == 0 || strcmp(registry, "..") == 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid registry name `%s`",
                           registry ? registry : "");
  return 0;
}

/* The CA file for the registry, or NULL (*ok false on ENOMEM). */
static char *ca_file(const char *registry,
                     const struct berth_registry_flags *f, bool *ok) {
  char *path = NULL;
  *ok = true;
  if (f->cert_dir) {
    *ok = asprintf(&path, "%s/ca.crt", f->cert_dir) >= 0;
    return *ok ? path : NULL;
  }
  const char *const *dirs = f->certs_dirs ? f->certs_dirs
                                          : default_certs_dirs;
  for (size_t i = 0; dirs[i]; i++) {
    if (asprintf(&path, "%s/%s/ca.crt", dirs[i], registry) < 0) {
      *ok = false;
      return NULL;
    }
    if (access(path, R_OK) == 0)
      return path;
    free(path);
  }
  return NULL;
}

/* Tests and slow links tune these without new flags. */
static void env_tuning(struct berth_registry_opts *o) {
  const char *v = env("BERTH_REGISTRY_TIMEOUT");
  if (v && atol(v) > 0)
    o->stall_timeout_s = atol(v);
  v = env("BERTH_REGISTRY_RETRIES");
  if (v)
    o->retries = atoi(v) > 0 ? atoi(v) : -1;
}

int berth_registry_options_for(const char *registry,
                               const struct berth_registry_flags *flags,
                               struct berth_registry_setup *out,
                               berth_error **err) {
  static const struct berth_registry_flags none;
  const struct berth_registry_flags *f = flags ? flags : &none;
  memset(out, 0, sizeof *out);
  if (check_name(registry, err) < 0)
    return -1;
  bool ok;
  char *ca = ca_file(registry, f, &ok);
  if (!ok || auth_files(out, f) < 0) {
    free(ca);
    berth_registry_setup_free(out);
    return berth_error_sys(err, "allocate");
  }
  out->owned[ARRAY_SIZE(out->owned) - 1] = ca;
  out->opts.ca_file = ca;
  out->opts.auth_files = out->auth_files;
  out->opts.insecure = f->insecure;
  out->opts.username = f->username;
  out->opts.password = f->password;
  env_tuning(&out->opts);
  return 0;
}

void berth_registry_setup_free(struct berth_registry_setup *s) {
  for (size_t i = 0; i < ARRAY_SIZE(s->owned); i++)
    free(s->owned[i]);
  memset(s, 0, sizeof *s);
}

char *berth_registry_login_file(const struct berth_registry_flags *f) {
  if (f && f->authfile)
    return strdup(f->authfile);
  if (env("REGISTRY_AUTH_FILE"))
    return strdup(env("REGISTRY_AUTH_FILE"));
  return docker_config();
}

void berth_registry_login_name(const char *arg, char *out, size_t len) {
  const char *p = strstr(arg, "://");
  p = p ? p + 3 : arg;
  snprintf(out, len, "%.*s", (int)strcspn(p, "/"), p);
  if (strcmp(out, "index.docker.io") == 0 ||
      strcmp(out, "registry-1.docker.io") == 0)
    snprintf(out, len, "docker.io");
}
