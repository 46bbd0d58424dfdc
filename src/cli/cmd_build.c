/* berth build (and `image build`): flags into berth_build's options, its
 * progress printed as BuildKit's plain output on stderr.
 *
 * Exit statuses, as `docker build`: 125 for a usage error (a bad flag, a
 * bad -t name, no context), 1 when the build fails (a Dockerfile error,
 * a failed RUN, a missing source, an engine error), 0 on success. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "build.h"
#include "cleanup.h"
#include "reference.h"

struct build_flags {
  struct strlist tags, build_args, labels;
  const char *file, *target, *platform, *network, *iidfile, *progress;
  bool no_cache, pull, quiet;
};

#define BUILD_OPTS(f)                                                         \
  {"tag,t", OPT_LIST, &(f).tags, NULL,                                        \
   "Name and optionally a tag (format: \"name:tag\")"},                       \
  {"file,f", OPT_STRING, &(f).file, NULL,                                     \
   "Name of the Dockerfile (default: \"PATH/Dockerfile\")"},                  \
  {"build-arg", OPT_LIST, &(f).build_args, NULL, "Set build-time variables"}, \
  {"target", OPT_STRING, &(f).target, NULL,                                   \
   "Set the target build stage to build"},                                    \
  {"no-cache", OPT_BOOL, &(f).no_cache, NULL,                                 \
   "Do not use cache when building the image"},                               \
  {"pull", OPT_BOOL, &(f).pull, NULL,                                         \
   "Always attempt to pull all referenced images"},                           \
  {"label", OPT_LIST, &(f).labels, NULL, "Set metadata for an image"},        \
  {"platform", OPT_STRING, &(f).platform, NULL,                               \
   "Set target platform for build"},                                          \
  {"network", OPT_STRING, &(f).network, NULL,                                 \
   "Set the networking mode for the \"RUN\" instructions during build "       \
   "(default \"default\")"},                                                  \
  {"quiet,q", OPT_BOOL, &(f).quiet, NULL,                                     \
   "Suppress the build output and print image ID on success"},                \
  {"iidfile", OPT_STRING, &(f).iidfile, NULL,                                 \
   "Write the image ID to a file"},                                           \
  {"progress", OPT_STRING, &(f).progress, NULL,                               \
   "Set type of progress output (\"auto\", \"plain\", \"tty\", \"quiet\"). " \
   "Use plain to show container output (default \"auto\")"}

/* Set by SIGINT, SIGTERM or SIGHUP: the build stops and removes its
 * container instead of dying with it. */
static volatile sig_atomic_t canceled;

static void on_signal(int sig) {
  (void)sig;
  canceled = 1;
}

static void catch_signals(void) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: the wait for a RUN's exit wakes up at once. */
  int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
    sigaction(sigs[i], &sa, NULL);
}

struct plain {
  bool quiet;
  bool started;
};

/* BuildKit's plain progress: "#N [stage i/n] RUN x", "#N 0.123 output",
 * "#N CACHED", "#N DONE 0.3s", "#N ERROR: ...", a blank line between
 * steps. */
static void print_event(void *arg, const struct berth_build_event *ev) {
  struct plain *p = arg;
  if (p->quiet)
    return;
  switch (ev->kind) {
  case BERTH_BUILD_STEP:
    fprintf(stderr, "%s#%d %.*s\n", p->started ? "\n" : "", ev->n,
            (int)ev->len, ev->text);
    p->started = true;
    break;
  case BERTH_BUILD_CACHED:
    fprintf(stderr, "#%d CACHED\n", ev->n);
    break;
  case BERTH_BUILD_OUTPUT:
    fprintf(stderr, "#%d %.3f %.*s\n", ev->n, ev->seconds, (int)ev->len,
            ev->text);
    break;
  case BERTH_BUILD_DONE:
    fprintf(stderr, "#%d DONE %.1fs\n", ev->n, ev->seconds);
    break;
  case BERTH_BUILD_ERROR:
    fprintf(stderr, "#%d ERROR: %.*s\n", ev->n, (int)ev->len, ev->text);
    break;
  case BERTH_BUILD_MESSAGE:
    if (ev->n)
      fprintf(stderr, "#%d %.*s\n", ev->n, (int)ev->len, ev->text);
    else
      fprintf(stderr, "%s%.*s\n", p->started ? "\n" : "", (int)ev->len,
              ev->text);
    break;
  }
}

/* -t NAME[:TAG] normalised as `berth tag` does ("docker.io/library/x:y"). */
static int normalise_tags(const struct strlist *in, char **out) {
  for (size_t i = 0; i < in->n; i++) {
    struct berth_ref ref = {0};
    berth_error *err = NULL;
    if (berth_ref_parse(in->items[i], &ref, &err) < 0) {
      berth_error_prefix(&err, "invalid tag");
      return cli_prefixed_error("build", err, EXIT_USAGE) ? -1 : -1;
    }
    _cleanup_free_ char *repo = berth_ref_repository(&ref);
    bool digest = ref.digest != NULL;
    int rc = !digest && repo
                 ? asprintf(&out[i], "%s:%s", repo,
                            ref.tag ? ref.tag : "latest")
                 : -1;
    berth_ref_free(&ref);
    if (rc < 0) {
      out[i] = NULL;
      cli_errorf(EXIT_USAGE, "build: invalid tag `%s`: a name[:tag] without "
                             "a digest expected",
                 in->items[i]);
      return -1;
    }
  }
  return 0;
}

static bool progress_known(const char *p) {
  const char *known[] = {"auto", "plain", "tty", "quiet"};
  for (size_t i = 0; p && i < ARRAY_SIZE(known); i++)
    if (strcmp(p, known[i]) == 0)
      return true;
  return !p;
}

/* buildx passes SOURCE_DATE_EPOCH of the client's environment on as a
 * build arg; a --build-arg of that name wins. */
static void add_epoch(struct berth_cli *cli, struct strlist *args) {
  for (size_t i = 0; i < args->n; i++)
    if (strncmp(args->items[i], "SOURCE_DATE_EPOCH", 17) == 0 &&
        (args->items[i][17] == '=' || !args->items[i][17]))
      return;
  for (char **e = cli->envp; e && *e; e++)
    if (strncmp(*e, "SOURCE_DATE_EPOCH=", 18) == 0 &&
        args->n < ARRAY_SIZE(args->items))
      args->items[args->n++] = *e;
}

static int run_build(struct berth_cli *cli, struct build_flags *f,
                     const char *context, char **tags) {
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  add_epoch(cli, &f->build_args);
  struct plain p = {.quiet = f->quiet ||
                             (f->progress && !strcmp(f->progress, "quiet"))};
  struct berth_build_opts o = {
      .context = context, .stdin_fd = STDIN_FILENO, .dockerfile = f->file,
      .tags = tags, .n_tags = f->tags.n,
      .build_args = (char *const *)f->build_args.items,
      .n_build_args = f->build_args.n,
      .labels = (char *const *)f->labels.items, .n_labels = f->labels.n,
      .target = f->target, .platform = f->platform, .network = f->network,
      .iidfile = f->iidfile, .no_cache = f->no_cache, .pull = f->pull,
      .progress = print_event, .progress_arg = &p, .cancel = &canceled};
  catch_signals();
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  if (berth_build(e, &o, id, &err) < 0)
    return cli_prefixed_error("build", err, 1);
  if (p.quiet)
    printf("%s\n", id);
  return 0;
}

int cmd_build(struct berth_cli *cli, int argc, char **argv) {
  struct build_flags f = {0};
  const struct opt opts[] = {BUILD_OPTS(f)};
  char *pos[2];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("build", nw, w, opts, ARRAY_SIZE(opts), pos, 2, &npos) <
                0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE,
                      "build: requires exactly 1 argument (PATH or -)");
  if (!progress_known(f.progress))
    return cli_errorf(EXIT_USAGE,
                      "build: invalid --progress `%s`: auto, plain, tty or "
                      "quiet",
                      f.progress);
  char *tags[ARRAY_SIZE(f.tags.items)] = {0};
  int rc = normalise_tags(&f.tags, tags) < 0
               ? EXIT_USAGE
               : run_build(cli, &f, pos[0], tags);
  for (size_t i = 0; i < f.tags.n; i++)
    free(tags[i]);
  return rc;
}
