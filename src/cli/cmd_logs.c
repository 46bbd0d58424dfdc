/* berth logs: a container's json-file log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "ctr_logs.h"

static int print_entry(const struct berth_log_entry *le, void *data) {
  bool timestamps = *(bool *)data;
  FILE *f = le->is_stderr ? stderr : stdout;
  if (timestamps)
    fprintf(f, "%s ", le->time_text);
  fwrite(le->line, 1, le->len, f);
  fflush(f);
  return 0;
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
  struct berth_ctr_logs_req q = {.tail = tail, .since = since,
                                 .until = until, .stdout_ = true,
                                 .stderr_ = true, .follow = follow};
  struct berth_ctr_logs l;
  berth_error *err = NULL;
  if (berth_ctr_logs_open(e, pos[0], &q, &l, &err) < 0)
    return cli_error(err, err->kind == BERTH_ERR_INVALID ? EXIT_USAGE : 1);
  if (berth_ctr_logs_read(e, &l, print_entry, &timestamps, &err) < 0)
    return cli_error(err, 1);
  return 0;
}
