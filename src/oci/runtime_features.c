#include "runtime_features.h"

#include <sys/types.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "hooks.h"
#include "namespaces.h"
#include "rlimits.h"
#include "seccomp_filter.h"
#include "spec.h"

static const char *mount_options[] = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync",
    "exec", "idmap", "mand", "noatime", "nodev", "nodiratime", "noexec", "nomand",
    "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime",
    "remount", "ridmap", "ro", "rprivate", "rro", "rshared", "rslave", "runbindable",
    "rw", "shared", "slave", "strictatime", "suid", "sync", "tmpcopyup",
    "unbindable"};

static json_t *strings(const char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *linux_features(void) {
  json_t *ns = json_array();
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    json_array_append_new(ns, json_string(berth_ns_table[i].spec_name));
  json_t *cgroup = json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1,
                             "systemd", 0, "systemdUser", 0, "rdma", 0);
  return json_pack("{s:o,s:o,s:o,s:o,s:{s:b},s:{s:b},s:{s:b},s:{s:{s:b}}}",
                   "namespaces", ns, "capabilities", berth_caps_known(),
                   "cgroup", cgroup, "seccomp", berth_seccomp_features(),
                   "apparmor", "enabled", 0, "selinux", "enabled", 0,
                   "intelRdt", "enabled", 0, "mountExtensions", "idmap",
                   "enabled", 1);
}

json_t *berth_features(void) {
  json_t *hooks = json_array();
  for (int k = 0; k < BERTH_HOOK_COUNT; k++)
    json_array_append_new(hooks, json_string(berth_hook_kind_name(k)));
  return json_pack("{s:s,s:s,s:o,s:o,s:o,s:{}}", "ociVersionMin", "1.0.0",
                   "ociVersionMax", "1.2.0", "hooks", hooks, "mountOptions",
                   strings(mount_options,
                           sizeof(mount_options) / sizeof(*mount_options)),
                   "linux", linux_features(), "annotations");
}

/* The default config.json: a minimal, locked-down container running sh,
 * as `runc spec` writes it, so tools that start from it behave alike. */
json_t *berth_spec_default(bool rootless, uid_t uid, gid_t gid) {
  const char *caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL",
                        "CAP_NET_BIND_SERVICE"};
  json_t *capset = json_pack(
      "{s:o,s:o,s:o}", "bounding", strings(caps, 3), "effective",
      strings(caps, 3), "permitted", strings(caps, 3));
  json_t *process = json_pack(
      "{s:b,s:{s:i,s:i},s:[s],s:[s,s],s:s,s:o,s:[{s:s,s:i,s:i}],s:b}",
      "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm", "cwd", "/", "capabilities", capset, "rlimits", "type",
      "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
  json_t *mounts = json_pack(
      "[{s:s,s:s,s:s},"
      "{s:s,s:s,s:s,s:[s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s]}]",
      "destination", "/proc", "type", "proc", "source", "proc",
      "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options",
      "nosuid", "strictatime", "mode=755", "size=65536k",
      "destination", "/dev/pts", "type", "devpts", "source", "devpts",
      "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
      "mode=0620", "gid=5",
      "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
      "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
      "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
      "options", "nosuid", "noexec", "nodev",
      "destination", "/sys", "type", "sysfs", "source", "sysfs", "options",
      "nosuid", "noexec", "nodev", "ro",
      "destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
      "options", "nosuid", "noexec", "nodev", "relatime", "ro");
  json_t *ns = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}]", "type",
                         "pid", "type", "network", "type", "ipc", "type",
                         "uts", "type", "mount", "type", "cgroup");
  const char *masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore",
                          "/proc/keys", "/proc/latency_stats",
                          "/proc/timer_list", "/proc/timer_stats",
                          "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                          "/sys/devices/virtual/powercap"};
  const char *ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                      "/proc/sysrq-trigger"};
  json_t *lx = json_pack("{s:{s:[{s:b,s:s}]},s:o,s:o,s:o}", "resources",
                         "devices", "allow", 0, "access", "rwm", "namespaces",
                         ns, "maskedPaths", strings(masked, 11),
                         "readonlyPaths", strings(ro, 5));
  if (rootless) {
    /* An unprivileged user can only map itself; sysfs and cgroupfs cannot
     * be mounted without a network namespace owned by it. */
    json_array_remove(ns, 1);
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    json_object_set_new(lx, "uidMappings",
                        json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
                                  "hostID", (json_int_t)uid, "size", 1));
    json_object_set_new(lx, "gidMappings",
                        json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
                                  "hostID", (json_int_t)gid, "size", 1));
    json_object_del(lx, "resources");
    /* Only the user's own gid is mapped: devpts cannot use gid 5. */
    json_t *pts = json_object_get(json_array_get(mounts, 2), "options");
    json_array_remove(pts, json_array_size(pts) - 1);
    json_array_remove(mounts, 6);
    json_array_remove(mounts, 5);
    json_array_append_new(
        mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination", "/sys",
                          "type", "none", "source", "/sys", "options",
                          "rbind", "nosuid", "noexec", "nodev", "ro"));
  }
  /* 1.0.2: the newest version that every runtime in use (crun 1.8, runc
   * 1.1) accepts, so a bundle made here runs anywhere. */
  return json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2",
                   "process", process, "root", "path", "rootfs", "readonly", 1,
                   "hostname", "berth", "mounts", mounts, "linux", lx);
}
