/* config.json from a container's create request.
 *
 * Secure defaults, at least Docker's: its capability set, its seccomp
 * profile, masked and read-only /proc and /sys paths, a pids limit, and
 * beyond Docker a user namespace with the container's own host id range. */
#include "bundle.h"
#include "host_devices.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "caps_set.h"
#include "cleanup.h"
#include "ns_share.h"
#include "resources.h"
#include "seccomp_profile.h"

static const char *const masked_paths[] = {
    "/proc/asound",        "/proc/acpi",         "/proc/kcore",
    "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats",   "/proc/sched_debug",  "/proc/scsi",
    "/sys/firmware",       "/sys/devices/virtual/powercap", NULL};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    NULL};

static json_t *strv_json(const char *const *v) {
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static json_t *hostcfg(const struct berth_ctr *c) {
  json_t *h = json_object_get(c->config, "HostConfig");
  return json_is_object(h) ? h : NULL;
}

static const char *cfg_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : NULL;
}

static int64_t cfg_int(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static bool cfg_bool(json_t *o, const char *key) {
  return json_is_true(json_object_get(o, key));
}

static bool userns_host(const struct berth_ctr *c) { return c->id_count == 0; }

static bool net_host(const struct berth_ctr *c) {
  const char *m = cfg_str(hostcfg(c), "NetworkMode");
  return m && strcmp(m, "host") == 0;
}

/* Docker's defaults for a network namespace of the container's own: any
 * user may bind ports below 1024 and ping through ICMP sockets, so a
 * process that dropped root (or one in a joined namespace, which holds no
 * capability there) works as under Docker.  The request's --sysctl wins.
 * None with the host's network (they would change the host) or another
 * container's (its start set them; we may not write there). */
static json_t *net_sysctls(const struct berth_ctr *c, json_t *requested) {
  json_t *out = json_is_object(requested) ? json_deep_copy(requested)
                                          : json_object();
  enum berth_ns_mode m;
  if (berth_ns_mode(hostcfg(c), "NetworkMode", &m, NULL, NULL) < 0 ||
      m != BERTH_NSMODE_PRIVATE)
    return out;
  if (!json_object_get(out, "net.ipv4.ip_unprivileged_port_start"))
    json_object_set_new(out, "net.ipv4.ip_unprivileged_port_start",
                        json_string("0"));
  /* The range must be groups the namespace's owner maps: the kernel
   * refuses unmapped ones (EINVAL), so in a user namespace of the
   * container's own it is its mapped ids. */
  char range[32];
  snprintf(range, sizeof range, "0 %u",
           c->id_count ? c->id_count - 1 : 2147483647u);
  if (!json_object_get(out, "net.ipv4.ping_group_range"))
    json_object_set_new(out, "net.ipv4.ping_group_range", json_string(range));
  return out;
}

/* args = Entrypoint + Cmd (already merged with the image's at create). */
static json_t *process_args(const struct berth_ctr *c, berth_error **err) {
  json_t *args = json_array();
  json_t *v;
  size_t i;
  json_array_foreach(json_object_get(c->config, "Entrypoint"), i, v)
      json_array_append(args, v);
  json_array_foreach(json_object_get(c->config, "Cmd"), i, v)
      json_array_append(args, v);
  if (json_array_size(args) == 0) {
    json_decref(args);
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "no command specified: the image has no Cmd or "
                    "Entrypoint and none was given");
    return NULL;
  }
  if (cfg_bool(hostcfg(c), "Init")) {
    /* berth-init is bind-mounted at this path (see mounts()). */
    json_array_insert_new(args, 0, json_string("--"));
    json_array_insert_new(args, 0, json_string("/dev/init"));
  }
  return args;
}

static bool has_env(json_t *env, const char *key) {
  size_t n = strlen(key), i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, key, n) == 0 && s[n] == '=')
      return true;
  }
  return false;
}

static json_t *process_env(const struct berth_ctr *c) {
  json_t *env = json_copy(json_object_get(c->config, "Env"));
  if (!json_is_array(env)) {
    json_decref(env);
    env = json_array();
  }
  if (!has_env(env, "PATH"))
    json_array_insert_new(env, 0,
                          json_string("PATH=/usr/local/sbin:/usr/local/bin:"
                                      "/usr/sbin:/usr/bin:/sbin:/bin"));
  if (!has_env(env, "HOSTNAME")) {
    char buf[300];
    const char *h = cfg_str(c->config, "Hostname");
    snprintf(buf, sizeof buf, "HOSTNAME=%s", h ? h : "");
    json_array_append_new(env, json_string(buf));
  }
  if (cfg_bool(c->config, "Tty") && !has_env(env, "TERM"))
    json_array_append_new(env, json_string("TERM=xterm"));
  return env;
}

static json_t *mount_obj(const char *dst, const char *type, const char *src,
                         json_t *opts) {
  return json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", type,
                   "source", src, "options", opts);
}

static json_t *opts_of(const char *first, ...) {
  json_t *a = json_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    json_array_append_new(a, json_string(s));
  va_end(ap);
  return a;
}

/* A new proc can only be mounted by whom holds CAP_SYS_ADMIN over the
 * pid namespace's owner: in the container's own user namespace that is
 * true of its own pid namespace only.  The host's is then bound from the
 * host's /proc, another container's from the proc the engine mounted
 * for it (in->proc_source); masked and read-only paths apply on top. */
static void proc_mount(const struct berth_bundle_in *in, json_t *m) {
  enum berth_ns_mode pm;
  if (berth_ns_mode(hostcfg(in->ctr), "PidMode", &pm, NULL, NULL) < 0)
    pm = BERTH_NSMODE_PRIVATE;
  const char *src = NULL;
  if (!userns_host(in->ctr) && pm == BERTH_NSMODE_HOST)
    src = "/proc";
  else if (!userns_host(in->ctr) && pm == BERTH_NSMODE_CONTAINER)
    src = in->proc_source;
  if (src)
    json_array_append_new(m, mount_obj("/proc", "bind", src,
                                       opts_of("rbind", "nosuid", "noexec",
                                               "nodev", NULL)));
  else
    json_array_append_new(m, mount_obj("/proc", "proc", "proc",
                                       opts_of("nosuid", "noexec", "nodev",
                                               NULL)));
}

/* /dev/shm and /dev/mqueue by --ipc mode, as Docker: the host's /dev/shm
 * with the host's IPC namespace, none with --ipc none.  An mqueue
 * filesystem, like proc, can only be mounted for an IPC namespace owned
 * by the container's user namespace: with another's, /dev/mqueue is left
 * out (POSIX queues are still reachable with mq_open). */
static void ipc_mounts(const struct berth_ctr *c, json_t *m) {
  enum berth_ns_mode im;
  if (berth_ns_mode(hostcfg(c), "IpcMode", &im, NULL, NULL) < 0)
    im = BERTH_NSMODE_PRIVATE;
  if (im == BERTH_NSMODE_HOST) {
    json_array_append_new(m, mount_obj("/dev/shm", "bind", "/dev/shm",
                                       opts_of("rbind", "nosuid", "noexec",
                                               "nodev", NULL)));
  } else if (im != BERTH_NSMODE_NONE) {
    char shm[64];
    int64_t shm_size = cfg_int(hostcfg(c), "ShmSize");
    snprintf(shm, sizeof shm, "size=%lld",
             (long long)(shm_size > 0 ? shm_size : 64LL << 20));
    json_array_append_new(m, mount_obj("/dev/shm", "tmpfs", "shm",
                                       opts_of("nosuid", "noexec", "nodev",
                                               "mode=1777", shm, NULL)));
  }
  bool own = im == BERTH_NSMODE_PRIVATE || im == BERTH_NSMODE_NONE;
  if (own || userns_host(c))
    json_array_append_new(m, mount_obj("/dev/mqueue", "mqueue", "mqueue",
                                       opts_of("nosuid", "noexec", "nodev",
                                               NULL)));
}

/* /proc, /dev, /sys... as Docker mounts them.  In a user namespace with
 * the host's network namespace sysfs cannot be mounted (the kernel wants
 * a network namespace owned by the user namespace): bind it read-only. */
static void base_mounts(const struct berth_bundle_in *in, json_t *m) {
  const struct berth_ctr *c = in->ctr;
  bool priv = cfg_bool(hostcfg(c), "Privileged");
  proc_mount(in, m);
  json_array_append_new(m, mount_obj("/dev", "tmpfs", "tmpfs",
                                     opts_of("nosuid", "strictatime",
                                             "mode=755", "size=65536k",
                                             NULL)));
  json_array_append_new(
      m, mount_obj("/dev/pts", "devpts", "devpts",
                   opts_of("nosuid", "noexec", "newinstance", "ptmxmode=0666",
                           "mode=0620", "gid=5", NULL)));
  ipc_mounts(c, m);
  const char *ro = priv ? "rw" : "ro";
  if (!userns_host(c) && net_host(c))
    json_array_append_new(m, mount_obj("/sys", "bind", "/sys",
                                       opts_of("rbind", "nosuid", "noexec",
                                               "nodev", ro, NULL)));
  else
    json_array_append_new(m, mount_obj("/sys", "sysfs", "sysfs",
                                       opts_of("nosuid", "noexec", "nodev",
                                               ro, NULL)));
  json_array_append_new(m, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup",
                                     opts_of("nosuid", "noexec", "nodev",
                                             "relatime", ro, NULL)));
}

/* Whether a mount of the request has dst as its target. */
static bool user_target(const struct berth_ctr *c, const char *dst) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hostcfg(c), "Mounts"), i, v) {
    const char *t = cfg_str(v, "Target");
    if (t && strcmp(t, dst) == 0)
      return true;
  }
  return false;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf: files of the
 * container's directory, so each container may edit its own.  They go
 * after the request's mounts, so that a volume or bind on /etc (or /)
 * does not hide them, as Docker mounts them; a mount the user puts on one
 * of the files wins. */
static void etc_mounts(const struct berth_bundle_in *in, json_t *m) {
  const char *files[] = {"hosts", "hostname", "resolv.conf"};
  /* --network container:X shares X's files, as Docker does: the names
   * and resolvers of the network stack it joins. */
  char dir[4096];
  const char *ref;
  enum berth_ns_mode nm;
  snprintf(dir, sizeof dir, "%s", in->dir);
  if (berth_ns_mode(hostcfg(in->ctr), "NetworkMode", &nm, &ref, NULL) == 0 &&
      nm == BERTH_NSMODE_CONTAINER && strrchr(dir, '/'))
    snprintf(strrchr(dir, '/') + 1, sizeof dir - (size_t)(strrchr(dir, '/') + 1 - dir),
             "%s", ref);
  for (size_t i = 0; i < 3; i++) {
    char src[4200], dst[64];
    snprintf(src, sizeof src, "%s/%s", dir, files[i]);
    snprintf(dst, sizeof dst, "/etc/%s", files[i]);
    if (user_target(in->ctr, dst))
      continue;
    json_array_append_new(m, mount_obj(dst, "bind", src,
                                       opts_of("rbind", "rprivate", NULL)));
  }
}

/* A bind whose propagation is the host mount's (shared or slave). */
static bool propagates(const char *prop) {
  return prop && strcmp(prop, "rprivate") != 0 && strcmp(prop, "private") != 0;
}

/* Mounts of the request (HostConfig.Mounts, resolved at create: binds
 * with host paths, volumes with their _data directories, tmpfs). */
static void user_mounts(const struct berth_ctr *c, json_t *m) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hostcfg(c), "Mounts"), i, v) {
    const char *type = cfg_str(v, "Type");
    const char *target = cfg_str(v, "Target");
    if (!type || !target)
      continue;
    json_t *opts = json_array();
    if (strcmp(type, "tmpfs") == 0) {
      json_t *t = json_object_get(v, "TmpfsOptions");
      char buf[64];
      json_array_append_new(opts, json_string("nosuid"));
      json_array_append_new(opts, json_string("nodev"));
      if (cfg_int(t, "SizeBytes") > 0) {
        snprintf(buf, sizeof buf, "size=%lld",
                 (long long)cfg_int(t, "SizeBytes"));
        json_array_append_new(opts, json_string(buf));
      }
      snprintf(buf, sizeof buf, "mode=%llo",
               (unsigned long long)(cfg_int(t, "Mode") ? cfg_int(t, "Mode")
                                                       : 01777));
      json_array_append_new(opts, json_string(buf));
      const char *extra = cfg_str(t, "Options");
      if (extra) {
        _cleanup_free_ char *copy = strdup(extra);
        char *save = NULL;
        for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o;
             o = strtok_r(NULL, ",", &save))
          json_array_append_new(opts, json_string(o));
      }
      if (cfg_bool(v, "ReadOnly"))
        json_array_append_new(opts, json_string("ro"));
      json_array_append_new(m, mount_obj(target, "tmpfs", "tmpfs", opts));
      continue;
    }
    const char *src = cfg_str(v, "HostPath");
    if (!src)
      src = cfg_str(v, "Source");
    if (!src)
      continue;
    const char *prop = cfg_str(json_object_get(v, "BindOptions"),
                               "Propagation");
    json_array_append_new(opts, json_string("rbind"));
    json_array_append_new(opts, json_string(prop ? prop : "rprivate"));
    /* A shared or slave bind in a user namespace is not cloned by the
     * engine (start.c) but keeps its host path: the runtime idmaps it. */
    if (!userns_host(c) && strcmp(type, "bind") == 0 && propagates(prop))
      json_array_append_new(opts, json_string("ridmap"));
    json_array_append_new(opts,
                          json_string(cfg_bool(v, "ReadOnly") ? "ro" : "rw"));
    /* Unlike Docker, nosuid and nodev unless asked otherwise (-v ...:suid,
     * as podman's): a file a container's root makes setuid in a volume or
     * a bind must not raise whoever runs it in any container.  Only set,
     * never cleared: a host mount's own nosuid stays. */
    if (!cfg_bool(v, "Suid"))
      json_array_append_new(opts, json_string("nosuid"));
    if (!cfg_bool(v, "Dev"))
      json_array_append_new(opts, json_string("nodev"));
    json_array_append_new(m, mount_obj(target, "bind", src, opts));
  }
}

static json_t *idmap(uint32_t base, uint32_t count) {
  return json_pack("[{s:i,s:I,s:I}]", "containerID", 0, "hostID",
                   (json_int_t)base, "size", (json_int_t)count);
}

/* pid and ipc: none for the host's (--pid/--ipc host: the container
 * stays in berth's, which is the host's), another container's by path,
 * else a new one.  The user namespace stays the container's own in
 * every case: seeing the host's or another container's processes gives
 * no power over them (ptrace, signals and /proc/PID files of processes
 * whose ids are not mapped in it are refused by the kernel). */
static void shared_ns(const struct berth_bundle_in *in, json_t *ns,
                      const char *type, const char *key, const char *path) {
  enum berth_ns_mode m;
  if (berth_ns_mode(hostcfg(in->ctr), key, &m, NULL, NULL) < 0)
    m = BERTH_NSMODE_PRIVATE;
  if (m == BERTH_NSMODE_HOST)
    return;
  json_t *o = json_pack("{s:s}", "type", type);
  if (m == BERTH_NSMODE_CONTAINER && path && *path)
    json_object_set_new(o, "path", json_string(path));
  json_array_append_new(ns, o);
}

static json_t *namespaces(const struct berth_bundle_in *in) {
  const struct berth_ctr *c = in->ctr;
  json_t *ns = json_pack("[{s:s},{s:s},{s:s}]", "type", "uts", "type",
                         "mount", "type", "cgroup");
  shared_ns(in, ns, "pid", "PidMode", in->pid_ns_path);
  shared_ns(in, ns, "ipc", "IpcMode", in->ipc_ns_path);
  shared_ns(in, ns, "network", "NetworkMode", in->net_ns_path);
  if (!userns_host(c))
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
  return ns;
}

/* --device: the node as the host has it now, and a cgroup rule for it. */
static int devices(const struct berth_ctr *c, json_t *lx, json_t *res,
                   berth_error **err) {
  json_t *list = json_array();
  json_object_set_new(lx, "devices", list);
  json_object_set_new(lx, "berth.deviceMounts", json_array());
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(hostcfg(c), "Devices"), i, d) {
    const char *host = cfg_str(d, "PathOnHost");
    const char *ctr = cfg_str(d, "PathInContainer");
    const char *perms = cfg_str(d, "CgroupPermissions");
    struct stat st;
    if (!host || stat(host, &st) < 0)
      return berth_error_sys(err, "--device `%s`", host ? host : "");
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "--device `%s`: not a device node", host);
    const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
    if (!userns_host(c)) {
      /* mknod is not allowed in a user namespace: a node the engine made
       * for the container's root (NodePath, start.c) is bind-mounted
       * instead (the cgroup rule below still applies). */
      const char *node = cfg_str(d, "NodePath");
      json_array_append_new(
          json_object_get(lx, "berth.deviceMounts"),
          mount_obj(ctr ? ctr : host, "bind", node ? node : host,
                    opts_of("bind", "nosuid", "noexec", NULL)));
    } else
    json_array_append_new(
        list, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path",
                        ctr ? ctr : host, "type", type, "major",
                        (json_int_t)major(st.st_rdev), "minor",
                        (json_int_t)minor(st.st_rdev), "fileMode",
                        (int)(st.st_mode & 0777), "uid", 0, "gid", 0));
    json_array_append_new(
        json_object_get(res, "devices"),
        json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type, "major",
                  (json_int_t)major(st.st_rdev), "minor",
                  (json_int_t)minor(st.st_rdev), "access",
                  perms ? perms : "rwm"));
  }
  /* Docker's --privileged: every host device, as the host has it (the
   * cgroup allows all, resources()).  A privileged container has no user
   * namespace (create.c, want_userns), so the runtime makes real nodes. */
  if (cfg_bool(hostcfg(c), "Privileged"))
    berth_host_devices("/dev", list);
  return 0;
}

static json_t *rlimits(const struct berth_ctr *c) {
  json_t *out = json_array();
  size_t i;
  json_t *u;
  json_array_foreach(json_object_get(hostcfg(c), "Ulimits"), i, u) {
    char type[48];
    snprintf(type, sizeof type, "RLIMIT_%s", cfg_str(u, "Name"));
    for (char *p = type; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    json_array_append_new(out, json_pack("{s:s,s:O,s:O}", "type", type,
                                         "soft", json_object_get(u, "Soft"),
                                         "hard", json_object_get(u, "Hard")));
  }
  return out;
}

/* The seccomp filter: the default profile, a user's file, or none
 * ("unconfined", or --privileged as Docker). */
static int seccomp(const struct berth_ctr *c, json_t *caps,
                   const char *arch, json_t **out, berth_error **err) {
  json_t *h = hostcfg(c);
  *out = NULL;
  if (cfg_bool(h, "Privileged"))
    return 0;
  const char *file = NULL;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(h, "SecurityOpt"), i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, "seccomp=", 8) == 0)
      file = s + 8;
  }
  if (file && strcmp(file, "unconfined") == 0)
    return 0;
  json_t *profile = NULL;
  int rc = file ? berth_seccomp_profile_load(file, &profile, err)
                : berth_seccomp_default_profile(&profile, err);
  if (rc < 0)
    return berth_error_prefix(err, "--security-opt seccomp=%s",
                              file ? file : "default");
  _cleanup_free_ char **names = calloc(json_array_size(caps) + 1,
                                       sizeof(char *));
  if (!names) {
    json_decref(profile);
    return berth_error_sys(err, "allocate");
  }
  json_array_foreach(caps, i, v) names[i] = (char *)json_string_value(v);
  rc = berth_seccomp_profile_resolve(profile, names, arch, out, err);
  json_decref(profile);
  return rc;
}

static bool no_new_privileges(const struct berth_ctr *c) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hostcfg(c), "SecurityOpt"), i, v) {
    const char *s = json_string_value(v);
    if (s && (strcmp(s, "no-new-privileges") == 0 ||
              strcmp(s, "no-new-privileges:true") == 0 ||
              strcmp(s, "no-new-privileges=true") == 0))
      return true;
  }
  return false;
}

static json_t *process(const struct berth_bundle_in *in, json_t *args,
                       json_t *caps) {
  const struct berth_ctr *c = in->ctr;
  json_t *groups = json_array();
  for (size_t i = 0; i < in->user->n_groups; i++)
    json_array_append_new(groups, json_integer(in->user->groups[i]));
  const char *cwd = cfg_str(c->config, "WorkingDir");
  json_t *p = json_pack(
      "{s:b,s:{s:I,s:I,s:o},s:o,s:o,s:s,s:{s:O,s:O,s:O,s:O},s:o,s:b}",
      "terminal", cfg_bool(c->config, "Tty"), "user", "uid",
      (json_int_t)in->user->uid, "gid", (json_int_t)in->user->gid,
      "additionalGids", groups, "args", args, "env", process_env(c), "cwd",
      cwd ? cwd : "/", "capabilities", "bounding", caps, "effective", caps,
      "permitted", caps, "inheritable", json_array(), "rlimits", rlimits(c),
      "noNewPrivileges", no_new_privileges(c));
  if (in->user->uid != 0) {
    /* Docker: capabilities are for root; another user starts with none
     * effective (they stay in the bounding set for setuid programs). */
    json_object_set_new(json_object_get(p, "capabilities"), "effective",
                        json_array());
    json_object_set_new(json_object_get(p, "capabilities"), "permitted",
                        json_array());
  }
  json_t *cs = json_object_get(c->config, "ConsoleSize");
  if (json_array_size(cs) == 2)
    json_object_set_new(p, "consoleSize",
                        json_pack("{s:O,s:O}", "height", json_array_get(cs, 0),
                                  "width", json_array_get(cs, 1)));
  return p;
}

int berth_bundle_spec(const struct berth_bundle_in *in, json_t **out,
                      berth_error **err) {
  const struct berth_ctr *c = in->ctr;
  json_t *h = hostcfg(c);
  json_t *caps = NULL, *filter = NULL;
  json_t *args = process_args(c, err);
  if (!args || berth_caps_set(h, &caps, err) < 0 ||
      seccomp(c, caps, in->arch, &filter, err) < 0) {
    json_decref(args);
    json_decref(caps);
    return -1;
  }
  json_t *mounts = json_array();
  base_mounts(in, mounts);
  user_mounts(c, mounts);
  etc_mounts(in, mounts);
  if (cfg_bool(h, "Init")) {
    if (!in->init_exe || access(in->init_exe, X_OK) < 0) {
      json_decref(mounts);
      json_decref(args);
      json_decref(caps);
      json_decref(filter);
      return berth_error_sys(err, "--init: `%s`",
                             in->init_exe ? in->init_exe : "berth-init");
    }
    json_array_append_new(mounts, mount_obj("/dev/init", "bind", in->init_exe,
                                            opts_of("bind", "ro", NULL)));
  }
  /* --cgroup-parent, recorded at create (default /berth). */
  char cgpath[4200];
  const char *parent = cfg_str(h, "CgroupParent");
  snprintf(cgpath, sizeof cgpath, "%s/%s", parent ? parent : "/berth",
           c->id);
  json_t *res = berth_resources_of(h);
  json_t *lx = json_pack("{s:o,s:s,s:o}", "namespaces", namespaces(in),
                         "cgroupsPath", cgpath, "resources", res);
  if (devices(c, lx, res, err) < 0) {
    json_decref(lx);
    json_decref(mounts);
    json_decref(args);
    json_decref(caps);
    json_decref(filter);
    return -1;
  }
  /* Device binds join the mounts (after /dev, so they land in it). */
  json_array_extend(mounts, json_object_get(lx, "berth.deviceMounts"));
  json_object_del(lx, "berth.deviceMounts");
  if (!cfg_bool(h, "Privileged")) {
    json_object_set_new(lx, "maskedPaths", strv_json(masked_paths));
    json_object_set_new(lx, "readonlyPaths", strv_json(readonly_paths));
  }
  if (!userns_host(c)) {
    json_object_set_new(lx, "uidMappings", idmap(c->id_base, c->id_count));
    json_object_set_new(lx, "gidMappings", idmap(c->id_base, c->id_count));
  }
  if (filter)
    json_object_set_new(lx, "seccomp", filter);
  json_t *sysctl = net_sysctls(c, json_object_get(h, "Sysctls"));
  if (json_object_size(sysctl))
    json_object_set(lx, "sysctl", sysctl);
  json_decref(sysctl);
  const char *hostname = cfg_str(c->config, "Hostname");
  json_t *spec = json_pack(
      "{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2", "process",
      process(in, args, caps), "root", "path", "rootfs", "readonly",
      cfg_bool(h, "ReadonlyRootfs"), "hostname", hostname ? hostname : "",
      "mounts", mounts, "linux", lx);
  json_decref(caps);
  if (!spec)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "build config.json");
  /* --domainname: the NIS domain name of its own UTS namespace. */
  const char *domain = cfg_str(c->config, "Domainname");
  if (domain)
    json_object_set_new(spec, "domainname", json_string(domain));
  *out = spec;
  return 0;
}
