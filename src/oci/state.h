/* Container state on disk: <root>/<id>/state.json (written atomically),
 * the copy of config.json the container was created from, and the
 * exec.sock that marks a created-but-not-started container. */
#ifndef BERTH_OCI_STATE_H
#define BERTH_OCI_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct berth_state {
  char *id;
  pid_t pid;                     /* host pid of the init; 0 while creating */
  unsigned long long start_time; /* /proc/PID/stat field 22: guards reuse */
  char *bundle;
  char *rootfs;
  char *created;                 /* RFC 3339 */
  char *cgroup_path;
  char *owner;
  json_t *annotations;
  bool started;                  /* start was called (or run) */
  bool no_poststop;              /* the config has no poststop hooks: delete
                                    need not read it (absent: it may) */
  unsigned long long rootfs_base_mnt; /* no mount namespace of its own: the
                                    mount id the rootfs path showed before
                                    create (mntns_shared.h); 0 otherwise */
};

/* Ids as runc accepts them: [A-Za-z0-9_+.-], not "." or "..". */
int berth_id_validate(const char *id, berth_error **err);
/* "<root>/<id>" (malloc'd). */
char *berth_state_dir(const char *root, const char *id);
int berth_state_write(const char *root, const struct berth_state *st,
                      berth_error **err);
/* NOT_FOUND error "container `id` does not exist" when absent. */
int berth_state_read(const char *root, const char *id,
                     struct berth_state **out, berth_error **err);
void berth_state_free(struct berth_state *st);
/* "creating", "created", "running", "paused" or "stopped". */
const char *berth_state_status(const char *root, const struct berth_state *st);
/* The OCI state object (ociVersion, id, status, pid, bundle, annotations)
 * plus runc's extra fields (rootfs, created, owner). */
json_t *berth_state_to_json(const struct berth_state *st, const char *status);
/* Takes an exclusive flock on the container's directory; returns the fd. */
int berth_state_lock(const char *root, const char *id, berth_error **err);
/* Start time of pid from /proc (0 when the process is gone). */
unsigned long long berth_proc_start_time(pid_t pid);
/* True when pid is alive, not a zombie, and started at start_time. */
bool berth_proc_alive(pid_t pid, unsigned long long start_time);

#endif
