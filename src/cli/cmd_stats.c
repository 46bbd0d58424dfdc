/* berth stats: a live table of the containers' resource usage. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "engine.h"
#include "start.h"
#include "stats.h"

/* cmd_info.c: Go-template subset for --format. */

/* Docker's units: memory in binary units ("64MiB"), I/O in decimal
 * ("1.2kB"), both with 4 (memory) or 3 (I/O) significant digits. */
static void size_units(double v, bool binary, int prec, char *out, size_t len) {
  static const char *bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  static const char *dec[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double base = binary ? 1024 : 1000;
  size_t u = 0;
  while (v >= base && u + 1 < ARRAY_SIZE(bin)) {
    v /= base;
    u++;
  }
  snprintf(out, len, "%.*g%s", prec, v, binary ? bin[u] : dec[u]);
}

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

static json_t *row_json(const struct row *r, bool no_trunc) {
  const struct berth_stats *s = &r->cur;
  char cpu[16], mem[48], memp[16], net[48], blk[48], pids[24], a[16], b[16];
  double pct = r->have_prev ? berth_stats_cpu_percent(&r->prev, s) : 0.0;
  snprintf(cpu, sizeof cpu, "%.2f%%", pct);
  size_units((double)s->mem_usage, true, 4, a, sizeof a);
  size_units((double)s->mem_limit, true, 4, b, sizeof b);
  snprintf(mem, sizeof mem, "%s / %s", a, b);
  snprintf(memp, sizeof memp, "%.2f%%",
           s->mem_limit ? (double)s->mem_usage / (double)s->mem_limit * 100
                        : 0.0);
  size_units((double)s->net_rx, false, 3, a, sizeof a);
  size_units((double)s->net_tx, false, 3, b, sizeof b);
  snprintf(net, sizeof net, "%s / %s", a, b);
  size_units((double)s->blk_read, false, 3, a, sizeof a);
  size_units((double)s->blk_write, false, 3, b, sizeof b);
  snprintf(blk, sizeof blk, "%s / %s", a, b);
  snprintf(pids, sizeof pids, "%llu", (unsigned long long)s->pids);
  char id[65];
  snprintf(id, sizeof id, "%.*s", no_trunc ? 64 : 12, r->id);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "BlockIO", blk,
                   "CPUPerc", cpu, "Container", id, "ID", id, "MemPerc", memp,
                   "MemUsage", mem, "Name", r->name, "NetIO", net, "PIDs",
                   pids);
}

static const char *field(json_t *j, const char *k) {
  const char *v = json_string_value(json_object_get(j, k));
  return v ? v : "";
}

#define STATS_ROW "%-15s %-20s %-9s %-22s %-9s %-15s %-15s %s\n"

static void print_rows(const struct row *r, size_t n,
                       const struct stats_opts *o) {
  if (!o->format)
    printf(STATS_ROW, "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
           "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
  for (size_t i = 0; i < n; i++) {
    json_t *j = row_json(&r[i], o->no_trunc);
    if (!o->format)
      printf(STATS_ROW, field(j, "ID"), field(j, "Name"), field(j, "CPUPerc"),
             field(j, "MemUsage"), field(j, "MemPerc"), field(j, "NetIO"),
             field(j, "BlockIO"), field(j, "PIDs"));
    else if (strcmp(o->format, "json") == 0 ||
             strcmp(o->format, "{{json .}}") == 0) {
      char *s = json_dumps(j, JSON_COMPACT);
      puts(s ? s : "{}");
      free(s);
    } else {
      cli_print_template(j, o->format);
    }
    json_decref(j);
  }
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

static int stats_loop(struct berth_engine *e, const struct stats_opts *o) {
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
    print_rows(rows, n, o);
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
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  return stats_loop(e, &o);
}
