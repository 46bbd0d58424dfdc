/* Per-layer progress of pulls and pushes on stderr: bars redrawn in place
 * when stderr is a terminal, one line per finished layer otherwise, and
 * nothing with -q. */
#ifndef BERTH_CLI_PROGRESS_H
#define BERTH_CLI_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pull.h"

struct progress_line {
  char id[13];
  enum berth_xfer_phase phase;
  uint64_t done, total;
};

struct progress {
  bool quiet, tty;
  pthread_mutex_t mu;
  struct progress_line *lines;
  size_t n, drawn;
  long long last_draw_ms;
};

void progress_init(struct progress *p, bool quiet);
/* A berth_xfer_fn. */
void progress_event(void *ctx, size_t item, const char *digest,
                    enum berth_xfer_phase phase, uint64_t done,
                    uint64_t total);
/* Final redraw; frees. */
void progress_finish(struct progress *p);

#endif
