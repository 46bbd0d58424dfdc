/* Which containers a listing shows: Docker's GET /containers/json?all&
 * limit&filters= (what `berth ps` prints).  Values of one key are
 * alternatives, different keys must all match; every `label` must. */
#ifndef BERTH_ENGINE_CTR_FILTER_H
#define BERTH_ENGINE_CTR_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

#define BERTH_CTR_FILTER_MAX 64

struct berth_ctr_filter {
  bool all;     /* stopped containers too (status= and exited= imply it) */
  size_t limit; /* the newest `limit` only; 0: no limit */
  struct {
    char key[16];
    const char *value;
  } f[BERTH_CTR_FILTER_MAX];
  size_t n;
};

/* Adds one "key=value": id, name (regular expressions, as Docker),
 * label (k or k=v), status, exited, ancestor (image name[:tag], id or id
 * prefix: containers of that image and of images built on it, i.e. that
 * add layers to its stack and continue its config's history, as commit
 * does), before, since (a container), volume (name or mount point),
 * health, network.  INVALID naming the filter otherwise. */
int berth_ctr_filter_add(struct berth_ctr_filter *f, const char *kv,
                         berth_error **err);

/* The matching containers, newest first, their state refreshed. */
int berth_ctr_list_filtered(struct berth_engine *e,
                            const struct berth_ctr_filter *f,
                            struct berth_ctr **out, size_t *n,
                            berth_error **err);

#endif
