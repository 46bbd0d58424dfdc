/* berth stop, restart, kill, rm, wait, pause, unpause, rename: a
 * container's life after create (run, create, start: cmd_run.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "lifecycle.h"
#include "start.h"

/* Runs fn on each named container, printing each name as Docker does;
 * the status is 1 when any failed. */
static int each(struct berth_cli *cli, const char *cmd, int argc, char **argv,
                const struct opt *opts, size_t nopts,
                int (*fn)(struct berth_engine *, const char *, void *,
                          berth_error **),
                void *arg) {
  char *pos[256];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts, nopts, &nw,
                                             false);
  if (!w || cli_args(cmd, nw, w, opts, nopts, pos, 256, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "%s: requires at least 1 argument", cmd);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    int rc = fn(e, pos[i], arg, &err);
    if (rc < 0)
      status = cli_error(err, 1);
    else if (rc == 0)
      puts(pos[i]); /* rc 1: nothing done, already said on stderr */
  }
  return status;
}

struct stop_args {
  long timeout;
  bool timeout_set;
  const char *signal;
};

/* stop's and restart's flags (restart stops first). */
#define STOP_OPTS(a)                                                          \
  {"time,t,timeout", OPT_INT, &(a).timeout, &(a).timeout_set,                 \
   "Seconds to wait before killing the container"},                          \
  {"signal,s", OPT_STRING, &(a).signal, NULL,                                 \
   "Signal to send to the container"}

static int stop_one(struct berth_engine *e, const char *ref, void *a,
                    berth_error **err) {
  struct stop_args *s = a;
  return berth_ctr_stop_request(e, ref, s->signal,
                                s->timeout_set ? (int)s->timeout : -1, err);
}

int cmd_stop(struct berth_cli *cli, int argc, char **argv) {
  struct stop_args s = {0};
  const struct opt opts[] = {STOP_OPTS(s)};
  return each(cli, "stop", argc, argv, opts, ARRAY_SIZE(opts), stop_one, &s);
}

static int restart_one(struct berth_engine *e, const char *ref, void *a,
                       berth_error **err) {
  struct stop_args *s = a;
  return berth_ctr_restart_request(e, ref, s->signal,
                                   s->timeout_set ? (int)s->timeout : -1, err);
}

int cmd_restart(struct berth_cli *cli, int argc, char **argv) {
  struct stop_args s = {0};
  const struct opt opts[] = {STOP_OPTS(s)};
  return each(cli, "restart", argc, argv, opts, ARRAY_SIZE(opts), restart_one,
              &s);
}

static int kill_one(struct berth_engine *e, const char *ref, void *a,
                    berth_error **err) {
  return berth_ctr_kill_request(e, ref, *(const char **)a, err);
}

int cmd_kill(struct berth_cli *cli, int argc, char **argv) {
  const char *sig = NULL;
  const struct opt opts[] = {
      {"signal,s", OPT_STRING, &sig, NULL,
       "Signal to send to the container (default \"KILL\")"}};
  return each(cli, "kill", argc, argv, opts, ARRAY_SIZE(opts), kill_one, &sig);
}

struct rm_args {
  bool force, volumes;
};

static int rm_one(struct berth_engine *e, const char *ref, void *a,
                  berth_error **err) {
  struct rm_args *r = a;
  berth_error *e1 = NULL;
  if (berth_ctr_remove(e, ref, r->force, r->volumes, &e1) == 0)
    return 0;
  /* As Docker: with -f a container that does not exist is reported on
   * stderr and does not fail the command. */
  if (r->force && e1->kind == BERTH_ERR_NOT_FOUND) {
    cli_error(e1, 0);
    return 1;
  }
  *err = e1;
  return -1;
}

int cmd_rm(struct berth_cli *cli, int argc, char **argv) {
  struct rm_args r = {0};
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &r.force, NULL,
       "Force the removal of a running container (uses SIGKILL)"},
      {"volumes,v", OPT_BOOL, &r.volumes, NULL,
       "Remove anonymous volumes associated with the container"}};
  return each(cli, "rm", argc, argv, opts, ARRAY_SIZE(opts), rm_one, &r);
}

static int pause_one(struct berth_engine *e, const char *ref, void *a,
                     berth_error **err) {
  return berth_ctr_set_paused(e, ref, *(bool *)a, err);
}

int cmd_pause(struct berth_cli *cli, int argc, char **argv) {
  bool pause = true;
  return each(cli, "pause", argc, argv, NULL, 0, pause_one, &pause);
}

int cmd_unpause(struct berth_cli *cli, int argc, char **argv) {
  bool pause = false;
  return each(cli, "unpause", argc, argv, NULL, 0, pause_one, &pause);
}

int cmd_wait(struct berth_cli *cli, int argc, char **argv) {
  char *pos[256];
  size_t npos;
  if (cli_args("wait", argc, argv, NULL, 0, pos, 256, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "wait: requires at least 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    int code;
    if (berth_ctr_wait(e, pos[i], &code, &err) < 0)
      status = cli_error(err, 1);
    else
      printf("%d\n", code);
  }
  return status;
}

int cmd_rename(struct berth_cli *cli, int argc, char **argv) {
  char *pos[2];
  size_t npos;
  if (cli_args("rename", argc, argv, NULL, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE, "rename: requires exactly 2 arguments");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_ctr_set_name(e, pos[0], pos[1], &err) < 0)
    return cli_error(err, 1);
  return 0;
}

