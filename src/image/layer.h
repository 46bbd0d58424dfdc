/* Image layers: untrusted tar streams (plain, gzip or zstd) unpacked into
 * a snapshot directory, in the format overlayfs reads as a lower layer.
 *
 * Every path of the archive is resolved inside the snapshot (openat2
 * RESOLVE_IN_ROOT): entries with "..", absolute paths, paths through
 * symlinks of the layer and hard links to outside the snapshot can never
 * touch anything outside it.  OCI whiteouts become overlay whiteouts
 * (".wh.NAME" -> a 0:0 character device NAME; ".wh..wh..opq" -> the
 * trusted.overlay.opaque="y" xattr on the directory). */
#ifndef BERTH_IMAGE_LAYER_H
#define BERTH_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum berth_layer_compression {
  BERTH_LAYER_AUTO, /* detect from the first bytes */
  BERTH_LAYER_PLAIN,
  BERTH_LAYER_GZIP,
  BERTH_LAYER_ZSTD,
};

struct berth_layer_limits {
  uint64_t max_bytes;   /* sum of regular file sizes; 0: 64 GiB */
  uint64_t max_entries; /* 0: 10 million */
};

struct berth_layer_stats {
  uint64_t entries, bytes;
  /* sha256 of the uncompressed tar stream: the layer's diff id, which
   * the caller checks against the image config's rootfs.diff_ids. */
  char diff_id[72];
};

/* Reads the layer from fd (a blob of the content store) and unpacks it
 * into snapshot_dir, an existing empty directory.  Ownership, modes,
 * times, xattrs (file capabilities included) and device nodes are kept.
 * On error the directory may hold a partial unpack: the caller removes it
 * (snapshots are unpacked under a temporary name and renamed when
 * complete).  The error names the entry and what is wrong with it. */
int berth_layer_unpack(int fd, enum berth_layer_compression comp,
                       const char *snapshot_dir,
                       const struct berth_layer_limits *limits,
                       struct berth_layer_stats *stats, berth_error **err);

/* "application/vnd.oci.image.layer.v1.tar+gzip" and Docker's media types
 * -> compression; -1 for a type that is not a layer. */
int berth_layer_compression_from_media_type(const char *media_type);

#endif
