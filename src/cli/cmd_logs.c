/* berth logs: a container's json-file log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "engine.h"
#include "logs.h"
#include "start.h"

struct logs_ctx {
  bool timestamps;
  struct berth_engine *e;
  char id[65];
};

static int print_entry(const struct berth_log_entry *le, void *data) {
  struct logs_ctx *o = data;
  FILE *f = le->is_stderr ? stderr : stdout;
  if (o->timestamps)
    fprintf(f, "%s ", le->time_text);
  fwrite(le->line, 1, le->len, f);
  fflush(f);
  return 0;
}

static bool still_running(void *data) {
  struct logs_ctx *fc = data;
  struct berth_ctr *c = NULL;
  if (berth_ctr_get(fc->e->db, fc->id, &c, NULL) < 0)
    return false;
  berth_ctr_refresh(fc->e, c, NULL);
  bool r = strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
           strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
           strcmp(c->state, BERTH_ST_RESTARTING) == 0;
  berth_ctr_free(c);
  return r;
}

int cmd_logs(struct berth_cli *cli, int argc, char **argv) {
  bool follow = false, timestamps = false;
  const char *tail = NULL, *since = NULL, *until = NULL;
  const struct opt opts[] = {
      {"follow,f", OPT_BOOL, &follow, NULL, "Follow log output"},
      {"timestamps,t", OPT_BOOL, &timestamps, NULL, "Show timestamps"},
      {"tail,n", OPT_STRING, &tail, NULL,
       "Number of lines to show from the end of the logs (default \"all\")"},
      {"since", OPT_STRING, &since, NULL,
       "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
       "(e.g. \"42m\" for 42 minutes)"},
      {"until", OPT_STRING, &until, NULL,
       "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or "
       "relative (e.g. \"42m\" for 42 minutes)"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("logs", nw, w, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "logs: requires exactly 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_logs_opts lo = {.tail = -1, .follow = follow,
                               .still_running = still_running};
  berth_error *err = NULL;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (tail && strcmp(tail, "all") != 0) {
    char *end;
    lo.tail = strtoll(tail, &end, 10);
    if (*end || end == tail || lo.tail < 0)
      return cli_errorf(EXIT_USAGE, "logs: invalid --tail `%s`", tail);
  }
  if ((since && berth_parse_log_time("--since", since, now, &lo.since_ns,
                                     &err) < 0) ||
      (until && berth_parse_log_time("--until", until, now, &lo.until_ns,
                                     &err) < 0))
    return cli_error(err, EXIT_USAGE);
  struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, pos[0], &c, &err) < 0)
    return cli_error(err, 1);
  struct logs_ctx lc = {.timestamps = timestamps, .e = e};
  memcpy(lc.id, c->id, sizeof lc.id);
  char path[4200];
  berth_ctr_dir(e, c->id, path, sizeof path);
  strncat(path, "/ctr.log", sizeof path - strlen(path) - 1);
  berth_ctr_free(c);
  lo.still_running = follow ? still_running : NULL;
  if (berth_logs_read(path, &lo, print_entry, &lc, &err) < 0)
    return cli_error(err, 1);
  return 0;
}
