/* berth ps, inspect, logs: looking at containers. */
#include <inttypes.h>
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
#include "images.h"
#include "ctr_filter.h"
#include "image_inspect.h"
#include "inspect.h"
#include "rows.h"
#include "logs.h"
#include "start.h"
#include "state.h"

/* Docker's default table; -s adds SIZE. */
#define PS_TABLE                                                               \
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"    \
  "{{.Ports}}\t{{.Names}}"

struct ps_opts {
  bool all, quiet, no_trunc, latest, size;
  long last;
  const char *format;
};

/* Rows of the containers the filter shows, newest first. */
static int ps_print(struct berth_engine *e, const struct ps_opts *o,
                    const struct berth_ctr_filter *filter,
                    struct cli_format *out) {
  struct berth_ctr *list = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_ctr_list_filtered(e, filter, &list, &n, &err) < 0)
    return cli_error(err, 1);
  /* Docker computes sizes when -s is given or the template uses them */
  struct berth_row_opts ro = {.no_trunc = o->no_trunc,
                              .size = o->size || (o->format &&
                                                  strstr(o->format, ".Size"))};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    struct berth_ctr *c = &list[i];
    if (o->quiet) {
      printf("%.*s\n", o->no_trunc ? 64 : 12, c->id);
      continue;
    }
    json_t *methods = NULL, *row = berth_ctr_row(e, c, &ro, &methods);
    if (cli_format_row(out, row, methods) < 0)
      rc = EXIT_USAGE;
    json_decref(row);
    json_decref(methods);
  }
  berth_ctrs_free(list, n);
  return rc;
}

int cmd_ps(struct berth_cli *cli, int argc, char **argv) {
  struct ps_opts o = {.last = -1};
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &o.all, NULL,
       "Show all containers (default shows just running)"},
      {"quiet,q", OPT_BOOL, &o.quiet, NULL, "Only display container IDs"},
      {"no-trunc", OPT_BOOL, &o.no_trunc, NULL, "Don't truncate output"},
      {"latest,l", OPT_BOOL, &o.latest, NULL,
       "Show the latest created container (includes all states)"},
      {"last,n", OPT_INT, &o.last, NULL,
       "Show n last created containers (includes all states)"},
      {"size,s", OPT_BOOL, &o.size, NULL, "Display total file sizes"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Filter output based on conditions provided"},
      {"format", OPT_STRING, &o.format, NULL,
       "Format output using a custom template: 'table', 'table TEMPLATE', "
       "'json' or a Go template"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("ps", nw, w, opts, ARRAY_SIZE(opts), pos, 0, &npos) < 0)
    return EXIT_USAGE;
  /* -n and -l include every state, as Docker's */
  long limit = o.latest ? 1 : o.last;
  struct berth_ctr_filter filter = {.all = o.all || limit > 0,
                                    .limit = limit > 0 ? (size_t)limit : 0};
  berth_error *err = NULL;
  for (size_t i = 0; i < filters.n; i++)
    if (berth_ctr_filter_add(&filter, filters.items[i], &err) < 0)
      return cli_error(err, EXIT_USAGE);
  struct cli_format out = {0};
  json_t *headers = berth_ctr_row_headers();
  int rc = o.quiet ? 0
                   : cli_format_open(&out, "ps", o.format,
                                     o.size ? PS_TABLE "\t{{.Size}}" : PS_TABLE,
                                     headers);
  json_decref(headers);
  struct berth_engine *e;
  if (rc == 0)
    rc = cli_engine(cli, &e) < 0 ? EXIT_USAGE
                                 : ps_print(e, &o, &filter, &out);
  else
    rc = EXIT_USAGE;
  cli_format_close(&out);
  return rc;
}

/* An image for `inspect`: its ImageInspect document, or NULL. */
static json_t *image_doc(struct berth_cli *cli, const char *what,
                         berth_error **err) {
  char id[BERTH_DIGEST_SIZE];
  struct berth_image img = {0};
  if (cli_resolve_image(cli, what, id, err) < 0 ||
      berth_images_get(cli->is->db, id, &img, err) < 0)
    return NULL;
  json_t *j = berth_image_inspect(cli->is, &img);
  berth_image_free(&img);
  return j;
}

/* Prints the documents as a JSON array or through --format. */
int cli_print_docs(const char *cmd, json_t *all, const char *format) {
  if (!format || strcmp(format, "json") == 0) {
    if (json_array_size(all) || !format)
      cli_print_json(all);
    return 0;
  }
  struct cli_format f;
  if (cli_format_open(&f, cmd, format, NULL, NULL) < 0)
    return EXIT_USAGE;
  size_t i;
  json_t *v;
  int rc = 0;
  json_array_foreach(all, i, v) if (rc == 0 && cli_format_row(&f, v, NULL) < 0)
      rc = EXIT_USAGE;
  cli_format_close(&f);
  return rc;
}

int cmd_inspect(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL, *type = NULL;
  bool size = false;
  const struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "Format output using a custom template: 'json' or a Go template"},
      {"size,s", OPT_BOOL, &size, NULL,
       "Display total file sizes if the type is container"},
      {"type", OPT_STRING, &type, NULL, "Only inspect objects of the given type"}};
  char *pos[256];
  size_t npos;
  if (cli_args("inspect", argc, argv, opts, ARRAY_SIZE(opts), pos, 256,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "inspect: requires at least 1 argument");
  if (type && strcmp(type, "container") != 0 && strcmp(type, "image") != 0)
    return cli_errorf(EXIT_USAGE, "inspect: unknown --type `%s` (container "
                                  "or image)", type);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  json_t *all = json_array();
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    struct berth_ctr *c = NULL;
    berth_error *err = NULL;
    json_t *doc = NULL;
    if ((!type || strcmp(type, "container") == 0) &&
        berth_ctr_find(e->db, pos[i], &c, &err) == 0) {
      berth_ctr_refresh(e, c, NULL);
      doc = berth_ctr_inspect(e, c, size);
      berth_ctr_free(c);
    } else if (!type || strcmp(type, "image") == 0) {
      berth_error_free(err);
      err = NULL;
      doc = image_doc(cli, pos[i], &err);
      if (!doc && err && err->kind == BERTH_ERR_NOT_FOUND) {
        berth_error_free(err);
        err = NULL;
        berth_error_set(&err, BERTH_ERR_NOT_FOUND, 0,
                        "No such object: %s", pos[i]);
      }
    }
    if (doc)
      json_array_append_new(all, doc);
    else
      status = cli_error(err, 1);
  }
  int rc = cli_print_docs("inspect", all, format);
  json_decref(all);
  return rc ? rc : status;
}

/* Shared by the entry callback and still_running (one data pointer). */
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
