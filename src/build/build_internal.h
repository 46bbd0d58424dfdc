/* What the executor's files share: the build, its stages, the state of
 * the stage being built, and small helpers (string lists, progress,
 * expansion, cache keys).  Not an interface of the build library: only
 * build.h is. */
#ifndef BERTH_BUILD_BUILD_INTERNAL_H
#define BERTH_BUILD_BUILD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "context.h"
#include "dockerfile.h"
#include "shell_word.h"

/* ---- string lists (build_util.c) ---- */

/* A NULL-terminated, growable list of malloc'd strings ("K=V" mostly);
 * v is always a valid strv once anything was added. */
struct slist {
  char **v;
  size_t n, cap;
};
int slist_add(struct slist *l, const char *s, berth_error **err);
int slist_addf(struct slist *l, berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int slist_copy(struct slist *dst, const struct slist *src,
                 berth_error **err);
void slist_free(struct slist *l);
/* Docker's addEnv: replaces the variable named k (the same name before
 * '='), else appends "k=v". */
int slist_setenv(struct slist *l, const char *k, const char *v,
                   berth_error **err);
/* The value of the LAST "k=..." entry, NULL when none. */
const char *slist_getenv(const struct slist *l, const char *k);
bool slist_has_name(const struct slist *l, const char *k);
/* The list as the word expander's environment. */
struct berth_word_env slist_env(const struct slist *l);
/* A JSON array of the strings (new reference). */
json_t *slist_json(const struct slist *l);
/* Fills l from a JSON array of strings (others skipped). */
int slist_from_json(struct slist *l, json_t *arr, berth_error **err);

/* ---- the build ---- */

struct build_stage {
  size_t index;
  const struct berth_df_instr *from;
  const struct berth_df_instr *instrs; /* the stage's instructions after
                                          FROM */
  size_t n_instrs;
  char *name;      /* AS name in lower case, or NULL */
  char *label;     /* as progress names it: the name, "stage-N", or NULL
                      when the Dockerfile has one stage */
  char *base;      /* FROM's argument, expanded */
  char *platform;  /* FROM --platform, expanded, or NULL */
  long base_stage; /* the earlier stage it is built on, or -1 */
  bool scratch;
  int state;       /* 0 not built, 1 being built, 2 built */
  /* When built: the stage's image ("" for a scratch stage that made
   * none), its config, the variables and ARGs a stage built on it
   * starts with. */
  char image_id[BERTH_DIGEST_SIZE];
  json_t *config;
  char *author;
  struct slist vars, args;
};

struct build {
  struct berth_engine *e;
  const struct berth_build_opts *o;
  struct berth_context *ctx;
  struct berth_dockerfile df;
  bool df_parsed;
  struct build_stage *stages;
  size_t n_stages;
  struct slist global;  /* global ARGs with a value, and the platform
                             ARGs (BUILDPLATFORM, TARGETARCH, ...) */
  struct slist bargs;   /* --build-arg values, "K=V" */
  struct slist resolved; /* images looked up so far, "REF=ID" */
  bool *barg_used;        /* per bargs entry: an ARG declared it */
  int step;               /* the last progress step number */
  int64_t epoch;          /* SOURCE_DATE_EPOCH or -1 */
  bool ctx_loaded;        /* "[internal] load build context" shown */
  bool located;           /* the error names its Dockerfile line */
  const char *network;    /* RUN's: "bridge", "none" or "host" */
  const char *os, *arch, *variant; /* the host's platform */
  char platform[64];      /* "linux/amd64" */
  bool store_held;        /* stage_in_container left the store locked
                             for stage_commit (build_ctr.c) */
  int run_exit;           /* the failing RUN's exit status (run_step.c), */
  char *run_cmd;          /* and its command, for the step's ERROR event */
};

/* ---- progress (build_util.c) ---- */
double build_now(void);
/* Starts a step: emits BERTH_BUILD_STEP with the next number. */
int build_step_begin(struct build *b, const char *text);
void build_event(struct build *b, enum berth_build_event_kind kind, int n,
                 const char *text, size_t len, double seconds);
void build_msgf(struct build *b, int n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts the instruction's place before the error ("Dockerfile:3: ...");
 * returns -1. */
int build_at(struct build *b, const struct berth_df_instr *in,
             berth_error **err);

/* ---- the stage being built ---- */

struct stage_run {
  struct build *b;
  struct build_stage *st;
  json_t *config;    /* the image config's "config" object (owned) */
  char *author;      /* the image's author (MAINTAINER), NULL: none */
  char image_id[BERTH_DIGEST_SIZE]; /* "" : scratch, no image yet */
  const char *os, *arch, *variant;  /* the stage's platform */
  struct slist vars; /* what instructions see: the image's Env, then
                          ARG and ENV values in order (last one wins) */
  struct slist args; /* the ARGs declared, "K=V" or "K" */
  int cmd_index, cmd_total;
  bool cmd_set;      /* CMD given in this stage (ENTRYPOINT keeps it) */
  bool onbuild;      /* the instruction being run is a trigger */
};

/* build_stage.c: builds stage i (and, first, the stages it needs). */
int build_stage(struct build *b, size_t i, berth_error **err);
/* The prefix of a stage's step: "[builder 2/5] " (into buf). */
void stage_prefix(struct stage_run *r, char *buf, size_t len);

/* build_plan.c: global ARGs, stages, the target. */
int build_plan(struct build *b, size_t *target, berth_error **err);
/* The stage a name or index means (COPY --from, FROM), searching the
 * stages before `before`; -1 when none. */
long build_stage_lookup(const struct build *b, const char *name,
                        size_t before);

/* build_args.c: --build-arg, the global scope, the unused ones. */
int build_args_init(struct build *b, berth_error **err);
int build_global_defaults(struct build *b, berth_error **err);
/* The build arg's value (marking it consumed), NULL when not given. */
const char *build_arg_given(struct build *b, const char *name);
bool build_is_proxy_arg(const char *name);
void build_args_warn_unused(struct build *b);

/* build_from.c: a stage's base image, pulled when missing. */
int build_base_image(struct build *b, const char *ref, bool always_pull,
                     char id[BERTH_DIGEST_SIZE], char **display,
                     bool *pulled, berth_error **err);
/* An image's config: the "config" object (new reference), author,
 * platform. */
int build_image_config(struct build *b, const char *id, json_t **config,
                       char **author, char **os, char **arch,
                       berth_error **err);
int stage_from(struct stage_run *r, berth_error **err);
/* The ONBUILD triggers of the stage's base, run right after FROM. */
int stage_onbuild(struct stage_run *r, berth_error **err);

/* build_step.c: one instruction. */
int stage_dispatch(struct stage_run *r, const struct berth_df_instr *in,
                   berth_error **err);
/* The store's shared lock from a step's layer blob to its image
 * (stage_commit releases it; so does the end of the build). */
int stage_hold_store(struct build *b, berth_error **err);
void stage_release_store(struct build *b);
/* A new step image on the current one: the stage's config, the layer
 * (NULL: none), history created_by (NULL: no history entry); cached
 * under key (NULL: not cached).  Updates r->image_id. */
int stage_commit(struct stage_run *r, const char *key, const char *layer,
                 uint64_t layer_size, const char *created_by,
                 berth_error **err);
/* A step that shows in progress: "#N [stage i/n] TEXT" (text NULL: the
 * instruction as stage_display shows it); returns N. */
int stage_step_begin(struct stage_run *r, const struct berth_df_instr *in,
                     const char *text);
void stage_step_end(struct stage_run *r, int n, double t0, bool cached);
void stage_step_error(struct stage_run *r, int n, const berth_error *err);
/* The cache: 1 and r->image_id updated on a hit, 0 on a miss (always with
 * --no-cache). */
int stage_cached(struct stage_run *r, const char *key, berth_error **err);

/* build_config.c: instructions that only change the config.  Each
 * updates r->config (and vars/args) and fills *created_by (malloc'd,
 * may be NULL: no history entry) and the key material (a slist the
 * key is made of). */
int stage_config_instr(struct stage_run *r, const struct berth_df_instr *in,
                       struct slist *key, char **created_by,
                       berth_error **err);
/* Sets k=v in a config's Env (replacing k). */
int config_setenv(json_t *config, const char *k, const char *v,
                  berth_error **err);
/* Rewrites config[key] (an object) with its keys sorted. */
void config_sort_object(json_t *config, const char *key);
/* ARG in a stage, or before the first FROM (r NULL). */
int build_arg_instr(struct build *b, struct stage_run *r,
                    const struct berth_df_instr *in, struct slist *key,
                    char **created_by, berth_error **err);
/* The shell-form command wrapped in the stage's SHELL (new strv). */
int stage_with_shell(struct stage_run *r, const char *cmd, struct slist *out,
                     berth_error **err);

/* build_words.c: variable expansion. */
int stage_expand(struct stage_run *r, const char *raw, char **out,
                 berth_error **err);
int stage_expand_words(struct stage_run *r, const char *raw, char ***out,
                       size_t *n, berth_error **err);
/* $VAR and ${VAR...} of `s` replaced from vars without touching quotes
 * (heredoc bodies; progress text of RUN).  keep_unset leaves a reference
 * to an unset variable as written.  Returns malloc'd text or NULL. */
char *build_expand_raw(const char *s, const struct slist *vars, char escape,
                       bool keep_unset);
/* The instruction as progress shows it: the keyword upper case, variables
 * expanded where the stage has them. */
char *stage_display(struct stage_run *r, const struct berth_df_instr *in);

/* build_keys.c: the step's cache key: sha256 over the build's epoch, the
 * parent image (or "scratch"), the instruction's name and the key
 * material, each length-prefixed. */
int build_key(struct stage_run *r, const char *cmd, const struct slist *m,
              char key[BERTH_DIGEST_SIZE], berth_error **err);

/* build_ctr.c: a container for one step, made from the current image
 * (or, on scratch, an empty image), always removed.  fn runs with it
 * created; for a started container fn waits for its exit.  The container's
 * changes become a layer (*layer "" when make_layer is false). */
typedef int (*build_ctr_fn)(struct build *b, const char *ctr_id, void *arg,
                            berth_error **err);
struct build_ctr_req {
  json_t *req;            /* the create request (borrowed) */
  build_ctr_fn fn;
  void *arg;
  bool *keep_layer;       /* NULL: always; else fn says whether */
};
int stage_in_container(struct stage_run *r, const struct build_ctr_req *q,
                       char layer[BERTH_DIGEST_SIZE], uint64_t *size,
                       berth_error **err);
/* A request for a container that is never started (COPY, WORKDIR). */
json_t *build_idle_request(void);

/* run_step.c: RUN. */
int stage_run_instr(struct stage_run *r, const struct berth_df_instr *in,
                    berth_error **err);
/* build_fs_step.c: COPY, ADD, WORKDIR. */
int stage_copy_instr(struct stage_run *r, const struct berth_df_instr *in,
                     berth_error **err);
int stage_workdir_instr(struct stage_run *r, const struct berth_df_instr *in,
                        berth_error **err);

#endif
