/* berth rmi and image prune: removing images (the image layer decides,
 * see image/image_remove.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "images.h"
#include "images_in_use.h"
#include "prune.h"

/* Prints what went with a deleted image: its names, then its id. */
static void print_deleted(const struct berth_image *img, void *arg) {
  (void)arg;
  for (char **t = img->tags; t && *t; t++)
    printf("Untagged: %s\n", *t);
  for (char **d = img->digests; d && *d; d++)
    printf("Untagged: %s\n", *d);
  printf("Deleted: %s\n", img->id);
}

/* Docker's rmi: each step the image layer took, as the Engine API
 * lists them. */
static void print_report(const struct berth_rmi_report *r) {
  for (size_t i = 0; i < r->n; i++) {
    if (r->items[i].untagged)
      printf("Untagged: %s\n", r->items[i].untagged);
    else
      printf("Deleted: %s\n", r->items[i].deleted);
  }
}

int cmd_rmi(struct berth_cli *cli, int argc, char **argv) {
  bool force = false, noprune = false;
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Force removal of the image"},
      {"no-prune", OPT_BOOL, &noprune, NULL,
       "Do not delete untagged parents"}};
  char *pos[128];
  size_t npos;
  if (cli_args("rmi", argc, argv, opts, ARRAY_SIZE(opts), pos, 128, &npos) <
      0)
    return EXIT_USAGE;
  if (npos == 0)
    return cli_errorf(EXIT_USAGE, "rmi: requires at least 1 IMAGE");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  /* As Docker: with -f, images that do not exist are reported on stderr
   * but do not fail the command; any other error does. */
  bool fatal = false, failed = false;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    struct berth_rmi_report r = {0};
    int rc = berth_engine_image_remove(e, pos[i], force, noprune, &r, &err);
    print_report(&r);
    berth_rmi_report_free(&r);
    if (rc < 0) {
      fflush(stdout); /* what went before the error, in order */
      failed = true;
      fatal |= err->kind != BERTH_ERR_NOT_FOUND;
      cli_error(err, 1);
    }
  }
  return failed && (!force || fatal) ? 1 : 0;
}

static bool confirm(const char *question) {
  fprintf(stderr, "%s [y/N] ", question);
  char line[16];
  return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
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
  if (!force && !confirm(all ? "WARNING! This will remove all images."
                             : "WARNING! This will remove all dangling "
                               "images."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  uint64_t freed = 0;
  berth_error *err = NULL;
  int status = 0;
  if (berth_images_prune(e, all, print_deleted, NULL, &freed, &err) < 0)
    status = cli_error(err, 1);
  cli_print_reclaimed(freed);
  return status;
}
