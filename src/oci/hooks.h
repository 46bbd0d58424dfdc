/* OCI hooks: each is run with the container state JSON on stdin, its own
 * args and env, and an optional timeout after which it is killed. */
#ifndef BERTH_OCI_HOOKS_H
#define BERTH_OCI_HOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum berth_hook_kind {
  BERTH_HOOK_PRESTART,
  BERTH_HOOK_CREATE_RUNTIME,
  BERTH_HOOK_CREATE_CONTAINER,
  BERTH_HOOK_START_CONTAINER,
  BERTH_HOOK_POSTSTART,
  BERTH_HOOK_POSTSTOP,
  BERTH_HOOK_COUNT
};

struct berth_hook {
  char *path;  /* absolute */
  char **args; /* NULL-terminated or NULL (then argv = {path}) */
  char **env;  /* NULL-terminated or NULL (empty environment) */
  int timeout; /* seconds; 0: none */
};

struct berth_hooks {
  struct berth_hook *list[BERTH_HOOK_COUNT];
  size_t n[BERTH_HOOK_COUNT];
};

int berth_hooks_parse(json_t *hooks, const char *path, struct berth_hooks *out,
                      berth_error **err);
void berth_hooks_free(struct berth_hooks *h);
/* Runs every hook of `kind` in order; stops at the first failure (non-zero
 * exit, signal, timeout) with an error naming the hook and its index. */
int berth_hooks_run(const struct berth_hooks *h, enum berth_hook_kind kind,
                    const char *state_json, berth_error **err);
/* Runs every hook of `kind` even when an earlier one fails, as the spec
 * asks of poststart and poststop hooks ("If any poststart hook fails, the
 * runtime MUST log a warning, but the remaining hooks and lifecycle
 * continue as if the hook had succeeded"): each failure goes to `warn`
 * (which owns it; NULL drops it). */
void berth_hooks_run_each(const struct berth_hooks *h,
                          enum berth_hook_kind kind, const char *state_json,
                          void (*warn)(void *arg, berth_error *w), void *arg);
/* "prestart", "createRuntime", ... */
const char *berth_hook_kind_name(enum berth_hook_kind kind);

#endif
