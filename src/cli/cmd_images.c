/* berth images, tag, rmi, history: the local images (inspect:
 * cmd_inspect.c; prune: cmd_prune.c; save, load, import: cmd_archive.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "history.h"
#include "image_filter.h"
#include "image_remove.h"
#include "images.h"
#include "images_in_use.h"
#include "reference.h"
#include "rows.h"

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
  filter.all = o.all;
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

/* "ab12…" to 44 characters and an ellipsis, as Docker's history table;
 * tabs as spaces. */
static void created_by_text(const char *s, bool trunc, char *out,
                            size_t len) {
  size_t n = 0, chars = 0, i = 0;
  for (; s[i] && n + 4 < len; i++) {
    if (trunc && ((unsigned char)s[i] & 0xc0) != 0x80 && ++chars > 44)
      break;
    out[n++] = s[i] == '\t' ? ' ' : s[i];
  }
  out[n] = '\0';
  if (trunc && s[i] && n + 4 <= len)
    strcat(out, "…");
}

static void print_history_row(const struct berth_history_entry *h,
                              bool human, bool trunc) {
  char id[80], created[48], size[24], by[4096];
  bool missing = strcmp(h->id, "<missing>") == 0;
  snprintf(id, sizeof id, "%.*s", trunc && !missing ? 12 : 80,
           trunc && !missing ? h->id + 7 : h->id);
  long long secs = (long long)(h->created / 1000000000);
  if (human) {
    cli_human_ago(NULL, secs, created, sizeof created);
    cli_human_size((double)h->size, size, sizeof size);
  } else {
    struct tm tm;
    time_t t = (time_t)secs;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(size, sizeof size, "%lld", (long long)h->size);
  }
  created_by_text(h->created_by, trunc, by, sizeof by);
  printf("%-14s %-23s %-48s %-10s %s\n", id, created, by, size, h->comment);
}

int cmd_history(struct berth_cli *cli, int argc, char **argv) {
  bool no_trunc = false, quiet = false, human = true, human_set = false;
  const struct opt opts[] = {
      {"no-trunc", OPT_BOOL, &no_trunc, NULL, "Don't truncate output"},
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Only show image IDs"},
      {"human,H", OPT_BOOL, &human, &human_set,
       "Print sizes and dates in human readable format"}};
  char *pos[2];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w ||
      cli_args("history", nw, w, opts, ARRAY_SIZE(opts), pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "history: requires exactly 1 argument");
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  struct berth_history_entry *h;
  size_t n;
  berth_error *err = NULL;
  if (berth_image_history(is, pos[0], &h, &n, &err) < 0)
    return cli_error(err, 1);
  if (!quiet)
    printf("%-14s %-23s %-48s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY",
           "SIZE", "COMMENT");
  for (size_t i = 0; i < n; i++) {
    if (quiet && strcmp(h[i].id, "<missing>") != 0 && !no_trunc)
      printf("%.12s\n", h[i].id + 7);
    else if (quiet)
      puts(h[i].id);
    else
      print_history_row(&h[i], human, !no_trunc);
  }
  berth_history_free(h, n);
  return 0;
}
