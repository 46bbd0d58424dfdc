/* An image's history, as Docker's GET /images/{name}/history: one entry
 * per history item of the config, newest first, with the size of the
 * layer the item made (0 for empty_layer items). */
#ifndef BERTH_IMAGE_HISTORY_H
#define BERTH_IMAGE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "imgstore.h"

struct berth_history_entry {
  char *id;         /* the image's id on the newest entry, else "<missing>" */
  int64_t created;  /* ns since the epoch; 0 when unknown */
  char *created_by; /* "" when absent */
  char *comment;    /* "" when absent */
  int64_t size;     /* unpacked bytes of the layer it made */
  char **tags;      /* the image's tags on the newest entry, else empty */
};

int berth_image_history(struct berth_imgstore *is, const char *what,
                        struct berth_history_entry **out, size_t *n,
                        berth_error **err);
void berth_history_free(struct berth_history_entry *h, size_t n);

#endif
