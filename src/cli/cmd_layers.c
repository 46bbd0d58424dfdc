/* berth diff and berth history: what a container changed, what made an
 * image's layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "diff.h"
#include "engine.h"
#include "history.h"

static int print_change(void *arg, const char *path,
                        enum berth_change_kind kind) {
  (void)arg;
  static const char letters[] = {'C', 'A', 'D'};
  return printf("%c %s\n", letters[kind], path) < 0 ? -1 : 0;
}

int cmd_diff(struct berth_cli *cli, int argc, char **argv) {
  const struct opt opts[] = {{"", OPT_BOOL, NULL, NULL, NULL}};
  char *pos[2];
  size_t npos;
  if (cli_args("diff", argc, argv, opts, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "diff: requires exactly 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_ctr_changes(e, pos[0], print_change, NULL, &err) < 0)
    return cli_error(err, 1);
  return 0;
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
