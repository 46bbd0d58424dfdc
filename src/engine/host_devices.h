/* The host's device nodes, for --privileged. */
#ifndef BERTH_ENGINE_HOST_DEVICES_H
#define BERTH_ENGINE_HOST_DEVICES_H

#include <jansson.h>

/* Appends to list (config.json linux.devices) every character and block
 * device under dev_dir (the host's /dev), with its host path, numbers,
 * mode and owner, as Docker gives them to a privileged container.
 * Skipped: what every container's runtime makes itself (console, ptmx,
 * tty, null, zero, full, random, urandom), the pts, shm, mqueue and fd
 * directories, symlinks, and paths already in list.  Best effort: an
 * entry that vanishes while being read is left out. */
void berth_host_devices(const char *dev_dir, json_t *list);

#endif
