/* berth ps: the containers, filtered by the engine (ctr_filter.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "ctr_filter.h"
#include "engine.h"
#include "rows.h"

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

/* Shared by the entry callback and still_running (one data pointer). */

