/* Stand-ins for the parts of src/build/context.h that copy_step.c and the
 * copystep driver use, while src/build/context.c (written in parallel)
 * is missing: tests/build/meson.build compiles this file only then.
 * Plain paths only, no glob patterns; .dockerignore lines are plain
 * paths too (a line also covers what is below it, `!` re-includes, the
 * last matching line decides), which Docker treats the same way. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "context.h"
#include "fs.h"

struct berth_ignore {
  char **lines;
  size_t n;
};

int berth_ignore_parse(const char *text, size_t len, struct berth_ignore **out,
                       berth_error **err) {
  struct berth_ignore *ig = calloc(1, sizeof *ig);
  char *copy = strndup(text, len), *save = NULL;
  if (!ig || !copy)
    return berth_error_sys(err, "allocate");
  for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (!*l || *l == '#')
      continue;
    ig->lines = realloc(ig->lines, (ig->n + 1) * sizeof(char *));
    ig->lines[ig->n++] = strdup(l);
  }
  free(copy);
  *out = ig;
  return 0;
}

void berth_ignore_free(struct berth_ignore *ig) {
  for (size_t i = 0; ig && i < ig->n; i++)
    free(ig->lines[i]);
  if (ig)
    free(ig->lines);
  free(ig);
}

bool berth_ignore_match(const struct berth_ignore *ig, const char *rel) {
  bool ignored = false;
  for (size_t i = 0; i < ig->n; i++) {
    const char *p = ig->lines[i] + (ig->lines[i][0] == '!');
    size_t n = strlen(p);
    if (strncmp(rel, p, n) == 0 && (rel[n] == 0 || rel[n] == '/'))
      ignored = ig->lines[i][0] != '!';
  }
  return ignored;
}

bool berth_context_ignored(const struct berth_context *ctx, const char *rel) {
  return ctx->ignore && berth_ignore_match(ctx->ignore, rel);
}

int berth_context_open_dir(const char *dir, const char *dockerfile,
                           struct berth_context **out, berth_error **err) {
  (void)dockerfile;
  struct berth_context *c = calloc(1, sizeof *c);
  if (!c || !(c->dir = strdup(dir)))
    return berth_error_sys(err, "allocate");
  c->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->dir_fd < 0)
    return berth_error_sys(err, "open `%s`", dir);
  char *text = NULL;
  size_t len;
  if (berth_read_file(c->dir_fd, ".dockerignore", 1 << 20, &text, &len,
                      NULL) == 0 &&
      berth_ignore_parse(text, len, &c->ignore, err) < 0)
    return -1;
  free(text);
  *out = c;
  return 0;
}

void berth_context_free(struct berth_context *ctx) {
  if (!ctx)
    return;
  close(ctx->dir_fd);
  berth_ignore_free(ctx->ignore);
  free(ctx->dir);
  free(ctx);
}

/* A plain path, cleaned of leading slashes, that must exist. */
static int literal(int root_fd, const char *pattern, unsigned long long res,
                   char ***out, size_t *n, berth_error **err) {
  while (*pattern == '/')
    pattern++;
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = res};
  int fd = (int)syscall(SYS_openat2, root_fd, *pattern ? pattern : ".", &how,
                        sizeof how);
  if (fd < 0)
    return berth_error_set(err, errno == EXDEV ? BERTH_ERR_INVALID
                                               : BERTH_ERR_NOT_FOUND,
                           0, "\"%s\": not found", pattern);
  close(fd);
  *out = calloc(2, sizeof(char *));
  (*out)[0] = strdup(*pattern ? pattern : ".");
  *n = 1;
  return 0;
}

int berth_context_sources(const struct berth_context *ctx, const char *pattern,
                          char ***out, size_t *n, berth_error **err) {
  return literal(ctx->dir_fd, pattern, RESOLVE_BENEATH, out, n, err);
}

int berth_glob_at(int root_fd, const char *pattern, char ***out, size_t *n,
                  berth_error **err) {
  return literal(root_fd, pattern, RESOLVE_IN_ROOT, out, n, err);
}
