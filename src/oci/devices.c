#include "devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"

#define MAX_DEVICES 4096

static int parse_type(json_t *obj, const char *path, struct berth_device *d,
                      berth_error **err) {
  _cleanup_free_ char *type = NULL;
  char field[BERTH_PATH_MAX_LEN];
  if (bj_string(obj, "type", path, true, &type, err) < 0)
    return -1;
  berth_path_key(field, path, "type");
  if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
    return berth_error_spec(err, field, "unknown device type `%s`", type);
  d->type = type[0];
  return 0;
}

static mode_t type_bits(char type) {
  switch (type) {
  case 'b': return S_IFBLK;
  case 'p': return S_IFIFO;
  default: return S_IFCHR;
  }
}

/* Podman writes fileMode as stat() gave it, file type included, and runc
 * accepts that: the type bits may be given, but must be the device's. */
static int parse_mode(json_t *obj, const char *path, struct berth_device *d,
                      berth_error **err) {
  int64_t v = 0;
  int rc = bj_range(obj, "fileMode", path, 0, S_IFMT | 07777, &v, err);
  if (rc < 0)
    return -1;
  mode_t type = (mode_t)v & S_IFMT;
  if (type != 0 && type != type_bits(d->type)) {
    char f[BERTH_PATH_MAX_LEN];
    berth_path_key(f, path, "fileMode");
    return berth_error_spec(err, f,
                            "file type bits 0%o are not those of a device "
                            "of type `%c`", (unsigned)type, d->type);
  }
  d->has_mode = rc == 1;
  d->mode = (mode_t)v & 07777;
  return 0;
}

static int parse_numbers(json_t *obj, const char *path, struct berth_device *d,
                         berth_error **err) {
  int64_t v;
  /* A FIFO has no device number; every other type is meaningless without
   * one (runtime-spec: major/minor "MUST" be given for c, b and u). */
  bool need = d->type != 'p';
  int rc;
  if ((rc = bj_range(obj, "major", path, 0, 0xfff, &d->major, err)) < 0)
    return -1;
  if (rc == 0 && need) {
    char f[BERTH_PATH_MAX_LEN];
    berth_path_key(f, path, "major");
    return berth_error_spec(err, f, "required for device type `%c`", d->type);
  }
  if ((rc = bj_range(obj, "minor", path, 0, 0xfffff, &d->minor, err)) < 0)
    return -1;
  if (rc == 0 && need) {
    char f[BERTH_PATH_MAX_LEN];
    berth_path_key(f, path, "minor");
    return berth_error_spec(err, f, "required for device type `%c`", d->type);
  }
  if (parse_mode(obj, path, d, err) < 0)
    return -1;
  if ((rc = bj_range(obj, "uid", path, 0, UINT32_MAX - 1, &v, err)) < 0)
    return -1;
  d->has_uid = rc == 1;
  d->uid = (uid_t)v;
  if ((rc = bj_range(obj, "gid", path, 0, UINT32_MAX - 1, &v, err)) < 0)
    return -1;
  d->has_gid = rc == 1;
  d->gid = (gid_t)v;
  return 0;
}

static int parse_one(json_t *obj, const char *path, struct berth_device *d,
                     berth_error **err) {
  char field[BERTH_PATH_MAX_LEN];
  if (!json_is_object(obj))
    return berth_error_spec(err, path, "expected an object");
  if (bj_string(obj, "path", path, true, &d->path, err) < 0)
    return -1;
  berth_path_key(field, path, "path");
  if (d->path[0] != '/' || strlen(d->path) >= 4096)
    return berth_error_spec(err, field, "`%s` is not an absolute path",
                            d->path);
  const char *base = strrchr(d->path, '/') + 1;
  if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return berth_error_spec(err, field, "`%s` does not name a file", d->path);
  return parse_type(obj, path, d, err) < 0 ? -1
                                           : parse_numbers(obj, path, d, err);
}

int berth_devices_parse(json_t *devices, const char *path,
                        struct berth_device **out, size_t *n,
                        berth_error **err) {
  *out = NULL;
  *n = 0;
  if (devices == NULL || json_is_null(devices))
    return 0;
  if (!json_is_array(devices))
    return berth_error_spec(err, path, "expected an array");
  size_t count = json_array_size(devices);
  if (count > MAX_DEVICES)
    return berth_error_spec(err, path, "more than %d devices", MAX_DEVICES);
  if (count == 0)
    return 0;
  struct berth_device *d = calloc(count, sizeof(*d));
  if (d == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char field[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < count; i++) {
    berth_path_idx(field, path, i);
    if (parse_one(json_array_get(devices, i), field, &d[i], err) < 0) {
      berth_devices_free(d, count);
      return -1;
    }
  }
  *out = d;
  *n = count;
  return 0;
}

void berth_devices_free(struct berth_device *d, size_t n) {
  if (d == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free(d[i].path);
  free(d);
}

/* mknod is refused in a user namespace, so the host's node is bound onto
 * an empty file instead; the bind keeps the host superblock, whose nodes
 * stay usable even though the container's /dev tmpfs is implicitly nodev. */
static int bind_host_node(int dir_fd, const char *base,
                          const struct berth_device *d, berth_error **err) {
  _cleanup_close_ int tree =
      open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return berth_error_sys(err, "bind host device `%s`", d->path);
  _cleanup_close_ int target =
      openat(dir_fd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return berth_error_sys(err, "open device `%s`", d->path);
  if (move_mount(tree, "", target, "",
                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_error_sys(err, "bind host device `%s`", d->path);
  return 0;
}

static int create_one(int root_fd, const struct berth_device *d,
                      bool in_userns, bool skip_existing, berth_error **err) {
  _cleanup_free_ char *dir = strndup(d->path, (size_t)(strrchr(d->path, '/') - d->path));
  const char *base = strrchr(d->path, '/') + 1;
  if (dir == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", d->path);
  /* Usually the directory exists: one openat2 instead of a walk. */
  _cleanup_close_ int dir_fd = berth_open_in_root(
      root_fd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, 0, NULL);
  if (dir_fd < 0)
    dir_fd = berth_mkdir_in_root(root_fd, dir[0] ? dir : "/", 0755, 0, err);
  if (dir_fd < 0)
    return berth_error_prefix(err, "create device `%s`", d->path);
  mode_t perm = d->has_mode ? d->mode : 0666;
  int rc = in_userns ? mknodat(dir_fd, base, S_IFREG, 0)
                     : mknodat(dir_fd, base, type_bits(d->type) | perm,
                               makedev(d->major, d->minor));
  if (rc < 0 && errno == EEXIST && skip_existing)
    return 0;
  if (rc < 0)
    return berth_error_sys(err, "mknod `%s`", d->path);
  if (in_userns)
    return bind_host_node(dir_fd, base, d, err);
  /* mknodat obeys the umask; the mode from the spec must be exact.  The
   * node was just created by us (mknodat fails on anything existing), so
   * following the name cannot reach a planted symlink. */
  if (fchmodat(dir_fd, base, perm, 0) < 0)
    return berth_error_sys(err, "chmod `%s`", d->path);
  if ((d->has_uid || d->has_gid) &&
      fchownat(dir_fd, base, d->has_uid ? d->uid : (uid_t)-1,
               d->has_gid ? d->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error_sys(err, "chown `%s`", d->path);
  return 0;
}

int berth_devices_create(int root_fd, const struct berth_device *d, size_t n,
                         bool in_userns, bool skip_existing,
                         berth_error **err) {
  for (size_t i = 0; i < n; i++)
    if (create_one(root_fd, &d[i], in_userns, skip_existing, err) < 0)
      return -1;
  return 0;
}

/* No uid/gid: the nodes are created by the namespace's root and so are
 * already root's, which saves a chown per node. */
#define DEFDEV(p, ma, mi)                                                      \
  {.path = (char *)(p), .type = 'c', .major = ma, .minor = mi,                 \
   .has_mode = true, .mode = 0666}

static const struct berth_device default_devices[] = {
    DEFDEV("/dev/null", 1, 3),    DEFDEV("/dev/zero", 1, 5),
    DEFDEV("/dev/full", 1, 7),    DEFDEV("/dev/random", 1, 8),
    DEFDEV("/dev/urandom", 1, 9), DEFDEV("/dev/tty", 5, 0),
};

static const struct {
  const char *name, *target;
} default_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

static int make_link(int dev_fd, const char *target, const char *name,
                     berth_error **err) {
  if (symlinkat(target, dev_fd, name) < 0 && errno != EEXIST)
    return berth_error_sys(err, "symlink `/dev/%s`", name);
  return 0;
}

int berth_devices_setup_default(int root_fd, bool in_userns, bool with_ptmx,
                                bool with_core, berth_error **err) {
  if (berth_devices_create(root_fd, default_devices,
                           ARRAY_SIZE(default_devices), in_userns, true,
                           err) < 0)
    return -1;
  _cleanup_close_ int dev_fd =
      berth_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, err);
  if (dev_fd < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
    if (make_link(dev_fd, default_links[i].target, default_links[i].name,
                  err) < 0)
      return -1;
  /* With a private devpts instance, /dev/ptmx must lead to that instance's
   * ptmx or ptys would be allocated in the host's devpts. */
  if (with_ptmx) {
    if (unlinkat(dev_fd, "ptmx", 0) < 0 && errno != ENOENT)
      return berth_error_sys(err, "remove `/dev/ptmx`");
    if (make_link(dev_fd, "pts/ptmx", "ptmx", err) < 0)
      return -1;
  }
  if (with_core && make_link(dev_fd, "/proc/kcore", "core", err) < 0)
    return -1;
  return 0;
}
