/* Progress display for pulls and pushes. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"

static const char *phase_name(enum berth_xfer_phase ph) {
  switch (ph) {
  case BERTH_XFER_EXISTS: return "Already exists";
  case BERTH_XFER_DOWNLOADING: return "Downloading";
  case BERTH_XFER_DOWNLOADED: return "Download complete";
  case BERTH_XFER_EXTRACTING: return "Extracting";
  case BERTH_XFER_DONE: return "Complete";
  case BERTH_XFER_UPLOADING: return "Pushing";
  case BERTH_XFER_SKIPPED: return "Layer already exists";
  }
  return "";
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, bool quiet) {
  memset(p, 0, sizeof *p);
  p->quiet = quiet;
  p->tty = !quiet && isatty(STDERR_FILENO);
  pthread_mutex_init(&p->mu, NULL);
}

static void draw_line(const struct progress_line *l) {
  char bar[32] = "";
  if (l->phase == BERTH_XFER_DOWNLOADING && l->total > 0) {
    int w = 25, fill = (int)((double)l->done / (double)l->total * w);
    fill = fill > w ? w : fill;
    memset(bar, '=', (size_t)fill);
    bar[fill] = fill < w ? '>' : '\0';
    if (fill < w)
      memset(bar + fill + 1, ' ', (size_t)(w - fill - 1)), bar[w] = '\0';
    char d[16], t[16];
    cli_human_size((double)l->done, d, sizeof d);
    cli_human_size((double)l->total, t, sizeof t);
    fprintf(stderr, "\033[2K%s: %s [%s] %s/%s\n", l->id, phase_name(l->phase),
            bar, d, t);
  } else {
    fprintf(stderr, "\033[2K%s: %s\n", l->id, phase_name(l->phase));
  }
}

/* Redraws every line in place (terminal only), at most every 100 ms. */
static void redraw(struct progress *p, bool force) {
  long long t = now_ms();
  if (!force && t - p->last_draw_ms < 100)
    return;
  p->last_draw_ms = t;
  if (p->drawn)
    fprintf(stderr, "\033[%zuA", p->drawn);
  for (size_t i = 0; i < p->n; i++)
    draw_line(&p->lines[i]);
  p->drawn = p->n;
  fflush(stderr);
}

void progress_event(void *ctx, size_t item, const char *digest,
                    enum berth_xfer_phase phase, uint64_t done,
                    uint64_t total) {
  struct progress *p = ctx;
  if (p->quiet)
    return;
  pthread_mutex_lock(&p->mu);
  if (item >= p->n) {
    struct progress_line *nl = realloc(p->lines, (item + 1) * sizeof *nl);
    if (!nl) {
      pthread_mutex_unlock(&p->mu);
      return;
    }
    memset(nl + p->n, 0, (item + 1 - p->n) * sizeof *nl);
    p->lines = nl;
    p->n = item + 1;
  }
  struct progress_line *l = &p->lines[item];
  const char *hex = strchr(digest, ':');
  snprintf(l->id, sizeof l->id, "%s", hex ? hex + 1 : digest);
  l->phase = phase;
  l->done = done;
  l->total = total;
  if (p->tty)
    redraw(p, phase != BERTH_XFER_DOWNLOADING);
  else if (phase == BERTH_XFER_EXISTS || phase == BERTH_XFER_DONE ||
           phase == BERTH_XFER_SKIPPED)
    fprintf(stderr, "%s: %s\n", l->id, phase_name(phase));
  pthread_mutex_unlock(&p->mu);
}

void progress_finish(struct progress *p) {
  if (p->tty && p->n)
    redraw(p, true);
  free(p->lines);
  pthread_mutex_destroy(&p->mu);
}
