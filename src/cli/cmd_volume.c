/* berth volume create, ls, inspect, rm (Docker's `local` driver); volume
 * prune is with the other prunes (cmd_prune.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "flags.h"
#include "rows.h"
#include "volumes.h"

int cmd_volume_create(struct berth_cli *cli, int argc, char **argv) {
  struct strlist labels = {0};
  const char *driver = NULL;
  const struct opt opts[] = {
      {"label", OPT_LIST, &labels, NULL, "Set metadata for a volume"},
      {"driver,d", OPT_STRING, &driver, NULL,
       "Specify volume driver name (default \"local\")"}};
  char *pos[2];
  size_t npos;
  if (cli_args("volume create", argc, argv, opts, ARRAY_SIZE(opts), pos, 2,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos > 1)
    return cli_errorf(EXIT_USAGE, "volume create: at most 1 argument");
  berth_error *err = NULL;
  json_t *l = json_object();
  for (size_t i = 0; i < labels.n; i++) {
    char *k, *v;
    if (berth_parse_key_value("--label", labels.items[i], &k, &v, &err) < 0) {
      json_decref(l);
      return cli_engine_error(err);
    }
    json_object_set_new(l, k, json_string(v));
    free(k);
    free(v);
  }
  json_t *body = json_pack("{s:s,s:s,s:o}", "Name", npos ? pos[0] : "",
                           "Driver", driver ? driver : "", "Labels", l);
  struct berth_engine *e;
  json_t *vol = NULL;
  if (cli_engine(cli, &e) < 0) {
    json_decref(body);
    return EXIT_USAGE;
  }
  int rc = berth_volume_create_request(e, body, &vol, &err);
  json_decref(body);
  if (rc < 0)
    return cli_prefixed_error("volume create", err, EXIT_USAGE);
  puts(json_string_value(json_object_get(vol, "Name")));
  json_decref(vol);
  return 0;
}

int cmd_volume_ls(struct berth_cli *cli, int argc, char **argv) {
  bool quiet = false;
  const char *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Only display volume names"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"dangling=true\")"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[1];
  size_t npos;
  struct berth_volume_filter f = {0};
  if (cli_args("volume ls", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  for (size_t i = 0; i < filters.n; i++) {
    berth_error *err = NULL;
    if (berth_volume_filter_parse(&f, filters.items[i], &err) < 0)
      return cli_prefixed_error("volume ls", err, EXIT_USAGE);
  }
  if (npos)
    return cli_errorf(EXIT_USAGE, "volume ls: takes no arguments");
  struct cli_format out;
  json_t *headers = berth_volume_row_headers();
  int rc = quiet ? 0
                 : cli_format_open(&out, "volume ls", format,
                                   "table {{.Driver}}\t{{.Name}}", headers);
  json_decref(headers);
  if (rc < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  struct berth_volume *v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (cli_engine(cli, &e) < 0)
    rc = EXIT_USAGE;
  else if (berth_volume_list(e, &v, &n, &err) < 0)
    rc = cli_engine_error(err);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!berth_volume_matches(&v[i], &f))
      continue;
    if (quiet) {
      puts(v[i].name);
      continue;
    }
    json_t *methods = NULL, *j = berth_volume_row(e, &v[i], &methods);
    if (cli_format_row(&out, j, methods) < 0)
      rc = EXIT_USAGE;
    json_decref(j);
    json_decref(methods);
  }
  if (!quiet)
    cli_format_close(&out);
  berth_volumes_free(v, n);
  return rc;
}

static json_t *volume_doc(struct berth_cli *cli, const char *name,
                          berth_error **err) {
  struct berth_engine *e;
  struct berth_volume v = {0};
  if (cli_engine(cli, &e) < 0) {
    berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the engine");
    return NULL;
  }
  if (berth_volume_get(e, name, &v, err) < 0)
    return NULL;
  json_t *j = berth_volume_inspect(e, &v);
  berth_volume_clear(&v);
  return j;
}

int cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv) {
  json_t *all;
  const char *format = NULL;
  int status;
  int bad = cli_inspect_collect(cli, "volume inspect", argc, argv,
                                volume_doc, &all, &format, &status);
  if (bad)
    return bad;
  size_t i;
  json_t *j;
  if (format)
    json_array_foreach(all, i, j) if (status != EXIT_USAGE &&
                                      cli_print_formatted("volume inspect", j,
                                                          format))
        status = EXIT_USAGE;
  if (!format)
    cli_print_json(all);
  json_decref(all);
  return status;
}

int cmd_volume_rm(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  const struct opt opts[] = {{"force,f", OPT_BOOL, &force, NULL,
                              "Force the removal of one or more volumes"}};
  char *pos[256];
  size_t npos;
  if (cli_args("volume rm", argc, argv, opts, ARRAY_SIZE(opts), pos, 256,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "volume rm: requires at least 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    if (berth_volume_delete(e, pos[i], force, &err) < 0) {
      status = cli_error(err, 1);
      continue;
    }
    puts(pos[i]);
  }
  return status;
}

