/* berth build: a Dockerfile and its context into an image.
 *
 * Stages are built in dependency order, only those the target needs.
 * Each instruction is a step: a cache lookup (build_image.h) by the
 * step's key, else its work: RUN in a container made by the engine
 * (the same secure defaults as `berth run`: user namespace, seccomp,
 * dropped capabilities, masked /proc, the chosen network), COPY/ADD by
 * copy_step.h, the rest a config change; then a step image.  The
 * engine decides everything; front ends (CLI, API) fill the options and
 * print the events. */
#ifndef BERTH_BUILD_BUILD_H
#define BERTH_BUILD_BUILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "engine.h"

/* Progress, as BuildKit's plain output reports it: "#N [stage i/n]
 * INSTRUCTION", RUN's output lines, "#N CACHED", "#N DONE 0.3s",
 * "#N ERROR: ...".  N counts steps across the whole build from 1. */
enum berth_build_event_kind {
  BERTH_BUILD_STEP,   /* a step starts: text = "[stage i/n] INSTR" */
  BERTH_BUILD_CACHED, /* the step was found in the cache */
  BERTH_BUILD_OUTPUT, /* text/len: RUN output (stdout and stderr) */
  BERTH_BUILD_DONE,   /* seconds: how long the step took */
  BERTH_BUILD_ERROR,  /* text: the error of the step */
  BERTH_BUILD_MESSAGE,/* text: a note ("naming to ...", "writing image
                         sha256:...") */
};

struct berth_build_event {
  enum berth_build_event_kind kind;
  int n;              /* the step's number; 0 for build-wide messages */
  const char *text;
  size_t len;
  double seconds;
  /* An ERROR of a RUN whose command exited non-zero: its status and the
   * command as run ("/bin/sh -c make"), for a front end that words it as
   * Docker's classic builder ("The command '...' returned a non-zero
   * code: N"); else 0 and NULL. */
  int exit_code;
  const char *command;
  /* DONE and CACHED of an instruction's step: the image it left (the
   * base image for FROM), as the classic builder shows " ---> id";
   * else NULL. */
  const char *image;
};

typedef void (*berth_build_progress_fn)(void *arg,
                                        const struct berth_build_event *ev);

struct berth_build_opts {
  const char *context;        /* a directory, or "-": a tar or a
                                 Dockerfile on stdin_fd */
  int stdin_fd;
  const char *dockerfile;     /* -f (NULL: CONTEXT/Dockerfile); "-" reads
                                 it from stdin_fd */
  char *const *tags;          /* normalised "name:tag" */
  size_t n_tags;
  char *const *build_args;    /* "K=V", or "K": the value of K in envp */
  size_t n_build_args;
  char *const *labels;        /* "K=V" */
  size_t n_labels;
  const char *target;         /* stage name or NULL: the last stage */
  const char *platform;       /* NULL: the host's; others refused
                                 unless they are the host's */
  const char *network;        /* RUN's network: "bridge" (NULL or
                                 "default"), "none", "host"; others are
                                 INVALID (a RUN --network= of its own
                                 wins for that step) */
  const char *iidfile;        /* written with the id at the end, or NULL */
  bool no_cache, pull;
  berth_build_progress_fn progress;
  void *progress_arg;
  /* Credentials for pulling a base image from `registry` (the API's
   * X-Registry-Config): sets *username and *password (borrowed) when it
   * has some.  NULL: the credential files only, as `berth pull`. */
  void (*credentials)(void *arg, const char *registry,
                      const char **username, const char **password);
  void *credentials_arg;
  /* Set (a signal handler of the front end may set it) to stop the
   * build: a running RUN's container is killed and, like every build
   * container, removed; the build fails.  NULL: never. */
  const volatile sig_atomic_t *cancel;
};

/* Builds; id gets the final image's id.  On failure the step images
 * made so far stay (they are cache), no build container is left, and no
 * tag moves. */
int berth_build(struct berth_engine *e, const struct berth_build_opts *o,
                char id[BERTH_DIGEST_SIZE], berth_error **err);

#endif
