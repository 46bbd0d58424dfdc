/* GET /info and GET /version (see system_info.h). */
#include "system_info.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "fs.h"
#include "images.h"
#include "lifecycle.h"
#include "start.h"
#include "stats.h"

/* /etc/os-release's PRETTY_NAME: Docker's OperatingSystem. */
static const char *os_name(char *buf, size_t len) {
  _cleanup_free_ char *text = NULL;
  snprintf(buf, len, "Linux");
  if (berth_read_file(AT_FDCWD, "/etc/os-release", 1 << 16, &text, NULL, NULL) <
      0)
    return buf;
  for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
    if (strncmp(l, "PRETTY_NAME=", 12) == 0) {
      const char *v = l + 12 + (l[12] == '"');
      size_t n = strcspn(v, "\"\n");
      snprintf(buf, len, "%.*s", (int)n, v);
    }
  return buf;
}

/* What holds the root, as Docker's "Backing Filesystem" names it. */
static const char *backing_fs(const char *root) {
  static const struct {
    long magic;
    const char *name;
  } fs[] = {{EXT4_SUPER_MAGIC, "extfs"},          {XFS_SUPER_MAGIC, "xfs"},
            {BTRFS_SUPER_MAGIC, "btrfs"},         {TMPFS_MAGIC, "tmpfs"},
            {OVERLAYFS_SUPER_MAGIC, "overlayfs"}, {0x2fc12fc1, "zfs"}};
  struct statfs sf;
  if (statfs(root, &sf) < 0)
    return "unknown";
  for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
    if ((long)sf.f_type == fs[i].magic)
      return fs[i].name;
  return "unknown";
}

struct ctr_counts {
  int total, running, paused, stopped;
};

/* Docker counts restarting containers as running. */
static int count_containers(struct berth_engine *e, struct ctr_counts *k,
                            berth_error **err) {
  struct berth_ctr *list = NULL;
  size_t n = 0;
  if (berth_ctr_list(e->db, &list, &n, err) < 0)
    return -1;
  *k = (struct ctr_counts){.total = (int)n};
  for (size_t i = 0; i < n; i++) {
    berth_ctr_refresh(e, &list[i], NULL);
    if (strcmp(list[i].state, BERTH_ST_PAUSED) == 0)
      k->paused++;
    else if (strcmp(list[i].state, BERTH_ST_RUNNING) == 0 ||
             strcmp(list[i].state, BERTH_ST_RESTARTING) == 0)
      k->running++;
    else
      k->stopped++;
  }
  berth_ctrs_free(list, n);
  return 0;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* "1" in a /proc/sys file. */
static bool sysctl_on(const char *path) {
  char buf[8] = "";
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && buf[0] == '1';
}

/* Whether the v2 root offers a controller ("cpu", "cpuset", "pids"). */
static bool v2_controller(const char *name) {
  _cleanup_free_ char *text = NULL;
  if (berth_read_file(AT_FDCWD, "/sys/fs/cgroup/cgroup.controllers", 4096,
                      &text, NULL, NULL) < 0)
    return false;
  for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n"))
    if (strcmp(w, name) == 0)
      return true;
  return false;
}

/* What the host's cgroups and network let containers have, as Docker's
 * SystemInfo reports it (clients warn about what is false), and the
 * fields clients read without checking: Swarm's state (compose warns of
 * swarm mode without it), plugins, the index server. */
static void host_features(json_t *j) {
  bool v2 = strcmp(berth_stats_cgroup_version(), "v2") == 0;
  const char *v1[] = {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                      "/sys/fs/cgroup/cpu/cpu.shares",
                      "/sys/fs/cgroup/cpuset/cpuset.cpus",
                      "/sys/fs/cgroup/pids",
                      "/sys/fs/cgroup/memory/memory.oom_control"};
  bool cpu = v2 ? v2_controller("cpu") : exists(v1[0]);
  json_object_update_new(
      j, json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b}",
                   "CpuCfsPeriod", cpu, "CpuCfsQuota", cpu, "CPUShares",
                   v2 ? cpu : exists(v1[1]), "CPUSet",
                   v2 ? v2_controller("cpuset") : exists(v1[2]), "PidsLimit",
                   v2 ? v2_controller("pids") : exists(v1[3]),
                   "OomKillDisable", !v2 && exists(v1[4]), "IPv4Forwarding",
                   sysctl_on("/proc/sys/net/ipv4/ip_forward"),
                   "BridgeNfIptables",
                   sysctl_on("/proc/sys/net/bridge/bridge-nf-call-iptables"),
                   "BridgeNfIp6tables",
                   sysctl_on("/proc/sys/net/bridge/bridge-nf-call-ip6tables"),
                   "Debug", false, "ExperimentalBuild", false));
  json_object_update_new(
      j, json_pack("{s:{s:[s],s:[s,s,s,s],s:[s]},s:{s:s,s:s,s:s,s:b},"
                   "s:s,s:[],s:b,s:s,s:[]}",
                   "Plugins", "Volume", "local", "Network", "bridge", "host",
                   "none", "null", "Log", "json-file", "Swarm", "NodeID", "",
                   "NodeAddr", "", "LocalNodeState", "inactive",
                   "ControlAvailable", false, "IndexServerAddress",
                   "https://index.docker.io/v1/", "Labels",
                   "LiveRestoreEnabled", false, "InitBinary", "berth-init",
                   "Warnings"));
}

json_t *berth_system_info(struct berth_engine *e, berth_error **err) {
  struct ctr_counts k;
  if (count_containers(e, &k, err) < 0)
    return NULL;
  struct berth_image *imgs = NULL;
  size_t nimg = 0;
  if (berth_images_list(e->db, &imgs, &nimg, err) < 0)
    return NULL;
  berth_images_free(imgs, nimg);
  struct utsname u;
  uname(&u);
  char os[256], host[256] = "";
  gethostname(host, sizeof host - 1);
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  const char *cgv = berth_stats_cgroup_version();
  /* Every container gets the default seccomp profile, its own user
   * namespace (host ids from a private range) and cgroup namespace. */
  json_t *sec = json_pack("[s,s,s]", "name=seccomp,profile=default",
                          "name=userns", "name=cgroupns");
  json_t *j = json_pack(
      "{s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:[[s,s]],s:s,s:s,s:s,s:s,s:s,s:s,"
      "s:s,s:i,s:I,s:s,s:s,s:s,s:{s:{s:s}},s:s,s:o,s:b,s:b}",
      "ID", "", "Containers", k.total, "ContainersRunning", k.running,
      "ContainersPaused", k.paused, "ContainersStopped", k.stopped, "Images",
      (int)nimg, "Driver", "overlay", "DriverStatus", "Backing Filesystem",
      backing_fs(e->root), "LoggingDriver", "json-file", "CgroupDriver",
      "cgroupfs", "CgroupVersion", strcmp(cgv, "v2") == 0 ? "2" : "1",
      "KernelVersion", u.release, "OperatingSystem", os_name(os, sizeof os),
      "OSType", "linux", "Architecture", u.machine, "NCPU",
      (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal", (json_int_t)pages * psize,
      "DockerRootDir", e->root, "Name", host, "ServerVersion", BERTH_ENGINE_VERSION,
      "Runtimes", "berth-runtime", "path", "berth-runtime", "DefaultRuntime",
      "berth-runtime", "SecurityOptions", sec, "MemoryLimit", 1, "SwapLimit",
      1);
  if (j)
    host_features(j);
  return j;
}

/* Go's GOARCH for a uname machine, as Docker reports Arch. */
const char *berth_go_arch(const char *machine) {
  static const struct {
    const char *uname, *go;
  } map[] = {{"x86_64", "amd64"},   {"aarch64", "arm64"},   {"armv7l", "arm"},
             {"i686", "386"},       {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
             {"riscv64", "riscv64"}};
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (strcmp(map[i].uname, machine) == 0)
      return map[i].go;
  return machine;
}

const char *berth_system_compiler(void) {
#ifdef __clang__
  return "clang " __clang_version__;
#else
  return "gcc " __VERSION__;
#endif
}

json_t *berth_system_version(void) {
  struct utsname u;
  uname(&u);
  const char *compiler = berth_system_compiler(), *built = BERTH_BUILD_TIME;
  const char *arch = berth_go_arch(u.machine);
  return json_pack(
      "{s:{s:s},s:[{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}},"
      "{s:s,s:s,s:{s:s}}],s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
      "Platform", "Name", "berth (daemonless)", "Components", "Name", "Engine",
      "Version", BERTH_ENGINE_VERSION, "Details", "ApiVersion",
      BERTH_API_VERSION, "MinAPIVersion", "1.12", "Compiler", compiler,
      "BuildTime", built, "Os", "linux", "Arch", arch, "KernelVersion",
      u.release, "Experimental", "false", "Name", "berth-runtime", "Version",
      BERTH_ENGINE_VERSION, "Details", "Spec", "1.2.0", "Version",
      BERTH_ENGINE_VERSION, "ApiVersion", BERTH_API_VERSION, "MinAPIVersion",
      "1.12", "Os", "linux", "Arch", arch, "KernelVersion", u.release,
      "Compiler", compiler, "BuildTime", built);
}
