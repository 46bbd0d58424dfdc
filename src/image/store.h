/* The content store: blobs (layers, manifests, configs) addressed by their
 * sha256 digest under <root>/blobs/sha256/<hex>.
 *
 * A blob is never trusted without its digest: writes stream into a
 * temporary file while hashing and counting, and only a blob whose size
 * and digest match what was expected is fsynced and renamed into place.
 * Several processes may write the same or different blobs at once: each
 * writes its own temporary file and the rename is atomic (identical
 * content, so the last rename wins harmlessly). */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

struct berth_store;

/* Opens (creating when missing) the store at root. */
int berth_store_open(const char *root, struct berth_store **out,
                     berth_error **err);
void berth_store_free(struct berth_store *s);
const char *berth_store_root(const struct berth_store *s);

/* Path of a blob (whether or not it exists); digest must be valid. */
int berth_store_blob_path(const struct berth_store *s, const char *digest,
                          char *out, size_t len, berth_error **err);
bool berth_store_has(const struct berth_store *s, const char *digest);

struct berth_blob_writer;
/* Starts writing a blob that must have `digest` and, when size >= 0,
 * exactly `size` bytes (more is refused as soon as it arrives).  A NULL
 * digest imports content whose digest is not known in advance (load,
 * import): it is computed while writing and named by it on commit. */
int berth_blob_writer_new(struct berth_store *s, const char *digest,
                          int64_t size, struct berth_blob_writer **out,
                          berth_error **err);
int berth_blob_writer_write(struct berth_blob_writer *w, const void *data,
                            size_t len, berth_error **err);
/* Verifies size and digest, fsyncs and renames into place.  On a
 * mismatch the temporary file is removed and the store is unchanged. */
int berth_blob_writer_commit(struct berth_blob_writer *w, berth_error **err);
/* The blob's digest: the expected one, or once committed the computed. */
const char *berth_blob_writer_digest(const struct berth_blob_writer *w);
/* Bytes written so far. */
uint64_t berth_blob_writer_size(const struct berth_blob_writer *w);
/* Removes the temporary file of an uncommitted writer; frees it. */
void berth_blob_writer_free(struct berth_blob_writer *w);

/* Stores a buffer whose digest is computed here (manifests we write). */
int berth_store_put(struct berth_store *s, const void *data, size_t len,
                    char digest_out[BERTH_DIGEST_SIZE], berth_error **err);
/* Reads a whole blob of at most max_bytes, re-verifying its digest (a
 * blob changed on disk is an error, not data). */
int berth_store_get(const struct berth_store *s, const char *digest,
                    size_t max_bytes, char **data, size_t *len,
                    berth_error **err);
/* Opens a blob for reading (O_RDONLY|O_CLOEXEC); *size gets its size. */
int berth_store_open_blob(const struct berth_store *s, const char *digest,
                          int *fd, uint64_t *size, berth_error **err);
/* Removes a blob; a missing one is not an error. */
int berth_store_delete(struct berth_store *s, const char *digest,
                       berth_error **err);
/* Removes temporary files older than max_age_s (left by killed writers). */
int berth_store_clean_tmp(struct berth_store *s, int max_age_s,
                          berth_error **err);

#endif
