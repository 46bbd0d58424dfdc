/* berth stats: a live table of the containers' resource usage. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "rows.h"
#include "cleanup.h"
#include "containers.h"
#include "engine.h"
#include "start.h"
#include "stats.h"

struct row {
  char id[65];
  char *name;
  bool running;
  bool have_prev;
  struct berth_stats prev, cur;
};

static void rows_free(struct row *r, size_t n) {
  for (size_t i = 0; r && i < n; i++)
    free(r[i].name);
  free(r);
}

struct stats_opts {
  bool all, no_stream, no_trunc;
  const char *format;
  char **names;
  size_t nnames;
};

static bool is_running(struct berth_engine *e, struct berth_ctr *c) {
  berth_ctr_refresh(e, c, NULL);
  return strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
         strcmp(c->state, BERTH_ST_PAUSED) == 0;
}

/* The containers to show now: the named ones, or every running one (every
 * one with -a).  Samples carried over from `old` by id. */
static int collect(struct berth_engine *e, const struct stats_opts *o,
                   struct row *old, size_t nold, struct row **out,
                   size_t *nout) {
  struct berth_ctr *list = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_ctr_list(e->db, &list, &n, &err) < 0)
    return cli_error(err, 1), -1;
  struct row *rows = calloc(o->nnames ? o->nnames : n ? n : 1, sizeof *rows);
  size_t k = 0;
  int rc = 0;
  for (size_t i = 0; rows && i < (o->nnames ? o->nnames : n); i++) {
    struct berth_ctr *c = &list[i], *found = NULL;
    if (o->nnames) {
      if (berth_ctr_find(e->db, o->names[i], &found, &err) < 0) {
        rc = cli_error(err, 1);
        break;
      }
      c = found;
    }
    bool running = is_running(e, c);
    if (running || o->all || o->nnames) {
      rows[k] = (struct row){.running = running, .name = strdup(c->name)};
      memcpy(rows[k].id, c->id, sizeof rows[k].id);
      for (size_t j = 0; j < nold; j++)
        if (strcmp(old[j].id, c->id) == 0 && old[j].running) {
          rows[k].prev = old[j].cur;
          rows[k].have_prev = true;
        }
      k++;
    }
    berth_ctr_free(found);
  }
  berth_ctrs_free(list, n);
  if (!rows || rc) {
    rows_free(rows, k);
    return -1;
  }
  *out = rows;
  *nout = k;
  return 0;
}

static void sample(struct berth_engine *e, struct row *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    struct berth_ctr *c = NULL;
    r[i].cur = (struct berth_stats){0};
    if (!r[i].running || berth_ctr_get(e->db, r[i].id, &c, NULL) < 0)
      continue;
    if (berth_ctr_stats(e, c, &r[i].cur, NULL) < 0) {
      r[i].running = false;
      r[i].cur = (struct berth_stats){0};
    }
    berth_ctr_free(c);
  }
}

/* Docker's default: `table {{.ID}}\t{{.Name}}\t...` */
#define STATS_TABLE                                                            \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"      \
  "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

static int print_rows(const struct row *r, size_t n, struct cli_format *f,
                      bool no_trunc) {
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    json_t *j = berth_stats_row(r[i].id, r[i].name,
                                r[i].have_prev ? &r[i].prev : NULL, &r[i].cur,
                                no_trunc);
    rc = cli_format_row(f, j, NULL);
    json_decref(j);
  }
  cli_format_flush(f, true);
  return rc;
}

/* Waits one interval; false when a stop signal (or a closed reader)
 * ends the stream. */
static bool tick(const sigset_t *stop) {
  for (int i = 0; i < 5; i++) {
    struct timespec part = {0, 200000000};
    struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};
    if (sigtimedwait(stop, NULL, &part) > 0 ||
        (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))))
      return false;
  }
  return true;
}

static int stats_loop(struct berth_engine *e, const struct stats_opts *o,
                      struct cli_format *f) {
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop, &old);
  signal(SIGPIPE, SIG_IGN);
  struct row *rows = NULL;
  size_t n = 0;
  int status = 0;
  for (bool first = true;; first = false) {
    struct row *next = NULL;
    size_t nn = 0;
    if (collect(e, o, rows, n, &next, &nn) < 0) {
      status = 1;
      break;
    }
    rows_free(rows, n);
    rows = next;
    n = nn;
    sample(e, rows, n);
    /* CPU % compares two samples: the first table waits for a second. */
    bool want_prev = false;
    for (size_t i = 0; i < n; i++)
      want_prev = want_prev || (rows[i].running && !rows[i].have_prev);
    if (want_prev && first) {
      for (size_t i = 0; i < n; i++) {
        rows[i].prev = rows[i].cur;
        rows[i].have_prev = rows[i].running;
      }
      if (!tick(&stop))
        break;
      sample(e, rows, n);
    }
    if (!o->no_stream)
      fputs("\033[2J\033[H", stdout);
    if (print_rows(rows, n, f, o->no_trunc) < 0) {
      status = EXIT_USAGE;
      break;
    }
    if (fflush(stdout) != 0 || o->no_stream || !tick(&stop))
      break;
  }
  rows_free(rows, n);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return status;
}

int cmd_stats(struct berth_cli *cli, int argc, char **argv) {
  struct stats_opts o = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &o.all, NULL,
       "Show all containers (default shows just running)"},
      {"no-stream", OPT_BOOL, &o.no_stream, NULL,
       "Disable streaming stats and only pull the first result"},
      {"no-trunc", OPT_BOOL, &o.no_trunc, NULL, "Do not truncate output"},
      {"format", OPT_STRING, &o.format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[256];
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w ||
      cli_args("stats", nw, w, opts, ARRAY_SIZE(opts), pos, 256, &o.nnames) < 0)
    return EXIT_USAGE;
  o.names = pos;
  struct cli_format f;
  json_t *headers = berth_stats_row_headers();
  int rc = cli_format_open(&f, "stats", o.format, STATS_TABLE, headers);
  json_decref(headers);
  if (rc < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  rc = cli_engine(cli, &e) < 0 ? EXIT_USAGE : stats_loop(e, &o, &f);
  cli_format_close(&f);
  return rc;
}
