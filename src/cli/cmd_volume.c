/* berth volume create, ls, inspect, rm, prune (Docker's `local` driver). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "rows.h"
#include "cleanup.h"
#include "engine.h"
#include "flags.h"
#include "volumes.h"

static void created_at(int64_t ns, char *out, size_t len) {
  time_t s = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Docker's `volume inspect` object. */
static json_t *inspect_json(struct berth_engine *e,
                            const struct berth_volume *v) {
  char path[4096], when[32];
  berth_volume_path(e, v->name, path, sizeof path);
  created_at(v->created, when, sizeof when);
  return json_pack("{s:s,s:s,s:O,s:s,s:s,s:n,s:s}", "CreatedAt", when,
                   "Driver", "local", "Labels", v->labels, "Mountpoint", path,
                   "Name", v->name, "Options", "Scope", "local");
}

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
  if (driver && strcmp(driver, "local") != 0)
    return cli_errorf(EXIT_USAGE, "volume create: only the `local` driver "
                                  "is supported, not `%s`",
                      driver);
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
  struct berth_engine *e;
  _cleanup_free_ char *name = NULL;
  if (cli_engine(cli, &e) < 0) {
    json_decref(l);
    return EXIT_USAGE;
  }
  int rc = berth_volume_create(e, npos ? pos[0] : NULL, l, &name, NULL, &err);
  json_decref(l);
  if (rc < 0)
    return cli_engine_error(err);
  puts(name);
  return 0;
}

struct vol_filter {
  struct strlist name, label, dangling;
};

static int parse_filters(const struct strlist *in, struct vol_filter *f) {
  for (size_t i = 0; i < in->n; i++) {
    const char *s = in->items[i], *eq = strchr(s, '=');
    struct strlist *to = NULL;
    if (eq && (size_t)(eq - s) == 4 && strncmp(s, "name", 4) == 0)
      to = &f->name;
    else if (eq && (size_t)(eq - s) == 5 && strncmp(s, "label", 5) == 0)
      to = &f->label;
    else if (eq && (size_t)(eq - s) == 8 && strncmp(s, "dangling", 8) == 0)
      to = &f->dangling;
    if (!to || (to == &f->dangling && strcmp(eq + 1, "true") &&
                strcmp(eq + 1, "false") && strcmp(eq + 1, "1") &&
                strcmp(eq + 1, "0"))) {
      cli_errorf(EXIT_USAGE, "volume ls: invalid filter `%s`", s);
      return -1;
    }
    to->items[to->n++] = eq + 1;
  }
  return 0;
}

static bool label_matches(json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  if (!eq)
    return json_object_get(labels, want) != NULL;
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(eq - want), want);
  const char *v = json_string_value(json_object_get(labels, key));
  return v && strcmp(v, eq + 1) == 0;
}

/* Docker: filters of one key are alternatives, different keys all apply
 * (labels: every one given must match). */
static bool matches(const struct berth_volume *v, const struct vol_filter *f) {
  bool ok = f->name.n == 0;
  for (size_t i = 0; i < f->name.n; i++)
    ok |= strstr(v->name, f->name.items[i]) != NULL;
  for (size_t i = 0; ok && i < f->label.n; i++)
    ok = label_matches(v->labels, f->label.items[i]);
  bool dangling_ok = f->dangling.n == 0;
  for (size_t i = 0; i < f->dangling.n; i++) {
    bool want = f->dangling.items[i][0] == 't' || f->dangling.items[i][0] == '1';
    dangling_ok |= want == (v->refs == 0);
  }
  return ok && dangling_ok;
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
  struct vol_filter f = {0};
  if (cli_args("volume ls", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0 ||
      parse_filters(&filters, &f) < 0)
    return EXIT_USAGE;
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
    if (!matches(&v[i], &f))
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

int cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL;
  const struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[256];
  size_t npos;
  if (cli_args("volume inspect", argc, argv, opts, ARRAY_SIZE(opts), pos, 256,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "volume inspect: requires at least 1 "
                                  "argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  json_t *all = json_array();
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    struct berth_volume v = {0};
    berth_error *err = NULL;
    if (berth_volume_get(e, pos[i], &v, &err) < 0) {
      status = cli_error(err, 1);
      continue;
    }
    json_array_append_new(all, inspect_json(e, &v));
    berth_volume_clear(&v);
  }
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

int cli_prune_volumes(struct berth_engine *e, bool all, uint64_t *freed,
                      berth_error **err) {
  char **names = NULL;
  size_t n = 0;
  uint64_t bytes = 0;
  if (berth_volume_prune(e, all, &names, &n, &bytes, err) < 0)
    return -1;
  if (n)
    puts("Deleted Volumes:");
  for (size_t i = 0; i < n; i++) {
    puts(names[i]);
    free(names[i]);
  }
  free(names);
  if (n)
    putchar('\n');
  *freed += bytes;
  return 0;
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
    /* As Docker: -f forgives missing volumes, never one in use. */
    if (berth_volume_remove(e, pos[i], &err) < 0 &&
        !(force && err->kind == BERTH_ERR_NOT_FOUND)) {
      status = cli_error(err, 1);
      continue;
    }
    berth_error_free(err);
    puts(pos[i]);
  }
  return status;
}

int cmd_volume_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false;
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused volumes, not just anonymous ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("volume prune", nw, w, opts, ARRAY_SIZE(opts), pos, 1,
                     &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "volume prune: takes no arguments");
  if (!force && !cli_confirm(all ? "WARNING! This will remove all local volumes "
                               "not used by at least one container."
                             : "WARNING! This will remove anonymous local "
                               "volumes not used by at least one container."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t bytes = 0;
  berth_error *err = NULL;
  if (cli_prune_volumes(e, all, &bytes, &err) < 0)
    return cli_engine_error(err);
  cli_print_reclaimed(bytes);
  return 0;
}
