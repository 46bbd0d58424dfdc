/* The uncompressed bytes of a layer blob, for libarchive's tar reader,
 * hashed on the way through: their sha256 is the layer's diff id.
 *
 * gzip, by far the most common layer compression, goes through ISA-L's
 * igzip, several times faster than zlib; zstd and anything else through
 * libarchive's own filters. */
#ifndef BERTH_IMAGE_LAYER_STREAM_H
#define BERTH_IMAGE_LAYER_STREAM_H

#include <archive.h>

#include "error.h"
#include "layer.h"

struct layer_stream;

int layer_stream_open(int fd, enum berth_layer_compression comp,
                      struct layer_stream **out, berth_error **err);
/* archive_read_open() callback: client data is the stream. */
la_ssize_t layer_stream_read(struct archive *a, void *ud, const void **buf);
/* Reads what the tar reader left (end padding), checks the compressed
 * stream ended properly, and gives the diff id. */
int layer_stream_finish(struct layer_stream *s, char diff_id[72],
                        berth_error **err);
/* The error that made a read fail, if the stream caused it (moved out). */
berth_error *layer_stream_take_error(struct layer_stream *s);
void layer_stream_free(struct layer_stream *s);

#endif
