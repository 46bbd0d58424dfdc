/* The files of volumes (engine-internal, for volumes.c): ownership
 * shifts between host id blocks, sizes, and copying an image's content
 * into a new volume as Docker does when a volume is first mounted over a
 * directory of the image. */
#ifndef BERTH_ENGINE_VOLUME_FILES_H
#define BERTH_ENGINE_VOLUME_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Moves the owners of everything below dirfd (not dirfd itself) whose
 * uid or gid lies in the block of 65536 ids at `from` to the same offset
 * in the block at `to`; other ids are kept.  Setuid/setgid bits survive.
 * Symlinks are changed themselves, never followed. */
int berth_volume_tree_shift(int dirfd, uint32_t from, uint32_t to,
                            berth_error **err);
/* Bytes of the regular files and symlinks under path (0 when it cannot
 * be read). */
uint64_t berth_volume_tree_size(const char *path);
/* Whether the directory fd has no entries. */
bool berth_volume_dir_empty(int fd);

/* Copies what the container would see at `target` (an absolute, clean
 * path) in the overlay of the snapshot directories `layers` (top layer
 * first: whiteouts and opaque directories hide lower layers as overlayfs
 * does) into the directory dst_fd, which should be empty.  Files get
 * their owner shifted into the block `base` (host id of the container's
 * root; 0 for the host's ids) and keep their mode and times; the
 * volume's root takes the mode and owner of the image's directory.
 * Regular files, directories and symlinks are copied; device nodes,
 * fifos and sockets are not.  Nothing is copied (and 0 returned) when
 * the target is missing, is not a directory, or a component of it is a
 * symlink in the image (not followed: a limitation).  Symlinks are never
 * followed, in the layers or in the destination. */
int berth_volume_copy_in(const char *const *layers, size_t n,
                         const char *target, int dst_fd, uint32_t base,
                         berth_error **err);

#endif
