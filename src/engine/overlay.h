/* A container's root filesystem: an overlay of its image's snapshots
 * (shared by every container, never copied) under its own upper dir.
 *
 * In a user namespace, container root is an unprivileged id on the host,
 * while snapshot files belong to host root.  Each snapshot is therefore
 * given to overlayfs through an idmapped mount (host id N appears as
 * base + N), so the container sees its files owned by its own root and the
 * snapshots stay shared.  Kernels without idmapped overlay layers (before
 * 5.19) get an UNSUPPORTED error; the fallback there would be a chowned
 * copy of each snapshot per id range, which berth does not make. */
#ifndef BERTH_ENGINE_OVERLAY_H
#define BERTH_ENGINE_OVERLAY_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct berth_overlay {
  const char *snapshots_root; /* berth root: snapshots/<hex>/fs */
  char *const *chain_ids;     /* bottom layer first */
  size_t n_layers;
  const char *dir;            /* containers/<id>: upper/, work/, rootfs/ */
  uint32_t id_base, id_count; /* id_count 0: no idmapping */
};

/* Creates upper/ and work/ (owned by the container's root) if needed,
 * and, for an image without layers, the empty lower dir empty/. */
int berth_overlay_prepare(const struct berth_overlay *o, berth_error **err);
/* Mounts the overlay on dir/rootfs, in the caller's mount namespace (the
 * engine calls it in the monitor's private one, so the mount dies with
 * the container and no crash can leak it). */
int berth_overlay_mount(const struct berth_overlay *o, berth_error **err);

/* The layers' merged tree, read-only, as a detached mount (no path leads
 * to it; it goes away with the returned fd): an empty tmpfs for no
 * layer, a bind for one, an overlay of lowers for more.  Files keep the
 * snapshots' ids (no idmapping).  For COPY --from. */
int berth_overlay_open_ro(const char *snapshots_root, char *const *chain_ids,
                          size_t n, berth_error **err);

/* A user namespace mapping 0..count-1 to base..: the fd for idmapped
 * mounts. */
int berth_idmap_userns(uint32_t base, uint32_t count, berth_error **err);
/* Attaches an idmapped clone of src (its ids seen through userns_fd, attrs
 * set too) on target, which must exist and be of src's kind. */
int berth_idmapped_bind(const char *src, const char *target, int userns_fd,
                        unsigned attrs, berth_error **err);

#endif
