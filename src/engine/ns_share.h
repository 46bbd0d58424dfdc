/* --pid, --ipc and --network: a container's own namespace, the host's, or
 * another container's (HostConfig.PidMode, .IpcMode, .NetworkMode; for
 * the network, every network other than host and container: is a
 * namespace of the container's own). */
#ifndef BERTH_ENGINE_NS_SHARE_H
#define BERTH_ENGINE_NS_SHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

enum berth_ns_mode {
  BERTH_NSMODE_PRIVATE,   /* its own (also "", "private", "shareable") */
  BERTH_NSMODE_NONE,      /* --ipc none: its own, without /dev/shm */
  BERTH_NSMODE_HOST,      /* no new namespace: the host's */
  BERTH_NSMODE_CONTAINER, /* another container's: "container:REF" */
};

/* The mode of HostConfig[key] ("PidMode", "IpcMode" or "NetworkMode").  *ref (when not
 * NULL) points into the value after "container:".  An unknown mode is
 * INVALID naming the flag. */
int berth_ns_mode(json_t *hostconfig, const char *key, enum berth_ns_mode *m,
                  const char **ref, berth_error **err);

/* Validates and normalises HostConfig.PidMode, .IpcMode and .NetworkMode of a create
 * request: "container:REF" must name a running container (for IPC one
 * created with --ipc shareable, as Docker) and is rewritten to
 * "container:<full id>", so that a later container taking the name is
 * never joined by mistake. */
int berth_ns_modes_check(struct berth_engine *e, json_t *hostconfig,
                         berth_error **err);

/* At start: the namespace file to join for HostConfig[key] when it is
 * container:ID ("/proc/PID/ns/pid" into path; *pid gets the other
 * container's init), "" when the mode is not container.  A container
 * that is gone or not running is a STATE error naming it. */
int berth_ns_join_path(struct berth_engine *e, json_t *hostconfig,
                       const char *key, char *path, size_t len, pid_t *pid,
                       berth_error **err);

/* Mounts at target (in the caller's mount namespace, which should be a
 * private one) a new proc filesystem of the pid namespace of `pid`, made
 * by a process of that namespace in the host's user namespace: the
 * container, in a user namespace of its own, could not mount it. */
int berth_ns_proc_of(pid_t pid, const char *target, berth_error **err);

#endif
