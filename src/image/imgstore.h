/* Everything images live in, opened together: <root>/blobs (the content
 * store), <root>/snapshots, <root>/berth.db, and <root>/gc.lock.
 *
 * Removing content races with adding it (a pull may be about to use a
 * blob that rmi finds unreferenced), so operations that add content hold
 * gc.lock shared and garbage collection holds it exclusive. */
#ifndef BERTH_IMAGE_IMGSTORE_H
#define BERTH_IMAGE_IMGSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "error.h"
#include "store.h"

/* What happened to an image, for the event log: action is Docker's
 * ("pull", "tag", "untag", "delete", "load", "import", "push", "save"),
 * actor the image id or the name Docker reports, name the reference
 * involved (may be NULL).  The image layer knows nothing of where events
 * are kept; whoever opens the store (the engine) installs the hook. */
typedef void (*berth_image_event_fn)(void *arg, const char *action,
                                     const char *actor, const char *name);

struct berth_imgstore {
  char *root;
  struct berth_store *store;
  struct berth_db *db;
  int lock_fd;
  int lock_depth; /* nested berth_imgstore_lock calls (see there) */
  berth_image_event_fn on_event; /* NULL: events are not recorded */
  void *event_arg;
};

/* Reports an image event through is->on_event, if any. */
void berth_imgstore_event(struct berth_imgstore *is, const char *action,
                          const char *actor, const char *name);

int berth_imgstore_open(const char *root, struct berth_imgstore **out,
                        berth_error **err);
void berth_imgstore_free(struct berth_imgstore *is);
/* flock on gc.lock: shared for adding content, exclusive for removing.
 * Calls nest: an inner lock/unlock pair keeps the outer lock (and its
 * mode), so a caller can hold the store across several steps that each
 * lock it (a build's layer blob and the image that references it: a gc
 * in between would collect the blob). */
int berth_imgstore_lock(struct berth_imgstore *is, bool exclusive,
                        berth_error **err);
void berth_imgstore_unlock(struct berth_imgstore *is);

/* Removes blobs and snapshots no image references (and temporary files
 * older than an hour).  Takes the exclusive lock.  *freed gets bytes. */
int berth_imgstore_gc(struct berth_imgstore *is, uint64_t *freed,
                      berth_error **err);

#endif
