/* Pulling and pushing images: the registry client, the content store,
 * snapshots and the database put together. */
#ifndef BERTH_IMAGE_PULL_H
#define BERTH_IMAGE_PULL_H

#include <stdint.h>

#include "digest.h"
#include "imgstore.h"
#include "reference.h"
#include "registry.h"

enum berth_xfer_phase {
  BERTH_XFER_EXISTS,      /* already in the store */
  BERTH_XFER_DOWNLOADING, /* done/total bytes */
  BERTH_XFER_DOWNLOADED,
  BERTH_XFER_EXTRACTING,
  BERTH_XFER_DONE,        /* unpacked, or pushed */
  BERTH_XFER_UPLOADING,
  BERTH_XFER_SKIPPED,     /* push: the registry has it */
};

/* Progress of one layer (item) of a pull or push.  Called from the
 * calling thread and from unpacking threads: implementations lock. */
typedef void (*berth_xfer_fn)(void *ctx, size_t item, const char *digest,
                              enum berth_xfer_phase phase, uint64_t done,
                              uint64_t total);

struct berth_pull_opts {
  struct berth_registry_opts reg;
  const char *platform; /* "linux/amd64" when NULL */
  berth_xfer_fn xfer;
  void *xfer_ctx;
};

/* Pulls ref into the store and records it; id gets the image id. */
int berth_pull(struct berth_imgstore *is, const struct berth_ref *ref,
               const struct berth_pull_opts *opts,
               char id[BERTH_DIGEST_SIZE], berth_error **err);

/* Pushes the local image `id` as dest (tag "latest" when dest has none);
 * digest gets the manifest digest the registry stored. */
int berth_push(struct berth_imgstore *is, const char *id,
               const struct berth_ref *dest,
               const struct berth_pull_opts *opts,
               char digest[BERTH_DIGEST_SIZE], berth_error **err);

/* The host's platform as OCI names it ("linux", "amd64", variant). */
void berth_host_platform(const char **os, const char **arch,
                         const char **variant);

#endif
