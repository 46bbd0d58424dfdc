/* berth container prune, image prune, volume prune, builder prune and
 * system prune: the
 * engine decides what goes (prune.h) and reports it as the Engine API's
 * prune endpoints do; this file asks, calls and prints. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "build_cache.h"
#include "cleanup.h"
#include "engine.h"
#include "filter_kv.h"
#include "prune.h"
#include "volumes.h"

static int parse_prune_filters(const char *cmd, const struct strlist *l,
                               struct berth_prune_filter *f) {
  *f = (struct berth_prune_filter){0};
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  for (size_t i = 0; i < l->n; i++) {
    berth_error *err = NULL;
    if (berth_prune_filter_parse(f, l->items[i], now, &err) < 0)
      return cli_prefixed_error(cmd, err, EXIT_USAGE), -1;
  }
  return 0;
}

/* A list of a prune report under Docker's CLI heading, and a blank line. */
static void print_strings(json_t *list, const char *heading) {
  size_t i;
  json_t *v;
  if (json_array_size(list))
    puts(heading);
  json_array_foreach(list, i, v) puts(json_string_value(v));
  if (json_array_size(list))
    putchar('\n');
}

/* ImagesDeleted: image prune writes Docker's rmi words ("Untagged: ",
 * "Deleted: "), system prune its own section ("untagged: "). */
static void print_images(json_t *list, bool section) {
  size_t i;
  json_t *v;
  if (section && json_array_size(list))
    puts("Deleted Images:");
  json_array_foreach(list, i, v) {
    const char *u = json_string_value(json_object_get(v, "Untagged"));
    const char *d = json_string_value(json_object_get(v, "Deleted"));
    if (u)
      printf("%s %s\n", section ? "untagged:" : "Untagged:", u);
    if (d)
      printf("%s %s\n", section ? "deleted:" : "Deleted:", d);
  }
  if (section && json_array_size(list))
    putchar('\n');
}

static uint64_t reclaimed(json_t *report) {
  return (uint64_t)json_integer_value(json_object_get(report,
                                                      "SpaceReclaimed"));
}

static void print_prune_error(berth_error *err, void *arg) {
  (void)arg;
  cli_error(err, 1);
}

/* Prints the containers removed; adds the bytes to *freed. */
static int prune_containers(struct berth_engine *e,
                            const struct berth_prune_filter *f,
                            uint64_t *freed) {
  json_t *r = NULL;
  berth_error *err = NULL;
  int rc = berth_containers_prune(e, f, &r, print_prune_error, NULL, &err);
  if (rc < 0)
    return cli_error(err, 1);
  print_strings(json_object_get(r, "ContainersDeleted"),
                "Deleted Containers:");
  *freed += reclaimed(r);
  json_decref(r);
  return rc;
}

static int prune_images(struct berth_engine *e, bool all, bool section,
                        uint64_t *freed) {
  json_t *r = NULL;
  berth_error *err = NULL;
  int rc = berth_images_prune_report(e, all, &r, &err);
  print_images(json_object_get(r, "ImagesDeleted"), section);
  *freed += reclaimed(r);
  json_decref(r);
  if (rc < 0) {
    fflush(stdout); /* what went before the error, in order */
    return cli_error(err, 1);
  }
  return 0;
}

static int prune_volumes_where(struct berth_engine *e,
                               const struct berth_volume_prune_filter *f,
                               uint64_t *freed) {
  json_t *r = NULL;
  berth_error *err = NULL;
  if (berth_volumes_prune_filtered(e, f, &r, &err) < 0)
    return cli_engine_error(err);
  print_strings(json_object_get(r, "VolumesDeleted"), "Deleted Volumes:");
  *freed += reclaimed(r);
  json_decref(r);
  return 0;
}

static int prune_volumes(struct berth_engine *e, bool all, uint64_t *freed) {
  json_t *r = NULL;
  berth_error *err = NULL;
  if (berth_volumes_prune_report(e, all, &r, &err) < 0)
    return cli_engine_error(err);
  print_strings(json_object_get(r, "VolumesDeleted"), "Deleted Volumes:");
  *freed += reclaimed(r);
  json_decref(r);
  return 0;
}

/* CachesDeleted under Docker's heading; adds the bytes to *freed. */
static int prune_build_cache(struct berth_engine *e, bool all,
                             uint64_t *freed) {
  json_t *r = NULL;
  berth_error *err = NULL;
  int rc = berth_build_cache_prune_report(e, all, &r, &err);
  print_strings(json_object_get(r, "CachesDeleted"),
                "Deleted build cache objects:");
  *freed += reclaimed(r);
  json_decref(r);
  if (rc < 0) {
    fflush(stdout); /* what went before the error, in order */
    return cli_error(err, 1);
  }
  return 0;
}

int cmd_container_prune(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"until=<timestamp>\")"}};
  char *pos[1];
  size_t npos;
  if (cli_args("container prune", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  struct berth_prune_filter f;
  if (parse_prune_filters("container prune", &filters, &f) < 0)
    return EXIT_USAGE;
  if (!force && !cli_confirm("WARNING! This will remove all stopped containers."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t freed = 0;
  int status = prune_containers(e, &f, &freed);
  cli_print_reclaimed(freed);
  return status;
}

int cmd_image_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false;
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused images, not just dangling ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"}};
  char *pos[1];
  size_t npos;
  if (cli_args("image prune", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "image prune: takes no arguments");
  if (!force && !cli_confirm(all ? "WARNING! This will remove all images "
                                   "without at least one container "
                                   "associated to them."
                                 : "WARNING! This will remove all dangling "
                                   "images."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  uint64_t freed = 0;
  int status = prune_images(e, all, false, &freed);
  cli_print_reclaimed(freed);
  return status;
}

int cmd_builder_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false;
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused build cache, not just dangling ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("builder prune", nw, w, opts, ARRAY_SIZE(opts), pos, 1,
                     &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "builder prune: takes no arguments");
  if (!force && !cli_confirm(all ? "WARNING! This will remove all build "
                                   "cache."
                                 : "WARNING! This will remove all dangling "
                                   "build cache."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t freed = 0;
  int status = prune_build_cache(e, all, &freed);
  cli_print_reclaimed(freed);
  return status;
}

/* --filter label=, label!= (and all=, as the API takes it) into f. */
static int volume_prune_filters(const struct strlist *l,
                                struct berth_volume_prune_filter *f) {
  for (size_t i = 0; i < l->n; i++) {
    berth_error *err = NULL;
    char key[16];
    const char *value;
    if (berth_filter_kv(l->items[i], key, sizeof key, &value, &err) < 0 ||
        berth_volume_prune_filter_add(f, key, value, &err) < 0)
      return cli_prefixed_error("volume prune", err, EXIT_USAGE);
  }
  return 0;
}

int cmd_volume_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused volumes, not just anonymous ones"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"label=<label>\")"},
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
  struct berth_volume_prune_filter f = {0};
  if (volume_prune_filters(&filters, &f) != 0)
    return EXIT_USAGE;
  all = all || f.all;
  f.all = all;
  if (!force && !cli_confirm(all ? "WARNING! This will remove all local volumes "
                               "not used by at least one container."
                             : "WARNING! This will remove anonymous local "
                               "volumes not used by at least one container."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t bytes = 0;
  int rc = prune_volumes_where(e, &f, &bytes);
  if (rc == 0)
    cli_print_reclaimed(bytes);
  return rc;
}

int cmd_system_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false, volumes = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused images not just dangling ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"},
      {"volumes", OPT_BOOL, &volumes, NULL, "Prune anonymous volumes"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"label=<key>=<value>\")"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("system prune", nw, w, opts, ARRAY_SIZE(opts), pos, 0,
                     &npos) < 0)
    return EXIT_USAGE;
  struct berth_prune_filter f;
  if (parse_prune_filters("system prune", &filters, &f) < 0)
    return EXIT_USAGE;
  char warning[512];
  snprintf(warning, sizeof warning,
           "WARNING! This will remove:\n  - all stopped containers\n%s%s",
           volumes ? "  - all anonymous volumes not used by at least one "
                     "container\n"
                   : "",
           all ? "  - all images without at least one container associated "
                 "to them\n  - all build cache\n"
               : "  - all dangling images\n  - unused build cache\n");
  if (!force && !cli_confirm(warning))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t freed = 0;
  int status = prune_containers(e, &f, &freed);
  /* As Docker 23+: only anonymous volumes no container uses. */
  if (volumes && prune_volumes(e, false, &freed) != 0)
    status = 1;
  if (prune_images(e, all, true, &freed) != 0)
    status = 1;
  if (prune_build_cache(e, all, &freed) != 0)
    status = 1;
  cli_print_reclaimed(freed);
  return status;
}
