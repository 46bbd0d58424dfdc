/* berth network create, ls, inspect, rm, prune, connect, disconnect:
 * flags in, the engine's networks.h decides, results out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "flags.h"
#include "networks.h"
#include "prune.h"

/* KEY=VALUE (or KEY for labels) words into an object. */
static int kv_object(const char *flag, const struct strlist *l, bool label,
                     json_t **out) {
  berth_error *err = NULL;
  *out = json_object();
  for (size_t i = 0; i < l->n; i++) {
    char *k, *v;
    int rc = label ? berth_parse_label(l->items[i], &k, &v, &err)
                   : berth_parse_key_value(flag, l->items[i], &k, &v, &err);
    if (rc < 0)
      return cli_prefixed_error("network create", err, EXIT_USAGE);
    json_object_set_new(*out, k, json_string(v));
    free(k);
    free(v);
  }
  return 0;
}

struct create_flags {
  const char *driver;
  struct strlist subnets, gateways, ranges, labels, opts;
  bool ipv6, internal;
};

/* The Engine API's NetworkCreateRequest from the flags. */
static int create_body(const struct create_flags *f, const char *name,
                       json_t **body) {
  json_t *labels = NULL, *options = NULL, *config = NULL;
  berth_error *err = NULL;
  if (kv_object("--label", &f->labels, true, &labels) ||
      kv_object("--opt", &f->opts, false, &options) ||
      berth_network_ipam_pairs(
          f->subnets.items, f->subnets.n, f->gateways.items, f->gateways.n,
          f->ranges.items, f->ranges.n, &config, &err) < 0) {
    json_decref(labels);
    json_decref(options);
    json_decref(config);
    return err ? cli_prefixed_error("network create", err, EXIT_USAGE)
               : EXIT_USAGE;
  }
  *body =
      json_pack("{s:s,s:s,s:b,s:b,s:{s:s,s:o},s:o,s:o}", "Name", name, "Driver",
                f->driver ? f->driver : "bridge", "EnableIPv6", f->ipv6,
                "Internal", f->internal, "IPAM", "Driver", "default", "Config",
                config, "Options", options, "Labels", labels);
  return 0;
}

int cmd_network_create(struct berth_cli *cli, int argc, char **argv) {
  struct create_flags f = {0};
  const struct opt opts[] = {
      {"driver,d", OPT_STRING, &f.driver, NULL,
       "Driver to manage the Network (default \"bridge\")"},
      {"subnet", OPT_LIST, &f.subnets, NULL,
       "Subnet in CIDR format that represents a network segment"},
      {"gateway", OPT_LIST, &f.gateways, NULL,
       "IPv4 or IPv6 Gateway for the master subnet"},
      {"ip-range", OPT_LIST, &f.ranges, NULL,
       "Allocate container ip from a sub-range"},
      {"ipv6", OPT_BOOL, &f.ipv6, NULL, "Enable or disable IPv6 networking"},
      {"internal", OPT_BOOL, &f.internal, NULL,
       "Restrict external access to the network"},
      {"label", OPT_LIST, &f.labels, NULL, "Set metadata on a network"},
      {"opt,o", OPT_LIST, &f.opts, NULL, "Set driver specific options"}};
  char *pos[2];
  size_t npos;
  if (cli_args("network create", argc, argv, opts, ARRAY_SIZE(opts), pos, 2,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE,
                      "network create: requires exactly 1 argument");
  json_t *body = NULL, *res = NULL;
  int bad = create_body(&f, pos[0], &body);
  if (bad)
    return bad;
  struct berth_engine *e;
  berth_error *err = NULL;
  int rc = 0;
  if (cli_engine(cli, &e) < 0)
    rc = EXIT_USAGE;
  else if (berth_network_create_request(e, body, &res, &err) < 0)
    rc = cli_error(err, EXIT_USAGE);
  else
    puts(json_string_value(json_object_get(res, "Id")));
  json_decref(body);
  json_decref(res);
  return rc;
}

static int print_networks(struct berth_engine *e, bool quiet, bool no_trunc,
                          const struct berth_network_filter *f,
                          struct cli_format *out) {
  struct berth_network *v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_network_list(e, &v, &n, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int users = berth_network_users(e, v[i].id, &err);
    if (users < 0) {
      rc = cli_error(err, EXIT_USAGE);
      break;
    }
    if (!berth_network_matches(&v[i], users, f))
      continue;
    if (quiet) {
      printf(no_trunc ? "%s\n" : "%.12s\n", v[i].id);
      continue;
    }
    json_t *methods = NULL, *j = berth_network_row(&v[i], no_trunc, &methods);
    if (cli_format_row(out, j, methods) < 0)
      rc = EXIT_USAGE;
    json_decref(j);
    json_decref(methods);
  }
  berth_networks_free(v, n);
  return rc;
}

int cmd_network_ls(struct berth_cli *cli, int argc, char **argv) {
  bool quiet = false, no_trunc = false;
  const char *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Only display network IDs"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"driver=bridge\")"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"},
      {"no-trunc", OPT_BOOL, &no_trunc, NULL, "Do not truncate the output"}};
  char *pos[1];
  size_t npos;
  struct berth_network_filter f = {0};
  if (cli_args("network ls", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "network ls: takes no arguments");
  for (size_t i = 0; i < filters.n; i++) {
    berth_error *err = NULL;
    if (berth_network_filter_parse(&f, filters.items[i], &err) < 0)
      return cli_prefixed_error("network ls", err, EXIT_USAGE);
  }
  struct cli_format out;
  json_t *headers = berth_network_row_headers();
  int rc = quiet ? 0
                 : cli_format_open(&out, "network ls", format,
                                   "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t"
                                   "{{.Scope}}",
                                   headers);
  json_decref(headers);
  if (rc < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  rc = cli_engine(cli, &e) < 0 ? EXIT_USAGE
                               : print_networks(e, quiet, no_trunc, &f, &out);
  if (!quiet)
    cli_format_close(&out);
  return rc;
}

static json_t *network_doc(struct berth_cli *cli, const char *name,
                           berth_error **err) {
  struct berth_engine *e;
  struct berth_network n = {0};
  if (cli_engine(cli, &e) < 0) {
    berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the engine");
    return NULL;
  }
  if (berth_network_find(e, name, &n, err) < 0)
    return NULL;
  json_t *j = berth_network_inspect(e, &n, err);
  berth_network_clear(&n);
  return j;
}

int cmd_network_inspect(struct berth_cli *cli, int argc, char **argv) {
  json_t *all;
  const char *format = NULL;
  int status;
  int bad = cli_inspect_collect(cli, "network inspect", argc, argv, network_doc,
                                &all, &format, &status);
  if (bad)
    return bad;
  int rc = cli_print_docs("network inspect", all, format);
  json_decref(all);
  return rc ? rc : status;
}

int cmd_network_rm(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  const struct opt opts[] = {{"force,f", OPT_BOOL, &force, NULL,
                              "Do not error if the network does not exist"}};
  char *pos[256];
  size_t npos;
  if (cli_args("network rm", argc, argv, opts, ARRAY_SIZE(opts), pos, 256,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "network rm: requires at least 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    if (berth_network_remove(e, pos[i], &err) == 0) {
      puts(pos[i]);
    } else if (force && err->kind == BERTH_ERR_NOT_FOUND) {
      berth_error_free(err);
    } else {
      status = cli_error(err, EXIT_USAGE);
    }
  }
  return status;
}

int cmd_network_prune(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"until=<timestamp>\")"}};
  char *pos[1];
  size_t npos;
  if (cli_args("network prune", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "network prune: takes no arguments");
  struct berth_prune_filter f = {0};
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  berth_error *err = NULL;
  for (size_t i = 0; i < filters.n; i++)
    if (berth_prune_filter_parse(&f, filters.items[i], now, &err) < 0)
      return cli_prefixed_error("network prune", err, EXIT_USAGE);
  if (!force && !cli_confirm("WARNING! This will remove all custom networks "
                             "not used by at least one container."))
    return 0;
  struct berth_engine *e;
  json_t *removed = NULL, *v;
  size_t i;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int rc = berth_network_prune(e, &f, &removed, &err);
  if (json_array_size(removed))
    puts("Deleted Networks:");
  json_array_foreach(removed, i, v) puts(json_string_value(v));
  json_decref(removed);
  return rc < 0 ? cli_error(err, EXIT_USAGE) : 0;
}

int cmd_network_connect(struct berth_cli *cli, int argc, char **argv) {
  const char *ip = NULL, *ip6 = NULL;
  struct strlist aliases = {0};
  const struct opt opts[] = {
      {"ip", OPT_STRING, &ip, NULL, "IPv4 address (e.g., \"172.30.100.104\")"},
      {"ip6", OPT_STRING, &ip6, NULL, "IPv6 address (e.g., \"2001:db8::33\")"},
      {"alias", OPT_LIST, &aliases, NULL,
       "Add network-scoped alias for the container"}};
  char *pos[3];
  size_t npos;
  if (cli_args("network connect", argc, argv, opts, ARRAY_SIZE(opts), pos, 3,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE,
                      "network connect: requires exactly 2 arguments");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  json_t *a = json_array();
  for (size_t i = 0; i < aliases.n; i++)
    json_array_append_new(a, json_string(aliases.items[i]));
  berth_error *err = NULL;
  int rc = berth_network_connect(e, pos[0], pos[1], ip, ip6, a, &err);
  json_decref(a);
  return rc < 0 ? cli_error(err, EXIT_USAGE) : 0;
}

int cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  const struct opt opts[] = {{"force,f", OPT_BOOL, &force, NULL,
                              "Force the container to disconnect from a "
                              "network"}};
  char *pos[3];
  size_t npos;
  if (cli_args("network disconnect", argc, argv, opts, ARRAY_SIZE(opts), pos, 3,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE,
                      "network disconnect: requires exactly 2 arguments");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_network_disconnect(e, pos[0], pos[1], force, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  return 0;
}
