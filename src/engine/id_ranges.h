/* Host id ranges of containers' user namespaces (table id_ranges): each
 * container in its own user namespace gets a block no other one has. */
#ifndef BERTH_ENGINE_ID_RANGES_H
#define BERTH_ENGINE_ID_RANGES_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* Host id ranges: count ids starting at a multiple of count, above the
 * ids of the host's users, not used by any other container.  The block is
 * freed with the container's record (ON DELETE CASCADE). */
int berth_idrange_alloc(struct berth_db *db, const char *container_id,
                        uint32_t count, uint32_t *base, berth_error **err);

#endif
