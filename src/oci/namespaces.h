/* Namespaces: the table of kinds, linux.namespaces parsing, id mappings
 * and time offsets, and the kernel calls to join or create them. */
#ifndef BERTH_OCI_NAMESPACES_H
#define BERTH_OCI_NAMESPACES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum berth_ns_kind {
  BERTH_NS_USER, /* first: joined/created before the others */
  BERTH_NS_PID,
  BERTH_NS_NET,
  BERTH_NS_IPC,
  BERTH_NS_UTS,
  BERTH_NS_MNT,
  BERTH_NS_CGROUP,
  BERTH_NS_TIME,
  BERTH_NS_COUNT
};

struct berth_id_map {
  uint32_t container_id, host_id, size;
};

struct berth_namespaces {
  bool present[BERTH_NS_COUNT]; /* listed in linux.namespaces */
  char *path[BERTH_NS_COUNT];   /* join this one (NULL: create new) */
  struct berth_id_map *uid_maps, *gid_maps;
  size_t n_uid_maps, n_gid_maps;
  bool has_time_offsets;
  int64_t monotonic_secs, boottime_secs;
  uint32_t monotonic_nsecs, boottime_nsecs;
};

struct berth_ns_info {
  const char *spec_name;  /* "pid", "network", ... as in config.json */
  const char *proc_name;  /* "pid", "net", ... as in /proc/PID/ns */
  int clone_flag;
};

extern const struct berth_ns_info berth_ns_table[BERTH_NS_COUNT];

/* obj[key]: an array of {containerID, hostID, size} (at most 340, size
 * > 0) into *out and *n.  Returns 1 when present, 0 when absent, -1 on error
 * (BERTH_ERR_SPEC naming path.key[i]). */
int berth_id_maps_parse(json_t *obj, const char *key, const char *path,
                        struct berth_id_map **out, size_t *n,
                        berth_error **err);
/* Parses linux.namespaces, linux.uidMappings/gidMappings, linux.timeOffsets
 * from the `linux` object. */
int berth_namespaces_parse(json_t *linux_obj, const char *path,
                           struct berth_namespaces *out, berth_error **err);
void berth_namespaces_free(struct berth_namespaces *ns);
/* CLONE_NEW* flags of the namespaces to create (present without a path). */
int berth_namespaces_clone_flags(const struct berth_namespaces *ns);
/* Writes /proc/PID/{uid_map,setgroups,gid_map} for a new user ns. */
int berth_namespaces_write_id_maps(const struct berth_namespaces *ns,
                                   pid_t pid, berth_error **err);
/* Whether the namespace file at `path` (or open as fd, when path is NULL)
 * is the runtime's own namespace of that kind, or pid 1's: the host's, as
 * far as the runtime can tell.  False when it cannot be examined. */
bool berth_ns_is_hosts(enum berth_ns_kind k, int fd, const char *path);
/* Brings `lo` up in the calling process's network namespace. */
int berth_netns_loopback_up(berth_error **err);

#endif
