/* berth top: the engine's {Titles, Processes} (top.h), printed as
 * Docker's CLI prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "engine.h"
#include "top.h"

/* Docker's table: tabwriter cells of at least 20 columns, 3 of padding,
 * the last column unpadded. */
static void print_top(json_t *doc) {
  json_t *titles = json_object_get(doc, "Titles");
  json_t *procs = json_object_get(doc, "Processes");
  size_t ncol = json_array_size(titles), i, c;
  _cleanup_free_ size_t *w = calloc(ncol ? ncol : 1, sizeof *w);
  json_t *row;
  if (!w)
    return;
  for (c = 0; c < ncol; c++)
    w[c] = strlen(json_string_value(json_array_get(titles, c)));
  json_array_foreach(procs, i, row) for (c = 0; c < ncol; c++) {
    size_t l = strlen(json_string_value(json_array_get(row, c)) ?: "");
    w[c] = l > w[c] ? l : w[c];
  }
  for (i = 0; i <= json_array_size(procs); i++) {
    json_t *r = i == 0 ? titles : json_array_get(procs, i - 1);
    for (c = 0; c < ncol; c++) {
      const char *s = json_string_value(json_array_get(r, c)) ?: "";
      int width = w[c] + 3 < 20 ? 20 : (int)w[c] + 3;
      if (c + 1 < ncol)
        printf("%-*s", width, s);
      else
        printf("%s\n", s);
    }
  }
}

int cmd_top(struct berth_cli *cli, int argc, char **argv) {
  /* Everything after the container is ps's: no flags of our own (but
   * --help, and Docker's error for any other flag before it). */
  if (argc >= 1 && argv[0][0] == '-') {
    char *pos[1];
    size_t npos;
    if (cli_args("top", 1, argv, NULL, 0, pos, 1, &npos) < 0)
      return EXIT_USAGE;
  }
  if (argc < 1 || argv[0][0] == '-')
    return cli_errorf(EXIT_USAGE, "top: usage: berth top CONTAINER "
                                  "[ps OPTIONS]");
  /* Docker passes the options as one string (the API's ps_args). */
  _cleanup_free_ char *args = NULL;
  for (int i = 1; i < argc; i++) {
    char *j = NULL;
    if (asprintf(&j, "%s%s%s", args ? args : "", args ? " " : "", argv[i]) < 0)
      return cli_errorf(1, "top: out of memory");
    free(args);
    args = j;
  }
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  json_t *doc = NULL;
  berth_error *err = NULL;
  if (berth_ctr_top(e, argv[0], args, &doc, &err) < 0)
    return cli_error(err, 1);
  print_top(doc);
  json_decref(doc);
  return 0;
}
