/* berth inspect and image inspect: the engine's documents, printed
 * as JSON or through a template. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "engine.h"
#include "image_inspect.h"
#include "images.h"
#include "inspect.h"
#include "start.h"

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

int cli_inspect_collect(struct berth_cli *cli, const char *cmd, int argc,
                        char **argv, cli_doc_fn doc, json_t **all,
                        const char **format, int *status) {
  const struct opt opts[] = {
      {"format,f", OPT_STRING, format, NULL,
       "Format output using a custom template: 'json' or a Go template"}};
  char *pos[256];
  size_t npos;
  *all = NULL;
  *status = 0;
  if (cli_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 256, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "%s: requires at least 1 argument", cmd);
  *all = json_array();
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    json_t *j = doc(cli, pos[i], &err);
    if (j)
      json_array_append_new(*all, j);
    else
      *status = cli_error(err, 1);
  }
  return 0;
}

static json_t *image_doc_opened(struct berth_cli *cli, const char *what,
                                berth_error **err) {
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0) {
    berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the image store");
    return NULL;
  }
  return image_doc(cli, what, err);
}

int cmd_image_inspect(struct berth_cli *cli, int argc, char **argv) {
  json_t *arr;
  const char *format = NULL;
  int status;
  int bad = cli_inspect_collect(cli, "image inspect", argc, argv,
                                image_doc_opened, &arr, &format, &status);
  if (bad)
    return bad;
  int rc = cli_print_docs("image inspect", arr, format);
  json_decref(arr);
  return rc ? rc : status;
}

