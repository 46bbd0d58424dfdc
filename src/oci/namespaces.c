#include "namespaces.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct berth_ns_info berth_ns_table[BERTH_NS_COUNT] = {
    [BERTH_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [BERTH_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [BERTH_NS_NET] = {"network", "net", CLONE_NEWNET},
    [BERTH_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [BERTH_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [BERTH_NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [BERTH_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [BERTH_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

static int ns_kind_from_name(const char *name) {
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    if (strcmp(berth_ns_table[i].spec_name, name) == 0)
      return i;
  return -1;
}

static int parse_one_ns(json_t *e, const char *p, struct berth_namespaces *out,
                        berth_error **err) {
  _cleanup_free_ char *type = NULL;
  _cleanup_free_ char *path = NULL;
  char tp[BERTH_PATH_MAX_LEN];
  if (!json_is_object(e))
    return berth_error_spec(err, p, "must be an object");
  if (bj_string(e, "type", p, true, &type, err) < 0)
    return -1;
  if (bj_string(e, "path", p, false, &path, err) < 0)
    return -1;
  int kind = ns_kind_from_name(type);
  berth_path_key(tp, p, "type");
  if (kind < 0)
    return berth_error_spec(err, tp, "unknown namespace type `%s`", type);
  if (out->present[kind])
    return berth_error_spec(err, tp, "namespace `%s` listed twice", type);
  out->present[kind] = true;
  if (path != NULL && path[0] != '\0') {
    if (path[0] != '/') {
      berth_path_key(tp, p, "path");
      return berth_error_spec(err, tp, "must be an absolute path");
    }
    out->path[kind] = steal_pointer(&path);
  }
  return 0;
}

int berth_id_maps_parse(json_t *linux_obj, const char *key, const char *path,
                        struct berth_id_map **out, size_t *n,
                        berth_error **err) {
  json_t *arr = NULL;
  char p[BERTH_PATH_MAX_LEN], ep[BERTH_PATH_MAX_LEN];
  int rc = bj_array(linux_obj, key, path, &arr, err);
  if (rc <= 0)
    return rc;
  berth_path_key(p, path, key);
  size_t count = json_array_size(arr);
  /* The kernel accepts at most 340 lines per map file. */
  if (count > 340)
    return berth_error_spec(err, p, "more than 340 mappings");
  struct berth_id_map *m = calloc(count ? count : 1, sizeof(*m));
  if (m == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
  for (size_t i = 0; i < count; i++) {
    json_t *e = json_array_get(arr, i);
    int64_t c = 0, h = 0, s = 0;
    berth_path_idx(ep, p, i);
    if (!json_is_object(e)) {
      free(m);
      return berth_error_spec(err, ep, "must be an object");
    }
    if (bj_range(e, "containerID", ep, 0, UINT32_MAX, &c, err) < 0 ||
        bj_range(e, "hostID", ep, 0, UINT32_MAX, &h, err) < 0 ||
        bj_range(e, "size", ep, 1, UINT32_MAX, &s, err) < 0) {
      free(m);
      return -1;
    }
    if (s == 0) {
      free(m);
      return berth_error_spec(err, ep, "size is required and must be > 0");
    }
    m[i] = (struct berth_id_map){(uint32_t)c, (uint32_t)h, (uint32_t)s};
  }
  *out = m;
  *n = count;
  return 1;
}

static int parse_time_offsets(json_t *linux_obj, const char *path,
                              struct berth_namespaces *out,
                              berth_error **err) {
  json_t *t = NULL;
  char p[BERTH_PATH_MAX_LEN], cp[BERTH_PATH_MAX_LEN];
  int rc = bj_object(linux_obj, "timeOffsets", path, &t, err);
  if (rc <= 0)
    return rc;
  berth_path_key(p, path, "timeOffsets");
  const char *clocks[] = {"monotonic", "boottime"};
  for (size_t i = 0; i < 2; i++) {
    json_t *c = NULL;
    if (bj_object(t, clocks[i], p, &c, err) < 0)
      return -1;
    if (c == NULL)
      continue;
    berth_path_key(cp, p, clocks[i]);
    int64_t secs = 0, nsecs = 0;
    if (bj_int64(c, "secs", cp, &secs, err) < 0 ||
        bj_range(c, "nanosecs", cp, 0, 999999999, &nsecs, err) < 0)
      return -1;
    if (i == 0) {
      out->monotonic_secs = secs;
      out->monotonic_nsecs = (uint32_t)nsecs;
    } else {
      out->boottime_secs = secs;
      out->boottime_nsecs = (uint32_t)nsecs;
    }
  }
  out->has_time_offsets = true;
  return 1;
}

int berth_namespaces_parse(json_t *linux_obj, const char *path,
                           struct berth_namespaces *out, berth_error **err) {
  json_t *arr = NULL;
  char p[BERTH_PATH_MAX_LEN], ep[BERTH_PATH_MAX_LEN];
  memset(out, 0, sizeof(*out));
  if (bj_array(linux_obj, "namespaces", path, &arr, err) < 0)
    return -1;
  berth_path_key(p, path, "namespaces");
  for (size_t i = 0; arr && i < json_array_size(arr); i++) {
    berth_path_idx(ep, p, i);
    if (parse_one_ns(json_array_get(arr, i), ep, out, err) < 0)
      return -1;
  }
  if (berth_id_maps_parse(linux_obj, "uidMappings", path, &out->uid_maps,
                    &out->n_uid_maps, err) < 0 ||
      berth_id_maps_parse(linux_obj, "gidMappings", path, &out->gid_maps,
                    &out->n_gid_maps, err) < 0)
    return -1;
  bool new_user = out->present[BERTH_NS_USER] && !out->path[BERTH_NS_USER];
  berth_path_key(p, path, "uidMappings");
  if ((out->n_uid_maps || out->n_gid_maps) && !new_user)
    return berth_error_spec(err, p,
                            "id mappings need a new user namespace");
  if (new_user && (!out->n_uid_maps || !out->n_gid_maps))
    return berth_error_spec(err, p,
                            "a new user namespace needs uid and gid mappings");
  if (parse_time_offsets(linux_obj, path, out, err) < 0)
    return -1;
  berth_path_key(p, path, "timeOffsets");
  if (out->has_time_offsets &&
      (!out->present[BERTH_NS_TIME] || out->path[BERTH_NS_TIME]))
    return berth_error_spec(err, p, "time offsets need a new time namespace");
  return 0;
}

void berth_namespaces_free(struct berth_namespaces *ns) {
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    free(ns->path[i]);
  free(ns->uid_maps);
  free(ns->gid_maps);
  memset(ns, 0, sizeof(*ns));
}

int berth_namespaces_clone_flags(const struct berth_namespaces *ns) {
  int flags = 0;
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    if (ns->present[i] && ns->path[i] == NULL)
      flags |= berth_ns_table[i].clone_flag;
  return flags;
}

static int write_map(pid_t pid, const char *file, const struct berth_id_map *m,
                     size_t n, berth_error **err) {
  char buf[340 * 36];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof(buf) - 40; i++)
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
                            m[i].container_id, m[i].host_id, m[i].size);
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  if (berth_write_file(AT_FDCWD, path, buf, len, err) < 0)
    return berth_error_prefix(err, "write user namespace %s", file);
  return 0;
}

int berth_namespaces_write_id_maps(const struct berth_namespaces *ns,
                                   pid_t pid, berth_error **err) {
  if (write_map(pid, "uid_map", ns->uid_maps, ns->n_uid_maps, err) < 0)
    return -1;
  return write_map(pid, "gid_map", ns->gid_maps, ns->n_gid_maps, err);
}

static bool same_ns(const struct stat *a, const char *proc_path) {
  struct stat b;
  return stat(proc_path, &b) == 0 && a->st_dev == b.st_dev &&
         a->st_ino == b.st_ino;
}

bool berth_ns_is_hosts(enum berth_ns_kind k, int fd, const char *path) {
  struct stat st;
  if (path ? stat(path, &st) < 0 : fstat(fd, &st) < 0)
    return false;
  /* A namespace is the same one exactly when its nsfs inode is. */
  char self[64], init[64];
  snprintf(self, sizeof(self), "/proc/self/ns/%s", berth_ns_table[k].proc_name);
  snprintf(init, sizeof(init), "/proc/1/ns/%s", berth_ns_table[k].proc_name);
  return same_ns(&st, self) || same_ns(&st, init);
}

/* A new network namespace has only `lo`, and it is down: without this a
 * container with no network could not even reach 127.0.0.1 (runc and
 * crun bring it up too).  netdevice(7): these ioctls work on a socket of
 * any family; an AF_UNIX one does not depend on IPv4 being built in. */
int berth_netns_loopback_up(berth_error **err) {
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error_sys(err, "socket for the loopback interface");
  struct ifreq ifr = {0};
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return berth_error_sys(err, "read flags of `lo`");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return berth_error_sys(err, "bring up `lo`");
  return 0;
}
