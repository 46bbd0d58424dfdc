/* berth images, rmi, tag, image inspect, image prune, system df. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "image_inspect.h"
#include "images.h"
#include "rows.h"
#include "image_filter.h"
#include "image_remove.h"
#include "manifest.h"
#include "reference.h"
#include "snapshot.h"

#define IMAGES_TABLE                                                           \
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
#define IMAGES_DIGESTS_TABLE                                                   \
  "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"                    \
  "{{.CreatedSince}}\t{{.Size}}"

struct images_opts {
  bool quiet, digests, all, no_trunc;
  const char *format;
};

/* One image: its id (-q) or its rows (one per tag). */
static int print_image(struct berth_engine *e, const struct berth_image *img,
                       const struct images_opts *o, struct cli_format *f) {
  if (o->quiet) {
    const char *hex = strchr(img->id, ':');
    printf("%.*s\n", o->no_trunc ? 80 : 12,
           o->no_trunc || !hex ? img->id : hex + 1);
    return 0;
  }
  struct berth_row_opts ro = {.no_trunc = o->no_trunc};
  json_t *rows = berth_image_rows(e, img, &ro), *row;
  size_t i;
  int rc = 0;
  json_array_foreach(rows, i, row) if (rc == 0)
      rc = cli_format_row(f, row, NULL);
  json_decref(rows);
  return rc;
}

int cmd_images(struct berth_cli *cli, int argc, char **argv) {
  struct images_opts o = {0};
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"quiet,q", OPT_BOOL, &o.quiet, NULL, "Only show image IDs"},
      {"digests", OPT_BOOL, &o.digests, NULL, "Show digests"},
      {"all,a", OPT_BOOL, &o.all, NULL,
       "Show all images (default hides intermediate images)"},
      {"no-trunc", OPT_BOOL, &o.no_trunc, NULL, "Don't truncate output"},
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
  if (!w ||
      cli_args("images", nw, w, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  struct cli_format f = {0};
  json_t *headers = berth_image_row_headers();
  int rc = o.quiet ? 0
                   : cli_format_open(&f, "images", o.format,
                                     o.digests ? IMAGES_DIGESTS_TABLE
                                               : IMAGES_TABLE,
                                     headers);
  json_decref(headers);
  if (rc < 0)
    return EXIT_USAGE;
  /* REPO[:TAG] is a reference filter (Docker's CLI sends it as one). */
  struct berth_image_filter filter;
  berth_image_filter_init(&filter);
  berth_error *err = NULL;
  _cleanup_free_ char *ref = NULL;
  if (npos && (asprintf(&ref, "reference=%s", pos[0]) < 0 ||
               berth_image_filter_add(&filter, ref, &err) < 0))
    rc = err ? cli_error(err, EXIT_USAGE) : EXIT_USAGE;
  for (size_t i = 0; rc == 0 && i < filters.n; i++)
    if (berth_image_filter_add(&filter, filters.items[i], &err) < 0)
      rc = cli_error(err, EXIT_USAGE);
  struct berth_engine *e;
  struct berth_image *imgs = NULL;
  size_t n = 0;
  if (rc == 0 && cli_engine(cli, &e) < 0)
    rc = 1;
  else if (rc == 0 &&
           berth_images_list_filtered(e->is, &filter, &imgs, &n, &err) < 0)
    rc = cli_error(err, 1);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = print_image(e, &imgs[i], &o, &f) < 0 ? EXIT_USAGE : 0;
  cli_format_close(&f);
  berth_images_free(imgs, n);
  return rc;
}

int cmd_image_inspect(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL;
  const struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "Format output using a custom template: 'json' or a Go template"}};
  char *pos[64];
  size_t npos;
  if (cli_args("image inspect", argc, argv, opts, ARRAY_SIZE(opts), pos, 64,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos == 0)
    return cli_errorf(EXIT_USAGE, "image inspect: requires an IMAGE");
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  json_t *arr = json_array();
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    char id[BERTH_DIGEST_SIZE];
    berth_error *err = NULL;
    struct berth_image img = {0};
    if (cli_resolve_image(cli, pos[i], id, &err) < 0 ||
        berth_images_get(is->db, id, &img, &err) < 0) {
      status = cli_error(err, 1);
      continue;
    }
    json_array_append_new(arr, berth_image_inspect(is, &img));
    berth_image_free(&img);
  }
  int rc = cli_print_docs("image inspect", arr, format);
  json_decref(arr);
  return rc ? rc : status;
}

int cmd_tag(struct berth_cli *cli, int argc, char **argv) {
  const struct opt opts[] = {{"", OPT_BOOL, NULL, NULL, NULL}};
  char *pos[3];
  size_t npos;
  if (cli_args("tag", argc, argv, opts, 0, pos, 3, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE, "tag: requires SOURCE and TARGET");
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  struct berth_ref ref = {0};
  if (cli_resolve_image(cli, pos[0], id, &err) < 0 ||
      berth_ref_parse(pos[1], &ref, &err) < 0)
    return cli_error(err, 1);
  if (ref.digest) {
    berth_ref_free(&ref);
    return cli_errorf(1, "tag: target `%s` may not contain a digest", pos[1]);
  }
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  _cleanup_free_ char *name = NULL;
  int rc = repo && asprintf(&name, "%s:%s", repo,
                            ref.tag ? ref.tag : "latest") >= 0
               ? berth_image_tag(cli->is, id, name, &err)
               : berth_error_sys(&err, "allocate");
  berth_ref_free(&ref);
  return rc < 0 ? cli_error(err, 1) : 0;
}
