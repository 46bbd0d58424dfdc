/* Drives berth_build_copy (src/build/copy_step.c) from the command line,
 * for tests/integration/build/copy_step.bats, without the executor:
 *
 *   copystep ROOT CONTAINER [--add] [--context DIR] [--from CONTAINER2]
 *            [--scratch] [--workdir DIR] [--chown SPEC] [--chmod MODE]
 *            [--heredoc NAME=BODY]... SRC... DEST
 *
 * CONTAINER must be created, not started.  Sources are context patterns
 * (expanded with berth_context_sources, as the executor does) unless
 * --from names a container whose image is the source tree (--scratch:
 * an empty one).  Errors: the message on stderr, exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "context.h"
#include "copy_step.h"
#include "engine.h"
#include "rootfs_access.h"

extern char **environ;

struct args {
  struct berth_copy_req req;
  const char *context, *from;
  char **words; /* the sources as given, then DEST */
  size_t n_words;
  struct berth_df_heredoc docs[8];
};

static void usage(void) {
  fprintf(stderr, "usage: copystep ROOT CONTAINER [options] SRC... DEST\n");
  exit(2);
}

static void heredoc_arg(struct args *a, char *v) {
  char *eq = strchr(v, '=');
  if (!eq || a->req.n_heredocs == 8)
    usage();
  *eq = 0;
  a->docs[a->req.n_heredocs++] = (struct berth_df_heredoc){v, eq + 1, true};
}

static void parse(struct args *a, int argc, char **argv) {
  int i = 3;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    const char *o = argv[i];
    char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(o, "--add") == 0)
      a->req.add = true;
    else if (strcmp(o, "--scratch") == 0)
      a->req.from = true;
    else if (!v)
      usage();
    else if (strcmp(o, "--context") == 0)
      a->context = v, i++;
    else if (strcmp(o, "--from") == 0)
      a->from = v, a->req.from = true, i++;
    else if (strcmp(o, "--workdir") == 0)
      a->req.workdir = v, i++;
    else if (strcmp(o, "--chown") == 0)
      a->req.chown = v, i++;
    else if (strcmp(o, "--chmod") == 0)
      a->req.chmod = v, i++;
    else if (strcmp(o, "--heredoc") == 0)
      heredoc_arg(a, v), i++;
    else
      usage();
  }
  if (i >= argc)
    usage();
  a->words = argv + i;
  a->n_words = (size_t)(argc - i);
  a->req.dest = argv[argc - 1];
  a->req.heredocs = a->docs;
}

/* The context's sources, each pattern expanded as the executor does. */
static int context_srcs(struct args *a, struct berth_context **ctx,
                        char ***all, berth_error **err) {
  if (berth_context_open_dir(a->context, NULL, ctx, err) < 0)
    return -1;
  size_t total = 0;
  *all = calloc(1, sizeof(char *));
  for (size_t i = 0; i + 1 < a->n_words; i++) {
    char **got;
    size_t n;
    if (berth_copy_src_is_url(a->words[i]))
      got = calloc(2, sizeof(char *)), got[0] = strdup(a->words[i]), n = 1;
    else if (berth_context_sources(*ctx, a->words[i], &got, &n, err) < 0)
      return -1;
    *all = realloc(*all, (total + n + 1) * sizeof(char *));
    memcpy(*all + total, got, n * sizeof(char *));
    total += n;
    (*all)[total] = NULL;
    free(got);
  }
  a->req.ctx = *ctx;
  a->req.srcs = *all;
  a->req.n_srcs = total;
  return 0;
}

static int from_chain(struct berth_engine *e, struct args *a,
                      berth_error **err) {
  a->req.srcs = a->words;
  a->req.n_srcs = a->n_words - 1;
  if (!a->from)
    return 0;
  struct berth_ctr *c = NULL;
  char **chain;
  if (berth_ctr_find(e->db, a->from, &c, err) < 0 ||
      berth_ctr_image_chain(e, c, &chain, &a->req.n_from_chain, err) < 0)
    return -1;
  a->req.from_chain = chain;
  berth_ctr_free(c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4)
    usage();
  struct args a = {0};
  parse(&a, argc, argv);
  berth_error *err = NULL;
  struct berth_engine *e = NULL;
  struct berth_context *ctx = NULL;
  char **srcs = NULL;
  int rc = berth_engine_open(argv[1], environ, &e, &err);
  if (rc == 0 && a.req.from)
    rc = from_chain(e, &a, &err);
  else if (rc == 0 && a.context)
    rc = context_srcs(&a, &ctx, &srcs, &err);
  if (rc == 0)
    rc = berth_build_copy(e, argv[2], &a.req, &err);
  if (rc < 0)
    fprintf(stderr, "copystep: %s\n", err && err->msg ? err->msg : "failed");
  berth_error_free(err);
  return rc < 0 ? 1 : 0;
}
