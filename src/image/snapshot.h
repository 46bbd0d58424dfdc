/* Snapshots: each layer unpacked once, in its own directory named by its
 * chain id, <root>/snapshots/<hex>/fs, ready to be a lower layer of an
 * overlay mount.  <hex>/size holds the bytes it unpacked to.
 *
 * A snapshot appears atomically: it is unpacked under snapshots/tmp/ and
 * renamed into place only once complete, verified and synced to disk, so
 * a crash or a hostile layer never leaves a partial snapshot that looks
 * valid.  Two
 * processes unpacking the same layer race harmlessly: the first rename
 * wins and the loser removes its copy. */
#ifndef BERTH_IMAGE_SNAPSHOT_H
#define BERTH_IMAGE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layer.h"

/* "<root>/snapshots/<hex>" of a valid chain id. */
int berth_snapshot_dir(const char *root, const char *chain_id, char *out,
                       size_t len, berth_error **err);
bool berth_snapshot_exists(const char *root, const char *chain_id);
/* Unpacks the layer in blob_fd (compression as given) as the snapshot of
 * chain_id, checking that the uncompressed stream has digest diff_id.
 * An existing snapshot is kept.  *size gets the unpacked size. */
int berth_snapshot_create(const char *root, const char *chain_id,
                          const char *diff_id, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          uint64_t *size, berth_error **err);
/* The same in steps, for several layers at once (pull): open the sync
 * fd before unpacking the first (syncfs reports the write-back errors
 * that happened after its fd was opened), unpack each layer into a
 * temporary directory (*tmp_out, malloc'd; NULL when the snapshot exists
 * already), then publish them all: one syncfs, the renames, an fsync of
 * snapshots/.  Publishing frees and NULLs each tmps[i] it consumed; the
 * caller removes (berth_rm_rf) and frees the ones left on failure. */
int berth_snapshot_sync_open(const char *root, berth_error **err);
int berth_snapshot_unpack(const char *root, const char *chain_id,
                          const char *diff_id, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          uint64_t *size, char **tmp_out, berth_error **err);
int berth_snapshot_publish(const char *root, int sync_fd,
                           const char *const *chain_ids, char **tmps,
                           size_t n, berth_error **err);
/* Unpacks a base layer whose diff id is not known in advance (import of
 * a root filesystem tarball): it is computed while unpacking, and the
 * snapshot named by it (a base layer's chain id is its diff id). */
int berth_snapshot_import(const char *root, int blob_fd,
                          enum berth_layer_compression comp,
                          const struct berth_layer_limits *limits,
                          char diff_id[72], uint64_t *size,
                          berth_error **err);
/* The unpacked size recorded with the snapshot. */
int berth_snapshot_size(const char *root, const char *chain_id,
                        uint64_t *size, berth_error **err);
/* Removes a snapshot (renamed away first, so it disappears at once). */
int berth_snapshot_remove(const char *root, const char *chain_id,
                          berth_error **err);
/* Removes leftovers of killed unpacks older than max_age_s. */
int berth_snapshot_clean_tmp(const char *root, int max_age_s,
                             berth_error **err);

#endif
